/**
 * `npm run bench -- --smoke`: one iteration of every benchmark scenario against a private Podman,
 * so the benchmark cannot rot. Timings are not asserted (they depend on the machine); only that
 * the run completes, every operation succeeded, and the results it writes (to a temporary
 * directory, never over bench/results/) are complete and sane.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Results } from '../../bench/lib/report.js';
import { packageRoot } from '../../src/package-root.js';
import { cleanEnv } from '../support/cli-process.js';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'podman-debugd-bench-smoke-'));
after(() => rmSync(out, { recursive: true, force: true }));

describe('npm run bench -- --smoke', () => {
  it('runs every scenario once and writes results.md, results.svg and results.json', { timeout: 180_000 }, async () => {
    const { stderr } = await run(process.execPath, ['--import', 'tsx', join(packageRoot(), 'bench', 'run.ts'), '--smoke', '--out', out], {
      cwd: packageRoot(),
      env: cleanEnv(),
      maxBuffer: 16 << 20,
    }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`the smoke benchmark failed: ${err.message}\n${err.stderr ?? ''}`);
    });
    assert.match(stderr, /wrote .*results\.md/);

    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    assert.equal(results.mode, 'smoke');
    const positive = (value: number, what: string) => assert.ok(Number.isFinite(value) && value > 0, `${what}: ${value}`);
    assert.deepEqual(results.scenarios.map((s) => s.name), ['cycle', 'create', 'exec']);
    for (const scenario of results.scenarios) {
      for (const way of ['daemon', 'libpod', 'cli'] as const) {
        assert.equal(scenario.samples[way].length, results.settings.iterations, `${scenario.name} ${way}`);
        positive(scenario.median[way], `${scenario.name} ${way}`);
      }
      positive(scenario.ratioVsLibpod, `${scenario.name} vs libpod`);
      positive(scenario.ratioVsCli, `${scenario.name} vs cli`);
    }
    const { calls } = results.scenarios[0]!;
    for (const call of ['create', 'start', 'execCreate', 'execStart', 'execInspect', 'remove']) positive(calls.libpod[call]!, `libpod ${call}`);
    for (const op of ['containerInspect', 'containerCreate', 'containerStart', 'execCreate', 'execStart', 'execInspect', 'containerRemove']) {
      assert.ok((calls.daemon[op]?.perOp ?? 0) >= 1, `the daemon's ${op} calls were counted`);
    }
    for (const load of [results.load.getSession, results.load.hono, results.load.listSessions]) {
      positive(load.rps, 'requests/s');
      assert.equal(load.errors, 0);
      assert.equal(load.non2xx, 0);
    }
    assert.ok(results.load.sessionsInDb >= 200, `sessions in the database: ${results.load.sessionsInDb}`);
    assert.equal(results.concurrent.allSucceeded, true);
    assert.equal(results.concurrent.daemonMs.length, results.settings.concurrentRounds);
    positive(results.concurrent.ratio, 'concurrent ratio');
    positive(results.memory.idleRssMiB, 'idle RSS');
    positive(results.memory.afterLoadRssMiB, 'RSS after load');
    positive(results.ready.firstStartMs, 'first start');
    positive(results.ready.medianMs, 'ready');
    positive(results.machine.cpus, 'cores');
    assert.match(results.machine.podman, /^\d+\.\d+/);

    const markdown = readFileSync(join(out, 'results.md'), 'utf8');
    assert.match(markdown, /^# podman-debugd benchmark results/);
    assert.match(markdown, /\| debug cycle vs raw libpod \| <= 1\.10x \|/);
    assert.match(markdown, /\| debug cycle \(create, exec ps, end\) \| \d+ ms \| \d+ ms \| \d+ ms \|/);
    assert.doesNotMatch(markdown, /NaN|undefined/);
    const svg = readFileSync(join(out, 'results.svg'), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg.trimEnd(), /<\/svg>$/);
    assert.doesNotMatch(svg, /NaN|undefined/);
  });
});
