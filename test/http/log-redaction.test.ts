/**
 * Logs never carry a token. The daemon's real logger (createLogger, as `serve` builds it) writes
 * into a stream this test reads, while requests carry valid, unknown and revoked bearer tokens, and
 * tokens where they do not belong: the query string, X-Request-Id, the path, a request body that
 * ends up in an error message. No token may appear in any log line (nor in the audit trail), and the
 * lines must still say who asked what and how it ended.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { tokenCommand } from '../../src/cli/commands.js';
import { createLogger } from '../../src/log/logger.js';
import { type TestDaemon, startTestDaemon } from '../support/test-daemon.js';

const NO_PODMAN = '/nonexistent/podman-debugd-test/podman.sock';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let daemon: TestDaemon;
const lines: string[] = [];
const secrets: string[] = [];

before(() => {
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter((l) => l.trim()));
      callback();
    },
  });
  daemon = startTestDaemon({ podmanSocket: NO_PODMAN, log: createLogger('trace', sink) });
  secrets.push(daemon.token);
});
after(() => daemon.close());

const logged = () => lines.map((l) => JSON.parse(l) as Record<string, any>);
const requestLines = () => logged().filter((l) => l.msg === 'request');

/** No secret, nor the random part of one, appears in the captured log or the audit table. */
function assertNoSecretLeaked() {
  const log = lines.join('\n');
  const audit = JSON.stringify(daemon.ctx.db.prepare('SELECT * FROM audit_events').all());
  for (const secret of secrets) {
    for (const [where, text] of [['log', log], ['audit trail', audit]] as const) {
      assert.equal(text.includes(secret), false, `a token appears in the ${where}`);
      assert.equal(text.includes(secret.slice(4, 24)), false, `part of a token appears in the ${where}`);
    }
  }
}

describe('the log carries no token', () => {
  it('valid, unknown and revoked bearer tokens', async () => {
    const revoked = daemon.ctx.tokens.create('gone');
    daemon.ctx.tokens.revoke('gone');
    const unknown = `pdd_${'Z'.repeat(20)}${'q'.repeat(23)}`;
    secrets.push(revoked, unknown);

    const ok = await daemon.api('GET', '/v1/sessions');
    assert.equal(ok.status, 200);
    assert.equal((await daemon.api('GET', '/v1/sessions', { token: unknown })).status, 401);
    assert.equal((await daemon.api('GET', '/v1/sessions', { token: revoked })).status, 401);
    assert.equal((await daemon.api('GET', '/v1/sessions', { token: null, headers: { authorization: `Basic ${daemon.token}` } })).status, 401);

    const requests = requestLines();
    assert.equal(requests.length, 4);
    assert.deepEqual(
      requests.map((l) => [l.principal, l.status, l.method, l.path]),
      [
        ['tester', 200, 'GET', '/v1/sessions'],
        [null, 401, 'GET', '/v1/sessions'],
        [null, 401, 'GET', '/v1/sessions'],
        [null, 401, 'GET', '/v1/sessions'],
      ],
    );
    for (const l of requests) assert.match(l.requestId, UUID);
    assert.equal(requests[0]!.requestId, ok.headers.get('x-request-id'));
    assertNoSecretLeaked();
  });

  it('a token in the query string', async () => {
    const response = await daemon.api('GET', `/v1/sessions?state=all&token=${daemon.token}&access_token=${daemon.token}`);
    assert.equal(response.status, 200);
    const line = requestLines().at(-1)!;
    assert.equal(line.principal, 'tester');
    assert.equal(line.status, 200);
    assertNoSecretLeaked();
  });

  it('a token sent as X-Request-Id is not kept: not logged, not audited, not echoed', async () => {
    for (const id of [daemon.token, `trace.${daemon.token}`]) {
      const response = await daemon.api('GET', '/v1/sessions', { headers: { 'x-request-id': id } });
      assert.equal(response.status, 200);
      const echoed = response.headers.get('x-request-id')!;
      assert.match(echoed, UUID, 'a fresh id replaces it');
      const line = requestLines().at(-1)!;
      assert.equal(line.requestId, echoed);
      assert.equal(line.principal, 'tester');
    }
    // ... also when the request is refused (auth.denied records the request id).
    const refused = await daemon.api('GET', '/v1/sessions', { token: 'pdd_wrong-token-value-here', headers: { 'x-request-id': daemon.token } });
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('x-request-id')!, UUID);
    // An ordinary client id is still kept.
    const kept = await daemon.api('GET', '/v1/sessions', { headers: { 'x-request-id': 'client-req-0001' } });
    assert.equal(kept.headers.get('x-request-id'), 'client-req-0001');
    assert.equal(requestLines().at(-1)!.requestId, 'client-req-0001');
    assertNoSecretLeaked();
  });

  it('a token in the path', async () => {
    const response = await daemon.api('GET', `/v1/sessions/${daemon.token}`);
    assert.equal(response.status, 404);
    const line = requestLines().at(-1)!;
    assert.equal(line.status, 404);
    assert.equal(line.principal, 'tester');
    assert.equal(line.path, '/v1/sessions/pdd_[redacted]');
    // Refused requests audit their path: redacted too.
    assert.equal((await daemon.api('DELETE', `/v1/sessions/${daemon.token}`, { token: null })).status, 401);
    assertNoSecretLeaked();
  });

  it('error paths: Podman down, with the token in what Podman was asked (and so in the error)', async () => {
    const before = lines.length;
    // The target is a syntactically valid container name that happens to be the token; the
    // daemon's Podman call (and so its error message, logged at warn) names it.
    const response = await daemon.api('POST', '/v1/sessions', { body: { target: daemon.token, reason: `token ${daemon.token}` } });
    assert.equal(response.status, 503);
    const exec = await daemon.api('POST', '/v1/sessions/00000000-0000-4000-8000-000000000000/exec', {
      body: { command: ['echo', daemon.token], stdin: daemon.token },
    });
    assert.equal(exec.status, 404);
    const fresh = logged().slice(before);
    const warning = fresh.find((l) => l.level === 'warn' && l.err);
    assert.ok(warning, `a warning with the Podman error: ${JSON.stringify(fresh)}`);
    assert.equal(warning.requestId, response.headers.get('x-request-id'));
    assert.match(warning.err.message, /podman is unavailable \(GET \/containers\/pdd_\[redacted\]\/json\)/);
    const line = fresh.find((l) => l.msg === 'request' && l.status === 503)!;
    assert.equal(line.principal, 'tester');
    assertNoSecretLeaked();
  });

  it('an internal error (500) logs the error and the request id, not the token', async () => {
    const local = startTestDaemon({ podmanSocket: NO_PODMAN, log: createLogger('trace', new Writable({ write: (c, _e, cb) => (lines.push(...String(c).split('\n').filter(Boolean)), cb()) })) });
    secrets.push(local.token);
    try {
      const before = lines.length;
      local.ctx.db.close();
      const response = await local.api('GET', `/v1/sessions/${local.token}`, { headers: { 'x-request-id': local.token } });
      assert.equal(response.status, 500);
      const fresh = lines.slice(before).map((l) => JSON.parse(l));
      const error = fresh.find((l) => l.level === 'error');
      assert.ok(error, JSON.stringify(fresh));
      assert.equal(error.requestId, response.headers.get('x-request-id'));
      assert.match(error.requestId, UUID);
      assert.ok(fresh.some((l) => l.msg === 'request' && l.status === 500 && l.requestId === error.requestId));
      const log = lines.join('\n');
      for (const secret of secrets) assert.equal(log.includes(secret), false);
    } finally {
      await local.close();
    }
  });

  it('the logger itself blanks Authorization headers, token fields and token-shaped strings', () => {
    const captured: string[] = [];
    const log = createLogger('info', new Writable({ write: (c, _e, cb) => (captured.push(String(c)), cb()) }));
    const token = daemon.token;
    log.info({ token, headers: { authorization: `Bearer ${token}` }, req: { headers: { authorization: `Bearer ${token}`, cookie: 'sid=1' } } }, 'fields');
    log.info(`a message that mentions ${token} in passing`);
    log.warn({ err: new Error(`failed with ${token}`) }, 'error');
    log.info({ nested: { deeper: { note: `Bearer ${token}` } } }, 'deep');
    const text = captured.join('');
    assert.equal(captured.length, 4);
    assert.equal(text.includes(token), false, text);
    assert.equal(text.includes(token.slice(4, 24)), false);
    assert.match(text, /\[redacted\]/);
  });
});

describe('the CLI shows a new token once, on stdout only', () => {
  it('token create prints the token alone on stdout; its messages on stderr never repeat it; no logger is involved', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podman-debugd-cli-'));
    try {
      const out: string[] = [];
      const err: string[] = [];
      const io = { argv: [], env: {}, cwd: dir, uid: 0, stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };
      assert.equal(tokenCommand(['create', '--name', 'ops', '--db', join(dir, 'cli.db')], io), 0);
      const token = out.join('').trim();
      assert.match(token, /^pdd_[A-Za-z0-9_-]{43}$/);
      assert.equal(err.join('').includes(token), false);
      assert.match(err.join(''), /shown only this once/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
