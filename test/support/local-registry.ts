/**
 * A real, private image registry for pull tests: Debian's docker-registry (distribution v2), plain
 * HTTP on 127.0.0.1 and a free port, storing its blobs in a temporary directory of its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findExecutable } from '../../src/podman/service-launcher.js';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export interface LocalRegistry {
  /** host:port, e.g. 127.0.0.1:40123: the registry part of an image reference. */
  readonly address: string;
  /** Kills the registry and removes its storage. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startLocalRegistry(options: { readyTimeoutMs?: number } = {}): Promise<LocalRegistry> {
  if (!findExecutable(REGISTRY_BINARY)) {
    throw new Error(
      `pull tests need a real registry: ${REGISTRY_BINARY} is missing. ` +
        'Install it with: apt-get install -y docker-registry (or run: bash scripts/setup.sh)',
    );
  }
  // The free port may be taken between probing and binding; try a few times.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(await freePort(), options.readyTimeoutMs ?? 15_000);
    } catch (err) {
      lastError = err;
      if (!(err instanceof Error && /address already in use/i.test(err.message))) throw err;
    }
  }
  throw lastError;
}

async function launch(port: number, readyTimeoutMs: number): Promise<LocalRegistry> {
  const address = `127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'podman-debugd-registry-'));
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'storage')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${address}`,
      '',
    ].join('\n'),
  );
  // REGISTRY_* variables override the config file; none of the caller's may leak in.
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('REGISTRY_')) env[key] = value;
  const child = spawn(REGISTRY_BINARY, ['serve', config], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = String(code ?? signal);
  });
  child.once('error', (err) => {
    exited = err.message;
  });

  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`docker-registry exited (${exited}) before it answered on ${address}: ${stderr.trim()}`);
    }
    try {
      const response = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer GET http://${address}/v2/ with 200 in time: ${stderr.trim()}`);
    }
    await sleep(100);
  }
  return { address, stop };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const info = server.address();
      const port = typeof info === 'object' && info ? info.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}
