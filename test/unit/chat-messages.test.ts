import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SLACK_ACTION_END, SLACK_ACTION_EXTEND, SLACK_LIMITS, slackEscape, slackResponse } from '../../src/chatops/block-kit.js';
import { commandOutputMessage, sessionListMessage, sessionStartedMessage } from '../../src/chatops/chat-message.js';
import { MATTERMOST_POST_MAX, mattermostResponse } from '../../src/chatops/mattermost-markdown.js';
import { fitOutput } from '../../src/chatops/output-fit.js';
import type { Session } from '../../src/sessions/session.js';

const session: Session = {
  id: '0b0ba3b6-8a3e-4d3c-9c7a-1f7c0b9d2e11',
  state: 'active',
  target: { id: 'f'.repeat(64), name: 'app', image: 'localhost/app:latest' },
  sidecar: { id: 'e'.repeat(64), name: 'debug-app-x1y2z3', image: 'localhost/toolbox:latest' },
  requestedBy: 'slack:T0001:U0001',
  reason: 'INC-42 <!channel> & friends',
  createdAt: '2026-01-01T10:00:00.000Z',
  expiresAt: '2026-01-01T10:15:00.000Z',
  hardExpiresAt: '2026-01-01T11:00:00.000Z',
  maxLifetimeSeconds: 3600,
  profile: 'general',
  endedAt: null,
  endReason: null,
  attachCommand: 'podman exec -it debug-app-x1y2z3 sh',
};
const user = { userId: 'U0001', userName: 'alice' };
const exec = (stdout: string, extra: Partial<{ stderr: string; stdoutTruncated: boolean }> = {}) => ({
  exitCode: 0,
  stdout,
  stderr: extra.stderr ?? '',
  stdoutTruncated: extra.stdoutTruncated ?? false,
  stderrTruncated: false,
  durationMs: 12,
});

function sectionTexts(blocks: any[]): string[] {
  return blocks.flatMap((b) => [b.text?.text, ...(b.fields ?? []).map((f: any) => f.text), ...(b.elements ?? []).map((e: any) => e.text?.text ?? e.text)]).filter((t) => typeof t === 'string');
}

describe('fitting output', () => {
  it('leaves output that fits alone', () => {
    assert.deepEqual(fitOutput('hello\n', 100), { body: 'hello\n', cut: false, shownChars: 6, totalChars: 6 });
  });

  it('counts the escaped text against the budget and never splits an escape', () => {
    const fitted = fitOutput('<'.repeat(100), 50, slackEscape);
    assert.ok(fitted.body.length <= 50);
    assert.match(fitted.body, /^(&lt;)+$/);
    assert.equal(fitted.shownChars, 12);
    assert.equal(fitted.cut, true);
  });

  it('never splits a surrogate pair, and cuts at a line end when one is near', () => {
    const emoji = fitOutput('😀'.repeat(10), 5);
    assert.equal(emoji.body, '😀😀');
    const lines = fitOutput(`${'a'.repeat(90)}\n${'b'.repeat(50)}`, 100);
    assert.equal(lines.body, `${'a'.repeat(90)}\n`);
  });

  it('breaks up ``` so output cannot close its code block', () => {
    assert.doesNotMatch(fitOutput('x ``` y', 100).body, /```/);
  });
});

describe('Slack Block Kit messages', () => {
  it('session started: target, sidecar, image, profile, expiry, who and why, End and Extend buttons', () => {
    const message = slackResponse(sessionStartedMessage(session, user));
    assert.equal(message.response_type, 'ephemeral');
    const text = sectionTexts(message.blocks).join('\n');
    for (const part of ['`app`', '`debug-app-x1y2z3`', '`localhost/toolbox:latest`', 'general', '<@U0001>', 'slack:T0001:U0001', '<!date^1767262500^']) {
      assert.ok(text.includes(part), `${part} in ${text}`);
    }
    // User input is escaped: a reason cannot ping the channel.
    assert.ok(text.includes('INC-42 &lt;!channel&gt; &amp; friends'));
    assert.ok(!text.includes('<!channel>'));
    const actions = message.blocks.find((b) => b.type === 'actions') as any;
    assert.deepEqual(actions.elements.map((e: any) => [e.action_id, e.text.text, e.value]), [
      [SLACK_ACTION_END, 'End', session.id],
      [SLACK_ACTION_EXTEND, 'Extend (+15 min)', session.id],
    ]);
  });

  it('command output in a code block, cut to the section limit with a note saying so', () => {
    const stdout = Array.from({ length: 2000 }, (_, i) => `line ${i} <x>`).join('\n');
    const message = slackResponse(commandOutputMessage(session, ['seq', '2000'], exec(stdout, { stdoutTruncated: true }), 30));
    for (const text of sectionTexts(message.blocks)) assert.ok(text.length <= SLACK_LIMITS.sectionText, `${text.length} chars`);
    const code = message.blocks.map((b: any) => b.text?.text ?? '').find((t: string) => t.includes('```'))!;
    assert.match(code, /^\*stdout\*\n```line 0 &lt;x&gt;\nline 1/);
    assert.match(code, /```$/);
    const notes = sectionTexts(message.blocks).join('\n');
    assert.match(notes, /Output cut to fit Slack: showing the first [\d,]+ of 26,889 characters\./);
    assert.match(notes, /PODMAN_DEBUGD_MAX_OUTPUT_BYTES/);
  });

  it('stdout and stderr together stay under the per-message output budget', () => {
    const big = 'x'.repeat(20_000);
    const message = slackResponse(commandOutputMessage(session, ['cat'], exec(big, { stderr: big }), 30));
    const total = sectionTexts(message.blocks).reduce((n, t) => n + t.length, 0);
    assert.ok(total < SLACK_LIMITS.outputPerMessage + 1500, `${total}`);
    assert.equal(message.blocks.filter((b: any) => b.text?.text?.includes('```')).length, 2);
  });

  it('no output is said, not shown as an empty code block', () => {
    const message = slackResponse(commandOutputMessage(session, ['true'], exec(''), 30));
    assert.ok(sectionTexts(message.blocks).some((t) => t.includes('_(no output)_')));
  });

  it('never more than 50 blocks', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ ...session, id: `${i}`.padStart(8, '0') + session.id.slice(8) }));
    const message = slackResponse(sessionListMessage(many, true, false));
    assert.equal(message.blocks.length, SLACK_LIMITS.blocksPerMessage);
    assert.match(JSON.stringify(message.blocks.at(-1)), /did not fit in one Slack message/);
  });
});

describe('Mattermost Markdown messages', () => {
  it('explicit response_type, output in a fenced block, cut to the post limit', () => {
    const message = mattermostResponse(commandOutputMessage(session, ['seq', '100000'], exec('9\n'.repeat(20_000)), 30));
    assert.equal(message.response_type, 'ephemeral');
    assert.ok(message.text.length <= MATTERMOST_POST_MAX);
    assert.match(message.text, /\*\*stdout\*\*\n```\n9\n9\n/);
    assert.match(message.text, /Output cut to fit Mattermost/);
  });

  it('user input cannot notify a channel or break the Markdown', () => {
    const message = mattermostResponse(sessionStartedMessage({ ...session, reason: '@channel look *here*' }, { userId: 'x', userName: 'alice' }));
    assert.ok(!message.text.includes('@channel'));
    assert.ok(message.text.includes('@alice'));
    assert.ok(message.text.includes('\\*here\\*'));
  });
});
