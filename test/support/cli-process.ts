import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { packageRoot } from '../../src/package-root.js';

const run = promisify(execFile);
const MAIN = join(packageRoot(), 'src', 'main.ts');
const NODE_ARGS = ['--import', 'tsx', MAIN];

// systemd's hand-over to a test runner that runs as a service is not for the daemons it starts.
const SYSTEMD_HANDOVER = new Set(['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES', 'NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID']);

/** A clean environment: nothing of the developer's PODMAN_DEBUGD_* or CONTAINER_HOST leaks in. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('PODMAN_DEBUGD_') && key !== 'CONTAINER_HOST' && key !== 'STATE_DIRECTORY' && !SYSTEMD_HANDOVER.has(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

export async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...NODE_ARGS, ...args], { env, cwd: packageRoot() });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly logs: Record<string, any>[];
  /** Resolves with the first log line that matches. */
  waitForLog(predicate: (line: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  exited: Promise<number | null>;
}

/**
 * Runs `podman-debugd serve` as a real process and parses its JSON log lines. `launcher` is a
 * command that execs it in place (e.g. systemd-socket-activate and its options).
 */
export function serve(args: string[], env: NodeJS.ProcessEnv, launcher: string[] = []): ServeProcess {
  const [command, ...argv] = [...launcher, process.execPath, ...NODE_ARGS, 'serve', ...args];
  const child = spawn(command!, argv, { env, cwd: packageRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, any>[] = [];
  const waiters: Array<{ predicate: (l: Record<string, any>) => boolean; resolve: (l: Record<string, any>) => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, any>;
    try {
      line = JSON.parse(text);
    } catch {
      line = { msg: text, raw: true };
    }
    logs.push(line);
    for (const w of [...waiters]) {
      if (w.predicate(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    logs,
    exited,
    waitForLog(predicate, timeoutMs = 30_000) {
      const found = logs.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching log line in ${timeoutMs} ms; logs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${stderr}`)),
          timeoutMs,
        );
        exited.then((code) => reject(new Error(`serve exited with ${code} before the expected log line; stderr: ${stderr}`)));
        waiters.push({
          predicate,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
  };
}
