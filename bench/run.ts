/**
 * `npm run bench`: podman-debugd against raw libpod and the podman CLI on a private Podman (the
 * tests' harness: its own --root/--runroot, containers.conf and locally built images), paired and
 * interleaved in one run. Writes results.md, results.svg and results.json.
 *
 *   npm run bench                       full run, into bench/results/
 *   npm run bench -- --smoke --out DIR  one iteration, short load (CI: it must not rot)
 *   npm run bench -- --cpu-prof DIR     also write the daemon's V8 CPU profile into DIR
 *
 * Flags: --iterations N, --load-seconds S, --load-rounds N, --connections N, --concurrent N,
 * --concurrent-rounds N, --runner built|tsx, --keep (leave the work directory: daemon log,
 * databases), --render DIR (rewrite DIR's results.md and results.svg from its results.json).
 * Measure on a quiet machine: other load shows up in every number.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import BetterSqlite3 from 'better-sqlite3';
import { AuditStore } from '../src/audit/audit-store.js';
import { TokenStore } from '../src/auth/token-store.js';
import { openMigratedDatabase } from '../src/context.js';
import { packageRoot } from '../src/package-root.js';
import { SessionStore } from '../src/sessions/session-store.js';
import { TOOLBOX_IMAGE, startPodmanHarness } from '../test/support/podman-harness.js';
import { ApiClient } from './lib/api-client.js';
import { type DaemonProcess, type Runner, buildDaemon, startDaemonProcess } from './lib/daemon.js';
import { startHelloHono } from './lib/hono-process.js';
import { type CallTimes, RawLibpod } from './lib/raw-libpod.js';
import { type CallBreakdown, type LoadRun, type LoadSummary, type Machine, type PairedScenario, type Results, chart, markdown, targets } from './lib/report.js';
import { median, pairedRatios, quantile, rotated, timed } from './lib/stats.js';
import { type Handle, WAYS, type Way, type WayName, cliWay, daemonWay, libpodWay, rawSpec } from './lib/ways.js';

const { values: flags } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    iterations: { type: 'string' },
    'load-seconds': { type: 'string' },
    connections: { type: 'string' },
    concurrent: { type: 'string' },
    'concurrent-rounds': { type: 'string' },
    'load-rounds': { type: 'string' },
    runner: { type: 'string' },
    'cpu-prof': { type: 'string' },
    keep: { type: 'boolean', default: false },
    render: { type: 'string' },
  },
});

const smoke = flags.smoke ?? false;
const num = (text: string | undefined, fallback: number) => (text === undefined ? fallback : Number(text));
const settings = {
  // A cycle's time varies by tens of ms with Podman's own races (an exec's cleanup holding the
  // container lock when the remove arrives), so the paired ratios need many samples.
  iterations: num(flags.iterations, smoke ? 1 : 40),
  warmup: smoke ? 0 : 1,
  connections: num(flags.connections, 64),
  loadSeconds: num(flags['load-seconds'], smoke ? 1 : 10),
  loadRounds: num(flags['load-rounds'], smoke ? 1 : 2),
  concurrent: num(flags.concurrent, smoke ? 3 : 50),
  concurrentRounds: num(flags['concurrent-rounds'], smoke ? 1 : 4),
  readyStarts: smoke ? 1 : 5,
  runner: (flags.runner ?? 'built') as Runner,
  cpuProfile: flags['cpu-prof'] !== undefined,
};
const SEEDED_SESSIONS = smoke ? 200 : 1000;
/** Long enough for V8's memory reducer to run after activity stops (usually within ~10 s here). */
const SETTLE_MS = 30_000;
const PRINCIPAL = 'bench';
const TARGET = 'web';
const outDir = flags.out ?? (smoke ? mkdtempSync(join(tmpdir(), 'podman-debugd-bench-out-')) : join(packageRoot(), 'bench', 'results'));

const say = (text: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

/** A migrated database with the benchmark's token and `count` ended sessions (for the list test). */
function seedDatabase(path: string, count: number): string {
  const { db } = openMigratedDatabase(path);
  try {
    const token = new TokenStore(db).create(PRINCIPAL, { scopes: ['sessions:read', 'sessions:write', 'exec', 'metrics:read'] });
    new AuditStore(db).append({ type: 'token.created', actor: 'bench', data: { name: PRINCIPAL } });
    const store = new SessionStore(db);
    const base = Date.now() - count * 60_000;
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const at = new Date(base + i * 60_000);
        const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
        store.insertCreating({
          id,
          targetId: 'f'.repeat(64),
          targetName: 'old-app',
          targetImage: 'localhost/old-app:latest',
          sidecarName: `debug-old-app-${String(i).padStart(6, '0')}`,
          sidecarImage: TOOLBOX_IMAGE,
          requestedBy: PRINCIPAL,
          reason: `seeded session ${i}`,
          command: null,
          ttlSeconds: 900,
          maxLifetimeSeconds: 900,
          profile: 'general',
          createdAt: at.toISOString(),
          expiresAt: new Date(at.getTime() + 900_000).toISOString(),
          hardExpiresAt: new Date(at.getTime() + 900_000).toISOString(),
        });
        store.markActive(id, 'e'.repeat(64));
        store.markEnded(id, 'ended-by-user', new Date(at.getTime() + 30_000).toISOString());
      }
    })();
    return token;
  } finally {
    db.close();
  }
}

function countSessions(path: string): number {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** CPU time a process (and the children it reaped) has used, in ms, from /proc (10 ms resolution). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  // After the command: state is field 3, so utime..cstime (fields 14-17) are at 11..14 here.
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * 10;
}

/** The pid of the harness's `podman system service`. */
function podmanServicePid(socketPath: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('system\0service') && cmdline.includes(socketPath)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no podman system service for ${socketPath}`);
}

/** Median time the daemon spent on each route (its own request log lines), between two instants. */
function handlerTimes(logFile: string, pid: number, from: string, to: string): Record<string, number> {
  const byRoute = new Map<string, number[]>();
  for (const text of readFileSync(logFile, 'utf8').split('\n')) {
    if (!text.includes('"msg":"request"')) continue;
    const line = JSON.parse(text) as { pid: number; time: string; method: string; route: string; durationMs: number };
    if (line.pid !== pid || line.time < from || line.time > to || line.route === '/metrics') continue;
    const key = `${line.method} ${line.route}`;
    byRoute.set(key, [...(byRoute.get(key) ?? []), line.durationMs]);
  }
  return Object.fromEntries([...byRoute].map(([route, values]) => [route, median(values)]));
}

/** Sum and count of the daemon's libpod call durations per op, from /metrics. */
async function podmanOps(api: ApiClient): Promise<Map<string, { sum: number; count: number }>> {
  const answer = await api.call<string>('GET', '/metrics');
  if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}`);
  const ops = new Map<string, { sum: number; count: number }>();
  for (const line of String(answer.body).split('\n')) {
    const m = /^podman_debugd_podman_request_duration_seconds_(sum|count)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const op = /op="([^"]+)"/.exec(m[2]!)?.[1] ?? '?';
    const entry = ops.get(op) ?? { sum: 0, count: 0 };
    if (m[1] === 'sum') entry.sum += Number(m[3]);
    else entry.count += Number(m[3]);
    ops.set(op, entry);
  }
  return ops;
}

async function load(url: string, headers: Record<string, string>): Promise<LoadRun> {
  const result = await autocannon({ url, headers, connections: settings.connections, duration: settings.loadSeconds, timeout: 10 });
  return {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

function summarize(rounds: LoadRun[]): LoadSummary {
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    requests: rounds.reduce((n, r) => n + r.requests, 0),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    non2xx: rounds.reduce((n, r) => n + r.non2xx, 0),
    rounds,
  };
}

async function machine(podman: Awaited<ReturnType<typeof startPodmanHarness>>): Promise<Machine> {
  const version = (await podman.podman('--version')).stdout.trim().replace(/^podman version /, '');
  const runtime = (await podman.podman('info', '--format', '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Version}}')).stdout.split('\n')[0]?.trim() ?? '?';
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? '?',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    podman: version,
    runtime,
  };
}

function paired(name: PairedScenario['name'], title: string, samples: Record<WayName, number[]>, calls: CallBreakdown): PairedScenario {
  return {
    name,
    title,
    samples,
    calls,
    median: { daemon: median(samples.daemon), libpod: median(samples.libpod), cli: median(samples.cli) },
    ratioVsLibpod: median(pairedRatios(samples.daemon, samples.libpod)),
    ratioVsCli: median(pairedRatios(samples.daemon, samples.cli)),
    ratioVsLibpodIqr: [quantile(pairedRatios(samples.daemon, samples.libpod), 0.25), quantile(pairedRatios(samples.daemon, samples.libpod), 0.75)],
  };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg().map((v) => Math.round(v * 100) / 100);
  const work = mkdtempSync(join(tmpdir(), 'podman-debugd-bench-'));
  say(`${smoke ? 'smoke' : 'full'} run; work directory ${work}; results to ${outDir}`);
  const podman = await startPodmanHarness();
  let daemon: DaemonProcess | undefined;
  const clients: Array<{ close(): void }> = [];
  try {
    await podman.startTarget(TARGET);
    const host = await machine(podman);
    say(`Podman ${host.podman} (${host.runtime}) on ${podman.socketPath}`);
    let main = '';
    if (settings.runner === 'built') {
      say('building the daemon (tsc, into the work directory)');
      main = await buildDaemon(join(work, 'build'));
    }
    const daemonSettings = (dir: string, db: string, cpuProfDir?: string) => ({
      runner: settings.runner,
      main,
      podmanSocket: podman.socketPath,
      dbPath: db,
      stateDir: dir,
      defaultImage: TOOLBOX_IMAGE,
      logFile: join(work, 'daemon.log'),
      cpuProfDir,
    });

    // Readiness and idle memory: a first start on an empty database, then restarts on the seeded one.
    execFileSync('sync'); // the build's output written out first, as after the seeding below
    const firstDir = join(work, 'first');
    mkdirSync(firstDir, { recursive: true });
    const first = await startDaemonProcess(daemonSettings(firstDir, join(firstDir, 'first.db')));
    const firstStartMs = first.readyMs;
    await first.stop();
    const stateDir = join(work, 'state');
    mkdirSync(stateDir, { recursive: true });
    const dbPath = join(stateDir, 'podman-debugd.db');
    const token = seedDatabase(dbPath, SEEDED_SESSIONS);
    // The build and the seeding leave dirty pages behind; flushed now, their writeback cannot slow
    // the daemon's start-up fsyncs (its policy.loaded audit event) below.
    execFileSync('sync');
    await sleep(smoke ? 0 : 1000);
    const restartsMs: number[] = [];
    const idleRss: number[] = [];
    for (let k = 0; k < settings.readyStarts; k++) {
      const last = k === settings.readyStarts - 1;
      const cpuProf = last && flags['cpu-prof'] ? flags['cpu-prof'] : undefined;
      if (cpuProf) mkdirSync(cpuProf, { recursive: true });
      const started = await startDaemonProcess(daemonSettings(stateDir, dbPath, cpuProf));
      restartsMs.push(started.readyMs);
      await sleep(smoke ? 300 : 2000);
      idleRss.push(started.memory().rss);
      if (last) daemon = started;
      else await started.stop();
    }
    // Idle, settled: V8 trims the heap a few seconds after activity stops (its memory reducer);
    // this is what a daemon waiting for its next incident holds.
    await sleep(smoke ? 500 : SETTLE_MS);
    const settledIdleRss = daemon!.memory().rss;
    say(`ready after ${Math.round(firstStartMs)} ms (empty database), restarts: ${restartsMs.map(Math.round).join(', ')} ms`);
    if (!daemon) throw new Error('no daemon');

    const api = new ApiClient(daemon.port, token);
    const raw = new RawLibpod(podman.socketPath);
    clients.push(api, raw);
    const target = await raw.inspect(TARGET);
    const servicePid = podmanServicePid(podman.socketPath);
    let recordCalls = false;
    const callTimes: CallTimes[] = [];
    const ways: Record<WayName, Way> = {
      daemon: daemonWay(api, TARGET),
      libpod: libpodWay(raw, target, TOOLBOX_IMAGE, (t) => recordCalls && callTimes.push(t)),
      cli: cliWay(podman, target, TOOLBOX_IMAGE),
    };

    for (let w = 0; w < settings.warmup; w++) {
      for (const way of WAYS) {
        const h = await ways[way].create();
        await ways[way].exec(h);
        await ways[way].end(h);
      }
    }

    /** Runs `fn` and tells what each libpod call cost: as the raw client saw it, and in the daemon's metrics. */
    const withCalls = async (operations: number, fn: () => Promise<void>): Promise<CallBreakdown> => {
      const before = await podmanOps(api);
      callTimes.length = 0;
      recordCalls = true;
      const from = new Date().toISOString();
      const cpuBefore = { daemon: cpuMs(daemon!.pid), podman: cpuMs(servicePid) };
      await fn();
      const cpu = { daemon: (cpuMs(daemon!.pid) - cpuBefore.daemon) / operations, podman: (cpuMs(servicePid) - cpuBefore.podman) / operations };
      const to = new Date().toISOString();
      recordCalls = false;
      const after = await podmanOps(api);
      const daemonCalls: CallBreakdown['daemon'] = {};
      for (const [op, a] of after) {
        const b = before.get(op) ?? { sum: 0, count: 0 };
        const count = a.count - b.count;
        if (count > 0) daemonCalls[op] = { perOp: count / operations, meanMs: ((a.sum - b.sum) / count) * 1000 };
      }
      const libpodCalls: Record<string, number> = {};
      for (const key of ['create', 'start', 'execCreate', 'execStart', 'execInspect', 'remove']) {
        const values = callTimes.map((t) => t[key]).filter((v): v is number => v !== undefined);
        // Means, as the daemon's histogram gives (Podman's removes are bimodal: a median hides that).
        if (values.length > 0) libpodCalls[key] = values.reduce((sum, v) => sum + v, 0) / values.length;
      }
      return { libpod: libpodCalls, daemon: daemonCalls, handlers: handlerTimes(join(work, 'daemon.log'), daemon!.pid, from, to), cpuMsPerIteration: cpu };
    };

    // 1. The whole debug cycle.
    say(`debug cycle x ${settings.iterations}`);
    const cycle: Record<WayName, number[]> = { daemon: [], libpod: [], cli: [] };
    const cycleCalls = await withCalls(settings.iterations, async () => {
      for (let i = 0; i < settings.iterations; i++) {
        for (const name of rotated(WAYS, i)) {
          const way = ways[name];
          const { ms } = await timed(async () => {
            const h = await way.create();
            await way.exec(h);
            await way.end(h);
          });
          cycle[name].push(ms);
        }
      }
    });

    // 2. Create alone (the sidecar is removed afterwards, untimed).
    say(`create x ${settings.iterations}`);
    const create: Record<WayName, number[]> = { daemon: [], libpod: [], cli: [] };
    const createCalls = await withCalls(settings.iterations, async () => {
      for (let i = 0; i < settings.iterations; i++) {
        for (const name of rotated(WAYS, i)) {
          const { ms, value } = await timed(() => ways[name].create());
          create[name].push(ms);
          await ways[name].end(value);
        }
      }
    });

    // 3. Exec alone, each way in a sidecar of its own.
    say(`exec x ${settings.iterations}`);
    const execHandles = {} as Record<WayName, Handle>;
    for (const name of WAYS) execHandles[name] = await ways[name].create();
    const exec: Record<WayName, number[]> = { daemon: [], libpod: [], cli: [] };
    const execCalls = await withCalls(settings.iterations, async () => {
      for (let i = 0; i < settings.iterations; i++) {
        for (const name of rotated(WAYS, i)) exec[name].push((await timed(() => ways[name].exec(execHandles[name]))).ms);
      }
    });
    for (const name of WAYS) await ways[name].end(execHandles[name]);

    // 4. HTTP under load: GET one session vs a bare Hono hello-world, in alternating rounds.
    say(`HTTP load: ${settings.connections} connections x ${settings.loadSeconds} s x ${settings.loadRounds} rounds`);
    const session = await ways.daemon.create();
    const hono = await startHelloHono();
    const auth = { authorization: `Bearer ${token}` };
    const getRounds: LoadRun[] = [];
    const honoRounds: LoadRun[] = [];
    try {
      for (let round = 0; round < settings.loadRounds; round++) {
        const order = round % 2 === 0 ? ['hono', 'daemon'] : ['daemon', 'hono'];
        for (const which of order) {
          if (which === 'hono') honoRounds.push(await load(`http://127.0.0.1:${hono.port}/hello`, {}));
          else getRounds.push(await load(`http://127.0.0.1:${daemon.port}/v1/sessions/${session.id}`, auth));
        }
      }
    } finally {
      await hono.stop();
    }
    const sessionsInDb = countSessions(dbPath);
    const listRun = await load(`http://127.0.0.1:${daemon.port}/v1/sessions?limit=100`, auth);
    await ways.daemon.end(session);
    const getSession = summarize(getRounds);
    const honoSummary = summarize(honoRounds);

    // 5. Concurrent creates: N session creates through the daemon vs N raw create+start.
    say(`${settings.concurrent} concurrent creates x ${settings.concurrentRounds} rounds`);
    const concurrentDaemon: number[] = [];
    const concurrentRaw: number[] = [];
    let allSucceeded = true;
    for (let round = 0; round < settings.concurrentRounds; round++) {
      const order: Array<'daemon' | 'libpod'> = round % 2 === 0 ? ['daemon', 'libpod'] : ['libpod', 'daemon'];
      for (const which of order) {
        const started = performance.now();
        const outcomes =
          which === 'daemon'
            ? await Promise.allSettled(Array.from({ length: settings.concurrent }, () => ways.daemon.create()))
            : await Promise.allSettled(Array.from({ length: settings.concurrent }, async () => ({ id: await raw.createAndStart(rawSpec(target, TOOLBOX_IMAGE)) })));
        (which === 'daemon' ? concurrentDaemon : concurrentRaw).push(performance.now() - started);
        const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        if (failed.length > 0) {
          allSucceeded = false;
          say(`${which}: ${failed.length} of ${settings.concurrent} concurrent creates failed, e.g. ${String(failed[0]!.reason)}`);
        }
        const handles = outcomes.filter((o): o is PromiseFulfilledResult<Handle> => o.status === 'fulfilled').map((o) => o.value);
        await Promise.all(handles.map((h) => (which === 'daemon' ? ways.daemon.end(h) : raw.remove(h.id))));
      }
    }

    const memoryAfter = daemon.memory();
    await sleep(smoke ? 500 : SETTLE_MS);
    const settledAfterRss = daemon.memory().rss;
    await daemon.stop();
    daemon = undefined;
    const leftovers = await podman.podman('ps', '-a', '--format', '{{.Names}}');
    const stray = leftovers.stdout.split('\n').filter((n) => n && n !== TARGET);
    if (stray.length > 0) say(`warning: containers left over: ${stray.join(', ')}`);

    const results: Results = {
      mode: smoke ? 'smoke' : 'full',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: host,
      loadAverage: { before: loadBefore, after: loadavg().map((v) => Math.round(v * 100) / 100) },
      settings,
      scenarios: [
        paired('cycle', 'debug cycle (create, exec ps, end)', cycle, cycleCalls),
        paired('create', 'create alone', create, createCalls),
        paired('exec', 'exec `ps` alone', exec, execCalls),
      ],
      load: {
        getSession,
        hono: honoSummary,
        throughputRatio: getSession.rps / honoSummary.rps,
        listSessions: summarize([listRun]),
        sessionsInDb,
      },
      concurrent: {
        n: settings.concurrent,
        daemonMs: concurrentDaemon,
        libpodMs: concurrentRaw,
        ratio: median(pairedRatios(concurrentDaemon, concurrentRaw)),
        allSucceeded,
      },
      memory: {
        idleRssMiB: settledIdleRss / 2 ** 20,
        justReadyRssMiB: median(idleRss) / 2 ** 20,
        afterLoadRssMiB: memoryAfter.rss / 2 ** 20,
        settledAfterLoadRssMiB: settledAfterRss / 2 ** 20,
        peakRssMiB: memoryAfter.peak / 2 ** 20,
      },
      ready: { firstStartMs, restartsMs, medianMs: median(restartsMs) },
    };
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    render(outDir);
    for (const t of targets(results)) say(`${t.met ? 'met    ' : 'NOT MET'} ${t.what}: ${t.measured} (target ${t.goal})`);
    say(`wrote ${join(outDir, 'results.md')}, results.svg, results.json`);
  } finally {
    for (const c of clients) c.close();
    await daemon?.stop().catch(() => undefined);
    await podman.stop();
    if (flags.keep) say(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

/** Writes results.md and results.svg again from a run's results.json (after editing bench/notes.md). */
function render(dir: string): void {
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
  const notesFile = join(packageRoot(), 'bench', 'notes.md');
  const notes = results.mode === 'full' && existsSync(notesFile) ? readFileSync(notesFile, 'utf8') : '';
  writeFileSync(join(dir, 'results.md'), markdown(results, notes));
  writeFileSync(join(dir, 'results.svg'), chart(results));
}

if (flags.render !== undefined) {
  render(flags.render);
  say(`rewrote ${join(flags.render, 'results.md')} and results.svg`);
} else {
  await main();
}
