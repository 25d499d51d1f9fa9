import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { type IncomingMessage, STATUS_CODES, type Server, type ServerResponse, createServer } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { RequestError, getRequestListener } from '@hono/node-server';
import type { ListenAddress } from '../config/listen-address.js';
import { AppError } from '../errors.js';
import type { App } from './app-env.js';
import { PROBLEM_CONTENT_TYPE, problemResponse, toAppError } from './problem.js';

export interface HttpServer {
  /** The address actually bound (the port is real when 0 was asked for). */
  readonly address: ListenAddress;
  /** Stops accepting, lets in-flight requests finish for up to graceMs, then cuts what is left. */
  close(graceMs: number): Promise<void>;
}

/**
 * Where to serve: an address to bind, or a socket already bound and listening that this process
 * was handed (socket activation: fd 3 and up). `path` names a passed unix socket for the log.
 */
export type ListenTarget = ListenAddress | { kind: 'fd'; fd: number; path?: string | undefined };

export interface ServerTimeouts {
  /** Time a client has to send the request headers (slow-header clients are cut). */
  headersTimeoutMs: number;
  /**
   * Time a client has to send the whole request. It bounds receiving only: a long exec answering
   * after it is fine.
   */
  requestTimeoutMs: number;
}

export async function listen(
  app: App,
  address: ListenTarget,
  timeouts: ServerTimeouts = { headersTimeoutMs: 15_000, requestTimeoutMs: 60_000 },
): Promise<HttpServer> {
  // Requests refused before the app sees them are problem+json too, not bare status lines: those
  // the adaptor cannot make a URL of (request target, Host), those Node cannot parse or finds too
  // large, an Expect other than 100-continue. Without a Host header the adaptor refuses (400).
  const server = createServer({ requireHostHeader: false }, getRequestListener(app.fetch, { errorHandler: adaptorError }));
  server.on('clientError', answerClientError);
  server.on('checkExpectation', refuseExpectation);
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.keepAliveTimeout = 5_000;
  if (address.kind === 'unix') await removeStaleSocket(address.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (address.kind === 'fd') server.listen({ fd: address.fd }, resolve);
    else if (address.kind === 'unix') server.listen(address.path, resolve);
    else server.listen(address.port, address.host, resolve);
  });
  let bound: ListenAddress;
  if (address.kind === 'unix') {
    chmodSync(address.path, 0o660);
    bound = address;
  } else {
    // A passed socket's mode and owner are its unit's (SocketMode=, SocketGroup=), and its file is
    // not ours to remove: Node unlinks only a path it bound itself.
    const info = server.address();
    if (info && typeof info === 'object') bound = { kind: 'tcp', host: address.kind === 'tcp' ? address.host : info.address, port: info.port };
    else if (address.kind === 'tcp') bound = address;
    else bound = { kind: 'unix', path: typeof info === 'string' ? info : (address.path ?? `/proc/self/fd/${address.fd}`) };
  }
  return {
    address: bound,
    close: (graceMs) => closeServer(server, graceMs),
  };
}

export interface HttpServers extends HttpServer {
  /** Every address served, in the order of the targets; `address` is the first. */
  readonly addresses: readonly ListenAddress[];
}

/**
 * Serves the app on each target (several under socket activation: a unix socket and TCP, say), one
 * Node server each, closed together. If one cannot listen, those already listening are closed.
 */
export async function listenAll(app: App, targets: readonly ListenTarget[], timeouts?: ServerTimeouts): Promise<HttpServers> {
  if (targets.length === 0) throw new Error('nothing to listen on');
  const servers: HttpServer[] = [];
  try {
    for (const target of targets) servers.push(await listen(app, target, timeouts));
  } catch (err) {
    await Promise.all(servers.map((s) => s.close(0)));
    throw err;
  }
  return {
    address: servers[0]!.address,
    addresses: servers.map((s) => s.address),
    close: async (graceMs) => {
      await Promise.all(servers.map((s) => s.close(graceMs)));
    },
  };
}

function adaptorError(err: unknown): Response {
  if (err instanceof RequestError) return problemResponse(new AppError('bad_request', `invalid request: ${err.message}`), randomUUID());
  return problemResponse(toAppError(err), randomUUID());
}

function rawProblem(status: number, detail: string): { head: Record<string, string>; body: string } {
  const requestId = randomUUID();
  const reason = STATUS_CODES[status] ?? 'Bad Request';
  const title = reason.charAt(0) + reason.slice(1).toLowerCase(); // "Bad request", as the app's titles
  const type = `urn:podman-debugd:problem:${title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  const body = JSON.stringify({ type, title, status, detail, requestId });
  return {
    head: { 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': String(Buffer.byteLength(body)), 'x-request-id': requestId, connection: 'close' },
    body,
  };
}

/** Node's parser refused the request (as Node's default would: 431, 408 or 400), answered as problem+json. */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const detail =
    status === 431 ? 'the request line and headers are too large' : status === 408 ? 'the request was not received in time' : `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'})`;
  const { head, body } = rawProblem(status, detail);
  const lines = Object.entries(head).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines}\r\n${body}`);
}

/** An Expect other than 100-continue cannot be met: 417, and the unread body ends the connection. */
function refuseExpectation(req: IncomingMessage, res: ServerResponse): void {
  const { head, body } = rawProblem(417, `the expectation "${String(req.headers.expect).slice(0, 100)}" cannot be met; only 100-continue is supported`);
  res.writeHead(417, head).end(body);
}

async function closeServer(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}

/** A socket file left by a crashed run blocks listen(); remove it only if nobody answers on it. */
async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  const alive = await new Promise<boolean>((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another process is already listening on ${path}`);
  unlinkSync(path);
}
