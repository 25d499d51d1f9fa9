import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { OutputCollector } from '../../src/podman/output-collector.js';

const sha256 = (buf: Buffer): string => createHash('sha256').update(buf).digest('hex');

test('nothing added: empty text, not truncated, zero bytes, sha256 of empty input', () => {
  const r = new OutputCollector(16).result();
  assert.deepEqual(r, { text: '', truncated: false, totalBytes: 0, sha256: sha256(Buffer.alloc(0)) });
});

test('output under the cap is kept whole and not truncated', () => {
  const c = new OutputCollector(100);
  c.add(Buffer.from('hello '));
  c.add(Buffer.from('world'));
  assert.deepEqual(c.result(), {
    text: 'hello world',
    truncated: false,
    totalBytes: 11,
    sha256: sha256(Buffer.from('hello world')),
  });
});

test('output of exactly the cap is not truncated', () => {
  const c = new OutputCollector(5);
  c.add(Buffer.from('abc'));
  c.add(Buffer.from('de'));
  const r = c.result();
  assert.equal(r.text, 'abcde');
  assert.equal(r.truncated, false);
  assert.equal(r.totalBytes, 5);
});

test('cap keeps the first N bytes; totalBytes and sha256 cover everything', () => {
  const parts = ['abc', 'defg', 'hij', 'klmnop'].map((s) => Buffer.from(s));
  const c = new OutputCollector(5);
  for (const p of parts) c.add(p);
  const all = Buffer.concat(parts);
  const r = c.result();
  assert.equal(r.text, 'abcde');
  assert.equal(r.truncated, true);
  assert.equal(r.totalBytes, all.length);
  assert.equal(r.sha256, sha256(all));
});

test('one byte over the cap is truncated', () => {
  const c = new OutputCollector(3);
  c.add(Buffer.from('abcd'));
  const r = c.result();
  assert.equal(r.text, 'abc');
  assert.equal(r.truncated, true);
  assert.equal(r.totalBytes, 4);
});

test('chunks arriving after the cap is full still count toward totalBytes and sha256', () => {
  const c = new OutputCollector(2);
  c.add(Buffer.from('xy'));
  c.add(Buffer.from('z'.repeat(1000)));
  const r = c.result();
  assert.equal(r.text, 'xy');
  assert.equal(r.truncated, true);
  assert.equal(r.totalBytes, 1002);
  assert.equal(r.sha256, sha256(Buffer.from('xy' + 'z'.repeat(1000))));
});

test('cap of 0 keeps nothing but still counts and hashes', () => {
  const c = new OutputCollector(0);
  c.add(Buffer.from('data'));
  assert.deepEqual(c.result(), { text: '', truncated: true, totalBytes: 4, sha256: sha256(Buffer.from('data')) });
});

test('kept bytes are copied: changing a chunk after add() does not change the result', () => {
  const c = new OutputCollector(10);
  const chunk = Buffer.from('abcdef');
  c.add(chunk);
  chunk.fill(0x21);
  assert.equal(c.result().text, 'abcdef');
});

test('result() can be called more than once and reflects later additions', () => {
  const c = new OutputCollector(100);
  c.add(Buffer.from('one'));
  const first = c.result();
  c.add(Buffer.from('two'));
  const second = c.result();
  assert.equal(first.text, 'one');
  assert.equal(first.sha256, sha256(Buffer.from('one')));
  assert.equal(second.text, 'onetwo');
  assert.equal(second.totalBytes, 6);
  assert.equal(second.sha256, sha256(Buffer.from('onetwo')));
});

test('invalid UTF-8 is replaced with U+FFFD', () => {
  const c = new OutputCollector(100);
  c.add(Buffer.from([0x61, 0xff, 0x62, 0xc3, 0x28, 0x63]));
  const r = c.result();
  assert.equal(r.text, 'a\uFFFDb\uFFFD(c');
  assert.equal(r.totalBytes, 6);
});

test('a multi-byte character split across chunks (under the cap) decodes correctly', () => {
  const euro = Buffer.from('€', 'utf8'); // e2 82 ac
  const c = new OutputCollector(100);
  c.add(Buffer.concat([Buffer.from('x'), euro.subarray(0, 1)]));
  c.add(Buffer.concat([euro.subarray(1), Buffer.from('y')]));
  assert.equal(c.result().text, 'x€y');
});

test('a multi-byte character cut at the cap becomes U+FFFD rather than failing', () => {
  const input = Buffer.from('ab€cd', 'utf8'); // a b e2 82 ac c d
  const c = new OutputCollector(4); // keeps a b e2 82
  c.add(input);
  const r = c.result();
  assert.equal(r.text, 'ab\uFFFD');
  assert.equal(r.truncated, true);
  assert.equal(r.totalBytes, input.length);
  assert.equal(r.sha256, sha256(input));
});
