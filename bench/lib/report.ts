/** The benchmark's results: their shape, the targets, results.md and results.svg. */
import { COLORS, type Panel, renderChart } from './svg.js';
import { median, round } from './stats.js';
import type { WayName } from './ways.js';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  podman: string;
  runtime: string;
}

/** What each libpod call cost in a scenario: mean ms as the raw client saw it; the daemon's own calls (its metrics). */
export interface CallBreakdown {
  libpod: Record<string, number>;
  daemon: Record<string, { perOp: number; meanMs: number }>;
  /** Median ms the daemon spent on each route (`METHOD /route`), from its request log. */
  handlers: Record<string, number>;
  /**
   * CPU ms per iteration (all three contenders' operations of that iteration) used by the daemon
   * and by the podman service (runc and conmon, separate processes, not included).
   */
  cpuMsPerIteration: { daemon: number; podman: number };
}

export interface PairedScenario {
  name: 'cycle' | 'create' | 'exec';
  title: string;
  samples: Record<WayName, number[]>;
  calls: CallBreakdown;
  median: Record<WayName, number>;
  /** Median of the per-iteration ratios daemon/libpod and daemon/cli. */
  ratioVsLibpod: number;
  ratioVsCli: number;
  /** 25th and 75th percentile of the paired daemon/libpod ratios: how much they scatter. */
  ratioVsLibpodIqr: [number, number];
}

export interface LoadRun {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
}

export interface LoadSummary extends LoadRun {
  rounds: LoadRun[];
}

export interface Results {
  mode: 'full' | 'smoke';
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  loadAverage: { before: number[]; after: number[] };
  settings: {
    iterations: number;
    warmup: number;
    connections: number;
    loadSeconds: number;
    loadRounds: number;
    concurrent: number;
    concurrentRounds: number;
    readyStarts: number;
    runner: string;
    cpuProfile: boolean;
  };
  scenarios: PairedScenario[];
  load: { getSession: LoadSummary; hono: LoadSummary; throughputRatio: number; listSessions: LoadSummary; sessionsInDb: number };
  concurrent: { n: number; daemonMs: number[]; libpodMs: number[]; ratio: number; allSucceeded: boolean };
  /** idle: settled after readiness (the target); justReady: 2 s after readiness (median of starts). */
  memory: { idleRssMiB: number; justReadyRssMiB: number; afterLoadRssMiB: number; settledAfterLoadRssMiB: number; peakRssMiB: number };
  ready: { firstStartMs: number; restartsMs: number[]; medianMs: number };
}

export interface Target {
  what: string;
  goal: string;
  measured: string;
  met: boolean;
}

export function targets(r: Results): Target[] {
  const cycle = r.scenarios.find((s) => s.name === 'cycle')!;
  return [
    { what: 'debug cycle vs raw libpod', goal: '<= 1.10x', measured: `${round(cycle.ratioVsLibpod, 2)}x`, met: cycle.ratioVsLibpod <= 1.1 },
    { what: 'debug cycle vs podman CLI', goal: '<= 0.85x', measured: `${round(cycle.ratioVsCli, 2)}x`, met: cycle.ratioVsCli <= 0.85 },
    {
      what: 'GET /v1/sessions/{id} throughput vs bare Hono',
      goal: '>= 0.5x',
      measured: `${round(r.load.throughputRatio, 2)}x (${Math.round(r.load.getSession.rps)} vs ${Math.round(r.load.hono.rps)} req/s)`,
      met: r.load.throughputRatio >= 0.5,
    },
    { what: 'GET /v1/sessions/{id} p99 at 64 connections', goal: '< 20 ms', measured: `${r.load.getSession.p99} ms`, met: r.load.getSession.p99 < 20 },
    { what: 'daemon RSS, idle (settled)', goal: '<= 80 MiB', measured: `${round(r.memory.idleRssMiB)} MiB`, met: r.memory.idleRssMiB <= 80 },
    { what: 'process start to /readyz 200', goal: '<= 0.5 s', measured: `${Math.round(r.ready.medianMs)} ms`, met: r.ready.medianMs <= 500 },
    { what: `${r.concurrent.n} concurrent creates vs raw libpod`, goal: '<= 1.2x', measured: `${round(r.concurrent.ratio, 2)}x`, met: r.concurrent.ratio <= 1.2 && r.concurrent.allSucceeded },
  ];
}

const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');

export function markdown(r: Results, notes = ''): string {
  const lines: string[] = [];
  const m = r.machine;
  lines.push(
    '# podman-debugd benchmark results',
    '',
    `Run ${r.startedAt} to ${r.finishedAt} (${r.mode}${r.mode === 'smoke' ? ': one iteration, numbers meaningless' : ''}), \`npm run bench\`.`,
    '',
    `Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}; Node ${m.node}; Podman ${m.podman} (${m.runtime}), ` +
      `a private store (--root/--runroot) started by the benchmark. Load average before ${r.loadAverage.before.join(' ')}, after ${r.loadAverage.after.join(' ')}.`,
    '',
    `Settings: ${r.settings.iterations} paired iterations after ${r.settings.warmup} warm-up (contenders in rotating order), ` +
      `${r.settings.connections} connections x ${r.settings.loadSeconds} s x ${r.settings.loadRounds} round(s) for HTTP load, ` +
      `${r.settings.concurrent} concurrent creates x ${r.settings.concurrentRounds} round(s), ${r.settings.readyStarts} restart(s) for readiness; daemon run as ${r.settings.runner === 'built' ? 'built JavaScript (`node dist/src/main.js serve`)' : 'TypeScript through tsx'}` +
      `${r.settings.cpuProfile ? ', under `--cpu-prof` (which inflates its CPU time and memory: measure without it)' : ''}.`,
    '',
    '## Targets',
    '',
    '| what | target | measured | met |',
    '|---|---|---|---|',
    ...targets(r).map((t) => `| ${t.what} | ${t.goal} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`),
    '',
    '## Debug cycle, create, exec (medians; ratios are medians of the paired ratios)',
    '',
    '| scenario | daemon API | raw libpod | podman CLI | daemon / libpod (middle half of the pairs) | daemon / CLI |',
    '|---|---|---|---|---|---|',
    ...r.scenarios.map(
      (s) =>
        `| ${s.title} | ${ms(s.median.daemon)} | ${ms(s.median.libpod)} | ${ms(s.median.cli)} | ` +
        `${round(s.ratioVsLibpod, 2)}x (${round(s.ratioVsLibpodIqr[0], 2)}-${round(s.ratioVsLibpodIqr[1], 2)}) | ${round(s.ratioVsCli, 2)}x |`,
    ),
    '',
    'Where the time goes: each libpod call as the raw client saw it (mean), and the calls the daemon made (its `podman_debugd_podman_request_duration_seconds`: calls per operation x mean):',
    '',
    '| libpod call | cycle: raw | cycle: daemon | create: raw | create: daemon | exec: raw | exec: daemon |',
    '|---|---|---|---|---|---|---|',
  );
  const rawToOp: Record<string, string> = {
    create: 'containerCreate',
    start: 'containerStart',
    execCreate: 'execCreate',
    execStart: 'execStart',
    execInspect: 'execInspect',
    remove: 'containerRemove',
  };
  const ops = new Set([...Object.values(rawToOp), ...r.scenarios.flatMap((s) => Object.keys(s.calls.daemon))]);
  for (const op of ops) {
    const rawKey = Object.entries(rawToOp).find(([, v]) => v === op)?.[0];
    const cells = r.scenarios.flatMap((s) => {
      const rawMs = rawKey ? s.calls.libpod[rawKey] : undefined;
      const d = s.calls.daemon[op];
      return [rawMs === undefined ? '-' : `${round(rawMs, 1)} ms`, d ? `${round(d.perOp, 2)} x ${round(d.meanMs, 1)} ms` : '-'];
    });
    lines.push(`| ${op} | ${cells.join(' | ')} |`);
  }
  lines.push(
    '',
    `(\`execStart\` in the daemon's metrics is timed until the output starts, the raw client's until the stream ends; the create scenario's removals are untimed but counted.)`,
    '',
    'Time inside the daemon per request (median of its own request log, from the request reaching Hono to the answer), per scenario:',
    '',
    '| route | cycle | create | exec |',
    '|---|---|---|---|',
  );
  const routes = new Set(r.scenarios.flatMap((s) => Object.keys(s.calls.handlers)));
  for (const route of routes) {
    lines.push(`| \`${route}\` | ${r.scenarios.map((s) => (s.calls.handlers[route] === undefined ? '-' : `${round(s.calls.handlers[route]!, 1)} ms`)).join(' | ')} |`);
  }
  lines.push(
    `| daemon CPU per iteration (its operation, plus Podman events and timers) | ${r.scenarios.map((s) => `${round(s.calls.cpuMsPerIteration.daemon, 1)} ms`).join(' | ')} |`,
    `| podman service CPU per iteration (all three contenders) | ${r.scenarios.map((s) => `${round(s.calls.cpuMsPerIteration.podman, 1)} ms`).join(' | ')} |`,
  );
  const l = r.load;
  lines.push(
    '',
    `## HTTP under load (${r.settings.connections} connections, autocannon)`,
    '',
    '| endpoint | req/s | p50 | p99 | errors / non-2xx |',
    '|---|---|---|---|---|',
    `| daemon \`GET /v1/sessions/{id}\` | ${Math.round(l.getSession.rps)} | ${l.getSession.p50} ms | ${l.getSession.p99} ms | ${l.getSession.errors} / ${l.getSession.non2xx} |`,
    `| bare Hono hello-world (@hono/node-server) | ${Math.round(l.hono.rps)} | ${l.hono.p50} ms | ${l.hono.p99} ms | ${l.hono.errors} / ${l.hono.non2xx} |`,
    `| daemon \`GET /v1/sessions?limit=100\` (${l.sessionsInDb} sessions in the database) | ${Math.round(l.listSessions.rps)} | ${l.listSessions.p50} ms | ${l.listSessions.p99} ms | ${l.listSessions.errors} / ${l.listSessions.non2xx} |`,
    '',
    `Every daemon request is authenticated (SHA-256 of the bearer token, a SQLite lookup), checked for its scope and ownership, logged as a JSON line (to a file here, as to journald) and answered with \`X-Request-Id\`; the per-principal rate limit is turned off for this test (\`PODMAN_DEBUGD_RATE_LIMIT_PER_SECOND=0\`), since one principal sends thousands of requests a second.`,
    '',
    '## Concurrent creates, memory, readiness',
    '',
    '| measure | value |',
    '|---|---|',
    `| ${r.concurrent.n} concurrent creates, daemon API (total) | ${r.concurrent.daemonMs.map(ms).join(', ')} |`,
    `| ${r.concurrent.n} concurrent creates, raw libpod create+start (total) | ${r.concurrent.libpodMs.map(ms).join(', ')} |`,
    `| ratio (median of pairs); all succeeded | ${round(r.concurrent.ratio, 2)}x; ${r.concurrent.allSucceeded ? 'yes' : '**no**'} |`,
    `| daemon RSS idle: settled, ${r.mode === 'smoke' ? 'shortly' : '30 s'} after readiness with no requests | ${round(r.memory.idleRssMiB)} MiB |`,
    `| daemon RSS 2 s after readiness (median of the starts) | ${round(r.memory.justReadyRssMiB)} MiB |`,
    `| daemon RSS right after the load; settled again | ${round(r.memory.afterLoadRssMiB)} MiB; ${round(r.memory.settledAfterLoadRssMiB)} MiB (peak ${round(r.memory.peakRssMiB)} MiB) |`,
    `| process start to /readyz 200, first start (empty database: migrations) | ${ms(r.ready.firstStartMs)} |`,
    `| process start to /readyz 200, restarts (median; each) | ${ms(r.ready.medianMs)} (${r.ready.restartsMs.map((v) => Math.round(v)).join(', ')}) |`,
    '',
    '![chart](results.svg)',
    '',
  );
  if (notes) lines.push(notes.trim(), '');
  return lines.join('\n');
}

export function chart(r: Results): string {
  const short = { cycle: 'debug cycle', create: 'create', exec: 'exec ps' } as const;
  const scenarioGroups = r.scenarios.map((s) => ({
    label: short[s.name],
    bars: (['daemon', 'libpod', 'cli'] as const).map((w) => ({
      name: w === 'daemon' ? 'daemon API' : w === 'libpod' ? 'raw libpod' : 'podman CLI',
      value: s.median[w],
      label: w === 'daemon' ? `${ms(s.median[w])} (paired: ${round(s.ratioVsLibpod, 2)}x libpod, ${round(s.ratioVsCli, 2)}x CLI)` : ms(s.median[w]),
      color: COLORS[w],
    })),
  }));
  const panels: Panel[] = [
    { title: 'Median time per operation (ms, shorter is better)', groups: scenarioGroups },
    {
      title: `${r.concurrent.n} concurrent creates, total (ms, shorter is better)`,
      groups: [
        {
          label: 'concurrent creates',
          bars: [
            { name: 'daemon API', value: median(r.concurrent.daemonMs), label: ms(median(r.concurrent.daemonMs)), color: COLORS.daemon },
            { name: 'raw libpod', value: median(r.concurrent.libpodMs), label: ms(median(r.concurrent.libpodMs)), color: COLORS.libpod },
          ],
        },
      ],
    },
    {
      title: `HTTP throughput at ${r.settings.connections} connections (req/s, longer is better)`,
      groups: [
        {
          label: 'requests/s',
          bars: [
            { name: 'GET /v1/sessions/{id}', value: r.load.getSession.rps, label: `${Math.round(r.load.getSession.rps)} (p99 ${r.load.getSession.p99} ms)`, color: COLORS.daemon },
            { name: 'bare Hono', value: r.load.hono.rps, label: `${Math.round(r.load.hono.rps)} (p99 ${r.load.hono.p99} ms)`, color: COLORS.hono },
            { name: 'GET /v1/sessions?limit=100', value: r.load.listSessions.rps, label: `${Math.round(r.load.listSessions.rps)} (p99 ${r.load.listSessions.p99} ms)`, color: COLORS.other },
          ],
        },
      ],
    },
  ];
  return renderChart(
    `podman-debugd vs raw libpod vs podman CLI: ${r.machine.cpus} cores, Node ${r.machine.node}, Podman ${r.machine.podman}, ${r.startedAt.slice(0, 10)} (${r.mode})`,
    panels,
  );
}

