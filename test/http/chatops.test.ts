/**
 * The chat routes' HTTP contract through app.request(), with no Podman behind them: what is
 * refused before anything happens (signature, token, content type, shape), what is answered at
 * once (help, list, unmapped users), and that bearer auth still guards everything else.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SLACK_ACTION_EXTEND } from '../../src/chatops/block-kit.js';
import { blockActionsPayload, mattermostCommandBody, mattermostHeaders, slackActionBody, slackCommandBody, slackHeaders, writeChatopsFile } from '../support/chat-platforms.js';
import { type TestDaemon, startTestDaemon } from '../support/test-daemon.js';

const SECRET = 'slack-signing-secret-http-tests-0001';
const TOKEN = 'mattermost-command-token-0001';
const ALICE = { team_id: 'T0001', user_id: 'U0001ALICE', user_name: 'alice' };
const RESPONSE_URL = 'https://hooks.slack.com/commands/T0001/1/abc';

let daemon: TestDaemon;
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'podman-debugd-chatops-http-'));
  const file = writeChatopsFile(
    dir,
    {
      version: 1,
      slack: { signingSecrets: [{ file: 'slack' }] },
      mattermost: { commandTokens: [{ file: 'mm' }], responseUrlHosts: ['https://chat.example.com'] },
      identities: [{ platform: 'slack', teamId: 'T0001', userId: 'U0001ALICE' }],
    },
    { slack: SECRET, mm: TOKEN },
  );
  daemon = startTestDaemon({ podmanSocket: '/nonexistent/podman-debugd-test/podman.sock', env: { PODMAN_DEBUGD_CHATOPS_FILE: file, PODMAN_DEBUGD_BODY_LIMIT_BYTES: '4096' } });
});
after(async () => {
  await daemon.ctx.chatops.idle();
  await daemon.close();
  rmSync(dir, { recursive: true, force: true });
});

function post(path: string, headers: Record<string, string>, raw: string) {
  return daemon.api('POST', path, { token: null, headers, raw });
}

function slack(text: string, extra: Record<string, string> = {}) {
  const body = slackCommandBody(ALICE, text, RESPONSE_URL);
  return post('/v1/chatops/slack/commands', { ...slackHeaders(SECRET, body), ...extra }, body);
}

function counts() {
  const n = (sql: string) => (daemon.ctx.db.prepare(sql).get() as { n: number }).n;
  return { sessions: n('SELECT COUNT(*) AS n FROM sessions'), chat: n(`SELECT COUNT(*) AS n FROM audit_events WHERE type = 'chat.command'`) };
}

describe('chat routes over HTTP', () => {
  it('help and list are answered at once, as Slack wants them (JSON, ephemeral)', async () => {
    const help = await slack('help');
    assert.equal(help.status, 200);
    assert.equal(help.body.response_type, 'ephemeral');
    assert.match(JSON.stringify(help.body.blocks), /How to use it/);
    const list = await slack('list');
    assert.equal(list.status, 200);
    assert.match(list.body.text, /You have no active debug sessions/);
  });

  it('a signed request that is not a form is 415; a form without the user is 400; nothing is recorded', async () => {
    const before = counts();
    const body = 'text=app';
    const notForm = await post('/v1/chatops/slack/commands', { ...slackHeaders(SECRET, body), 'content-type': 'text/plain' }, body);
    assert.equal(notForm.status, 415);
    // (The same signed bytes again would be a replay: another body.)
    const noUser = await post('/v1/chatops/slack/commands', slackHeaders(SECRET, 'text=app2'), 'text=app2');
    assert.equal(noUser.status, 400);
    assert.match(noUser.body.detail, /invalid slack request: team_id/);
    const badPayload = 'payload=%7Bnot+json';
    assert.equal((await post('/v1/chatops/slack/actions', slackHeaders(SECRET, badPayload), badPayload)).status, 400);
    assert.deepEqual(counts(), before);
  });

  it('Slack\'s certificate check (ssl_check=1) is answered 200', async () => {
    const body = 'token=gIkuvaNzQIHg97ATvDxqgjtO&ssl_check=1';
    const response = await post('/v1/chatops/slack/commands', slackHeaders(SECRET, body), body);
    assert.equal(response.status, 200);
  });

  it('a body over the limit is 413 before any signature work', async () => {
    const body = slackCommandBody(ALICE, `app ${'x'.repeat(5000)}`, RESPONSE_URL);
    const response = await post('/v1/chatops/slack/commands', slackHeaders(SECRET, body), body);
    assert.equal(response.status, 413);
  });

  it('a button click is acknowledged with an empty 200', async () => {
    const body = slackActionBody(blockActionsPayload(ALICE, { action_id: SLACK_ACTION_EXTEND, value: '00000000-0000-4000-8000-000000000000', text: 'Extend' }, 'https://hooks.slack.com/actions/T0001/1/x'));
    const response = await daemon.ctx.app.request('/v1/chatops/slack/actions', { method: 'POST', headers: slackHeaders(SECRET, body), body });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '');
  });

  it('Mattermost: the answer names its response_type; a Slack signature does not open the Mattermost route', async () => {
    const body = mattermostCommandBody({ team_id: 'teamteamteamteamteamteam01', user_id: 'useruseruseruseruseruser01', user_name: 'x' }, 'help', 'https://chat.example.com/hooks/commands/x', TOKEN);
    const ok = await post('/v1/chatops/mattermost/commands', mattermostHeaders(TOKEN), body);
    assert.equal(ok.status, 200);
    assert.deepEqual(Object.keys(ok.body).sort(), ['response_type', 'text']);
    assert.equal(ok.body.response_type, 'ephemeral');
    const slackSigned = await post('/v1/chatops/mattermost/commands', slackHeaders(SECRET, 'text=help'), 'text=help');
    assert.equal(slackSigned.status, 401);
  });

  it('only POST to exactly these paths skips bearer auth; everything else under /v1 still needs a token', async () => {
    for (const [method, path] of [
      ['GET', '/v1/chatops/slack/commands'],
      ['POST', '/v1/chatops/slack/commands/'],
      ['POST', '/v1/chatops/slack'],
      ['POST', '/v1/chatops/teams/commands'],
      ['GET', '/v1/sessions'],
    ] as const) {
      const response = await daemon.api(method, path, { token: null });
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.match(response.body.detail, /Authorization: Bearer/, `${method} ${path}`);
    }
  });
});
