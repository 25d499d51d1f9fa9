/**
 * Mattermost slash commands against a real Podman, over real HTTP: requests built as Mattermost
 * builds them (Go's sorted form encoding, Authorization: Token and the token field), a local HTTP
 * server playing the Mattermost server's response_url. Same grammar, identity and audit as Slack.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type HttpServer, listen } from '../../src/http/server.js';
import {
  type Answer,
  type MattermostUserFields,
  type ResponseServer,
  mattermostCommandBody,
  mattermostHeaders,
  send,
  startResponseServer,
  writeChatopsFile,
} from '../support/chat-platforms.js';
import { type PodmanHarness, TOOLBOX_IMAGE, startPodmanHarness } from '../support/podman-harness.js';
import { type TestDaemon, startTestDaemon } from '../support/test-daemon.js';

const TOKEN = 'okwexkjpe7ygb8eq1ww58t483w';
const TEAM = 'tsb8crrn5tgqtedpkt81b4tcya';
const CAROL: MattermostUserFields = { team_id: TEAM, user_id: 'k1x4aqdjy3813c84m771eoc9xo', user_name: 'carol' };
const STRANGER: MattermostUserFields = { team_id: 'zzzzcrrn5tgqtedpkt81b4tczz', user_id: 'aoa1agao6t8fmx3ikt1j9w5ybw', user_name: 'dave' };
const CAROL_PRINCIPAL = `mattermost:${TEAM}:${CAROL.user_id}`;

let podman: PodmanHarness;
let daemon: TestDaemon;
let server: HttpServer;
let hooks: ResponseServer;
let dir: string;
let base: string;

before(async () => {
  podman = await startPodmanHarness();
  hooks = await startResponseServer();
  dir = mkdtempSync(join(tmpdir(), 'podman-debugd-chatops-mm-'));
  const chatopsFile = writeChatopsFile(
    dir,
    {
      version: 1,
      accessHelp: 'ask ~platform-oncall',
      mattermost: { commandTokens: [{ file: 'mm-token' }], responseUrlHosts: [hooks.origin] },
      // Everyone in the team, each as their own principal.
      identities: [{ platform: 'mattermost', teamId: TEAM, userId: '*', scopes: ['sessions:read', 'sessions:write', 'exec'] }],
    },
    { 'mm-token': TOKEN },
  );
  daemon = startTestDaemon({
    podmanSocket: podman.socketPath,
    flags: { defaultImage: TOOLBOX_IMAGE },
    env: { PODMAN_DEBUGD_CHATOPS_FILE: chatopsFile },
    policy: { version: 1, rules: [{ name: 'mattermost-team', principals: [`mattermost:${TEAM}:*`], targets: { deny: [{ name: '*-db' }] }, maxLifetimeSeconds: 3600 }] },
  });
  await podman.startTarget('web');
  await podman.startTarget('billing-db');
  server = await listen(daemon.ctx.app, { kind: 'tcp', host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(server.address as { port: number }).port}`;
});

after(async () => {
  await daemon?.ctx.chatops.idle();
  await server?.close(1000);
  await daemon?.close();
  await hooks?.close();
  await podman?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function slash(user: MattermostUserFields, text: string, options: { headers?: Record<string, string>; bodyToken?: string } = {}) {
  const responseUrl = `${hooks.origin}/hooks/commands/${Math.random().toString(36).slice(2, 28)}`;
  const body = mattermostCommandBody(user, text, responseUrl, options.bodyToken ?? TOKEN);
  const answer = await send(`${base}/v1/chatops/mattermost/commands`, options.headers ?? mattermostHeaders(TOKEN), body);
  return { answer, responseUrl, body };
}

function assertAck(answer: Answer, pattern: RegExp) {
  assert.equal(answer.status, 200, answer.text);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(Object.keys(answer.json).sort(), ['response_type', 'text']);
  assert.equal(answer.json.response_type, 'ephemeral');
  assert.match(answer.json.text, pattern);
  assert.ok(answer.ms < 3000);
}

function sessionRows(): number {
  return (daemon.ctx.db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
}

describe('Mattermost: a debug session from chat', () => {
  let sessionId: string;

  it('/debug web … is answered with an explicit response_type, and the session is posted in Markdown', async (t) => {
    const { answer, responseUrl, body } = await slash(CAROL, 'web --profile restricted INC-7 @channel look');
    assertAck(answer, /^Working on it: starting a debug session on web…$/);
    const [posted] = await hooks.waitFor(responseUrl);
    t.diagnostic(`REQUEST ${body}\nANSWER ${answer.text}\nPOSTED ${JSON.stringify(posted!.body)}`);
    const session = daemon.ctx.sessions.list({ state: 'active', owner: CAROL_PRINCIPAL, beforeSeq: null, limit: 1 }).items[0]!;
    sessionId = session.id;
    assert.deepEqual(Object.keys(posted!.body).sort(), ['response_type', 'text']);
    assert.equal(posted!.body.response_type, 'ephemeral');
    const text: string = posted!.body.text;
    for (const part of ['**Debug session started on web**', '| **Target** | `web` |', `| **Sidecar** | \`${session.sidecar.name}\` |`, `\`${TOOLBOX_IMAGE}\``, '| **Profile** | restricted |', `@carol (${CAROL_PRINCIPAL})`, `\`/debug end ${session.id}\``]) {
      assert.ok(text.includes(part), `"${part}" in ${text}`);
    }
    // The reason is shown, but cannot notify the whole channel.
    assert.ok(text.includes('INC-7 @\u200bchannel look'));
    assert.equal(session.profile, 'restricted');
    assert.equal(session.requestedBy, CAROL_PRINCIPAL);
  });

  it('/debug run web -- ps: the target\'s process is PID 1 in the posted output', async () => {
    const { responseUrl } = await slash(CAROL, 'run web -- ps');
    const [posted] = await hooks.waitFor(responseUrl);
    const code = /```\n([\s\S]*?)```/.exec(posted!.body.text)?.[1] ?? '';
    assert.match(code, /^\s*1\s+\S+\s+.*\/busybox httpd -f -p 8080/m, posted!.body.text);
  });

  it('/debug list, and /debug end web', async () => {
    const list = await slash(CAROL, 'list');
    assertAck(list.answer, /Your active debug sessions/);
    assert.ok(list.answer.json.text.includes(sessionId));
    const { answer, responseUrl } = await slash(CAROL, `end ${sessionId.slice(0, 8)}`);
    assertAck(answer, /Working on it: ending the session/);
    const [posted] = await hooks.waitFor(responseUrl);
    assert.match(posted!.body.text, /\*\*Debug session on web ended\*\* by @carol; its sidecar `debug-web-[a-z0-9]{6}` is removed\./);
    assert.deepEqual(await podman.managedContainers(), []);
  });

  it('every chat action is on record with platform, team, user and channel', () => {
    const chat = { platform: 'mattermost', teamId: TEAM, userId: CAROL.user_id, userName: 'carol', channelId: 'i3bb9xfyqt8rtbyshmyhgsj16c', channelName: 'town-square' };
    const events = (daemon.ctx.db.prepare(`SELECT type, actor, data FROM audit_events WHERE session_id = ? ORDER BY seq`).all(sessionId) as any[]).map((e) => ({ ...e, data: JSON.parse(e.data) }));
    assert.deepEqual(events.map((e) => e.type), ['session.creating', 'session.created', 'exec.completed', 'session.ended']);
    for (const e of events) assert.deepEqual(e.data.chat, chat, e.type);
    const commands = (daemon.ctx.db.prepare(`SELECT data FROM audit_events WHERE type = 'chat.command' ORDER BY seq`).all() as any[]).map((e) => JSON.parse(e.data));
    assert.deepEqual(commands.map((c) => [c.command, c.outcome, c.channelName]), [
      ['create', 'accepted', 'town-square'],
      ['run', 'accepted', 'town-square'],
      ['list', 'answered', 'town-square'],
      ['end', 'accepted', 'town-square'],
    ]);
  });
});

describe('Mattermost: refusals', () => {
  it('a policy denial is posted as a clear sentence', async () => {
    const rows = sessionRows();
    const { responseUrl } = await slash(CAROL, 'billing-db');
    const [posted] = await hooks.waitFor(responseUrl);
    // Markdown-escaped: the * of the glob is shown, not taken for emphasis.
    assert.equal(posted!.body.text, 'The policy does not allow this: policy rule "mattermost-team" denies target "billing-db" (name \\*-db).');
    assert.equal(sessionRows(), rows);
  });

  it('a user of a team nobody mapped is told how to get access', async () => {
    const { answer, responseUrl } = await slash(STRANGER, 'web');
    assertAck(answer, /To get access, ask ~platform-oncall\. Give them these ids: platform mattermost, team zzzzcrrn5tgqtedpkt81b4tczz, user aoa1agao6t8fmx3ikt1j9w5ybw \(dave\)\./);
    await daemon.ctx.chatops.idle();
    assert.deepEqual(hooks.postsTo(responseUrl), []);
  });

  it('the token may come in the form or the header; a wrong, missing or conflicting token is 401 and nothing happens', async () => {
    const formOnly = await slash(CAROL, 'list', { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assertAck(formOnly.answer, /no active debug sessions/);
    const headerOnly = await slash(CAROL, 'list', { bodyToken: '' });
    assertAck(headerOnly.answer, /no active debug sessions/);

    const rows = sessionRows();
    const posts = hooks.posts.length;
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [mattermostHeaders('wrongwrongwrongwrongwrong1'), 'wrongwrongwrongwrongwrong1', /not valid/],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, '', /send the slash command token/],
      [mattermostHeaders(TOKEN), 'wrongwrongwrongwrongwrong1', /differ/],
      [{ ...mattermostHeaders(TOKEN), authorization: `Bearer ${daemon.token}` }, '', /not valid/],
    ];
    for (const [headers, bodyToken, detail] of cases) {
      const { answer } = await slash(CAROL, 'web', { headers, bodyToken });
      assert.equal(answer.status, 401, answer.text);
      assert.equal(answer.headers.get('content-type'), 'application/problem+json');
      assert.match(answer.json.detail, detail);
    }
    await daemon.ctx.chatops.idle();
    await sleep(300);
    assert.equal(sessionRows(), rows);
    assert.equal(hooks.posts.length, posts);
    assert.deepEqual(await podman.managedContainers(), []);
  });
});
