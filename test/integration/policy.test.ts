/**
 * The policy against a real Podman: who may debug which target, with which image and profile, how
 * many sessions at once. Every refusal is a 403 naming the rule, creates nothing, and is audited.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type PodmanHarness, TOOLBOX_IMAGE, startPodmanHarness } from '../support/podman-harness.js';
import { type TestDaemon, startTestDaemon } from '../support/test-daemon.js';

let podman: PodmanHarness;
let daemon: TestDaemon;
const tokens: Record<string, string> = {};

const POLICY = {
  version: 1,
  limits: { maxConcurrentSessions: 4 },
  groups: { oncall: ['alice', 'bob'] },
  rules: [
    {
      name: 'oncall-web',
      groups: ['oncall'],
      targets: { allow: [{ name: 'web-*' }, { labels: { team: 'payments' } }], deny: [{ labels: { 'debug.deny': 'true' } }] },
      profiles: ['restricted', 'general'],
      maxTtlSeconds: 600,
      maxConcurrentSessions: 2,
    },
    // A deny-only rule: its empty allow list grants nothing.
    { name: 'never-databases', groups: ['oncall'], targets: { allow: [], deny: [{ name: '*-db' }] } },
    { name: 'auditors', principals: ['carol'], requireReason: true, maxConcurrentSessions: 10 },
  ],
};

before(async () => {
  podman = await startPodmanHarness();
  daemon = startTestDaemon({ podmanSocket: podman.socketPath, flags: { defaultImage: TOOLBOX_IMAGE }, policy: POLICY });
  for (const name of ['alice', 'bob', 'carol', 'mallory']) tokens[name] = daemon.ctx.tokens.create(name);
  await podman.startTarget('web-1');
  await podman.startTarget('web-secret', ['--label', 'debug.deny=true']);
  await podman.startTarget('ledger', ['--label', 'team=payments']);
  await podman.startTarget('orders-db');
  await podman.startTarget('batch-7');
});

after(async () => {
  await daemon?.close();
  await podman?.stop();
});

function create(as: string, body: Record<string, unknown>) {
  return daemon.api('POST', '/v1/sessions', { body, token: tokens[as]! });
}

async function end(as: string, id: string) {
  assert.equal((await daemon.api('DELETE', `/v1/sessions/${id}`, { token: tokens[as]! })).status, 200);
}

/** Every audit event, through the API, paging with the cursor. */
async function auditEvents(): Promise<any[]> {
  const events = [];
  let cursor: string | null = null;
  do {
    const page: any = (await daemon.api('GET', `/v1/audit?limit=100${cursor ? `&cursor=${cursor}` : ''}`)).body;
    events.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return events;
}

function sessionRows(): number {
  return (daemon.ctx.db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
}

/** Asserts a 403 from the policy that left nothing behind and was audited with the rule. */
async function assertRefused(as: string, body: Record<string, unknown>, rule: string | null, reason: string, detail: RegExp) {
  const rowsBefore = sessionRows();
  const lastSeq = (await auditEvents()).at(-1)?.seq ?? 0;
  const response = await create(as, body);
  assert.equal(response.status, 403, JSON.stringify(response.body));
  assert.equal(response.headers.get('content-type'), 'application/problem+json');
  assert.equal(response.body.policyRule, rule);
  assert.equal(response.body.policyReason, reason);
  assert.match(response.body.detail, detail);
  assert.equal(sessionRows(), rowsBefore, 'no session row');
  assert.deepEqual(await podman.managedContainers(), [], 'no sidecar');
  const events = (await auditEvents()).filter((e: any) => e.seq > lastSeq);
  const denial = events.find((e: any) => e.type === 'policy.denied');
  assert.ok(denial, `a policy.denied event: ${JSON.stringify(events)}`);
  assert.equal(denial.actor, as);
  assert.equal(denial.data.rule, rule);
  assert.equal(denial.data.reason, reason);
}

describe('policy against real Podman', () => {
  it('allows what a rule grants, fitting the lease to the rule', async () => {
    const response = await create('alice', { target: 'web-1' });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal(Date.parse(response.body.expiresAt) - Date.parse(response.body.createdAt), 600_000);
    const audit = (await daemon.api('GET', `/v1/audit?sessionId=${response.body.id}`)).body.items;
    assert.equal(audit[0].data.policyRule, 'oncall-web');
    await end('alice', response.body.id);
    const byLabel = await create('bob', { target: 'ledger' });
    assert.equal(byLabel.status, 201, JSON.stringify(byLabel.body));
    await end('bob', byLabel.body.id);
  });

  it('refuses a target denied by label', async () => {
    await assertRefused('alice', { target: 'web-secret' }, 'oncall-web', 'target-denied', /denies target "web-secret" \(label debug\.deny=true\)/);
  });

  it('refuses a target denied by name, though another rule would allow it', async () => {
    await assertRefused('alice', { target: 'orders-db' }, 'never-databases', 'target-denied', /denies target "orders-db" \(name \*-db\)/);
  });

  it('refuses a target outside the allow list', async () => {
    await assertRefused('alice', { target: 'batch-7' }, 'oncall-web', 'target-not-allowed', /target "batch-7" matches none of/);
  });

  it('refuses an image the policy does not list', async () => {
    await assertRefused('alice', { target: 'web-1', image: 'docker.io/library/alpine:latest' }, 'oncall-web', 'image-not-allowed', /image "docker\.io\/library\/alpine:latest" is not allowed/);
  });

  it('refuses a profile the policy does not list', async () => {
    await assertRefused('alice', { target: 'web-1', profile: 'sysadmin' }, 'oncall-web', 'profile-not-allowed', /profile "sysadmin" is not allowed/);
  });

  it('refuses a lease longer than the rule allows', async () => {
    await assertRefused('alice', { target: 'web-1', ttlSeconds: 900 }, 'oncall-web', 'ttl-too-long', /ttlSeconds 900 is above its maximum of 600/);
  });

  it('requires a reason where the rule says so', async () => {
    await assertRefused('carol', { target: 'batch-7' }, 'auditors', 'reason-required', /a reason is required/);
    const ok = await create('carol', { target: 'batch-7', reason: 'INC-1234: batch stuck' });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    await end('carol', ok.body.id);
  });

  it('a principal no rule names gets 403 before Podman is asked, even for a target that does not exist', async () => {
    await assertRefused('mallory', { target: 'web-1' }, null, 'no-rule', /no policy rule applies to principal "mallory"/);
    await assertRefused('mallory', { target: 'no-such-container' }, null, 'no-rule', /no policy rule applies/);
  });

  it('caps live sessions per principal, also when the creates race', async () => {
    const racing = await Promise.all([1, 2, 3, 4].map(() => create('alice', { target: 'web-1' })));
    const statuses = racing.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 201, 403, 403], JSON.stringify(racing.map((r) => r.body)));
    for (const refused of racing.filter((r) => r.status === 403)) assert.equal(refused.body.policyReason, 'principal-session-limit');
    assert.equal((await podman.managedContainers()).length, 2);
    // Ending one frees its slot.
    const [first, second] = racing.filter((r) => r.status === 201);
    await end('alice', first!.body.id);
    const again = await create('alice', { target: 'web-1' });
    assert.equal(again.status, 201, JSON.stringify(again.body));
    await end('alice', second!.body.id);
    await end('alice', again.body.id);
    assert.deepEqual(await podman.managedContainers(), []);
  });

  it('caps live sessions on the host, all principals together', async () => {
    const held = [];
    for (const as of ['alice', 'alice', 'bob', 'bob']) {
      const r = await create(as, { target: 'web-1' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      held.push({ as, id: r.body.id });
    }
    await assertRefusedWithLive('carol', { target: 'web-1', reason: 'x' }, 'limits.maxConcurrentSessions', 'total-session-limit', /already has 4 live debug sessions/);
    for (const { as, id } of held) await end(as, id);
    assert.deepEqual(await podman.managedContainers(), []);
  });

  it('reload: a valid file takes effect, an invalid one is refused and the old policy stays', async () => {
    const path = daemon.config.policyFile!;
    const opened = { ...POLICY, rules: [...POLICY.rules, { name: 'mallory-too', principals: ['mallory'] }] };
    writeFileSync(path, JSON.stringify(opened));
    assert.deepEqual(daemon.ctx.reloadPolicy().problems, []);
    const allowed = await create('mallory', { target: 'web-1' });
    assert.equal(allowed.status, 201, JSON.stringify(allowed.body));
    await end('mallory', allowed.body.id);

    writeFileSync(path, JSON.stringify({ version: 1, rules: [{ name: 'broken', principals: ['*'], profiles: ['root'] }] }));
    const rejected = daemon.ctx.reloadPolicy();
    assert.equal(rejected.policy, null);
    assert.match(rejected.problems.join('\n'), /rules\[0\]\.profiles\[0\]/);
    // Still the previous policy: mallory allowed, the broken file's rule unknown.
    const still = await create('mallory', { target: 'web-1' });
    assert.equal(still.status, 201, JSON.stringify(still.body));
    await end('mallory', still.body.id);
    const types = (await auditEvents()).map((e: any) => e.type);
    assert.ok(types.includes('policy.reload-rejected'));
    assert.equal(types.filter((t: string) => t === 'policy.loaded').length, 2, 'loaded at start and on the valid reload');
    writeFileSync(path, JSON.stringify(POLICY));
    assert.deepEqual(daemon.ctx.reloadPolicy().problems, []);
  });
});

async function assertRefusedWithLive(as: string, body: Record<string, unknown>, rule: string, reason: string, detail: RegExp) {
  const response = await create(as, body);
  assert.equal(response.status, 403, JSON.stringify(response.body));
  assert.equal(response.body.policyRule, rule);
  assert.equal(response.body.policyReason, reason);
  assert.match(response.body.detail, detail);
}
