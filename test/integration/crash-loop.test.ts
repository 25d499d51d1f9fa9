/**
 * Crash safety: `serve` is killed with SIGKILL at random instants while it creates sessions, runs
 * commands and ends sessions, and restarted, 50 times. Afterwards there must be no orphaned
 * sidecar, no active session without its sidecar, no session stuck in `creating`, and an audit
 * event for every action a client was told had succeeded.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { LABEL_MANAGED, LABEL_SESSION } from '../../src/sessions/session.js';
import { cleanEnv, cli, serve } from '../support/cli-process.js';
import { type PodmanHarness, TOOLBOX_IMAGE, startPodmanHarness } from '../support/podman-harness.js';

const CYCLES = 50;

let podman: PodmanHarness;
let dir: string;

before(async () => {
  podman = await startPodmanHarness();
  await podman.startTarget('crashy');
  dir = mkdtempSync(join(tmpdir(), 'podman-debugd-crash-'));
});
after(async () => {
  await podman?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Op = 'create' | 'exec' | 'end';

it(`survives ${CYCLES} kill -9 cycles during create, exec and end with nothing orphaned or lost`, async (t) => {
  const db = join(dir, 'crash.db');
  const token = (await cli(['token', 'create', '--db', db, '--name', 'crash'], cleanEnv())).stdout.trim();
  const env = cleanEnv({ PODMAN_DEBUGD_LOG_LEVEL: 'info' });
  const args = ['--listen', '127.0.0.1:0', '--podman-socket', podman.socketPath, '--db', db, '--default-image', TOOLBOX_IMAGE];
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  const acked = { created: new Set<string>(), ended: new Set<string>(), execs: new Map<string, number>() };
  const killedDuring: Record<Op, number> = { create: 0, exec: 0, end: 0 };
  const live = new Set<string>();
  let seed = 20261204;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const daemon = serve(args, env);
    const listening = await daemon.waitForLog((l) => l.msg === 'podman-debugd is listening');
    const base = `http://${listening.listen}`;
    const sessions = [...live];
    const op: Op = sessions.length === 0 ? 'create' : (['create', 'exec', 'end'] as const)[Math.floor(random() * 3)]!;
    const target = sessions[Math.floor(random() * sessions.length)];
    const request =
      op === 'create'
        ? fetch(`${base}/v1/sessions`, { method: 'POST', headers, body: JSON.stringify({ target: 'crashy', reason: `cycle ${cycle}` }) })
        : op === 'exec'
          ? fetch(`${base}/v1/sessions/${target}/exec`, { method: 'POST', headers, body: JSON.stringify({ command: ['ps'] }) })
          : fetch(`${base}/v1/sessions/${target}`, { method: 'DELETE', headers });
    const killAfter = Math.floor(random() * 200);
    const killed = new Promise<'killed'>((resolve) =>
      setTimeout(() => {
        daemon.child.kill('SIGKILL');
        resolve('killed');
      }, killAfter),
    );
    const outcome = await Promise.race([request.then(async (r) => ({ status: r.status, body: (await r.json()) as any })).catch(() => 'killed' as const), killed]);
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    if (outcome === 'killed') {
      killedDuring[op]++;
      continue;
    }
    if (op === 'create' && outcome.status === 201) {
      acked.created.add(outcome.body.id);
      live.add(outcome.body.id);
    } else if (op === 'exec' && outcome.status === 200) {
      acked.execs.set(target!, (acked.execs.get(target!) ?? 0) + 1);
    } else if (op === 'end' && outcome.status === 200) {
      acked.ended.add(target!);
      live.delete(target!);
    } else if (outcome.status === 409 || outcome.status === 404) {
      live.delete(target!); // ended or lost by an earlier crash and reconciliation
    }
  }

  // A clean start: reconciliation runs before the daemon listens.
  const daemon = serve(args, env);
  try {
    const listening = await daemon.waitForLog((l) => l.msg === 'podman-debugd is listening');
    const base = `http://${listening.listen}`;
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const all: any[] = ((await (await fetch(`${base}/v1/sessions?state=all&limit=500`, { headers })).json()) as any).items;
    const events: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await (await fetch(`${base}/v1/audit?limit=500${cursor ? `&cursor=${cursor}` : ''}`, { headers })).json();
      events.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);

    const ps = await podman.podman('ps', '--all', '--filter', `label=${LABEL_MANAGED}=true`, '--format', 'json');
    assert.equal(ps.code, 0, ps.stderr);
    const sidecars = (JSON.parse(ps.stdout || '[]') as any[]).map((c) => ({ id: c.Id as string, state: c.State as string, session: c.Labels?.[LABEL_SESSION] as string }));
    const active = all.filter((s) => s.state === 'active');
    const activeIds = new Set(active.map((s) => s.id));
    const orphans = sidecars.filter((c) => !activeIds.has(c.session!));
    const withoutSidecar = active.filter((s) => !sidecars.some((c) => c.session === s.id && c.state === 'running'));
    const stuck = all.filter((s) => s.state === 'creating');

    const missing: string[] = [];
    for (const id of acked.created) {
      if (!events.some((e) => e.type === 'session.created' && e.sessionId === id)) missing.push(`session.created ${id}`);
    }
    for (const id of acked.ended) {
      if (!events.some((e) => e.type === 'session.ended' && e.sessionId === id)) missing.push(`session.ended ${id}`);
    }
    for (const [id, count] of acked.execs) {
      const recorded = events.filter((e) => e.type === 'exec.completed' && e.sessionId === id).length;
      if (recorded < count) missing.push(`exec.completed ${id}: ${recorded} < ${count}`);
    }

    t.diagnostic(
      `cycles ${CYCLES}; killed during create ${killedDuring.create}, exec ${killedDuring.exec}, end ${killedDuring.end}; ` +
        `acknowledged: ${acked.created.size} creates, ${[...acked.execs.values()].reduce((a, b) => a + b, 0)} execs, ${acked.ended.size} ends; ` +
        `sessions: ${all.length} (${active.length} active, ${all.filter((s) => s.state === 'failed').length} failed); ` +
        `orphan sidecars ${orphans.length}, active without sidecar ${withoutSidecar.length}, stuck creating ${stuck.length}, lost audit events ${missing.length}`,
    );
    assert.ok(killedDuring.create + killedDuring.exec + killedDuring.end >= 10, 'the loop must actually kill mid-request');
    assert.ok(acked.created.size >= 3, 'some creates must have been acknowledged');
    assert.deepEqual(orphans, []);
    assert.deepEqual(withoutSidecar, []);
    assert.deepEqual(stuck, []);
    assert.deepEqual(missing, []);
    // Every session that is not active left nothing behind in Podman.
    assert.equal(sidecars.length, active.length);
  } finally {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  }
  // Fifty kill -9s later the audit hash chain is still whole.
  const verify = await cli(['audit', 'verify', '--db', db], cleanEnv());
  t.diagnostic(verify.stdout.trim());
  assert.equal(verify.code, 0, verify.stdout);
});
