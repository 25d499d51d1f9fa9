/**
 * Sessions never linger and never block: leases, target events, sidecars dying on their own,
 * reconciliation and Podman outages, against a real Podman with the daemon's background work on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LABEL_MANAGED, LABEL_SESSION, LABEL_TARGET } from '../../src/sessions/session.js';
import { type PodmanHarness, TOOLBOX_IMAGE, startPodmanHarness } from '../support/podman-harness.js';
import { type TestDaemon, creatingSessionRow, startTestDaemon } from '../support/test-daemon.js';

let podman: PodmanHarness;
let daemon: TestDaemon;

async function allEnded(ids: string[]): Promise<boolean> {
  for (const id of ids) {
    if ((await daemon.api('GET', `/v1/sessions/${id}`)).body.state !== 'ended') return false;
  }
  return true;
}

async function createSession(body: Record<string, unknown>) {
  const response = await daemon.api('POST', '/v1/sessions', { body });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body;
}

/** Polls until fn is true; returns the milliseconds it took, or fails after timeoutMs. */
async function within(timeoutMs: number, what: string, fn: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await fn()) return Math.round(performance.now() - started);
    if (performance.now() - started > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

before(async () => {
  podman = await startPodmanHarness();
  daemon = startTestDaemon({ podmanSocket: podman.socketPath, flags: { defaultImage: TOOLBOX_IMAGE } });
  await daemon.startBackground();
});

after(async () => {
  await daemon?.close();
  await podman?.stop();
});

describe('target events', () => {
  it('killing the target ends its sessions and removes every sidecar within 1 s; podman rm then works', async (t) => {
    await podman.startTarget('victim');
    const one = await createSession({ target: 'victim' });
    const two = await createSession({ target: 'victim' });
    assert.equal((await podman.managedContainers()).length, 2);
    assert.equal((await podman.podman('kill', 'victim')).code, 0);
    const ms = await within(1000, 'sessions ended and sidecars removed after the target died', async () =>
      (await podman.managedContainers()).length === 0 && (await allEnded([one.id, two.id])));
    t.diagnostic(`reap latency after target death: ${ms} ms`);
    for (const id of [one.id, two.id]) {
      const session = (await daemon.api('GET', `/v1/sessions/${id}`)).body;
      assert.equal(session.state, 'ended');
      assert.equal(session.endReason, 'target-exited');
    }
    const rm = await podman.podman('rm', 'victim');
    assert.equal(rm.code, 0, rm.stderr);
  });

  it('stopping the target frees it for podman rm -f at once', async (t) => {
    await podman.startTarget('stoppable');
    const session = await createSession({ target: 'stoppable' });
    assert.equal((await podman.podman('stop', '--time', '0', 'stoppable')).code, 0);
    const ms = await within(1000, 'session ended and sidecar removed after the target stopped', async () =>
      (await podman.managedContainers()).length === 0 && (await allEnded([session.id])));
    t.diagnostic(`reap latency after target stop: ${ms} ms`);
    const rm = await podman.podman('rm', '--force', 'stoppable');
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal((await daemon.api('GET', `/v1/sessions/${session.id}`)).body.endReason, 'target-exited');
  });

  it('a sidecar whose command exits ends its session as sidecar-exited', async () => {
    await podman.startTarget('short');
    const session = await createSession({ target: 'short', command: ['sleep', '1'] });
    await within(3000, 'session ended after its sidecar exited', async () => {
      return (await daemon.api('GET', `/v1/sessions/${session.id}`)).body.state === 'ended';
    });
    assert.equal((await daemon.api('GET', `/v1/sessions/${session.id}`)).body.endReason, 'sidecar-exited');
    assert.deepEqual(await podman.managedContainers(), []);
    await podman.podman('rm', '--force', '--time', '0', 'short');
  });
});

describe('leases', () => {
  it('a session ends within 1 s of its lease (expired) and its sidecar is removed', async (t) => {
    await podman.startTarget('leased');
    const session = await createSession({ target: 'leased', ttlSeconds: 2 });
    await within(4000, 'session expired', async () => (await daemon.api('GET', `/v1/sessions/${session.id}`)).body.state === 'ended');
    const ended = (await daemon.api('GET', `/v1/sessions/${session.id}`)).body;
    assert.equal(ended.endReason, 'expired');
    const lateMs = Date.parse(ended.endedAt) - Date.parse(ended.expiresAt);
    t.diagnostic(`lease-expiry latency: ${lateMs} ms after expiresAt`);
    assert.ok(lateMs >= 0 && lateMs < 1000, `ended ${lateMs} ms after expiry`);
    assert.deepEqual(await podman.managedContainers(), []);
    const audit = (await daemon.api('GET', `/v1/audit?sessionId=${session.id}`)).body.items;
    assert.deepEqual(audit.at(-1).data, { reason: 'expired' });
    assert.equal(audit.at(-1).actor, 'podman-debugd');
  });

  it('PATCH extends the lease up to the hard lifetime and refuses beyond it; Podman gets the hard lifetime', async () => {
    const session = await createSession({ target: 'leased', ttlSeconds: 60, maxLifetimeSeconds: 120 });
    assert.equal(Date.parse(session.hardExpiresAt) - Date.parse(session.createdAt), 120_000);
    const timeout = await podman.podman('inspect', '--format', '{{.Config.Timeout}}', session.sidecar.name);
    assert.equal(timeout.stdout.trim(), String(120 + 60));

    const extended = await daemon.api('PATCH', `/v1/sessions/${session.id}`, { body: { ttlSeconds: 100 } });
    assert.equal(extended.status, 200, JSON.stringify(extended.body));
    assert.ok(Date.parse(extended.body.expiresAt) > Date.parse(session.expiresAt));
    assert.ok(extended.body.expiresAt <= extended.body.hardExpiresAt);

    const beyond = await daemon.api('PATCH', `/v1/sessions/${session.id}`, { body: { ttlSeconds: 200 } });
    assert.equal(beyond.status, 409);
    assert.match(beyond.body.detail, /hard lifetime/);
    assert.equal((await daemon.api('GET', `/v1/sessions/${session.id}`)).body.expiresAt, extended.body.expiresAt);

    const bad = await daemon.api('PATCH', `/v1/sessions/${session.id}`, { body: { ttlSeconds: 'soon' } });
    assert.equal(bad.status, 400);
    const types = (await daemon.api('GET', `/v1/audit?sessionId=${session.id}`)).body.items.map((e: any) => e.type);
    assert.deepEqual(types, ['session.creating', 'session.created', 'session.extended']);

    await daemon.api('DELETE', `/v1/sessions/${session.id}`);
    const ended = await daemon.api('PATCH', `/v1/sessions/${session.id}`, { body: { ttlSeconds: 30 } });
    assert.equal(ended.status, 409);
  });

  it('maxLifetimeSeconds below ttlSeconds or above the cap is 400', async () => {
    const low = await daemon.api('POST', '/v1/sessions', { body: { target: 'leased', ttlSeconds: 60, maxLifetimeSeconds: 30 } });
    assert.equal(low.status, 400);
    assert.ok(low.body.errors.some((e: any) => e.field === 'maxLifetimeSeconds'));
    const high = await daemon.api('POST', '/v1/sessions', { body: { target: 'leased', maxLifetimeSeconds: 5 * 86400 } });
    assert.equal(high.status, 400);
  });
});

describe('reconciliation', () => {
  it('removes orphans, ends sessions that lost their sidecar, and fails sessions abandoned mid-creation', async () => {
    await podman.startTarget('rec');
    const targetId = (await podman.podman('inspect', '--format', '{{.Id}}', 'rec')).stdout.trim();
    // An orphan: a managed sidecar whose session the database does not know.
    const orphan = await podman.podman(
      'run', '-d', '--name', 'debug-rec-orphan', '--label', `${LABEL_MANAGED}=true`, '--label', `${LABEL_SESSION}=no-such-session`,
      '--label', `${LABEL_TARGET}=${targetId}`, '--pid', 'container:rec', TOOLBOX_IMAGE, 'sleep', '600',
    );
    assert.equal(orphan.code, 0, orphan.stderr);
    // A session whose sidecar vanished behind the daemon's back.
    const lost = await createSession({ target: 'rec' });
    // A session a crash left in `creating`, with its sidecar already made.
    const abandonedId = '0abandon-0000-4000-8000-000000000000';
    daemon.ctx.sessionStore.insertCreating(
      creatingSessionRow({ id: abandonedId, targetId, targetName: 'rec', sidecarName: 'debug-rec-abandoned', sidecarImage: TOOLBOX_IMAGE }),
    );
    const abandoned = await podman.podman(
      'run', '-d', '--name', 'debug-rec-abandoned', '--label', `${LABEL_MANAGED}=true`, '--label', `${LABEL_SESSION}=${abandonedId}`,
      '--pid', 'container:rec', TOOLBOX_IMAGE, 'sleep', '600',
    );
    assert.equal(abandoned.code, 0, abandoned.stderr);

    // The daemon's event reaction would catch the removal; reconciliation must too, so stop it.
    await daemon.ctx.background.stop();
    assert.equal((await podman.podman('rm', '--force', '--time', '0', lost.sidecar.name)).code, 0);
    const report = await daemon.ctx.reconciler.reconcile();
    assert.deepEqual(report, { orphansRemoved: 1, sessionsLost: 1, abandonedFailed: 1 });
    assert.deepEqual(await podman.managedContainers(), []);
    assert.equal((await daemon.api('GET', `/v1/sessions/${lost.id}`)).body.endReason, 'lost');
    const failed = (await daemon.api('GET', `/v1/sessions/${abandonedId}`)).body;
    assert.equal(failed.state, 'failed');
    const audit = (await daemon.api('GET', `/v1/audit?sessionId=${abandonedId}`)).body.items;
    assert.equal(audit.at(-1).type, 'session.failed');
    assert.equal(audit.at(-1).data.sidecarRemoved, true);
    // A second run finds nothing to do.
    assert.deepEqual(await daemon.ctx.reconciler.reconcile(), { orphansRemoved: 0, sessionsLost: 0, abandonedFailed: 0 });
    await daemon.startBackground();
  });
});

describe('Podman outage', () => {
  it('answers 503 while Podman is down, serves what it can, and recovers by itself within 2 s', async (t) => {
    // Background work was restarted above in a new follower; make sure it is running here.
    await podman.startTarget('steady');
    const session = await createSession({ target: 'steady' });
    await podman.stopService();
    try {
      const ready = await daemon.api('GET', '/readyz', { token: null });
      assert.equal(ready.status, 503);
      const create = await daemon.api('POST', '/v1/sessions', { body: { target: 'steady' } });
      assert.equal(create.status, 503);
      assert.equal(create.headers.get('retry-after'), '5');
      const exec = await daemon.api('POST', `/v1/sessions/${session.id}/exec`, { body: { command: ['ps'] } });
      assert.equal(exec.status, 503);
      assert.equal((await daemon.api('GET', `/v1/sessions/${session.id}`)).status, 200);
      assert.equal((await daemon.api('GET', '/v1/audit')).status, 200);
      await sleep(1500);
    } finally {
      await podman.startService();
    }
    const ms = await within(2000, 'ready again after Podman came back', async () => (await daemon.api('GET', '/readyz', { token: null })).status === 200);
    t.diagnostic(`recovery after Podman came back: ${ms} ms`);
    const ps = await daemon.api('POST', `/v1/sessions/${session.id}/exec`, { body: { command: ['ps'] } });
    assert.equal(ps.status, 200);
    assert.equal(ps.body.exitCode, 0);
    // The event stream is back too: killing the target is noticed.
    assert.equal((await podman.podman('kill', 'steady')).code, 0);
    await within(1000, 'reaped after the outage', async () => (await podman.managedContainers()).length === 0 && (await allEnded([session.id])));
    assert.equal((await daemon.api('GET', `/v1/sessions/${session.id}`)).body.endReason, 'target-exited');
  });
});
