import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, describe, it } from 'node:test';
import { ChatopsConfigError, loadChatopsFile, parseChatops } from '../../src/chatops/chatops-config.js';
import { packageRoot } from '../../src/package-root.js';
import { IdentityMap } from '../../src/chatops/identity-map.js';

const dir = mkdtempSync(join(tmpdir(), 'chatops-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'slack-secret'), '8f742231b10e8888abcd99yyyzzz85a5\n');
writeFileSync(join(dir, 'mm-token'), 'okwexkjpe7ygb8eq1ww58t483w\n');
writeFileSync(join(dir, 'short'), 'abc\n');

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function problems(path: string): string[] {
  try {
    loadChatopsFile(path);
  } catch (err) {
    assert.ok(err instanceof ChatopsConfigError, String(err));
    for (const p of err.problems) assert.ok(err.message.includes(p));
    return err.problems;
  }
  assert.fail('expected ChatopsConfigError');
}

describe('the chatops file', () => {
  it('a YAML file: secrets read from their files (relative to it), defaults filled in', () => {
    const settings = loadChatopsFile(
      file(
        'ok.yaml',
        `version: 1
accessHelp: "ask in #platform-oncall"
slack:
  signingSecrets: [{ file: slack-secret }]
mattermost:
  commandTokens: [{ file: ${join(dir, 'mm-token')} }]
  responseUrlHosts: ["http://10.0.0.5:8065"]
  channelNotices: true
identities:
  - { platform: slack, teamId: T0123ABCD, userId: U0456EFGH, note: Alice (SRE) }
  - { platform: slack, teamId: T0123ABCD, userId: U0999, principal: bob, scopes: [sessions:read] }
  - { platform: mattermost, teamId: tsb8crrn5tgqtedpkt81b4tcya, userId: "*" }
`,
      ),
    );
    assert.equal(settings.slack!.signingSecrets[0]!.reveal(), '8f742231b10e8888abcd99yyyzzz85a5');
    assert.deepEqual(settings.slack!.responseUrlHosts, [{ scheme: 'https', host: 'hooks.slack.com', port: 443 }]);
    assert.equal(settings.slack!.channelNotices, false);
    assert.deepEqual(settings.mattermost!.responseUrlHosts, [{ scheme: 'http', host: '10.0.0.5', port: 8065 }]);
    assert.equal(settings.maxLifetimeSeconds, 3600);
    assert.equal(settings.accessHelp, 'ask in #platform-oncall');
    assert.ok(Object.isFrozen(settings) && Object.isFrozen(settings.identities[0]));

    const map = new IdentityMap(settings.identities);
    assert.deepEqual(map.resolve('slack', 'T0123ABCD', 'U0456EFGH')?.principal, 'slack:T0123ABCD:U0456EFGH');
    assert.deepEqual([...map.resolve('slack', 'T0123ABCD', 'U0456EFGH')!.scopes].sort(), ['audit:read', 'exec', 'sessions:read', 'sessions:write']);
    assert.deepEqual(map.resolve('slack', 'T0123ABCD', 'U0999'), { principal: 'bob', scopes: new Set(['sessions:read']) });
    assert.equal(map.resolve('slack', 'T0123ABCD', 'U0000'), null);
    assert.equal(map.resolve('mattermost', 'T0123ABCD', 'U0456EFGH'), null);
    assert.equal(map.resolve('mattermost', 'tsb8crrn5tgqtedpkt81b4tcya', 'k1x4aqdjy3813c84m771eoc9xo')?.principal, 'mattermost:tsb8crrn5tgqtedpkt81b4tcya:k1x4aqdjy3813c84m771eoc9xo');
  });

  it('secrets never show in JSON, util.inspect or strings', () => {
    const settings = loadChatopsFile(file('ok.json', JSON.stringify({ version: 1, slack: { signingSecrets: [{ file: 'slack-secret' }] }, identities: [] })));
    for (const shown of [JSON.stringify(settings), inspect(settings, { depth: 10 }), String(settings.slack!.signingSecrets[0])]) {
      assert.ok(!shown.includes('8f742231b10e8888abcd99yyyzzz85a5'), shown);
    }
  });

  it('every problem is listed at once; unknown keys are errors', () => {
    const listed = problems(
      file(
        'bad.yaml',
        `version: 1
slak: {}
slack:
  signingSecrets: [{ file: missing-file }, { file: short }, { value: inline-secret }]
  responseUrlHosts: ["hooks.slack.com:8443", "ftp://x"]
  channelNotice: true
mattermost:
  commandTokens: []
identities:
  - { platform: slack, teamId: "T 1", userId: U1 }
  - { platform: teams, teamId: T1, userId: U1 }
  - { platform: slack, teamId: T1, userId: U1, scopes: [root] }
`,
      ),
    );
    const expected = [
      /^\(chatops\): Unrecognized key: "slak"/,
      /^slack\.signingSecrets\[2\]: Unrecognized key: "value"/,
      /^slack\.responseUrlHosts\[0\]: "hooks\.slack\.com:8443" is not a host name/,
      /^slack\.responseUrlHosts\[1\]: "ftp:\/\/x": only https:\/\/ and http:\/\/ origins are allowed/,
      /^slack: Unrecognized key: "channelNotice"/,
      /^mattermost\.commandTokens: Too small/,
      /^mattermost\.responseUrlHosts: /,
      /^identities\[0\]\.teamId: must be a team id/,
      /^identities\[1\]\.platform: /,
      /^identities\[2\]\.scopes\[0\]: /,
      // Checked even though the schema failed: all problems at once.
      /^slack\.signingSecrets\[0\]\.file: cannot read .*missing-file: ENOENT$/,
      /^slack\.signingSecrets\[1\]\.file: .*short: the secret is shorter than 16 characters$/,
    ];
    for (const pattern of expected) assert.ok(listed.some((p) => pattern.test(p)), `${pattern} in ${JSON.stringify(listed, null, 1)}`);
  });

  it('cross-checks: secret files, duplicate identities, platforms without a section, "*" with a principal', () => {
    const listed = problems(
      file(
        'cross.json',
        JSON.stringify({
          version: 1,
          slack: { signingSecrets: [{ file: 'missing-file' }, { file: 'short' }] },
          identities: [
            { platform: 'slack', teamId: 'T1', userId: 'U1' },
            { platform: 'slack', teamId: 'T1', userId: 'U1', principal: 'alice' },
            { platform: 'mattermost', teamId: 'team', userId: 'user' },
            { platform: 'slack', teamId: 'T1', userId: '*', principal: 'everyone' },
          ],
        }),
      ),
    );
    assert.deepEqual(listed.map((p) => p.replace(dir, 'DIR')), [
      'identities[1]: the same platform, teamId and userId as identities[0]',
      'identities[2]: platform mattermost, but the file has no "mattermost" section',
      'identities[3]: a userId of "*" maps each user to their own principal (slack:<team>:<user>); remove "principal"',
      'slack.signingSecrets[0].file: cannot read DIR/missing-file: ENOENT',
      'slack.signingSecrets[1].file: DIR/short: the secret is shorter than 16 characters',
    ]);
  });

  it('examples/chatops.yaml is valid (its secret files stubbed)', () => {
    const source = join(packageRoot(), 'examples', 'chatops.yaml');
    const read: string[] = [];
    const settings = parseChatops(readFileSync(source, 'utf8'), { source, format: 'yaml', readSecret: (path) => (read.push(path), 'x'.repeat(32)) });
    assert.deepEqual(read, ['/etc/podman-debugd/slack-signing-secret', '/etc/podman-debugd/mattermost-command-token']);
    assert.equal(settings.identities.length, 4);
  });

  it('a file that is not there, not YAML/JSON, or configures no platform', () => {
    assert.match(problems(join(dir, 'nope.yaml'))[0]!, /cannot read/);
    assert.match(problems(file('x.toml', 'a = 1'))[0]!, /name the file \*\.yaml, \*\.yml or \*\.json/);
    assert.match(problems(file('broken.json', '{'))[0]!, /not valid JSON/);
    assert.deepEqual(problems(file('empty.json', JSON.stringify({ version: 1, identities: [] }))), ['(chatops): configure at least one of "slack" and "mattermost"']);
  });
});
