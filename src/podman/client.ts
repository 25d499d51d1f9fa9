import http from 'node:http';
import type { Readable } from 'node:stream';
import got, { type Got, type Method, RequestError } from 'got';
import { PodmanApiError, PodmanUnavailableError, parseLibpodError } from './errors.js';
import type { ContainerInspect, ContainerListEntry, ExecInspect, PodmanVersion, SidecarSpec } from './types.js';
import type { MetricsSink, PodmanOp } from '../metrics/metrics.js';

/** The only place the libpod API version is named. Any /v<x> prefix works; 4.0.0 is the floor. */
export const LIBPOD_PREFIX = '/v4.0.0/libpod';

export interface PodmanClientOptions {
  socketPath: string;
  timeoutMs: number;
  /** Told the duration of every call (podman_debugd_podman_request_duration_seconds). */
  metrics?: Pick<MetricsSink, 'podmanRequest'>;
}

interface CallOptions {
  /** The operation's fixed name for metrics: never a path, which holds ids. */
  op: PodmanOp;
  method?: Method;
  searchParams?: Record<string, string | number | boolean>;
  json?: unknown;
  /** Statuses that mean success for this call; anything else is a PodmanApiError. */
  expect: readonly number[];
  timeoutMs?: number;
}

/**
 * A small, explicit libpod REST client over Podman's unix socket. Every call names the statuses it
 * accepts; failures carry status, libpod's cause and the endpoint. Connection problems become
 * PodmanUnavailableError so the HTTP layer can answer 503.
 */
export class PodmanClient {
  readonly socketPath: string;
  private readonly http: Got;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private readonly metrics: Pick<MetricsSink, 'podmanRequest'> | undefined;

  constructor(options: PodmanClientOptions) {
    this.socketPath = options.socketPath;
    this.timeoutMs = options.timeoutMs;
    this.metrics = options.metrics;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.http = got.extend({
      prefixUrl: `http://unix:${options.socketPath}:`,
      enableUnixSockets: true,
      agent: { http: this.agent },
      throwHttpErrors: false,
      retry: { limit: 0 },
      responseType: 'text',
      headers: { 'user-agent': 'podman-debugd' },
    });
  }

  close(): void {
    this.agent.destroy();
  }

  /** GET /_ping: proves the socket answers and tells Podman's API version. */
  async ping(timeoutMs = 2000): Promise<PodmanVersion> {
    const endpoint = 'GET /_ping';
    const started = performance.now();
    try {
      const response = await this.http.get('_ping', { timeout: { request: timeoutMs } });
      this.observe('ping', started, response.statusCode);
      if (response.statusCode !== 200) {
        throw new PodmanApiError(response.statusCode, '', response.body.slice(0, 200), endpoint);
      }
      const header = (name: string) => {
        const value = response.headers[name];
        return Array.isArray(value) ? value[0] ?? '' : value ?? '';
      };
      return { apiVersion: header('libpod-api-version'), server: header('server') };
    } catch (err) {
      if (!(err instanceof PodmanApiError)) this.observe('ping', started, 'error');
      throw this.translate(err, endpoint);
    }
  }

  async inspectContainer(nameOrId: string): Promise<ContainerInspect | null> {
    try {
      const { status, body } = await this.call<ContainerInspect>(`containers/${encodeURIComponent(nameOrId)}/json`, {
        op: 'containerInspect',
        expect: [200, 404],
      });
      return status === 404 ? null : body;
    } catch (err) {
      // A container removed while Podman looks it up is a 500 "does not exist in database: no such container".
      if (err instanceof PodmanApiError && err.isNoSuchContainer) return null;
      throw err;
    }
  }

  async listContainers(filters?: Record<string, string[]>): Promise<ContainerListEntry[]> {
    const searchParams: Record<string, string> = { all: 'true' };
    if (filters) searchParams.filters = JSON.stringify(filters);
    const { body } = await this.call<ContainerListEntry[] | null>('containers/json', { op: 'containerList', searchParams, expect: [200] });
    return body ?? [];
  }

  /**
   * Pulls an image if it is missing. Libpod answers 200 even when the pull fails and reports the
   * failure as an {"error": ...} line in the NDJSON progress stream, so read every line.
   */
  async pullImage(reference: string, timeoutMs = 600_000): Promise<void> {
    const endpoint = 'POST /images/pull';
    const { status, raw } = await this.call('images/pull', {
      op: 'imagePull',
      method: 'POST',
      searchParams: { reference, policy: 'missing', quiet: true },
      expect: [200],
      timeoutMs,
    });
    for (const line of raw.split('\n')) {
      if (!line.trim()) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue;
      }
      const error = (parsed as { error?: unknown }).error;
      if (typeof error === 'string' && error) throw new PodmanApiError(status, 'pull failed', error, endpoint);
    }
  }

  async createContainer(spec: SidecarSpec): Promise<string> {
    const { body } = await this.call<{ Id: string }>('containers/create', { op: 'containerCreate', method: 'POST', json: spec, expect: [201] });
    return body.Id;
  }

  async startContainer(id: string): Promise<void> {
    await this.call(`containers/${encodeURIComponent(id)}/start`, { op: 'containerStart', method: 'POST', expect: [204, 304] });
  }

  /** Force-removes a container; true if it existed. Gone already is not an error. */
  async removeContainer(id: string): Promise<boolean> {
    const endpoint = 'DELETE /containers/{id}';
    const { status, body } = await this.call<{ Err?: string }[] | null>(`containers/${encodeURIComponent(id)}`, {
      op: 'containerRemove',
      method: 'DELETE',
      searchParams: { force: true, timeout: 0 },
      expect: [200, 204, 404],
    });
    if (status === 404) return false;
    // Libpod answers 200 with per-container reports; a failure is an Err inside one of them.
    const failed = Array.isArray(body) ? body.find((report) => report?.Err) : undefined;
    if (failed?.Err) {
      if (/no such container/i.test(failed.Err)) return false;
      throw new PodmanApiError(status, 'remove failed', failed.Err, endpoint);
    }
    return true;
  }

  async createExec(containerId: string, cmd: string[], attachStdin: boolean): Promise<string> {
    const { body } = await this.call<{ Id: string }>(`containers/${encodeURIComponent(containerId)}/exec`, {
      op: 'execCreate',
      method: 'POST',
      json: { AttachStdout: true, AttachStderr: true, AttachStdin: attachStdin, Cmd: cmd, Tty: false },
      expect: [201],
    });
    return body.Id;
  }

  /**
   * Starts an attached exec and returns its raw multiplexed output stream. Podman answers a raw
   * HTTP/1.1 200 and then streams until the process ends and it closes the connection. With stdin
   * the connection must be upgraded (101) so we can write to it and half-close it for EOF.
   */
  startExec(execId: string, stdin: Buffer | undefined): Promise<Readable> {
    const endpoint = 'POST /exec/{id}/start';
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'podman-debugd' };
      if (stdin) Object.assign(headers, { connection: 'Upgrade', upgrade: 'tcp' });
      const request = http.request({
        socketPath: this.socketPath,
        method: 'POST',
        path: `${LIBPOD_PREFIX}/exec/${encodeURIComponent(execId)}/start`,
        headers,
        timeout: this.timeoutMs,
      });
      request.once('timeout', () => request.destroy(new Error('timed out waiting for the exec to start')));
      request.once('error', (err) => {
        this.observe('execStart', started, 'error');
        reject(this.translate(err, endpoint));
      });
      request.once('upgrade', (response, socket, head) => {
        this.observe('execStart', started, response.statusCode ?? 'error');
        if (response.statusCode !== 101) {
          socket.destroy();
          reject(new PodmanApiError(response.statusCode ?? 0, '', 'exec upgrade refused', endpoint));
          return;
        }
        socket.setTimeout(0);
        if (head.length > 0) socket.unshift(head);
        // A command that exits, or never starts, before reading all its stdin has Podman close the
        // connection under this write (EPIPE, ECONNRESET), possibly before the caller listens: an
        // unhandled 'error' would crash the daemon. runExec reads that error as the output's end.
        socket.on('error', () => undefined);
        socket.end(stdin ?? Buffer.alloc(0));
        resolve(socket);
      });
      request.once('response', (response) => {
        this.observe('execStart', started, response.statusCode ?? 'error');
        if (response.statusCode !== 200) {
          readAll(response)
            .then((text) => {
              const { cause, message } = parseLibpodError(safeJson(text));
              reject(new PodmanApiError(response.statusCode ?? 0, cause, message, endpoint));
            })
            .catch(reject);
          return;
        }
        response.socket?.setTimeout(0);
        resolve(response);
      });
      request.end(JSON.stringify({ Detach: false, Tty: false }));
    });
  }

  async inspectExec(execId: string): Promise<ExecInspect> {
    const { body } = await this.call<ExecInspect>(`exec/${encodeURIComponent(execId)}/json`, { op: 'execInspect', expect: [200] });
    return body;
  }

  private async call<T = unknown>(
    path: string,
    options: CallOptions,
  ): Promise<{ status: number; body: T; raw: string }> {
    const method = options.method ?? 'GET';
    const endpoint = `${method} /${path.replace(/\/[0-9a-f]{12,64}(?=\/|$)/g, '/{id}')}`;
    let response;
    const started = performance.now();
    try {
      response = await this.http(`${LIBPOD_PREFIX.slice(1)}/${path}`, {
        method,
        searchParams: options.searchParams,
        json: options.json,
        timeout: { request: options.timeoutMs ?? this.timeoutMs },
        // Reads are idempotent: one retry covers a keep-alive socket the server closed meanwhile.
        retry: method === 'GET' ? { limit: 1, methods: ['GET'], statusCodes: [], errorCodes: ['ECONNRESET', 'EPIPE'] } : { limit: 0 },
      });
    } catch (err) {
      this.observe(options.op, started, 'error');
      throw this.translate(err, endpoint);
    }
    this.observe(options.op, started, response.statusCode);
    const raw = response.body;
    const body = safeJson(raw);
    if (!options.expect.includes(response.statusCode)) {
      const { cause, message } = parseLibpodError(body ?? raw);
      throw new PodmanApiError(response.statusCode, cause, message, endpoint);
    }
    return { status: response.statusCode, body: body as T, raw };
  }

  /** The one place Podman calls are timed. */
  private observe(op: PodmanOp, started: number, code: number | 'error'): void {
    this.metrics?.podmanRequest(op, code, (performance.now() - started) / 1000);
  }

  private translate(err: unknown, endpoint: string): Error {
    if (err instanceof PodmanApiError || err instanceof PodmanUnavailableError) return err;
    const code = (err as { code?: string }).code ?? '';
    if (err instanceof RequestError || code) {
      return new PodmanUnavailableError(endpoint, code || (err as Error).message, { cause: err });
    }
    return err instanceof Error ? err : new Error(String(err));
  }
}

function safeJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function readAll(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.once('error', reject);
  });
}
