import http from 'node:http';
import https from 'node:https';
import type { DaemonUrl } from './daemon-url.js';

export interface RawResponse {
  status: number;
  contentType: string;
  retryAfter: string | undefined;
  text: string;
}

/** The daemon did not answer: nothing listens, the socket is not ours to open, or it timed out. */
export class DaemonUnreachableError extends Error {
  override name = 'DaemonUnreachableError';
  constructor(
    readonly url: DaemonUrl,
    /** ECONNREFUSED, ENOENT, EACCES, ETIMEDOUT...; TIMEOUT when no answer came in time. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One HTTP request to the daemon over TCP or its unix socket (node:http speaks both through
 * socketPath). `timeoutMs` bounds the whole exchange: a command run in a session answers only
 * when the command ends.
 */
export function send(
  url: DaemonUrl,
  request: { method: string; path: string; headers: Record<string, string>; body?: string; timeoutMs: number },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers = { ...request.headers };
    if (request.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(request.body));
    }
    const options: http.RequestOptions = { method: request.method, headers };
    let client: typeof http.request = http.request;
    if (url.kind === 'unix') {
      Object.assign(options, { socketPath: url.socketPath, path: request.path, host: 'localhost' });
    } else {
      Object.assign(options, { host: url.host, port: url.port, path: `${url.basePath}${request.path}` });
      if (url.protocol === 'https:') client = https.request;
    }
    const req = client(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', (err) => reject(unreachable(url, err)));
      res.once('end', () => {
        clearTimeout(timer);
        const retryAfter = res.headers['retry-after'];
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    const timer = setTimeout(() => {
      req.destroy(Object.assign(new Error(`no answer within ${Math.round(request.timeoutMs / 1000)} s`), { code: 'TIMEOUT' }));
    }, request.timeoutMs);
    req.once('error', (err) => {
      clearTimeout(timer);
      reject(unreachable(url, err));
    });
    req.end(request.body);
  });
}

const WHY: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOENT: 'no such socket',
  EACCES: 'permission denied',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
};

function unreachable(url: DaemonUrl, err: Error): DaemonUnreachableError {
  const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
  return new DaemonUnreachableError(url, code, code === 'TIMEOUT' ? err.message : WHY[code] ?? err.message);
}
