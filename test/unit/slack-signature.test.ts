import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SlackSignatureVerifier, slackSignature } from '../../src/chatops/slack-signature.js';

const secret = (value: string) => ({ reveal: () => value });

// The worked example in Slack's "Verifying requests from Slack" documentation.
const SLACK_DOC = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  body:
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
    '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
    '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};

function verifierAt(seconds: number, secrets = [SLACK_DOC.secret], maxRemembered?: number) {
  let now = seconds * 1000;
  const v = new SlackSignatureVerifier(secrets.map(secret), { now: () => now, ...(maxRemembered ? { maxRemembered } : {}) });
  return { v, setNow: (s: number) => (now = s * 1000) };
}

describe('Slack v0 signatures', () => {
  it('computes the signature of Slack\'s documented example', () => {
    assert.equal(slackSignature(SLACK_DOC.secret, SLACK_DOC.timestamp, SLACK_DOC.body), SLACK_DOC.signature);
  });

  it('accepts the documented example at its own time, over the raw bytes', () => {
    const { v } = verifierAt(1531420618);
    assert.deepEqual(v.verify(SLACK_DOC.timestamp, SLACK_DOC.signature, Buffer.from(SLACK_DOC.body)), { ok: true });
  });

  it('refuses a changed body, a changed timestamp and a wrong secret', () => {
    const { v } = verifierAt(1531420618);
    assert.deepEqual(v.verify(SLACK_DOC.timestamp, SLACK_DOC.signature, Buffer.from(SLACK_DOC.body.replace('roadrunner', 'coyote'))), { ok: false, reason: 'mismatch' });
    assert.deepEqual(v.verify('1531420619', SLACK_DOC.signature, Buffer.from(SLACK_DOC.body)), { ok: false, reason: 'mismatch' });
    const other = verifierAt(1531420618, ['another-secret-of-some-length']).v;
    assert.deepEqual(other.verify(SLACK_DOC.timestamp, SLACK_DOC.signature, Buffer.from(SLACK_DOC.body)), { ok: false, reason: 'mismatch' });
  });

  it('accepts any of several secrets (rotation)', () => {
    const { v } = verifierAt(1531420618, ['the-new-secret-0123456789', SLACK_DOC.secret]);
    assert.deepEqual(v.verify(SLACK_DOC.timestamp, SLACK_DOC.signature, Buffer.from(SLACK_DOC.body)), { ok: true });
    const body = Buffer.from('text=hello');
    assert.deepEqual(v.verify('1531420618', slackSignature('the-new-secret-0123456789', '1531420618', body), body), { ok: true });
  });

  it('refuses timestamps more than 300 s away, in both directions, and accepts 300 s exactly', () => {
    const body = Buffer.from('text=x');
    const at = (offset: number) => {
      const ts = String(1_700_000_000 + offset);
      return verifierAt(1_700_000_000).v.verify(ts, slackSignature(SLACK_DOC.secret, ts, body), body);
    };
    assert.deepEqual(at(-301), { ok: false, reason: 'stale' });
    assert.deepEqual(at(301), { ok: false, reason: 'stale' });
    assert.deepEqual(at(-300), { ok: true });
    assert.deepEqual(at(300), { ok: true });
  });

  it('refuses a replayed signature within the window, and forgets it once it is stale anyway', () => {
    const { v, setNow } = verifierAt(1_700_000_000);
    const body = Buffer.from('text=ps');
    const ts = '1700000000';
    const sig = slackSignature(SLACK_DOC.secret, ts, body);
    assert.deepEqual(v.verify(ts, sig, body), { ok: true });
    assert.deepEqual(v.verify(ts, sig, body), { ok: false, reason: 'replayed' });
    setNow(1_700_000_299);
    assert.deepEqual(v.verify(ts, sig, body), { ok: false, reason: 'replayed' });
    setNow(1_700_000_301);
    assert.deepEqual(v.verify(ts, sig, body), { ok: false, reason: 'stale' });
    // A fresh request sweeps the stale signature out of memory.
    const ts2 = '1700000301';
    assert.deepEqual(v.verify(ts2, slackSignature(SLACK_DOC.secret, ts2, body), body), { ok: true });
    assert.equal(v.remembered, 1);
  });

  it('keeps its memory bounded: when full of live signatures it refuses (fail closed), and recovers as they go stale', () => {
    const { v, setNow } = verifierAt(1_700_000_000, [SLACK_DOC.secret], 3);
    const sign = (n: number, ts = '1700000000') => {
      const body = Buffer.from(`text=${n}`);
      return v.verify(ts, slackSignature(SLACK_DOC.secret, ts, body), body);
    };
    assert.deepEqual([sign(1), sign(2), sign(3)].map((r) => r.ok), [true, true, true]);
    assert.deepEqual(sign(4), { ok: false, reason: 'replay-cache-full' });
    assert.equal(v.remembered, 3);
    setNow(1_700_000_301);
    assert.deepEqual(sign(5, '1700000301'), { ok: true });
    assert.equal(v.remembered, 1);
  });

  it('refuses missing and malformed headers before any HMAC', () => {
    const { v } = verifierAt(1531420618);
    const body = Buffer.from(SLACK_DOC.body);
    assert.deepEqual(v.verify(undefined, SLACK_DOC.signature, body), { ok: false, reason: 'missing' });
    assert.deepEqual(v.verify(SLACK_DOC.timestamp, undefined, body), { ok: false, reason: 'missing' });
    for (const [ts, sig] of [
      ['1531420618.5', SLACK_DOC.signature],
      ['-1', SLACK_DOC.signature],
      [SLACK_DOC.timestamp, SLACK_DOC.signature.toUpperCase()],
      [SLACK_DOC.timestamp, SLACK_DOC.signature.replace('v0=', 'v1=')],
      [SLACK_DOC.timestamp, SLACK_DOC.signature.slice(0, -1)],
      [SLACK_DOC.timestamp, `${SLACK_DOC.signature},${SLACK_DOC.signature}`],
    ]) {
      assert.deepEqual(v.verify(ts, sig, body), { ok: false, reason: 'malformed' }, `${ts} ${sig}`);
    }
  });
});
