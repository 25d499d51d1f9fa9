/**
 * The three ways to run a debug cycle on the same private Podman: the daemon's HTTP API, the
 * libpod calls made directly, and the podman CLI. Each creates a sidecar in the target's PID and
 * network namespaces with the same settings (the daemon's SpecGenerator, profile `general`),
 * runs `ps` in it and removes it.
 */
import { randomUUID } from 'node:crypto';
import type { PodmanHarness } from '../../test/support/podman-harness.js';
import { buildSidecarSpec, sidecarName } from '../../src/sessions/sidecar-spec.js';
import { PROFILE_SPECS } from '../../src/sessions/profiles.js';
import { SIDECAR_GRACE_SECONDS } from '../../src/sessions/session.js';
import type { ContainerInspect } from '../../src/podman/types.js';
import type { ApiClient } from './api-client.js';
import type { CallTimes, RawLibpod } from './raw-libpod.js';

export type WayName = 'daemon' | 'libpod' | 'cli';
export const WAYS: readonly WayName[] = ['daemon', 'libpod', 'cli'];

export interface Handle {
  /** Session id (daemon) or container id. */
  id: string;
}

export interface Way {
  readonly name: WayName;
  create(): Promise<Handle>;
  exec(handle: Handle): Promise<void>;
  end(handle: Handle): Promise<void>;
}

/** The daemon's default lease (900 s) is also the sidecar's lifetime when none is asked for. */
const LIFETIME_SECONDS = 900;

/**
 * Labels for the sidecars the libpod and CLI ways make: as many as the daemon's, but not its own,
 * or the daemon's reconciliation would remove them as orphans mid-measurement.
 */
function benchLabels(way: WayName): Record<string, string> {
  return { 'io.podman-debugd-bench.way': way, 'io.podman-debugd-bench.run': randomUUID(), 'io.podman-debugd-bench.target': 'web' };
}

function checkPs(text: string, way: WayName): void {
  if (!/PID/.test(text)) throw new Error(`${way}: ps printed no process table: ${text.slice(0, 200)}`);
}

export function daemonWay(api: ApiClient, target: string): Way {
  return {
    name: 'daemon',
    async create() {
      const session = await api.expect<{ id: string }>(201, 'POST', '/v1/sessions', { target, reason: 'benchmark' });
      return { id: session.id };
    },
    async exec(handle) {
      const result = await api.expect<{ exitCode: number; stdout: string }>(200, 'POST', `/v1/sessions/${handle.id}/exec`, { command: ['ps'] });
      if (result.exitCode !== 0) throw new Error(`daemon: ps exited ${result.exitCode}`);
      checkPs(result.stdout, 'daemon');
    },
    async end(handle) {
      await api.expect(200, 'DELETE', `/v1/sessions/${handle.id}`);
    },
  };
}

/** The daemon's SpecGenerator for a sidecar of `target`, with the benchmark's labels. */
export function rawSpec(target: ContainerInspect, image: string) {
  const spec = buildSidecarSpec({
    sessionId: randomUUID(),
    name: sidecarName(target.Name),
    image,
    target,
    lifetimeSeconds: LIFETIME_SECONDS,
    command: null,
    profile: 'general',
  });
  return { ...spec, labels: benchLabels('libpod') };
}

export function libpodWay(raw: RawLibpod, target: ContainerInspect, image: string, times?: (t: CallTimes) => void): Way {
  return {
    name: 'libpod',
    async create() {
      const t: CallTimes = {};
      const id = await raw.createAndStart(rawSpec(target, image), t);
      times?.(t);
      return { id };
    },
    async exec(handle) {
      const t: CallTimes = {};
      const { exitCode, output } = await raw.exec(handle.id, ['ps'], t);
      times?.(t);
      if (exitCode !== 0) throw new Error(`libpod: ps exited ${exitCode}`);
      checkPs(output.toString('latin1'), 'libpod');
    },
    async end(handle) {
      const t: CallTimes = {};
      await raw.remove(handle.id, t);
      times?.(t);
    },
  };
}

/** `podman run -d --pid container:X --network container:X ...`, `podman exec`, `podman rm -f`. */
export function cliWay(podman: PodmanHarness, target: ContainerInspect, image: string): Way {
  const lifetime = LIFETIME_SECONDS + SIDECAR_GRACE_SECONDS;
  const caps = PROFILE_SPECS.general.cap_add ?? [];
  const run = async (...args: string[]) => {
    const result = await podman.podman(...args);
    if (result.code !== 0) throw new Error(`podman ${args.slice(0, 2).join(' ')} failed (${result.code}): ${result.stderr.slice(0, 300)}`);
    return result.stdout;
  };
  return {
    name: 'cli',
    async create() {
      const labels = Object.entries(benchLabels('cli')).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
      const stdout = await run(
        'run', '-d',
        '--name', sidecarName(target.Name),
        '--pid', `container:${target.Id}`,
        '--network', `container:${target.Id}`,
        ...labels,
        '--rm',
        '--timeout', String(lifetime),
        '--stop-timeout', '0',
        ...caps.flatMap((c) => ['--cap-add', c]),
        '--entrypoint', 'sleep',
        image,
        String(lifetime),
      );
      return { id: stdout.trim() };
    },
    async exec(handle) {
      checkPs(await run('exec', handle.id, 'ps'), 'cli');
    },
    async end(handle) {
      // -t 0: as the daemon removes (force, timeout 0).
      await run('rm', '-f', '-t', '0', handle.id);
    },
  };
}
