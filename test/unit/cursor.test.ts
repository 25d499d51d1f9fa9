import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../src/errors.js';
import { decodeCursor, encodeCursor } from '../../src/http/cursor.js';

test('encode then decode round-trips sequence numbers', () => {
  for (const seq of [0, 1, 42, 1_000_000, 999_999_999_999_999]) {
    const cursor = encodeCursor(seq);
    assert.equal(typeof cursor, 'string');
    assert.equal(decodeCursor(cursor!), seq);
  }
});

test('cursors are opaque and URL-safe', () => {
  const cursor = encodeCursor(123456789)!;
  assert.match(cursor, /^[A-Za-z0-9_-]+$/);
  assert.ok(!cursor.includes('123456789'), 'the raw number is not visible');
});

test('encodeCursor(null) is null', () => {
  assert.equal(encodeCursor(null), null);
});

test('undefined and empty cursor decode to null', () => {
  assert.equal(decodeCursor(undefined), null);
  assert.equal(decodeCursor(''), null);
});

function assertBadCursor(cursor: string): void {
  assert.throws(
    () => decodeCursor(cursor),
    (err: unknown) => {
      assert.ok(err instanceof AppError, `expected AppError for ${JSON.stringify(cursor)}`);
      assert.equal(err.code, 'bad_request');
      assert.ok(err.issues?.some((i) => i.field === 'cursor'), 'an issue names the cursor field');
      return true;
    },
  );
}

test('garbage cursors are a bad_request AppError with a cursor issue', () => {
  for (const cursor of ['garbage', 'x', '!!!', 'czE2YQ', 'MTIz']) assertBadCursor(cursor);
});

test('well-formed base64url of the wrong content is rejected', () => {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
  for (const inner of ['s', 's-1', 's1.5', 'sabc', 'S1', ' s1', 's1 ', 's1234567890123456', 't1']) {
    assertBadCursor(b64(inner));
  }
});
