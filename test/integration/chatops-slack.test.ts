/**
 * Slack slash commands and buttons against a real Podman, over real HTTP: requests built as Slack
 * builds them (form fields, headers, v0 signature), a local HTTP server playing response_url.
 * What a chat user sees is what is asserted: the immediate answer and what gets posted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SLACK_ACTION_END, SLACK_ACTION_EXTEND } from '../../src/chatops/block-kit.js';
import { type HttpServer, listen } from '../../src/http/server.js';
import {
  type Answer,
  type ResponseServer,
  type SlackUserFields,
  blockActionsPayload,
  send,
  slackActionBody,
  slackCommandBody,
  slackHeaders,
  slackText,
  startResponseServer,
  writeChatopsFile,
} from '../support/chat-platforms.js';
import { type PodmanHarness, TOOLBOX_IMAGE, startPodmanHarness } from '../support/podman-harness.js';
import { type TestDaemon, startTestDaemon } from '../support/test-daemon.js';

const SECRET = 'slack-signing-secret-current-4f8a1c2e9b7d';
const OLD_SECRET = 'slack-signing-secret-previous-0d3e5a7c9f1b';
const ALICE: SlackUserFields = { team_id: 'T0001', user_id: 'U0001ALICE', user_name: 'alice' };
const BOB: SlackUserFields = { team_id: 'T0001', user_id: 'U0002BOB', user_name: 'bob' };
const EVE: SlackUserFields = { team_id: 'T0001', user_id: 'U0009EVE', user_name: 'eve' };
const ALICE_PRINCIPAL = 'slack:T0001:U0001ALICE';
const ACCESS_HELP = 'ask in #platform-oncall (the on-call lead maps chat users)';

let podman: PodmanHarness;
let daemon: TestDaemon;
let server: HttpServer;
let hooks: ResponseServer;
let dir: string;
let base: string;

before(async () => {
  podman = await startPodmanHarness();
  hooks = await startResponseServer();
  dir = mkdtempSync(join(tmpdir(), 'podman-debugd-chatops-slack-'));
  const chatopsFile = writeChatopsFile(
    dir,
    {
      version: 1,
      accessHelp: ACCESS_HELP,
      maxLifetime: '1h',
      slack: {
        // Two secrets: the current one and the one being rotated out.
        signingSecrets: [{ file: 'slack-secret' }, { file: 'slack-secret-old' }],
        // The test's response_url server is plain http on loopback: allowed explicitly, as an origin.
        responseUrlHosts: ['hooks.slack.com', hooks.origin],
        channelNotices: true,
      },
      identities: [
        { platform: 'slack', teamId: ALICE.team_id, userId: ALICE.user_id, note: 'Alice, SRE' },
        { platform: 'slack', teamId: BOB.team_id, userId: BOB.user_id, principal: 'bob', scopes: ['sessions:read'] },
      ],
    },
    { 'slack-secret': SECRET, 'slack-secret-old': OLD_SECRET },
  );
  daemon = startTestDaemon({
    podmanSocket: podman.socketPath,
    flags: { defaultImage: TOOLBOX_IMAGE },
    env: { PODMAN_DEBUGD_CHATOPS_FILE: chatopsFile },
    policy: {
      version: 1,
      rules: [{ name: 'chat-oncall', principals: ['slack:T0001:*', 'bob'], targets: { deny: [{ name: '*-db' }] }, maxLifetimeSeconds: 2700 }],
    },
  });
  await podman.startTarget('app');
  await podman.startTarget('orders-db');
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

/** Runs `/debug <text>` as `user`, signed with `secret`; returns the answer and the response_url used. */
async function slash(user: SlackUserFields, text: string, options: { secret?: string; timestamp?: number; responseUrl?: string } = {}) {
  const responseUrl = options.responseUrl ?? hooks.url('commands');
  const body = slackCommandBody(user, text, responseUrl);
  const headers = slackHeaders(options.secret ?? SECRET, body, options.timestamp);
  const answer = await send(`${base}/v1/chatops/slack/commands`, headers, body);
  return { answer, responseUrl, body, headers };
}

async function click(user: SlackUserFields, actionId: string, sessionId: string, options: { secret?: string } = {}) {
  const responseUrl = hooks.url('actions');
  const text = actionId === SLACK_ACTION_END ? 'End' : 'Extend (+15 min)';
  const body = slackActionBody(blockActionsPayload(user, { action_id: actionId, value: sessionId, text }, responseUrl));
  const answer = await send(`${base}/v1/chatops/slack/actions`, slackHeaders(options.secret ?? SECRET, body), body);
  return { answer, responseUrl };
}

function assertAck(answer: Answer, pattern: RegExp) {
  assert.equal(answer.status, 200, answer.text);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(answer.json.response_type, 'ephemeral');
  assert.match(slackText(answer.json), pattern);
  assert.ok(answer.ms < 3000, `acknowledged in ${Math.round(answer.ms)} ms (Slack waits 3 s)`);
}

function assertRefused(answer: Answer, detail: RegExp) {
  assert.equal(answer.status, 401, answer.text);
  assert.equal(answer.headers.get('content-type'), 'application/problem+json');
  assert.match(answer.json.detail, detail);
}

function sessionRows(): number {
  return (daemon.ctx.db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
}

function auditEvents(where = '1 = 1'): any[] {
  return (daemon.ctx.db.prepare(`SELECT * FROM audit_events WHERE ${where} ORDER BY seq`).all() as any[]).map((e) => ({ ...e, data: JSON.parse(e.data) }));
}

/** The code block of a posted output message, with Slack's escapes undone. */
function codeOf(message: any, label = 'stdout'): string {
  const block = message.blocks.find((b: any) => b.text?.text?.startsWith(`*${label}*`));
  assert.ok(block, `a ${label} block in ${JSON.stringify(message)}`);
  const match = /```([\s\S]*)```/.exec(block.text.text);
  assert.ok(match, block.text.text);
  return match[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Nothing arrives at `url` for a while. */
async function assertNoPost(url: string) {
  await daemon.ctx.chatops.idle();
  await sleep(300);
  assert.deepEqual(hooks.postsTo(url), [], 'nothing posted');
}

describe('Slack: a debug session from chat', () => {
  let sessionId: string;

  it('/debug app … is acknowledged at once; the session, and an in-channel notice, are posted to response_url', async (t) => {
    const { answer, responseUrl, body, headers } = await slash(ALICE, 'app --ttl 10m INC-42: checkout returns 500s');
    assertAck(answer, /Working on it: starting a debug session on app/);
    const [created, notice] = await hooks.waitFor(responseUrl, 2);

    t.diagnostic(`REQUEST POST /v1/chatops/slack/commands\n${JSON.stringify(headers, null, 1)}\n${body}`);
    t.diagnostic(`IMMEDIATE ANSWER ${answer.status} in ${Math.round(answer.ms)} ms: ${answer.text}`);
    t.diagnostic(`POSTED TO response_url: ${JSON.stringify(created!.body, null, 1)}`);
    t.diagnostic(`POSTED TO response_url: ${JSON.stringify(notice!.body)}`);

    assert.equal(created!.headers['content-type'], 'application/json; charset=utf-8');
    const message = created!.body;
    assert.equal(message.response_type, 'ephemeral');
    const text = slackText(message);
    const session = daemon.ctx.sessions.list({ state: 'active', owner: ALICE_PRINCIPAL, beforeSeq: null, limit: 5 }).items[0]!;
    sessionId = session.id;
    for (const part of [
      'Debug session started on app',
      '`app`',
      `\`${session.sidecar.name}\``,
      `\`${TOOLBOX_IMAGE}\``,
      'general',
      '<@U0001ALICE>',
      ALICE_PRINCIPAL,
      'INC-42: checkout returns 500s',
      `<!date^${Math.floor(Date.parse(session.expiresAt) / 1000)}^`,
    ]) {
      assert.ok(text.includes(part), `"${part}" in ${text}`);
    }
    const buttons = message.blocks.find((b: any) => b.type === 'actions').elements;
    assert.deepEqual(buttons.map((b: any) => [b.action_id, b.text.text, b.value]), [
      [SLACK_ACTION_END, 'End', session.id],
      [SLACK_ACTION_EXTEND, 'Extend (+15 min)', session.id],
    ]);
    assert.equal(notice!.body.response_type, 'in_channel');
    assert.match(slackText(notice!.body), /<@U0001ALICE> started a debug session on `app` \(profile general, until <!date\^\d+\^.*\): INC-42: checkout returns 500s/);

    // The session is the mapped principal's, with the policy's rule, a 10 minute lease and room to
    // extend: chat asks for 1 h, the rule allows 45 min, so 45 min it is (fitted, not refused).
    assert.equal(session.requestedBy, ALICE_PRINCIPAL);
    assert.equal(Date.parse(session.expiresAt) - Date.parse(session.createdAt), 600_000);
    assert.equal(session.maxLifetimeSeconds, 2700);
    assert.deepEqual(await podman.managedContainers(), [session.sidecar.name]);
  });

  it('the audit trail names the human: platform, team, user id, user name and channel', () => {
    const chat = { platform: 'slack', teamId: 'T0001', userId: 'U0001ALICE', userName: 'alice', channelId: 'C2147483705', channelName: 'incident-42' };
    const events = auditEvents(`session_id = '${sessionId}'`);
    assert.deepEqual(events.map((e) => e.type), ['session.creating', 'session.created']);
    for (const e of events) {
      assert.equal(e.actor, ALICE_PRINCIPAL);
      assert.deepEqual(e.data.chat, chat);
    }
    assert.equal(events[0].data.policyRule, 'chat-oncall');
    const command = auditEvents(`type = 'chat.command' AND request_id = '${events[0].request_id}'`);
    assert.equal(command.length, 1);
    assert.deepEqual(command[0].data, { ...chat, command: 'create', text: 'app --ttl 10m INC-42: checkout returns 500s', outcome: 'accepted' });
  });

  it('the session is counted as created from Slack in the metrics', async () => {
    const { body } = await daemon.ctx.metrics.scrape();
    assert.match(body, /^podman_debugd_sessions_created_total\{outcome="created",profile="general",source="slack"\} 1$/m);
  });

  it('/debug run app -- ps: the posted output shows the target\'s process as PID 1', async (t) => {
    const { answer, responseUrl } = await slash(ALICE, 'run app -- ps');
    assertAck(answer, /Working on it: running ps/);
    const [posted] = await hooks.waitFor(responseUrl);
    t.diagnostic(`POSTED TO response_url: ${JSON.stringify(posted!.body, null, 1)}`);
    const stdout = codeOf(posted!.body);
    assert.match(stdout, /^\s*1\s+\S+\s+.*\/busybox httpd -f -p 8080/m, stdout);
    assert.match(slackText(posted!.body), /`ps` on app exited 0 in \d+ ms/);
    const exec = auditEvents(`type = 'exec.completed' AND session_id = '${sessionId}'`).at(-1);
    assert.deepEqual(exec.data.argv, ['ps']);
    assert.equal(exec.data.chat.userName, 'alice');
  });

  it('arguments are split with quotes respected and no shell; Slack\'s &lt; &gt; &amp; arrive as typed', async () => {
    const { responseUrl } = await slash(ALICE, `run app -- echo 'two  spaces' "<b>&</b>" $HOME '|' id`);
    const [posted] = await hooks.waitFor(responseUrl);
    assert.equal(codeOf(posted!.body), 'two  spaces <b>&</b> $HOME | id\n');
    // In the message itself they are escaped again, so Slack shows them and cannot read them as markup.
    assert.ok(JSON.stringify(posted!.body).includes('&lt;b&gt;&amp;&lt;/b&gt;'));
  });

  it('long output is cut to Slack\'s limits, with a note saying so', async () => {
    const { responseUrl } = await slash(ALICE, 'run app -- seq 1 20000');
    const [posted] = await hooks.waitFor(responseUrl);
    for (const block of posted!.body.blocks) if (block.text) assert.ok(block.text.text.length <= 3000, `${block.text.text.length}`);
    assert.ok(posted!.body.blocks.length <= 50);
    const stdout = codeOf(posted!.body);
    assert.match(stdout, /^1\n2\n3\n/);
    assert.match(slackText(posted!.body), /Output cut to fit Slack: showing the first [\d,]+ of 108,894 characters\./);
  });

  it('a failing command is not an error: its exit code and stderr are shown', async () => {
    const { responseUrl } = await slash(ALICE, 'run app -- ls /no/such/dir');
    const [posted] = await hooks.waitFor(responseUrl);
    assert.match(slackText(posted!.body), /`ls \/no\/such\/dir` on app exited [1-9]\d* in/);
    assert.match(codeOf(posted!.body, 'stderr'), /No such file or directory/);
  });

  it('the Extend button moves the lease 15 minutes on and updates the message', async (t) => {
    const before = daemon.ctx.sessions.get(sessionId);
    const { answer, responseUrl } = await click(ALICE, SLACK_ACTION_EXTEND, sessionId);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.text, '');
    assert.ok(answer.ms < 3000);
    const [posted] = await hooks.waitFor(responseUrl);
    t.diagnostic(`POSTED TO response_url after Extend: ${JSON.stringify(posted!.body).slice(0, 400)}…`);
    assert.equal(posted!.body.replace_original, true);
    assert.match(slackText(posted!.body), /Debug session on app extended\* until <!date\^/);
    const after = daemon.ctx.sessions.get(sessionId);
    const moved = Date.parse(after.expiresAt) - Date.parse(before.expiresAt);
    assert.ok(moved > 890_000 && moved <= 900_000, `lease moved ${moved} ms`);
    const extended = auditEvents(`type = 'session.extended' AND session_id = '${sessionId}'`);
    assert.equal(extended.length, 1);
    assert.equal(extended[0].data.chat.userId, 'U0001ALICE');
  });

  it('/debug list shows the caller\'s active sessions at once', async () => {
    const { answer, responseUrl } = await slash(ALICE, 'list');
    assertAck(answer, /Your active debug sessions/);
    assert.ok(slackText(answer.json).includes(sessionId));
    await assertNoPost(responseUrl);
  });

  it('the End button removes the sidecar, updates the message and tells the channel', async () => {
    const sidecar = daemon.ctx.sessions.get(sessionId).sidecar.name;
    const { answer, responseUrl } = await click(ALICE, SLACK_ACTION_END, sessionId);
    assert.equal(answer.status, 200);
    const [ended, notice] = await hooks.waitFor(responseUrl, 2);
    assert.equal(ended!.body.replace_original, true);
    assert.match(slackText(ended!.body), new RegExp(`Debug session on app ended\\* by <@U0001ALICE>; its sidecar \`${sidecar}\` is removed`));
    assert.equal(notice!.body.response_type, 'in_channel');
    assert.match(slackText(notice!.body), /<@U0001ALICE> ended the debug session on `app`/);
    assert.equal(daemon.ctx.sessions.get(sessionId).endReason, 'ended-by-user');
    assert.deepEqual(await podman.managedContainers(), []);
  });

  it('/debug end <target> and /debug run on a target without a session', async () => {
    const started = await slash(ALICE, 'app');
    await hooks.waitFor(started.responseUrl, 2);
    const end = await slash(ALICE, 'end app');
    assertAck(end.answer, /Working on it: ending the session on app/);
    const [ended] = await hooks.waitFor(end.responseUrl);
    assert.match(slackText(ended!.body), /Debug session on app ended/);
    assert.deepEqual(await podman.managedContainers(), []);
    const run = await slash(ALICE, 'run app -- ps');
    const [none] = await hooks.waitFor(run.responseUrl);
    assert.match(slackText(none!.body), /You have no active debug session on app\. Start one with \/debug app\./);
  });
});

describe('Slack: refusals', () => {
  it('a policy denial is posted as a clear sentence, and nothing is created', async () => {
    const rows = sessionRows();
    const { answer, responseUrl } = await slash(ALICE, 'orders-db customers cannot pay');
    assertAck(answer, /Working on it/);
    const [posted] = await hooks.waitFor(responseUrl);
    assert.equal(slackText(posted!.body).split('\n')[0], 'The policy does not allow this: policy rule "chat-oncall" denies target "orders-db" (name *-db).');
    assert.equal(sessionRows(), rows);
    assert.deepEqual(await podman.managedContainers(), []);
    const denial = auditEvents(`type = 'policy.denied'`).at(-1);
    assert.equal(denial.actor, ALICE_PRINCIPAL);
    assert.equal(denial.data.chat.channelName, 'incident-42');
  });

  it('an unmapped user is told how to get access and which ids to give; nothing happens', async () => {
    const rows = sessionRows();
    const { answer, responseUrl } = await slash(EVE, 'app');
    assertAck(answer, /I don't know who you are/);
    assert.equal(
      slackText(answer.json).split('\n')[0],
      `I don't know who you are on this host yet, so I can't debug anything for you. To get access, ${ACCESS_HELP}. ` +
        'Give them these ids: platform slack, team T0001, user U0009EVE (eve).',
    );
    await assertNoPost(responseUrl);
    assert.equal(sessionRows(), rows);
    const recorded = auditEvents(`type = 'chat.command'`).at(-1);
    assert.equal(recorded.actor, null);
    assert.equal(recorded.data.outcome, 'unmapped');
    assert.equal(recorded.data.userId, 'U0009EVE');
  });

  it('a mapped user without the scope is told which scope is missing; reading still works', async () => {
    const { answer, responseUrl } = await slash(BOB, 'app');
    assertAck(answer, /You are mapped to bob, which lacks the scope "sessions:write" that this needs/);
    await assertNoPost(responseUrl);
    const list = await slash(BOB, 'list');
    assertAck(list.answer, /You have no active debug sessions/);
    const click1 = await click(BOB, SLACK_ACTION_END, '00000000-0000-4000-8000-000000000000');
    const [refusal] = await hooks.waitFor(click1.responseUrl);
    assert.match(slackText(refusal!.body), /lacks the scope "sessions:write"/);
  });

  it('help, and help with a sentence for a malformed command', async () => {
    const help = await slash(ALICE, '');
    assertAck(help.answer, /How to use it/);
    assert.ok(slackText(help.answer.json).includes('`/debug run &lt;session|target&gt; -- &lt;command …&gt;`'));
    const wrong = await slash(ALICE, 'run app ps aux');
    assert.equal(wrong.answer.json.blocks[0].text.text, 'Put -- between the session and the command, for example: /debug run app -- ps aux. Everything after -- is passed as it is, without a shell.');
    assert.match(slackText(wrong.answer.json), /How to use it/);
  });

  it('a response_url on a host that is not allowed: nothing is done, and the user is told', async () => {
    const rows = sessionRows();
    const { answer } = await slash(ALICE, 'app', { responseUrl: 'https://hooks.evil.example/commands/T0001/1/x' });
    assertAck(answer, /Nothing was done: podman-debugd may not answer to this command's response_url \(host hooks\.evil\.example\)/);
    await daemon.ctx.chatops.idle();
    assert.equal(sessionRows(), rows);
  });

  describe('forged, expired and replayed requests: 401, and nothing changes', () => {
    let state: { rows: number; chat: number; posts: number };
    const snapshot = () => ({ rows: sessionRows(), chat: auditEvents(`type = 'chat.command'`).length, posts: hooks.posts.length });
    const assertNothingChanged = async () => {
      await daemon.ctx.chatops.idle();
      await sleep(300);
      assert.deepEqual(snapshot(), state);
      assert.deepEqual(await podman.managedContainers(), []);
    };

    it('a wrong signing secret', async () => {
      state = snapshot();
      const { answer } = await slash(ALICE, 'app', { secret: 'not-the-signing-secret-at-all-1234' });
      assertRefused(answer, /the Slack signature does not match the request/);
      await assertNothingChanged();
    });

    it('a body changed after signing', async () => {
      state = snapshot();
      const responseUrl = hooks.url();
      const signed = slackCommandBody(ALICE, 'list', responseUrl);
      const headers = slackHeaders(SECRET, signed);
      const answer = await send(`${base}/v1/chatops/slack/commands`, headers, signed.replace('text=list', 'text=app'));
      assertRefused(answer, /does not match/);
      await assertNothingChanged();
    });

    it('no signature at all, and a bearer token instead', async () => {
      state = snapshot();
      const body = slackCommandBody(ALICE, 'app', hooks.url());
      const answer = await send(`${base}/v1/chatops/slack/commands`, { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${daemon.token}` }, body);
      assertRefused(answer, /send X-Slack-Request-Timestamp and X-Slack-Signature/);
      await assertNothingChanged();
    });

    it('a timestamp more than 300 s old (correctly signed)', async () => {
      state = snapshot();
      const { answer } = await slash(ALICE, 'app', { timestamp: Math.floor(Date.now() / 1000) - 301 });
      assertRefused(answer, /more than 300 s away from now/);
      await assertNothingChanged();
    });

    it('a replayed request: the second delivery is refused and creates nothing more', async () => {
      const responseUrl = hooks.url();
      const body = slackCommandBody(ALICE, 'app replay test', responseUrl);
      const headers = slackHeaders(SECRET, body);
      const first = await send(`${base}/v1/chatops/slack/commands`, headers, body);
      assert.equal(first.status, 200);
      await hooks.waitFor(responseUrl, 2);
      state = snapshot();
      const again = await send(`${base}/v1/chatops/slack/commands`, headers, body);
      assertRefused(again, /already received once/);
      await daemon.ctx.chatops.idle();
      await sleep(300);
      assert.deepEqual(snapshot(), state);
      assert.equal(hooks.postsTo(responseUrl).length, 2);
      // Clean up the one session the first delivery made.
      const end = await slash(ALICE, 'end app');
      await hooks.waitFor(end.responseUrl, 2);
    });

    it('a forged button click changes no session', async () => {
      const started = await slash(ALICE, 'app');
      await hooks.waitFor(started.responseUrl, 2);
      const session = daemon.ctx.sessions.list({ state: 'active', owner: ALICE_PRINCIPAL, beforeSeq: null, limit: 1 }).items[0]!;
      state = snapshot();
      const { answer } = await click(ALICE, SLACK_ACTION_END, session.id, { secret: 'not-the-signing-secret-at-all-1234' });
      assertRefused(answer, /does not match/);
      await daemon.ctx.chatops.idle();
      assert.equal(daemon.ctx.sessions.get(session.id).state, 'active');
      assert.deepEqual(snapshot(), state);
      const ended = await click(ALICE, SLACK_ACTION_END, session.id);
      await hooks.waitFor(ended.responseUrl, 2);
    });

    it('refusals are audited as auth.denied, without the signature', () => {
      const denied = auditEvents(`type = 'auth.denied'`);
      const reasons = new Set(denied.map((e) => e.data.reason));
      for (const r of ['signature-mismatch', 'signature-missing', 'signature-stale', 'signature-replayed']) assert.ok(reasons.has(r), `${r} in ${[...reasons]}`);
      assert.ok(!JSON.stringify(denied).includes('v0='));
    });
  });

  it('the previous signing secret still works during a rotation', async () => {
    const { answer } = await slash(ALICE, 'list', { secret: OLD_SECRET });
    assertAck(answer, /You have no active debug sessions/);
  });
});
