/**
 * The floor: the same libpod calls the daemon makes, made directly on Podman's socket with
 * node:http and a keep-alive agent, and nothing else (no target inspect, no image check, no
 * database). The sidecar spec is the daemon's own SpecGenerator (buildSidecarSpec).
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { LIBPOD_PREFIX } from '../../src/podman/client.js';
import type { ContainerInspect, SidecarSpec } from '../../src/podman/types.js';

export interface RawResponse {
  status: number;
  body: string;
}

/** Per-call durations of the last operation, to show what each libpod call costs. */
export type CallTimes = Record<string, number>;

export class RawLibpod {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(private readonly socketPath: string) {}

  close(): void {
    this.agent.destroy();
  }

  request(method: string, path: string, body?: unknown): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        {
          socketPath: this.socketPath,
          agent: this.agent,
          method,
          path: `${LIBPOD_PREFIX}/${path}`,
          headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.once('error', reject);
        },
      );
      req.once('error', reject);
      req.end(payload);
    });
  }

  private async expect(method: string, path: string, statuses: number[], body?: unknown): Promise<RawResponse> {
    const res = await this.request(method, path, body);
    if (!statuses.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${res.body.slice(0, 300)}`);
    return res;
  }

  async inspect(nameOrId: string): Promise<ContainerInspect> {
    return JSON.parse((await this.expect('GET', `containers/${encodeURIComponent(nameOrId)}/json`, [200])).body) as ContainerInspect;
  }

  /** POST /containers/create + POST /containers/{id}/start. */
  async createAndStart(spec: SidecarSpec, times: CallTimes = {}): Promise<string> {
    let t = performance.now();
    const { Id } = JSON.parse((await this.expect('POST', 'containers/create', [201], spec)).body) as { Id: string };
    times.create = performance.now() - t;
    t = performance.now();
    await this.expect('POST', `containers/${Id}/start`, [204, 304]);
    times.start = performance.now() - t;
    return Id;
  }

  /** Exec create, exec start (attached, read to the end), exec inspect for the exit code. */
  async exec(containerId: string, cmd: string[], times: CallTimes = {}): Promise<{ exitCode: number; output: Buffer }> {
    let t = performance.now();
    const { Id } = JSON.parse(
      (await this.expect('POST', `containers/${containerId}/exec`, [201], { AttachStdout: true, AttachStderr: true, Cmd: cmd, Tty: false })).body,
    ) as { Id: string };
    times.execCreate = performance.now() - t;
    t = performance.now();
    const output = await this.execStart(Id);
    times.execStart = performance.now() - t;
    t = performance.now();
    // Podman 4.3 may still say Running for a moment after the stream ended; the daemon waits too.
    let exitCode = -1;
    for (let attempt = 0; attempt < 100; attempt++) {
      const inspect = JSON.parse((await this.expect('GET', `exec/${Id}/json`, [200])).body) as { ExitCode: number; Running: boolean };
      if (!inspect.Running) {
        exitCode = inspect.ExitCode;
        break;
      }
      await sleep(5);
    }
    times.execInspect = performance.now() - t;
    return { exitCode, output };
  }

  /** The exec stream: Podman writes a raw 200 and closes the connection at the end (no agent: it is not reusable). */
  private execStart(execId: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { socketPath: this.socketPath, method: 'POST', path: `${LIBPOD_PREFIX}/exec/${execId}/start`, headers: { 'content-type': 'application/json' } },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`exec start: ${res.statusCode}`));
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.once('end', () => resolve(Buffer.concat(chunks)));
          res.once('error', reject);
        },
      );
      req.once('error', reject);
      req.end(JSON.stringify({ Detach: false, Tty: false }));
    });
  }

  /** DELETE /containers/{id}?force=true&timeout=0, as the daemon ends a session. */
  async remove(id: string, times: CallTimes = {}): Promise<void> {
    const t = performance.now();
    await this.expect('DELETE', `containers/${id}?force=true&timeout=0`, [200, 204, 404]);
    times.remove = performance.now() - t;
  }
}
