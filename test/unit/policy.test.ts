import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type SessionRequest, decide } from '../../src/policy/decide.js';
import { compileGlob } from '../../src/policy/glob.js';
import { loadPolicyFile, parsePolicy } from '../../src/policy/load-policy.js';
import type { Policy } from '../../src/policy/policy.js';
import { builtInPolicy } from '../../src/policy/policy.js';

const DEFAULT_IMAGE = 'localhost/toolbox:latest';
const DEFAULTS = { ttlSeconds: 900 };
const IDLE = { byPrincipal: 0, total: 0 };

function policyOf(doc: unknown): Policy {
  const loaded = parsePolicy(JSON.stringify(doc), { source: 'test.json', sha256: null, defaultImage: DEFAULT_IMAGE, format: 'json' });
  assert.ok(loaded.policy, `policy should be valid: ${loaded.problems.join('; ')}`);
  return loaded.policy;
}

function problemsOf(text: string, format: 'yaml' | 'json' = 'yaml'): string[] {
  const loaded = parsePolicy(text, { source: 'test', sha256: null, defaultImage: DEFAULT_IMAGE, format });
  assert.equal(loaded.policy, null, 'policy should be refused');
  return loaded.problems;
}

function request(overrides: Partial<SessionRequest> = {}): SessionRequest {
  return {
    principal: 'alice',
    target: { name: 'web-1', labels: {} },
    image: DEFAULT_IMAGE,
    profile: 'general',
    ttlSeconds: undefined,
    maxLifetimeSeconds: undefined,
    reason: undefined,
    ...overrides,
  };
}

describe('globs', () => {
  it('match whole strings with * ? and classes, everything else literal', () => {
    assert.equal(compileGlob('web-*').test('web-1'), true);
    assert.equal(compileGlob('web-*').test('a-web-1'), false);
    assert.equal(compileGlob('db-?').test('db-1'), true);
    assert.equal(compileGlob('db-?').test('db-12'), false);
    assert.equal(compileGlob('db-[0-3]').test('db-2'), true);
    assert.equal(compileGlob('db-[!0-3]').test('db-2'), false);
    assert.equal(compileGlob('a.b').test('axb'), false);
    assert.equal(compileGlob('(x)|y').test('(x)|y'), true);
    assert.equal(compileGlob('slack:T1:*').test('slack:T1:U9'), true);
  });

  it('refuse an unclosed class', () => {
    assert.throws(() => compileGlob('web-[ab'), /unclosed/);
  });
});

describe('policy files', () => {
  it('the shipped example policy is valid', () => {
    const loaded = loadPolicyFile(join(import.meta.dirname, '../../examples/policy.yaml'), DEFAULT_IMAGE);
    assert.deepEqual(loaded.problems, []);
    assert.deepEqual(loaded.policy?.rules.map((r) => r.name), ['oncall', 'dba', 'bots', 'platform-admins']);
    assert.equal(loaded.policy?.maxConcurrentSessions, 20);
    assert.match(loaded.policy?.sha256 ?? '', /^[0-9a-f]{64}$/);
  });

  it('lists every problem at once, each with its path', () => {
    const problems = problemsOf(`
version: 2
groups:
  ops: ["[x"]
rules:
  - name: first
    principals: [alice]
    profiles: [root]
    targetz: {}
    maxTtlSeconds: 600
    maxLifetimeSeconds: 60
  - name: first
    groups: [nope]
    targets:
      deny:
        - {}
  - name: nobody
`);
    const expected = [
      /^version: /,
      /^groups\.ops\[0\]: unclosed/,
      /^rules\[0\]\.profiles\[0\]: .*restricted/,
      /^rules\[0\]: Unrecognized key: "targetz"/,
      /^rules\[0\]\.maxLifetimeSeconds: 60 is below maxTtlSeconds 600/,
      /^rules\[1\]\.name: "first" is used by an earlier rule/,
      /^rules\[1\]\.groups\[0\]: no group "nope"/,
      /^rules\[1\]\.targets\.deny\[0\]: a target matcher needs/,
      /^rules\[2\]: lists neither "principals" nor "groups"/,
    ];
    for (const pattern of expected) assert.ok(problems.some((p) => pattern.test(p)), `missing ${pattern} in:\n${problems.join('\n')}`);
    assert.equal(problems.length, expected.length, problems.join('\n'));
  });

  it('refuses YAML with duplicate keys, invalid JSON, and unknown file types', () => {
    assert.match(problemsOf('version: 1\nversion: 1\nrules: []\n')[0]!, /not valid YAML/);
    assert.match(problemsOf('{"version": 1,', 'json')[0]!, /not valid JSON/);
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    writeFileSync(join(dir, 'policy.toml'), 'version = 1');
    assert.match(loadPolicyFile(join(dir, 'policy.toml'), DEFAULT_IMAGE).problems[0]!, /\*\.yaml, \*\.yml or \*\.json/);
    assert.match(loadPolicyFile(join(dir, 'missing.yaml'), DEFAULT_IMAGE).problems[0]!, /cannot read/);
  });

  it('reads JSON as well as YAML', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ version: 1, rules: [{ name: 'all', principals: ['*'] }] }));
    assert.deepEqual(loadPolicyFile(join(dir, 'p.json'), DEFAULT_IMAGE).policy?.rules.map((r) => r.name), ['all']);
  });
});

describe('decisions', () => {
  const policy = policyOf({
    version: 1,
    limits: { maxConcurrentSessions: 3 },
    groups: { oncall: ['alice', 'slack:T1:*'] },
    rules: [
      {
        name: 'oncall',
        groups: ['oncall'],
        targets: { allow: [{ name: 'web-*' }, { labels: { team: 'pay*' } }], deny: [{ labels: { 'debug.deny': 'true' } }] },
        profiles: ['restricted', 'general'],
        maxTtlSeconds: 600,
        maxLifetimeSeconds: 1200,
        maxConcurrentSessions: 2,
        requireReason: false,
      },
      { name: 'no-databases', principals: ['alice'], targets: { deny: [{ name: '*-db' }] }, images: ['localhost/other:1'] },
      { name: 'bob', principals: ['bob'], requireReason: true },
    ],
  });

  it('grants through the first rule that allows everything, fitting an unasked lease to the rule', () => {
    const d = decide(policy, request(), IDLE, DEFAULTS);
    assert.deepEqual(d, { allowed: true, rule: 'oncall', ttlSeconds: 600, maxLifetimeSeconds: 600 });
    const byLabel = decide(policy, request({ target: { name: 'ledger', labels: { team: 'payments' } } }), IDLE, DEFAULTS);
    assert.equal(byLabel.allowed, true);
    const chat = decide(policy, request({ principal: 'slack:T1:U42' }), IDLE, DEFAULTS);
    assert.equal(chat.allowed, true);
  });

  it('a deny in any applicable rule wins over another rule\'s allow', () => {
    const byName = decide(policy, request({ target: { name: 'web-db', labels: {} } }), IDLE, DEFAULTS);
    assert.deepEqual(byName.allowed ? null : [byName.rule, byName.reason], ['no-databases', 'target-denied']);
    const byLabel = decide(policy, request({ target: { name: 'web-1', labels: { 'debug.deny': 'true' } } }), IDLE, DEFAULTS);
    assert.deepEqual(byLabel.allowed ? null : [byLabel.rule, byLabel.reason], ['oncall', 'target-denied']);
    assert.match(byLabel.allowed ? '' : byLabel.detail, /policy rule "oncall" denies target "web-1" \(label debug\.deny=true\)/);
    // bob is not under those rules: the deny does not apply to him.
    assert.equal(decide(policy, request({ principal: 'bob', reason: 'incident 7', target: { name: 'web-db', labels: {} } }), IDLE, DEFAULTS).allowed, true);
  });

  it('names the refusing rule and what it refused', () => {
    const cases: [Partial<SessionRequest>, string, RegExp][] = [
      [{ target: { name: 'batch-1', labels: {} } }, 'target-not-allowed', /target "batch-1" matches none of \(name web-\*\), \(label team=pay\*\)/],
      [{ image: 'docker.io/library/alpine:latest' }, 'image-not-allowed', /image "docker\.io\/library\/alpine:latest" is not allowed/],
      [{ profile: 'sysadmin' }, 'profile-not-allowed', /profile "sysadmin" is not allowed \(allowed: restricted, general\)/],
      [{ ttlSeconds: 601 }, 'ttl-too-long', /ttlSeconds 601 is above its maximum of 600/],
      [{ ttlSeconds: 600, maxLifetimeSeconds: 1201 }, 'lifetime-too-long', /maxLifetimeSeconds 1201 is above its maximum of 1200/],
    ];
    for (const [overrides, reason, detail] of cases) {
      const d = decide(policy, request(overrides), IDLE, DEFAULTS);
      assert.equal(d.allowed, false, reason);
      if (d.allowed) continue;
      assert.equal(d.rule, 'oncall');
      assert.equal(d.reason, reason);
      assert.match(d.detail, detail);
    }
  });

  it('another rule may grant what the first refuses; a refusal by several rules lists each', () => {
    const other = decide(policy, request({ image: 'localhost/other:1', target: { name: 'batch-1', labels: {} } }), IDLE, DEFAULTS);
    assert.equal(other.allowed && other.rule, 'no-databases');
    const neither = decide(policy, request({ image: 'x/y:z' }), IDLE, DEFAULTS);
    assert.match(neither.allowed ? '' : neither.detail, /no policy rule allows this: rule "oncall": image .*; rule "no-databases": image/);
  });

  it('a preferred hard lifetime (chat\'s room to Extend) is fitted to the rule, never refused', () => {
    const fitted = decide(policy, request({ preferredMaxLifetimeSeconds: 3600 }), IDLE, DEFAULTS);
    assert.deepEqual(fitted.allowed && [fitted.ttlSeconds, fitted.maxLifetimeSeconds], [600, 1200]);
    const bob = decide(policy, request({ principal: 'bob', reason: 'x', preferredMaxLifetimeSeconds: 3600 }), IDLE, DEFAULTS);
    assert.deepEqual(bob.allowed && [bob.ttlSeconds, bob.maxLifetimeSeconds], [900, 3600]);
    const shorter = decide(policy, request({ principal: 'bob', reason: 'x', preferredMaxLifetimeSeconds: 60 }), IDLE, DEFAULTS);
    assert.deepEqual(shorter.allowed && [shorter.ttlSeconds, shorter.maxLifetimeSeconds], [900, 900]);
  });

  it('a rule with an empty allow list only denies', () => {
    const denyOnly = policyOf({ version: 1, rules: [{ name: 'no-db', principals: ['*'], targets: { allow: [], deny: [{ name: '*-db' }] } }] });
    const d = decide(denyOnly, request(), IDLE, DEFAULTS);
    assert.deepEqual(d.allowed ? null : [d.rule, d.reason], ['no-db', 'target-not-allowed']);
    assert.match(d.allowed ? '' : d.detail, /only denies/);
  });

  it('requires a reason where the rule says so', () => {
    const d = decide(policy, request({ principal: 'bob' }), IDLE, DEFAULTS);
    assert.equal(d.allowed ? '' : d.reason, 'reason-required');
    assert.equal(decide(policy, request({ principal: 'bob', reason: '   ' }), IDLE, DEFAULTS).allowed, false);
    assert.equal(decide(policy, request({ principal: 'bob', reason: 'INC-42 latency' }), IDLE, DEFAULTS).allowed, true);
  });

  it('caps live sessions per principal and in total', () => {
    const mine = decide(policy, request(), { byPrincipal: 2, total: 2 }, DEFAULTS);
    // oncall refuses at 2; no-databases only allows another image, so the refusal is oncall's.
    assert.equal(mine.allowed ? '' : mine.reason, 'principal-session-limit');
    const total = decide(policy, request({ principal: 'bob', reason: 'x' }), { byPrincipal: 0, total: 3 }, DEFAULTS);
    assert.deepEqual(total.allowed ? null : [total.rule, total.reason], ['limits.maxConcurrentSessions', 'total-session-limit']);
  });

  it('refuses a principal no rule applies to', () => {
    const d = decide(policy, request({ principal: 'mallory' }), IDLE, DEFAULTS);
    assert.deepEqual(d.allowed ? null : [d.rule, d.reason], [null, 'no-rule']);
  });

  it('the built-in policy: anyone, the default image only, every profile but sysadmin', () => {
    const builtIn = builtInPolicy(DEFAULT_IMAGE);
    assert.equal(decide(builtIn, request({ principal: 'anyone', profile: 'netadmin' }), IDLE, DEFAULTS).allowed, true);
    assert.equal(decide(builtIn, request({ profile: 'sysadmin' }), IDLE, DEFAULTS).allowed, false);
    assert.equal(decide(builtIn, request({ image: 'docker.io/library/alpine:latest' }), IDLE, DEFAULTS).allowed, false);
    const fitted = decide(builtIn, request(), IDLE, DEFAULTS);
    assert.equal(fitted.allowed && fitted.ttlSeconds, 900);
  });
});
