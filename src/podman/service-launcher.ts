import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger.js';
import { PodmanClient } from './client.js';

export interface LaunchOptions {
  /** `podman`, or a path to it. */
  binary: string;
  socketPath: string;
  /** Global flags before `system service` (tests pass --root/--runroot). */
  globalArgs?: string[];
  env?: NodeJS.ProcessEnv;
  log: Logger;
  readyTimeoutMs?: number;
}

export interface LaunchedPodman {
  readonly socketPath: string;
  readonly pid: number;
  /** Resolves when the service exits, for whatever reason. */
  readonly exited: Promise<void>;
  stop(): Promise<void>;
}

/** Finds an executable on PATH the way a shell would; undefined when it is not installed. */
export function findExecutable(binary: string, path = process.env.PATH ?? ''): string | undefined {
  const candidates = isAbsolute(binary) ? [binary] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, binary));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Runs `podman system service --time=0` on a socket of our own and waits until it answers a ping.
 * The returned handle stops it (SIGTERM, then SIGKILL).
 */
export async function launchPodmanService(options: LaunchOptions): Promise<LaunchedPodman> {
  const executable = findExecutable(options.binary, options.env?.PATH ?? process.env.PATH);
  if (!executable) throw new Error(`cannot start Podman: "${options.binary}" is not installed or not on PATH`);
  mkdirSync(dirname(options.socketPath), { recursive: true, mode: 0o750 });
  const args = [...(options.globalArgs ?? []), 'system', 'service', '--time=0', `unix://${options.socketPath}`];
  // With CONTAINER_HOST set, podman turns into a remote client and `system service` fails.
  const env = { ...(options.env ?? process.env) };
  delete env.CONTAINER_HOST;
  delete env.CONTAINER_CONNECTION;
  const child = spawn(executable, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const stderrTail: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
      options.log.debug({ podman: line }, 'podman service output');
    }
  });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
  });

  const client = new PodmanClient({ socketPath: options.socketPath, timeoutMs: 2000 });
  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  try {
    for (;;) {
      if (exited) {
        throw new Error(`podman system service exited (${exited.code ?? exited.signal}): ${stderrTail.slice(-5).join(' | ')}`);
      }
      try {
        await client.ping(1000);
        break;
      } catch {
        if (Date.now() > deadline) {
          await stopChild(child);
          throw new Error(`podman system service did not answer on ${options.socketPath} in time: ${stderrTail.slice(-5).join(' | ')}`);
        }
        await sleep(100);
      }
    }
  } finally {
    client.close();
  }
  return {
    socketPath: options.socketPath,
    pid: child.pid ?? -1,
    exited: new Promise<void>((resolve) => (exited ? resolve() : child.once('exit', () => resolve()))),
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}
