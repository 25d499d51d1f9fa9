import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBuckets } from '../../src/http/rate-limit.js';

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

function takeN(buckets: TokenBuckets, key: string, n: number): boolean[] {
  return Array.from({ length: n }, () => buckets.take(key).allowed);
}

test('a fresh principal may send a whole burst at once, and not one more', () => {
  const clock = fakeClock();
  const buckets = new TokenBuckets({ perSecond: 2, burst: 5, now: clock.now });
  assert.deepEqual(takeN(buckets, 'alice', 5), [true, true, true, true, true]);
  const refused = buckets.take('alice');
  assert.equal(refused.allowed, false);
});

test('tokens flow back at perSecond, never beyond the burst', () => {
  const clock = fakeClock();
  const buckets = new TokenBuckets({ perSecond: 2, burst: 3, now: clock.now });
  takeN(buckets, 'alice', 3);
  assert.equal(buckets.take('alice').allowed, false);
  clock.advance(499);
  assert.equal(buckets.take('alice').allowed, false, 'not yet one token back');
  clock.advance(1);
  assert.equal(buckets.take('alice').allowed, true, 'one token after 500 ms at 2/s');
  assert.equal(buckets.take('alice').allowed, false);
  clock.advance(60_000); // a long pause refills to the burst, not to 120 tokens
  assert.deepEqual(takeN(buckets, 'alice', 4), [true, true, true, false]);
});

test('Retry-After is whole seconds until the next token, at least 1', () => {
  const clock = fakeClock();
  const slow = new TokenBuckets({ perSecond: 0.25, burst: 1, now: clock.now }); // one token per 4 s
  assert.equal(slow.take('a').allowed, true);
  let r = slow.take('a');
  assert.ok(!r.allowed);
  assert.equal(r.retryAfterSeconds, 4);
  clock.advance(2500); // 1.5 s to go: rounded up
  r = slow.take('a');
  assert.ok(!r.allowed);
  assert.equal(r.retryAfterSeconds, 2);

  const fast = new TokenBuckets({ perSecond: 20, burst: 1, now: clock.now }); // a token every 50 ms
  fast.take('b');
  r = fast.take('b');
  assert.ok(!r.allowed);
  assert.equal(r.retryAfterSeconds, 1, 'never 0');
});

test('waiting Retry-After seconds is enough', () => {
  const clock = fakeClock();
  const buckets = new TokenBuckets({ perSecond: 3, burst: 2, now: clock.now });
  takeN(buckets, 'a', 2);
  const r = buckets.take('a');
  assert.ok(!r.allowed);
  clock.advance(r.retryAfterSeconds * 1000);
  assert.equal(buckets.take('a').allowed, true);
});

test('principals have their own buckets', () => {
  const clock = fakeClock();
  const buckets = new TokenBuckets({ perSecond: 1, burst: 2, now: clock.now });
  takeN(buckets, 'alice', 2);
  assert.equal(buckets.take('alice').allowed, false);
  assert.deepEqual(takeN(buckets, 'bob', 2), [true, true]);
});

test('a refusal is reported once per window, with the count of refusals it covers', () => {
  const clock = fakeClock();
  const buckets = new TokenBuckets({ perSecond: 1, burst: 1, reportWindowMs: 10_000, now: clock.now });
  buckets.take('a');
  const first = buckets.take('a');
  assert.ok(!first.allowed);
  assert.deepEqual(first.report, { refused: 1 });
  for (let i = 0; i < 5; i++) {
    const r = buckets.take('a');
    assert.ok(!r.allowed);
    assert.equal(r.report, null, 'not reported again inside the window');
  }
  clock.advance(10_000);
  takeN(buckets, 'a', 1); // refilled: allowed
  const again = buckets.take('a');
  assert.ok(!again.allowed);
  assert.deepEqual(again.report, { refused: 6 }, 'five silent refusals and this one');
  // Another principal gets its own first report.
  buckets.take('b');
  const other = buckets.take('b');
  assert.ok(!other.allowed);
  assert.deepEqual(other.report, { refused: 1 });
});

test('the map is bounded: idle (full) buckets are dropped first, then the least recently used', () => {
  const clock = fakeClock();
  const buckets = new TokenBuckets({ perSecond: 1, burst: 2, maxBuckets: 3, reportWindowMs: 1000, now: clock.now });
  for (const key of ['a', 'b', 'c']) buckets.take(key);
  assert.equal(buckets.size, 3);
  clock.advance(1000); // a, b, c are full again: idle
  buckets.take('d');
  buckets.take('e');
  assert.equal(buckets.size, 2, 'a, b and c were dropped; d and e remain');

  // Thousands of busy principals never grow it past the bound.
  const busy = new TokenBuckets({ perSecond: 1, burst: 5, maxBuckets: 100, now: clock.now });
  for (let i = 0; i < 5000; i++) {
    busy.take(`p${i}`);
    assert.ok(busy.size <= 100);
  }
  // The most recently used survive: p4999 has used one token of its burst.
  assert.deepEqual(takeN(busy, 'p4999', 5), [true, true, true, true, false]);
});

test('a bucket holding a fresh refusal report is not dropped as idle inside its window', () => {
  const clock = fakeClock();
  const buckets = new TokenBuckets({ perSecond: 10, burst: 1, maxBuckets: 1, reportWindowMs: 60_000, now: clock.now });
  buckets.take('a');
  const refused = buckets.take('a');
  assert.ok(!refused.allowed && refused.report);
  clock.advance(5000); // full again, but reported 5 s ago
  buckets.take('a');
  const again = buckets.take('a');
  assert.ok(!again.allowed);
  assert.equal(again.report, null, 'still inside the window: no second report');
});

test('idle buckets are swept over time even below the bound', () => {
  const clock = fakeClock();
  const buckets = new TokenBuckets({ perSecond: 1, burst: 1, reportWindowMs: 1000, now: clock.now });
  for (let i = 0; i < 50; i++) buckets.take(`p${i}`);
  assert.equal(buckets.size, 50);
  clock.advance(1000);
  buckets.take('late');
  assert.equal(buckets.size, 1);
});

test('bad settings are refused', () => {
  assert.throws(() => new TokenBuckets({ perSecond: 0, burst: 1 }), RangeError);
  assert.throws(() => new TokenBuckets({ perSecond: 1, burst: 0 }), RangeError);
});

test('a clock that goes backwards gives no tokens away', () => {
  const clock = fakeClock();
  const buckets = new TokenBuckets({ perSecond: 1, burst: 1, now: clock.now });
  buckets.take('a');
  clock.advance(-5000);
  assert.equal(buckets.take('a').allowed, false);
});
