/**
 * The per-principal rate limit through the app: a burst passes, the next request is a 429 problem
 * with Retry-After, other principals are unaffected, health and the document are never limited,
 * 0 turns it off, and a flood of 429s writes one audit event and one warning, not one per request.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log/logger.js';
import { type TestDaemon, startTestDaemon } from '../support/test-daemon.js';

const NO_PODMAN = '/nonexistent/podman-debugd-test/podman.sock';

async function withDaemon(env: Record<string, string>, fn: (daemon: TestDaemon, logs: Record<string, any>[]) => Promise<void>) {
  const logs: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      callback();
    },
  });
  const daemon = startTestDaemon({ podmanSocket: NO_PODMAN, env, log: createLogger('info', sink) });
  try {
    await fn(daemon, logs);
  } finally {
    await daemon.close();
  }
}

const rateLimitedEvents = (daemon: TestDaemon) =>
  (daemon.ctx.db.prepare(`SELECT COUNT(*) AS n FROM audit_events WHERE type = 'rate.limited'`).get() as { n: number }).n;

describe('per-principal rate limit', () => {
  it('the default is on and sane: 20 per second, bursts of 40', () => {
    // startTestDaemon turns it off for other tests; the configuration's own default is what counts.
    return withDaemon({ PODMAN_DEBUGD_RATE_LIMIT_PER_SECOND: '', PODMAN_DEBUGD_RATE_LIMIT_BURST: '' }, async (daemon) => {
      assert.equal(daemon.config.rateLimitPerSecond, 20);
      assert.equal(daemon.config.rateLimitBurst, 40);
    });
  });

  it('a burst passes; the next request is 429 problem+json with Retry-After; others are unaffected', () =>
    withDaemon({ PODMAN_DEBUGD_RATE_LIMIT_PER_SECOND: '1', PODMAN_DEBUGD_RATE_LIMIT_BURST: '5' }, async (daemon, logs) => {
      for (let i = 0; i < 5; i++) assert.equal((await daemon.api('GET', '/v1/sessions')).status, 200, `request ${i + 1} of the burst`);
      const limited = await daemon.api('GET', '/v1/sessions');
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('content-type'), 'application/problem+json');
      assert.equal(limited.body.type, 'urn:podman-debugd:problem:rate-limited');
      assert.equal(limited.body.status, 429);
      assert.equal(limited.body.requestId, limited.headers.get('x-request-id'));
      assert.match(limited.body.detail, /at most 1 requests per second per principal, in bursts of up to 5/);
      assert.equal(limited.body.limitPerSecond, 1);
      assert.equal(limited.body.burst, 5);
      // At 1 token per second the bucket holds a token again within a second.
      assert.equal(limited.headers.get('retry-after'), '1');
      const retryAfter = 1;

      // Every /v1 route is limited, whatever it is (a POST, a 404 to be).
      assert.equal((await daemon.api('POST', '/v1/sessions', { body: { target: 'app' } })).status, 429);
      assert.equal((await daemon.api('GET', '/v1/sessions/00000000-0000-4000-8000-000000000000')).status, 429);

      // Another principal has its own bucket.
      const bob = daemon.ctx.tokens.create('bob');
      assert.equal((await daemon.api('GET', '/v1/sessions', { token: bob })).status, 200);
      // Unauthenticated requests are 401, never 429 (the limit keys on the principal).
      assert.equal((await daemon.api('GET', '/v1/sessions', { token: null })).status, 401);

      // Health and the document are never limited.
      for (let i = 0; i < 20; i++) {
        assert.equal((await daemon.api('GET', '/healthz')).status, 200);
        assert.notEqual((await daemon.api('GET', '/readyz')).status, 429);
        assert.equal((await daemon.api('GET', '/openapi.json')).status, 200);
      }

      // Several 429s: one audit event and one warning for the principal, not one per refusal.
      assert.equal(rateLimitedEvents(daemon), 1);
      const event = daemon.ctx.db.prepare(`SELECT actor, data FROM audit_events WHERE type = 'rate.limited'`).get() as { actor: string; data: string };
      assert.equal(event.actor, 'tester');
      assert.deepEqual(JSON.parse(event.data), { limitPerSecond: 1, burst: 5, refused: 1, method: 'GET', path: '/v1/sessions' });
      const warnings = logs.filter((l) => l.level === 'warn' && /rate limit/.test(l.msg));
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.equal(warnings[0]!.principal, 'tester');
      // The access log still records every 429.
      assert.equal(logs.filter((l) => l.msg === 'request' && l.status === 429).length, 3);

      // After Retry-After the principal gets through again.
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
      assert.equal((await daemon.api('GET', '/v1/sessions')).status, 200);
    }));

  it('0 turns the limit off', () =>
    withDaemon({ PODMAN_DEBUGD_RATE_LIMIT_PER_SECOND: '0', PODMAN_DEBUGD_RATE_LIMIT_BURST: '1' }, async (daemon) => {
      for (let i = 0; i < 100; i++) assert.equal((await daemon.api('GET', '/v1/sessions')).status, 200);
      assert.equal(rateLimitedEvents(daemon), 0);
    }));

  it('bad settings stop the daemon from starting', () => {
    for (const env of [{ PODMAN_DEBUGD_RATE_LIMIT_PER_SECOND: '-1' }, { PODMAN_DEBUGD_RATE_LIMIT_PER_SECOND: '1.5' }, { PODMAN_DEBUGD_RATE_LIMIT_BURST: '0' }]) {
      assert.throws(() => loadConfig({ flags: { db: ':memory:', podmanSocket: NO_PODMAN }, env, cwd: '/', uid: 0 }), /RATE_LIMIT/);
    }
  });
});

describe('failed authentications per client address', () => {
  const authDenied = (daemon: TestDaemon) =>
    daemon.ctx.db.prepare(`SELECT json_extract(data, '$.reason') AS reason FROM audit_events WHERE type = 'auth.denied' ORDER BY seq`).all() as { reason: string }[];

  it('the default is on: 60 a minute', () => {
    return withDaemon({ PODMAN_DEBUGD_AUTH_FAILURES_PER_MINUTE: '' }, async (daemon) => {
      assert.equal(daemon.config.authFailuresPerMinute, 60);
    });
  });

  it('after the allowance, 429 with Retry-After; one audit event for the flood; good tokens still work', () => {
    return withDaemon({ PODMAN_DEBUGD_AUTH_FAILURES_PER_MINUTE: '5' }, async (daemon, logs) => {
      for (let i = 0; i < 5; i++) assert.equal((await daemon.api('GET', '/v1/sessions', { token: `pdd_guess${i}` })).status, 401);
      const refused = await daemon.api('GET', '/v1/sessions', { token: 'pdd_guess6' });
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get('content-type'), 'application/problem+json');
      assert.match(refused.body.detail, /too many failed authentications from this address \(at most 5 a minute\)/);
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      for (let i = 0; i < 50; i++) assert.equal((await daemon.api('GET', '/v1/sessions', { token: null })).status, 429);
      assert.equal(authDenied(daemon).at(-1)!.reason, 'too-many-failures');
      assert.equal(authDenied(daemon).length, 6, '5 refusals and one summary, not one per request');
      assert.equal(logs.filter((l) => l.msg === 'too many failed authentications from one address').length, 1);
      // A caller with a valid token is not locked out by someone else's failures... nor by its own.
      assert.equal((await daemon.api('GET', '/v1/sessions')).status, 200);
    });
  });
});
