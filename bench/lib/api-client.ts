/** A lean keep-alive HTTP client for the daemon's API over TCP, as a script would call it. */
import http from 'node:http';

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
}

export class ApiClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  constructor(
    readonly port: number,
    private readonly token: string,
    readonly host = '127.0.0.1',
  ) {}

  close(): void {
    this.agent.destroy();
  }

  async call<T = any>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    try {
      return await this.once<T>(method, path, body);
    } catch (err) {
      // A keep-alive socket the server closed just as it was reused: the request never reached the
      // daemon, so sending it again is safe (the pattern Node's http documentation recommends).
      if ((err as { reusedSocket?: boolean }).reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') return this.once<T>(method, path, body);
      throw err;
    }
  }

  private once<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string | number> = { authorization: `Bearer ${this.token}` };
      if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      const req = http.request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T });
        });
        res.once('error', reject);
      });
      req.once('error', (err) => reject(Object.assign(err, { reusedSocket: req.reusedSocket })));
      req.end(payload);
    });
  }

  /** Like call(), but anything but `status` is an error naming the answer. */
  async expect<T = any>(status: number, method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.call<T>(method, path, body);
    if (answer.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body).slice(0, 400)}`);
    return answer.body;
  }
}

/** GET without a token (health routes); resolves with the status, or 0 when nothing answers. */
export function probe(port: number, path: string, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
  });
}
