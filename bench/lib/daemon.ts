/**
 * The daemon under test as `serve` runs in production: its own process, built JavaScript (or tsx),
 * TCP listener, log lines to a file (as to journald), readiness polled on /readyz.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { packageRoot } from '../../src/package-root.js';
import { cleanEnv } from '../../test/support/cli-process.js';
import { probe } from './api-client.js';

const run = promisify(execFile);

export type Runner = 'built' | 'tsx';

/**
 * Compiles src/ with the repository's tsconfig.build.json into `dir`/dist (never over the
 * repository's own dist/, which others may be using), next to links to package.json, migrations/
 * and node_modules/, so the built daemon finds its package root as an installed one does.
 */
export async function buildDaemon(dir: string): Promise<string> {
  const root = packageRoot();
  mkdirSync(dir, { recursive: true });
  for (const name of ['package.json', 'migrations', 'node_modules']) symlinkSync(join(root, name), join(dir, name));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await run(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', join(dir, 'dist'), '--sourceMap', 'false'], { cwd: root });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`building the daemon failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
  return join(dir, 'dist', 'src', 'main.js');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface DaemonSettings {
  runner: Runner;
  /** The built main.js (runner "built"). */
  main: string;
  podmanSocket: string;
  dbPath: string;
  stateDir: string;
  defaultImage: string;
  logFile: string;
  /** Write a V8 CPU profile (node --cpu-prof) here when the process exits. */
  cpuProfDir?: string | undefined;
  env?: Record<string, string>;
}

export interface DaemonProcess {
  readonly pid: number;
  readonly port: number;
  /** From spawn() to the first /readyz answer of 200. */
  readonly readyMs: number;
  /** Resident set size now, in bytes (VmRSS), and the peak so far (VmHWM). */
  memory(): { rss: number; peak: number };
  stop(): Promise<void>;
}

export async function startDaemonProcess(settings: DaemonSettings, timeoutMs = 30_000): Promise<DaemonProcess> {
  const port = await freePort();
  const nodeArgs: string[] = [];
  if (settings.cpuProfDir) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', settings.cpuProfDir);
  const entry = settings.runner === 'built' ? [settings.main] : ['--import', 'tsx', join(packageRoot(), 'src', 'main.ts')];
  const args = [
    ...nodeArgs,
    ...entry,
    'serve',
    '--listen',
    `127.0.0.1:${port}`,
    '--podman-socket',
    settings.podmanSocket,
    '--db',
    settings.dbPath,
    '--default-image',
    settings.defaultImage,
  ];
  const env = cleanEnv({
    PODMAN_DEBUGD_STATE_DIR: settings.stateDir,
    PODMAN_DEBUGD_START_PODMAN: 'never',
    // The load test sends thousands of requests a second from one principal; the production
    // default (20/s, bursts of 40) would answer them 429. Everything else is the default.
    PODMAN_DEBUGD_RATE_LIMIT_PER_SECOND: '0',
    PODMAN_DEBUGD_LOG_LEVEL: 'info',
    ...settings.env,
  });
  const log = openSync(settings.logFile, 'a');
  const started = performance.now();
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, args, { env, cwd: packageRoot(), stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      resolve();
    }),
  );
  let readyMs = -1;
  while (performance.now() - started < timeoutMs) {
    if (exitCode !== undefined) break;
    if ((await probe(port, '/readyz')) === 200) {
      readyMs = performance.now() - started;
      break;
    }
    await sleep(5);
  }
  if (readyMs < 0) {
    child.kill('SIGKILL');
    await exited;
    const tail = readFileSync(settings.logFile, 'utf8').split('\n').slice(-15).join('\n');
    throw new Error(`the daemon did not become ready (exit ${String(exitCode)}); log tail:\n${tail}`);
  }
  const pid = child.pid!;
  return {
    pid,
    port,
    readyMs,
    memory() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
      return { rss: kb('VmRSS'), peak: kb('VmHWM') };
    },
    async stop() {
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
