/**
 * The configured caps on commands (argument count, total argument bytes, stdin bytes): refused as
 * 400 naming the field, before anything else happens (no Podman call, no audit event).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestDaemon, startTestDaemon } from '../support/test-daemon.js';

const NO_PODMAN = '/nonexistent/podman-debugd-test/podman.sock';
const SESSION = '/v1/sessions/00000000-0000-4000-8000-000000000000/exec';

let daemon: TestDaemon;
before(() => {
  daemon = startTestDaemon({
    podmanSocket: NO_PODMAN,
    env: { PODMAN_DEBUGD_MAX_COMMAND_ARGS: '3', PODMAN_DEBUGD_MAX_COMMAND_BYTES: '20', PODMAN_DEBUGD_MAX_STDIN_BYTES: '10' },
  });
});
after(() => daemon.close());

const auditCount = () => (daemon.ctx.db.prepare('SELECT COUNT(*) AS n FROM audit_events').get() as { n: number }).n;

describe('command limits', () => {
  const refused: Array<{ name: string; path: string; body: unknown; field: string; pattern: RegExp }> = [
    { name: 'exec with too many arguments', path: SESSION, body: { command: ['a', 'b', 'c', 'd'] }, field: 'command', pattern: /at most 3 arguments/ },
    { name: 'exec with too many bytes', path: SESSION, body: { command: ['echo', 'x'.repeat(17)] }, field: 'command', pattern: /at most 20 bytes .* not 21/ },
    { name: 'exec with multi-byte arguments over the cap', path: SESSION, body: { command: ['é'.repeat(11)] }, field: 'command', pattern: /not 22/ },
    { name: 'exec with too much stdin (bytes, not characters)', path: SESSION, body: { command: ['cat'], stdin: 'é'.repeat(6) }, field: 'stdin', pattern: /at most 10 bytes .* not 12/ },
    { name: 'session with a sidecar command of too many arguments', path: '/v1/sessions', body: { target: 'app', command: ['sleep', '1', '2', '3'] }, field: 'command', pattern: /at most 3/ },
    { name: 'exec above the hard ceiling of the schema', path: SESSION, body: { command: Array(1025).fill('x') }, field: 'command', pattern: /command/ },
  ];
  for (const c of refused) {
    it(`${c.name} -> 400`, async () => {
      const auditBefore = auditCount();
      const response = await daemon.api('POST', c.path, { body: c.body });
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
      assert.ok(response.body.errors.some((e: any) => e.field === c.field), JSON.stringify(response.body));
      assert.match(response.body.detail, c.pattern);
      assert.equal(auditCount(), auditBefore, 'nothing recorded');
    });
  }

  it('within the caps the request goes on (here: to 404 for an unknown session, 503 for Podman down)', async () => {
    assert.equal((await daemon.api('POST', SESSION, { body: { command: ['echo', 'x'.repeat(16)], stdin: 'é'.repeat(5) } })).status, 404);
    assert.equal((await daemon.api('POST', '/v1/sessions', { body: { target: 'app', command: ['sleep', '60'] } })).status, 503);
  });
});
