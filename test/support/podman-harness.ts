/**
 * Starts a real, private Podman service for integration tests: its own --root/--runroot, its own
 * containers.conf (runc, lowered rlimits: see README), its own socket, and images built locally
 * from busybox-static. Nothing here touches the host's containers or images.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { LABEL_MANAGED } from '../../src/sessions/session.js';
import { type LaunchedPodman, findExecutable, launchPodmanService } from '../../src/podman/service-launcher.js';

const run = promisify(execFile);

export const TARGET_IMAGE = 'localhost/podman-debugd-test/target:latest';
export const TOOLBOX_IMAGE = 'localhost/podman-debugd-test/toolbox:latest';
export const TARGET_PORT = 8080;
export const TARGET_PAGE = 'hello from a shell-less target\n';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PodmanHarness {
  readonly dir: string;
  readonly socketPath: string;
  /** Environment that points the podman CLI and any child at this private Podman. */
  readonly env: NodeJS.ProcessEnv;
  /** Global flags that select this private store. */
  readonly globalArgs: string[];
  /** Runs the podman CLI against the private store; never throws on a non-zero exit. */
  podman(...args: string[]): Promise<CliResult>;
  /** Starts a shell-less target (busybox httpd as PID 1, no sh) and returns its name. */
  startTarget(name: string, extraArgs?: string[]): Promise<string>;
  /** Names of the containers labelled as podman-debugd sidecars, in any state. */
  managedContainers(): Promise<string[]>;
  /** Stops the Podman API service (containers keep running), as an outage would. */
  stopService(): Promise<void>;
  /** Starts it again on the same socket. */
  startService(): Promise<void>;
  stop(): Promise<void>;
}

export function requireTools(): { podman: string; busybox: string } {
  const missing: string[] = [];
  const podman = findExecutable('podman');
  if (!podman) missing.push('podman');
  if (!findExecutable('runc')) missing.push('runc');
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => findExecutable(p) && isStatic(p));
  if (!busybox) missing.push('busybox-static (a statically linked /bin/busybox)');
  if (missing.length > 0 || !podman || !busybox) {
    throw new Error(
      `integration tests need a real Podman: missing ${missing.join(', ')}. ` +
        'Install them with: apt-get install -y podman runc busybox-static iptables (or run: bash scripts/setup.sh)',
    );
  }
  return { podman, busybox };
}

/** A static ELF has no PT_INTERP program header. */
function isStatic(path: string): boolean {
  const elf = readFileSync(path);
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    if (elf.readUInt32LE(phoff + i * phentsize) === 3) return false; // PT_INTERP
  }
  return true;
}

export interface PodmanHarnessOptions {
  /** A registries.conf for this Podman (e.g. to mark a local registry insecure): CONTAINERS_REGISTRIES_CONF. */
  registriesConf?: string;
}

export async function startPodmanHarness(options: PodmanHarnessOptions = {}): Promise<PodmanHarness> {
  const tools = requireTools();
  const dir = mkdtempSync(join(tmpdir(), 'podman-debugd-test-'));
  const conf = join(dir, 'containers.conf');
  // Podman's default rlimits exceed this sandbox's hard limits and crun rejects hybrid cgroups here.
  writeFileSync(
    conf,
    [
      '[containers]',
      'default_ulimits = ["nofile=4096:4096","nproc=4096:4096"]',
      '[engine]',
      'runtime = "runc"',
      'events_logger = "file"',
      `events_logfile_path = "${join(dir, 'events.log')}"`,
      `tmp_dir = "${join(dir, 'libpod-tmp')}"`,
      '',
    ].join('\n'),
  );
  const globalArgs = ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot')];
  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: conf };
  delete env.CONTAINER_HOST;
  if (options.registriesConf !== undefined) env.CONTAINERS_REGISTRIES_CONF = options.registriesConf;
  const socketPath = join(dir, 'podman.sock');

  const podman = async (...args: string[]): Promise<CliResult> => {
    try {
      const { stdout, stderr } = await run(tools.podman, [...globalArgs, ...args], { env, maxBuffer: 16 << 20 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };

  let service: LaunchedPodman | undefined;
  const launch = () =>
    launchPodmanService({ binary: tools.podman, socketPath, globalArgs, env, log: pino({ level: 'silent' }) });
  try {
    service = await launch();
    await buildImages(dir, tools.busybox, podman);
  } catch (err) {
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    dir,
    socketPath,
    env,
    globalArgs,
    podman,
    async startTarget(name, extraArgs = []) {
      const result = await podman('run', '-d', '--name', name, ...extraArgs, TARGET_IMAGE);
      if (result.code !== 0) throw new Error(`could not start target ${name}: ${result.stderr}`);
      return name;
    },
    async managedContainers() {
      const result = await podman('ps', '--all', '--filter', `label=${LABEL_MANAGED}=true`, '--format', '{{.Names}}');
      if (result.code !== 0) throw new Error(`podman ps failed: ${result.stderr}`);
      return result.stdout.split('\n').filter(Boolean);
    },
    async stopService() {
      await service?.stop();
      service = undefined;
    },
    async startService() {
      service ??= await launch();
    },
    async stop() {
      await podman('rm', '--all', '--force', '--time', '0');
      await podman('pod', 'rm', '--all', '--force');
      await service?.stop();
      await podman('system', 'reset', '--force');
      // Nothing of ours may outlive the test run, exec monitors included.
      const survivors = await endProcessesUnder(dir);
      if (survivors.length > 0) throw new Error(`processes of this test's Podman survived SIGKILL: ${survivors.join(', ')}`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function buildImages(dir: string, busybox: string, podman: PodmanHarness['podman']): Promise<void> {
  const target = join(dir, 'build-target');
  mkdirSync(join(target, 'www'), { recursive: true });
  copyFileSync(busybox, join(target, 'busybox'));
  writeFileSync(join(target, 'www', 'index.html'), TARGET_PAGE);
  // Shell-less: one binary named busybox, no applet links, so there is no sh, ps or ls in it.
  writeFileSync(
    join(target, 'Containerfile'),
    `FROM scratch\nCOPY busybox /busybox\nCOPY www /www\nENTRYPOINT ["/busybox", "httpd", "-f", "-p", "${TARGET_PORT}", "-h", "/www"]\n`,
  );
  const toolbox = join(dir, 'build-toolbox');
  mkdirSync(toolbox, { recursive: true });
  copyFileSync(busybox, join(toolbox, 'busybox'));
  writeFileSync(
    join(toolbox, 'Containerfile'),
    'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nCMD ["/bin/sh"]\n',
  );
  for (const [context, tag] of [
    [target, TARGET_IMAGE],
    [toolbox, TOOLBOX_IMAGE],
  ] as const) {
    const result = await podman('build', '--quiet', '--tag', tag, context);
    if (result.code !== 0) throw new Error(`podman build of ${tag} failed: ${result.stderr}`);
  }
}

/**
 * Processes whose command line names `dir`. Podman keeps each exec's conmon for its exit command
 * delay (300 s) after the command ends, even once the container and the store are gone: those are
 * ours to end, by pid, and only those of this test's private Podman directory.
 */
export function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`${dir}/`)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export async function endProcessesUnder(dir: string): Promise<number[]> {
  for (const pid of processesUnder(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 3000;
  while (processesUnder(dir).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return processesUnder(dir);
}
