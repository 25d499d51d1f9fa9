/**
 * GET /metrics through app.request(): it needs a token with `metrics:read` (or admin) although it
 * sits outside /v1, it exposes every documented metric, its counters move with what the daemon
 * does, and no label carries an id, a principal, a token or a container name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DENIAL_REASONS, REAP_REASONS, SESSION_SOURCES } from '../../src/metrics/metrics.js';
import { PROFILES } from '../../src/sessions/profiles.js';
import { type TestDaemon, creatingSessionRow, startTestDaemon } from '../support/test-daemon.js';

const NO_PODMAN = '/nonexistent/podman-debugd-test/podman.sock';

const OUR_METRICS = [
  'podman_debugd_sessions_active',
  'podman_debugd_sessions_created_total',
  'podman_debugd_reaped_total',
  'podman_debugd_podman_request_duration_seconds',
  'podman_debugd_exec_duration_seconds',
  'podman_debugd_authz_denied_total',
  'podman_debugd_build_info',
];

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The text exposition format, sample lines only. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of match[2]?.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g) ?? []) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function scrape(daemon: TestDaemon, token: string): Promise<{ text: string; samples: Sample[] }> {
  const response = await daemon.api('GET', '/metrics', { token });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = String(response.body);
  return { text, samples: parse(text) };
}

let daemon: TestDaemon;
let scraper: string;

before(() => {
  daemon = startTestDaemon({ podmanSocket: NO_PODMAN });
  scraper = daemon.ctx.tokens.create('prometheus', { scopes: ['metrics:read'] });
});
after(() => daemon.close());

describe('GET /metrics', () => {
  it('needs a token carrying metrics:read (or admin); refusals are problem+json and audited', async () => {
    const missing = await daemon.api('GET', '/metrics', { token: null });
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get('content-type'), 'application/problem+json');
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="podman-debugd"');
    assert.equal((await daemon.api('GET', '/metrics', { token: 'pdd_not-a-real-token' })).status, 401);

    // The default token (what a person gets) cannot read metrics, and a scraper's can do nothing else.
    const person = await daemon.api('GET', '/metrics');
    assert.equal(person.status, 403);
    assert.equal(person.body.requiredScope, 'metrics:read');
    assert.match(person.body.detail, /"metrics:read"/);
    assert.equal((await daemon.api('GET', '/v1/sessions', { token: scraper })).status, 403);
    assert.equal((await daemon.api('GET', '/v1/audit', { token: scraper })).status, 403);

    await scrape(daemon, scraper);
    await scrape(daemon, daemon.ctx.tokens.create('metrics-admin', { scopes: ['admin'] }));
    const denied = daemon.ctx.db
      .prepare(`SELECT COUNT(*) AS n FROM audit_events WHERE type = 'auth.denied' AND data LIKE '%/metrics%'`)
      .get() as { n: number };
    assert.equal(denied.n, 3);
  });

  it('exposes every metric of the README, the build info and Node process metrics', async () => {
    const { text, samples } = await scrape(daemon, scraper);
    for (const name of OUR_METRICS) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    assert.match(text, /^# TYPE podman_debugd_podman_request_duration_seconds histogram$/m);
    assert.match(text, /^# TYPE podman_debugd_exec_duration_seconds histogram$/m);
    assert.match(text, /^# TYPE podman_debugd_sessions_active gauge$/m);
    assert.equal(value(samples, 'podman_debugd_build_info', { node: process.version }), 1);
    assert.match(samples.find((s) => s.name === 'podman_debugd_build_info')!.labels.version!, /^\d+\.\d+\.\d+/);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      assert.ok(value(samples, name) !== undefined, name);
    }
    // Known series exist at 0 before anything happened, so rate() works from the first scrape.
    assert.equal(value(samples, 'podman_debugd_sessions_created_total', { outcome: 'created', profile: 'general', source: 'api' }), 0);
    assert.equal(value(samples, 'podman_debugd_reaped_total', { reason: 'expired' }), 0);
  });

  it('counts refusals by reason: bad tokens, missing scope, another principal\'s session', async () => {
    const before = (await scrape(daemon, scraper)).samples;
    const revoked = daemon.ctx.tokens.create('gone');
    daemon.ctx.tokens.revoke('gone');
    const expired = daemon.ctx.tokens.create('old', { expiresAt: new Date(Date.now() - 1000) });
    await daemon.api('GET', '/v1/sessions', { token: null });
    await daemon.api('GET', '/v1/sessions', { token: null, headers: { authorization: 'Basic eDp5' } });
    await daemon.api('GET', '/v1/sessions', { token: 'pdd_unknown' });
    await daemon.api('GET', '/v1/sessions', { token: revoked });
    await daemon.api('GET', '/v1/sessions', { token: expired });
    await daemon.api('GET', '/v1/audit', { token: daemon.ctx.tokens.create('reader', { scopes: ['sessions:read'] }) });
    const id = '00000000-0000-4000-8000-0000000000b0';
    daemon.ctx.sessionStore.insertCreating(creatingSessionRow({ id, requestedBy: 'someone-else' }));
    assert.equal((await daemon.api('GET', `/v1/sessions/${id}`)).status, 403);

    const after = (await scrape(daemon, scraper)).samples;
    const delta = (reason: string) =>
      (value(after, 'podman_debugd_authz_denied_total', { reason }) ?? NaN) - (value(before, 'podman_debugd_authz_denied_total', { reason }) ?? NaN);
    assert.equal(delta('token-missing'), 1);
    assert.equal(delta('token-malformed'), 1);
    assert.equal(delta('token-unknown'), 1);
    assert.equal(delta('token-revoked'), 1);
    assert.equal(delta('token-expired'), 1);
    assert.equal(delta('missing-scope'), 1);
    assert.equal(delta('not-owner'), 1);
  });

  it('reads active sessions from the database at scrape time and times Podman calls by operation', async () => {
    const id = '00000000-0000-4000-8000-0000000000a1';
    daemon.ctx.sessionStore.insertCreating(creatingSessionRow({ id }));
    assert.equal(value((await scrape(daemon, scraper)).samples, 'podman_debugd_sessions_active'), 0, 'creating is not active');
    daemon.ctx.sessionStore.markActive(id, 'e'.repeat(64));
    assert.equal(value((await scrape(daemon, scraper)).samples, 'podman_debugd_sessions_active'), 1);

    assert.equal((await daemon.api('GET', '/v1/containers')).status, 503); // Podman does not answer
    const { samples } = await scrape(daemon, scraper);
    assert.ok((value(samples, 'podman_debugd_podman_request_duration_seconds_count', { op: 'containerList', code: 'error' }) ?? 0) >= 1);
  });

  it('has no high-cardinality label: no ids, principals, tokens or names, only fixed label values', async () => {
    const { text, samples } = await scrape(daemon, scraper);
    for (const secret of ['tester', 'prometheus', 'someone-else', 'pdd_', '00000000-0000-4000', 'eeeeeeee', 'app']) {
      assert.equal(text.includes(`"${secret}`), false, `a label value starts with ${secret}`);
    }
    const allowed: Record<string, ReadonlySet<string> | RegExp> = {
      outcome: new Set(['created', 'denied', 'rejected', 'failed']),
      profile: new Set(PROFILES),
      source: new Set(SESSION_SOURCES),
      reason: new Set<string>([...REAP_REASONS, ...DENIAL_REASONS]),
      op: /^[a-z][A-Za-z]+$/,
      code: /^(\d{3}|error)$/,
      le: /^(\+Inf|\d+(\.\d+)?(e[+-]?\d+)?)$/,
      version: /^\d+\.\d+\.\d+/,
      node: /^v\d+\./,
    };
    for (const sample of samples.filter((s) => s.name.startsWith('podman_debugd_'))) {
      for (const [key, v] of Object.entries(sample.labels)) {
        const rule = allowed[key];
        assert.ok(rule, `${sample.name} has an unexpected label ${key}`);
        assert.ok(rule instanceof RegExp ? rule.test(v) : rule.has(v), `${sample.name}{${key}="${v}"}`);
      }
    }
  });

  it('each daemon has its own registry', async () => {
    const other = startTestDaemon({ podmanSocket: NO_PODMAN });
    try {
      const token = other.ctx.tokens.create('prom', { scopes: ['metrics:read'] });
      const fresh = (await scrape(other, token)).samples;
      assert.equal(value(fresh, 'podman_debugd_authz_denied_total', { reason: 'not-owner' }), 0);
      assert.equal(value(fresh, 'podman_debugd_sessions_active'), 0);
      assert.ok((value((await scrape(daemon, scraper)).samples, 'podman_debugd_authz_denied_total', { reason: 'not-owner' }) ?? 0) >= 1);
    } finally {
      await other.close();
    }
  });
});

describe('metrics of refusals elsewhere', () => {
  it('policy refusals count as denied sessions and as policy-<reason>', async () => {
    const local = startTestDaemon({ podmanSocket: NO_PODMAN, policy: { version: 1, rules: [{ name: 'only-ops', principals: ['ops'] }] } });
    try {
      const token = local.ctx.tokens.create('prom', { scopes: ['metrics:read'] });
      const refused = await local.api('POST', '/v1/sessions', { body: { target: 'app', profile: 'netadmin' } });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.policyReason, 'no-rule');
      const { samples } = await scrape(local, token);
      assert.equal(value(samples, 'podman_debugd_authz_denied_total', { reason: 'policy-no-rule' }), 1);
      assert.equal(value(samples, 'podman_debugd_sessions_created_total', { outcome: 'denied', profile: 'netadmin', source: 'api' }), 1);
      assert.equal(value(samples, 'podman_debugd_sessions_created_total', { outcome: 'created', profile: 'netadmin', source: 'api' }), 0);
    } finally {
      await local.close();
    }
  });

  it('a 429 from the per-principal rate limit counts as rate-limited', async () => {
    const local = startTestDaemon({ podmanSocket: NO_PODMAN, env: { PODMAN_DEBUGD_RATE_LIMIT_PER_SECOND: '1', PODMAN_DEBUGD_RATE_LIMIT_BURST: '1' } });
    try {
      assert.equal((await local.api('GET', '/v1/sessions')).status, 200);
      assert.equal((await local.api('GET', '/v1/sessions')).status, 429);
      const admin = local.ctx.tokens.create('prom-admin', { scopes: ['admin'] });
      const { samples } = await scrape(local, admin);
      assert.equal(value(samples, 'podman_debugd_authz_denied_total', { reason: 'rate-limited' }), 1);
    } finally {
      await local.close();
    }
  });
});
