import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { ListenAddress } from '../config/listen-address.js';
import type { App } from './app-env.js';

export interface HttpServer {
  /** The address actually bound (the port is real when 0 was asked for). */
  readonly address: ListenAddress;
  /** Stops accepting, lets in-flight requests finish for up to graceMs, then cuts what is left. */
  close(graceMs: number): Promise<void>;
}

export async function listen(app: App, address: ListenAddress): Promise<HttpServer> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  server.headersTimeout = 15_000;
  server.requestTimeout = 330_000; // longer than the longest exec (300 s)
  server.keepAliveTimeout = 5_000;
  if (address.kind === 'unix') await removeStaleSocket(address.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (address.kind === 'unix') server.listen(address.path, resolve);
    else server.listen(address.port, address.host, resolve);
  });
  let bound: ListenAddress = address;
  if (address.kind === 'unix') {
    chmodSync(address.path, 0o660);
  } else {
    const info = server.address();
    if (info && typeof info === 'object') bound = { kind: 'tcp', host: address.host, port: info.port };
  }
  return {
    address: bound,
    close: (graceMs) => closeServer(server, graceMs),
  };
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
