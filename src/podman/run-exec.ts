import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import type { PodmanClient } from './client.js';
import { FrameDemuxer, type Frame } from './demux.js';
import { type CollectedOutput, OutputCollector } from './output-collector.js';

export interface RunExecInput {
  containerId: string;
  argv: string[];
  stdin?: Buffer | undefined;
  timeoutMs: number;
  maxOutputBytes: number;
}

export interface RunExecResult {
  /** null when the command timed out and no exit code exists yet. */
  exitCode: number | null;
  timedOut: boolean;
  stdout: CollectedOutput;
  stderr: CollectedOutput;
  durationMs: number;
}

/**
 * Runs argv in a container, attached, without a TTY. The exit code is read only after the output
 * stream has ended (Podman closes it when the process exits). On timeout the stream is dropped, the
 * partial output returned, and the process killed if it can be identified safely.
 */
export async function runExec(podman: PodmanClient, input: RunExecInput): Promise<RunExecResult> {
  const started = performance.now();
  const execId = await podman.createExec(input.containerId, input.argv, input.stdin !== undefined);
  const stdout = new OutputCollector(input.maxOutputBytes);
  const stderr = new OutputCollector(input.maxOutputBytes);
  const source = await podman.startExec(execId, input.stdin);
  const sink = new Writable({
    objectMode: true,
    write(frame: Frame, _encoding, callback) {
      (frame.stream === 'stdout' ? stdout : stderr).add(frame.payload);
      callback();
    },
  });

  const timeout = AbortSignal.timeout(input.timeoutMs);
  let timedOut = false;
  try {
    await pipeline(source, new FrameDemuxer(), sink, { signal: timeout });
  } catch (err) {
    // With stdin, Podman closing the connection while we still write it means the command is gone
    // (it exited, or never started): what arrived and the exit code are the result.
    const stdinCutOff = input.stdin !== undefined && ['EPIPE', 'ECONNRESET'].includes((err as NodeJS.ErrnoException).code ?? '');
    if (!timeout.aborted && !stdinCutOff) throw err;
    timedOut = timeout.aborted;
  } finally {
    source.destroy();
  }

  let exitCode: number | null = null;
  if (timedOut) {
    await killTimedOutExec(podman, execId, input.containerId);
  } else {
    exitCode = await waitForExitCode(podman, execId);
  }
  return {
    exitCode,
    timedOut,
    stdout: stdout.result(),
    stderr: stderr.result(),
    durationMs: Math.round(performance.now() - started),
  };
}

/** The stream has ended; Podman may take a moment to record the exit code. */
async function waitForExitCode(podman: PodmanClient, execId: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const inspect = await podman.inspectExec(execId);
    if (!inspect.Running || attempt >= 20) return inspect.ExitCode;
    await sleep(50);
  }
}

/**
 * Libpod has no "kill exec" call, and dropping the attach connection does not stop the process.
 * The exec's host PID is in its inspect data; we SIGKILL it and its descendants, each only after
 * /proc shows it in the sidecar's own cgroup, so a recycled PID is never hit. Best effort: where
 * /proc is not ours to read (another PID namespace, rootless), the process ends with its sidecar.
 */
async function killTimedOutExec(podman: PodmanClient, execId: string, containerId: string): Promise<void> {
  try {
    const inspect = await podman.inspectExec(execId);
    if (!inspect.Running || inspect.Pid <= 0) return;
    const tree = [inspect.Pid, ...(await descendants(inspect.Pid))];
    for (const pid of tree) {
      if (await inContainerCgroup(pid, containerId)) process.kill(pid, 'SIGKILL');
    }
  } catch {
    // Nothing more we can do; the sidecar's end takes the process with it.
  }
}

async function descendants(pid: number): Promise<number[]> {
  const out: number[] = [];
  let children: string;
  try {
    children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
  } catch {
    return out;
  }
  for (const child of children.split(/\s+/).filter(Boolean).map(Number)) {
    out.push(child, ...(await descendants(child)));
  }
  return out;
}

async function inContainerCgroup(pid: number, containerId: string): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/.test(containerId)) return false;
  try {
    return (await readFile(`/proc/${pid}/cgroup`, 'utf8')).includes(containerId);
  } catch {
    return false;
  }
}
