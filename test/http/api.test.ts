/**
 * The HTTP contract through app.request(): authentication, validation, problem+json errors, health,
 * the OpenAPI document, and Podman being down. The Podman socket here does not exist, so these
 * tests also prove that nothing reaches Podman before input is valid.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SCOPES } from '../../src/auth/scopes.js';
import { buildOpenApiDocument } from '../../src/http/openapi-document.js';
import { packageRoot } from '../../src/package-root.js';
import { type TestDaemon, creatingSessionRow, startTestDaemon } from '../support/test-daemon.js';

let daemon: TestDaemon;

before(() => {
  daemon = startTestDaemon({ podmanSocket: '/nonexistent/podman-debugd-test/podman.sock', env: { PODMAN_DEBUGD_BODY_LIMIT_BYTES: '2048' } });
});
after(() => daemon.close());

function assertProblem(response: { status: number; headers: Headers; body: any }, status: number) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.headers.get('content-type'), 'application/problem+json');
  for (const key of ['type', 'title', 'detail', 'requestId']) assert.equal(typeof response.body[key], 'string', key);
  assert.equal(response.body.status, status);
  assert.equal(response.body.requestId, response.headers.get('x-request-id'));
}

function sessionCount(): number {
  return (daemon.ctx.db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
}

describe('health', () => {
  it('/healthz answers without auth', async () => {
    const response = await daemon.api('GET', '/healthz', { token: null });
    assert.equal(response.status, 200);
    assert.equal(response.body.status, 'ok');
  });

  it('/readyz is 503 naming Podman when Podman does not answer', async () => {
    const response = await daemon.api('GET', '/readyz', { token: null });
    assertProblem(response, 503);
    assert.match(response.body.detail, /podman: not answering on \/nonexistent/);
    assert.equal(response.body.checks.database, 'ok');
    assert.ok(response.headers.get('retry-after'));
  });
});

describe('the OpenAPI document', () => {
  it('GET /openapi.json serves an OpenAPI 3.1 document of every route', async () => {
    const response = await daemon.api('GET', '/openapi.json', { token: null });
    assert.equal(response.status, 200);
    assert.equal(response.body.openapi, '3.1.0');
    assert.deepEqual(Object.keys(response.body.paths).sort(), [
      '/healthz',
      '/metrics',
      '/readyz',
      '/v1/audit',
      '/v1/audit/export',
      '/v1/chatops/mattermost/commands',
      '/v1/chatops/slack/actions',
      '/v1/chatops/slack/commands',
      '/v1/containers',
      '/v1/sessions',
      '/v1/sessions/{id}',
      '/v1/sessions/{id}/exec',
    ]);
  });

  it('openapi/openapi.json is up to date (run `npm run openapi` after changing routes)', async () => {
    const committed = JSON.parse(readFileSync(join(packageRoot(), 'openapi', 'openapi.json'), 'utf8'));
    assert.deepEqual(committed, buildOpenApiDocument(), 'openapi/openapi.json differs from the routes: run `npm run openapi`');
    const served = await daemon.api('GET', '/openapi.json', { token: null });
    assert.deepEqual(served.body, committed);
  });
});

describe('authentication', () => {
  // Every operation in the document that is not public, with a path that exists in form, and its
  // security scheme. Public operations (`security: []`) are exactly the probes: a new route cannot
  // slip out of the checks below by being left unsecured.
  const operations = () => {
    const document = buildOpenApiDocument() as { paths: Record<string, Record<string, { security?: Array<Record<string, string[]>> }>> };
    const isPublic = (operation: { security?: unknown[] }) => Array.isArray(operation.security) && operation.security.length === 0;
    const publicOps = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).filter(([, op]) => isPublic(op)).map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(publicOps.sort(), ['GET /healthz', 'GET /readyz'], 'only the probes are public');
    return Object.entries(document.paths)
      .map(([path, methods]) => [path, Object.fromEntries(Object.entries(methods).filter(([, op]) => !isPublic(op)))] as const)
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({
          method: method.toUpperCase(),
          path: path.replace('{id}', '00000000-0000-4000-8000-000000000000'),
          scheme: Object.keys(operation.security?.[0] ?? {})[0],
        })),
      );
  };

  it('every secured route refuses a request without a token, with a bad token and with a revoked token', async () => {
    const revoked = daemon.ctx.tokens.create('revoked-user');
    daemon.ctx.tokens.revoke('revoked-user');
    const cases = operations();
    assert.ok(cases.length >= 6);
    for (const { method, path, scheme } of cases) {
      if (scheme !== 'bearerAuth') {
        // The chat routes: the platform's signature or token, never a bearer token (not even a valid one).
        assert.ok(['slackSignature', 'mattermostToken'].includes(scheme!), `${method} ${path} declares a known security scheme, not ${scheme}`);
        for (const token of [null, 'pdd_not-a-real-token', revoked, daemon.token]) {
          const response = await daemon.api(method, path, { token, raw: 'text=app', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
          assertProblem(response, 401);
          assert.match(response.body.detail, /Slack|Mattermost/, `${method} ${path}`);
        }
        continue;
      }
      for (const [token, pattern] of [
        [null, /Authorization: Bearer/],
        ['pdd_not-a-real-token', /not valid/],
        [revoked, /revoked/],
      ] as const) {
        const response = await daemon.api(method, path, { token, body: method === 'POST' ? { target: 'x', command: ['ps'] } : undefined });
        assertProblem(response, 401);
        assert.match(response.body.detail, pattern, `${method} ${path}`);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="podman-debugd"');
      }
    }
    assert.equal(sessionCount(), 0);
  });

  it('a malformed Authorization header is 401', async () => {
    const response = await daemon.api('GET', '/v1/sessions', { token: null, headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assertProblem(response, 401);
  });

  it('refusals are audited without the token', async () => {
    await daemon.api('GET', '/v1/sessions', { token: 'pdd_secret-value-that-must-not-be-stored' });
    const audit = await daemon.api('GET', '/v1/audit?limit=500');
    const denied = audit.body.items.filter((e: any) => e.type === 'auth.denied');
    assert.ok(denied.length > 0);
    assert.deepEqual(Object.keys(denied.at(-1).data).sort(), ['method', 'path', 'reason']);
    assert.equal(JSON.stringify(audit.body).includes('secret-value-that-must-not-be-stored'), false);
  });
});

describe('validation', () => {
  const cases: Array<{ name: string; method: string; path: string; body?: unknown; raw?: string; headers?: Record<string, string>; status: number; field?: string }> = [
    { name: 'missing target', method: 'POST', path: '/v1/sessions', body: {}, status: 400, field: 'target' },
    { name: 'target with shell characters', method: 'POST', path: '/v1/sessions', body: { target: 'app;rm -rf /' }, status: 400, field: 'target' },
    { name: 'ttlSeconds of the wrong type', method: 'POST', path: '/v1/sessions', body: { target: 'app', ttlSeconds: '15m' }, status: 400, field: 'ttlSeconds' },
    { name: 'ttlSeconds of zero', method: 'POST', path: '/v1/sessions', body: { target: 'app', ttlSeconds: 0 }, status: 400, field: 'ttlSeconds' },
    { name: 'ttlSeconds above the configured maximum', method: 'POST', path: '/v1/sessions', body: { target: 'app', ttlSeconds: 5 * 86400 }, status: 400, field: 'ttlSeconds' },
    { name: 'unknown field', method: 'POST', path: '/v1/sessions', body: { target: 'app', privileged: true }, status: 400 },
    { name: 'image with spaces', method: 'POST', path: '/v1/sessions', body: { target: 'app', image: 'busybox; reboot' }, status: 400, field: 'image' },
    { name: 'command of 65 arguments', method: 'POST', path: '/v1/sessions', body: { target: 'app', command: Array(65).fill('x') }, status: 400, field: 'command' },
    { name: 'body that is not JSON', method: 'POST', path: '/v1/sessions', raw: '{"target":', headers: { 'content-type': 'application/json' }, status: 400 },
    { name: 'body that is a JSON array', method: 'POST', path: '/v1/sessions', body: ['app'], status: 400 },
    { name: 'wrong content type', method: 'POST', path: '/v1/sessions', raw: 'target=app', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415 },
    { name: 'body over the limit', method: 'POST', path: '/v1/sessions', body: { target: 'app', reason: 'x'.repeat(4000) }, status: 413 },
    { name: 'exec with an empty command', method: 'POST', path: '/v1/sessions/abc/exec', body: { command: [] }, status: 400, field: 'command' },
    { name: 'exec with a NUL in an argument', method: 'POST', path: '/v1/sessions/abc/exec', body: { command: ['ls', 'a\u0000b'] }, status: 400, field: 'command.1' },
    { name: 'exec timeout above 300', method: 'POST', path: '/v1/sessions/abc/exec', body: { command: ['ps'], timeoutSeconds: 301 }, status: 400, field: 'timeoutSeconds' },
    { name: 'exec command as a string', method: 'POST', path: '/v1/sessions/abc/exec', body: { command: 'ps aux' }, status: 400, field: 'command' },
    { name: 'list with a bad state', method: 'GET', path: '/v1/sessions?state=zombie', status: 400, field: 'state' },
    { name: 'list with limit 0', method: 'GET', path: '/v1/sessions?limit=0', status: 400, field: 'limit' },
    { name: 'list with a forged cursor', method: 'GET', path: '/v1/sessions?cursor=bm9wZQ', status: 400, field: 'cursor' },
    { name: 'audit with a forged cursor', method: 'GET', path: '/v1/audit?cursor=%2E%2E%2F', status: 400, field: 'cursor' },
  ];
  for (const c of cases) {
    it(`${c.name} -> ${c.status}`, async () => {
      const auditBefore = (daemon.ctx.db.prepare('SELECT COUNT(*) AS n FROM audit_events').get() as { n: number }).n;
      const response = await daemon.api(c.method, c.path, { body: c.body, raw: c.raw, headers: c.headers });
      assertProblem(response, c.status);
      if (c.field) {
        assert.ok(
          response.body.errors?.some((e: any) => e.field === c.field),
          `expected an error naming ${c.field}: ${JSON.stringify(response.body)}`,
        );
      }
      assert.equal(sessionCount(), 0);
      const auditAfter = (daemon.ctx.db.prepare('SELECT COUNT(*) AS n FROM audit_events').get() as { n: number }).n;
      assert.equal(auditAfter, auditBefore, 'bad input must change nothing');
    });
  }
});

describe('not found', () => {
  it('an unknown session is 404 for GET, DELETE and exec', async () => {
    const id = '5b0e7c1e-0000-4000-8000-000000000000';
    assertProblem(await daemon.api('GET', `/v1/sessions/${id}`), 404);
    assertProblem(await daemon.api('DELETE', `/v1/sessions/${id}`), 404);
    assertProblem(await daemon.api('POST', `/v1/sessions/${id}/exec`, { body: { command: ['ps'] } }), 404);
  });

  it('an unknown route is a 404 problem', async () => {
    assertProblem(await daemon.api('GET', '/v2/anything', { token: null }), 404);
  });
});

describe('Podman down', () => {
  it('creating a session is 503 with Retry-After, and nothing is recorded', async () => {
    const response = await daemon.api('POST', '/v1/sessions', { body: { target: 'app' } });
    assertProblem(response, 503);
    assert.equal(response.headers.get('retry-after'), '5');
    assert.doesNotMatch(response.body.detail, /ENOENT|nonexistent|socket/);
    assert.equal(sessionCount(), 0);
  });

  it('listing containers is 503; listing sessions still works from the database', async () => {
    assertProblem(await daemon.api('GET', '/v1/containers'), 503);
    const sessions = await daemon.api('GET', '/v1/sessions');
    assert.equal(sessions.status, 200);
    assert.deepEqual(sessions.body, { items: [], nextCursor: null });
  });
});

describe('pagination', () => {
  it('sessions page newest first and audit events oldest first, without gaps or repeats', async () => {
    const local = startTestDaemon({ podmanSocket: '/nonexistent/podman-debugd-test/podman.sock' });
    try {
      for (let i = 0; i < 5; i++) {
        local.ctx.sessionStore.insertCreating(
          creatingSessionRow({ id: `00000000-0000-4000-8000-00000000000${i}` }, new Date(Date.UTC(2026, 0, 1, 0, i))),
        );
        local.ctx.audit.append({ type: 'session.creating', actor: 'tester', sessionId: `00000000-0000-4000-8000-00000000000${i}`, data: { i } });
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await local.api('GET', `/v1/sessions?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(page.status, 200);
        assert.ok(page.body.items.length <= 2);
        seen.push(...page.body.items.map((s: any) => s.id.slice(-1)));
        cursor = page.body.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, ['4', '3', '2', '1', '0']);

      const events: number[] = [];
      cursor = null;
      do {
        const page: any = await local.api('GET', `/v1/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        events.push(...page.body.items.filter((e: any) => e.type === 'session.creating').map((e: any) => e.data.i));
        cursor = page.body.nextCursor;
      } while (cursor);
      assert.deepEqual(events, [0, 1, 2, 3, 4]);
      const active = await local.api('GET', '/v1/sessions?state=active&target=app&limit=500');
      assert.equal(active.body.items.length, 5);
      const ended = await local.api('GET', '/v1/sessions?state=ended');
      assert.equal(ended.body.items.length, 0);
    } finally {
      await local.close();
    }
  });
});

describe('audit export', () => {
  it('streams every event as NDJSON, oldest first, with a chain that verifies', async () => {
    const local = startTestDaemon({ podmanSocket: '/nonexistent/podman-debugd-test/podman.sock' });
    try {
      // The daemon's own first event (policy.loaded) plus 1202 more: more than one page of the export.
      for (let i = 0; i < 1202; i++) local.ctx.audit.append({ type: 'exec.completed', actor: 'tester', sessionId: 's', data: { i } });
      const response = await local.ctx.app.request('/v1/audit/export', { headers: { authorization: `Bearer ${local.token}` } });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/x-ndjson');
      const lines = (await response.text()).trimEnd().split('\n').map((l) => JSON.parse(l));
      assert.equal(lines.length, 1203);
      assert.deepEqual(lines.map((e) => e.seq), Array.from({ length: 1203 }, (_, i) => i + 1));
      const { verifyChain } = await import('../../src/audit/audit-chain.js');
      assert.deepEqual(verifyChain(lines), { ok: true, count: 1203 });
      const unauth = await local.api('GET', '/v1/audit/export', { token: null });
      assert.equal(unauth.status, 401);
    } finally {
      await local.close();
    }
  });
});

describe('internal errors', () => {
  it('a failure inside the daemon is a 500 problem with a request id, never the internal message', async () => {
    const local = startTestDaemon({ podmanSocket: '/nonexistent/podman-debugd-test/podman.sock' });
    try {
      const token = local.token;
      local.ctx.db.close(); // every query now throws "The database connection is not open"
      const response = await local.api('GET', '/v1/sessions/5b0e7c1e-0000-4000-8000-000000000000', { token });
      assertProblem(response, 500);
      assert.doesNotMatch(JSON.stringify(response.body), /database|connection|not open|stack/i);
      assert.match(response.body.detail, /request id/);
    } finally {
      await local.close();
    }
  });
});

describe('scopes: a matrix generated from the OpenAPI document', () => {
  it('every secured operation: expired token 401, wrong scope 403 naming the scope, right scope passes auth', async (t) => {
    const local = startTestDaemon({ podmanSocket: '/nonexistent/podman-debugd-test/podman.sock' });
    try {
      const document = buildOpenApiDocument() as { paths: Record<string, Record<string, { security?: Array<Record<string, string[]>> }>> };
      const expired = local.ctx.tokens.create('expired', { expiresAt: new Date(Date.now() - 1000) });
      const tokens = new Map(
        SCOPES.filter((scope) => scope !== 'admin').map((scope) => [scope, local.ctx.tokens.create(`only-${scope.replace(':', '-')}`, { scopes: [scope] })]),
      );
      let cases = 0;
      let operations = 0;
      let chatOperations = 0;
      for (const [path, methods] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries(methods)) {
          if (Array.isArray(operation.security) && operation.security.length === 0) continue; // the probes, checked above
          const scheme = Object.keys(operation.security?.[0] ?? {})[0];
          if (scheme === 'slackSignature' || scheme === 'mattermostToken') {
            // Signed by the chat platform: no bearer token of any scope opens it.
            for (const token of [expired, ...tokens.values()]) {
              const response = await local.api('POST', path, { token, raw: 'text=app', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
              assert.equal(response.status, 401, `${method} ${path}: a bearer token must not authenticate a chat route`);
            }
            chatOperations++;
            continue;
          }
          assert.equal(scheme, 'bearerAuth', `${method} ${path} declares a known security scheme`);
          const needed = operation.security?.[0]?.bearerAuth?.[0];
          assert.ok(needed, `${method} ${path} declares a scope`);
          const url = path.replace('{id}', '00000000-0000-4000-8000-000000000000');
          const body = method === 'post' ? { target: 'app', command: ['ps'] } : method === 'patch' ? { ttlSeconds: 60 } : undefined;
          const call = (token: string) => local.api(method.toUpperCase(), url, { token, body });

          operations++;
          const exp = await call(expired);
          assert.equal(exp.status, 401, `${method} ${path} with an expired token`);
          assert.match(exp.body.detail, /expired/);
          for (const [scope, token] of tokens) {
            const response = await call(token);
            if (scope === needed) {
              assert.ok(![401, 403].includes(response.status), `${method} ${path} with ${scope}: ${response.status} ${JSON.stringify(response.body)}`);
            } else {
              assert.equal(response.status, 403, `${method} ${path} with ${scope}`);
              assert.equal(response.body.requiredScope, needed);
              assert.match(response.body.detail, new RegExp(`"${needed}"`));
            }
            cases++;
          }
        }
      }
      assert.ok(operations >= 10, `${operations} bearer operations`);
      assert.equal(cases, operations * tokens.size);
      assert.equal(chatOperations, 3, 'the three chat routes are checked, not skipped');
      const denied = local.ctx.db.prepare(`SELECT COUNT(*) AS n FROM audit_events WHERE type = 'auth.denied' AND data LIKE '%missing-scope%'`).get() as { n: number };
      assert.equal(denied.n, operations * (tokens.size - 1));
      t.diagnostic(`${operations} bearer operations x ${tokens.size} single-scope tokens = ${cases} scope cases, plus ${operations} expired-token cases and ${chatOperations} chat operations x ${tokens.size + 1} bearer tokens`);
    } finally {
      await local.close();
    }
  });

  it('callers see and act on their own sessions only; admin reaches everyone\'s', async () => {
    const local = startTestDaemon({ podmanSocket: '/nonexistent/podman-debugd-test/podman.sock' });
    try {
      const alice = local.ctx.tokens.create('alice');
      const bob = local.ctx.tokens.create('bob');
      const admin = local.ctx.tokens.create('root', { scopes: ['admin'] });
      const id = '00000000-0000-4000-8000-00000000a11c';
      local.ctx.sessionStore.insertCreating(creatingSessionRow({ id, requestedBy: 'alice' }));
      assert.equal((await local.api('GET', `/v1/sessions/${id}`, { token: alice })).status, 200);
      const forbidden = await local.api('GET', `/v1/sessions/${id}`, { token: bob });
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.body.requiredScope, 'admin');
      assert.equal((await local.api('DELETE', `/v1/sessions/${id}`, { token: bob })).status, 403);
      assert.equal((await local.api('POST', `/v1/sessions/${id}/exec`, { token: bob, body: { command: ['ps'] } })).status, 403);
      assert.equal((await local.api('PATCH', `/v1/sessions/${id}`, { token: bob, body: { ttlSeconds: 30 } })).status, 403);
      assert.deepEqual((await local.api('GET', '/v1/sessions', { token: bob })).body.items, []);
      assert.deepEqual((await local.api('GET', '/v1/sessions', { token: alice })).body.items.map((s: any) => s.id), [id]);
      assert.equal((await local.api('GET', `/v1/sessions/${id}`, { token: admin })).status, 200);
      assert.deepEqual((await local.api('GET', '/v1/sessions', { token: admin })).body.items.map((s: any) => s.id), [id]);
      assert.equal(local.ctx.sessionStore.get(id)!.state, 'creating', 'nothing changed');
    } finally {
      await local.close();
    }
  });
});
