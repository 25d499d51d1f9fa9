import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../src/package-root.js';

export interface HelloHono {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts bench/hello-hono.ts in its own process and waits for its port. */
export async function startHelloHono(): Promise<HelloHono> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot(), 'bench', 'hello-hono.ts')], {
    cwd: packageRoot(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(Number(line)));
    child.once('exit', (code) => reject(new Error(`hello-hono exited (${code}) before listening`)));
  });
  return {
    port,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
