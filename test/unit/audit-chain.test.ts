import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GENESIS_HASH, eventHash, verifyChain } from '../../src/audit/audit-chain.js';
import { AuditStore } from '../../src/audit/audit-store.js';
import { canonicalJson } from '../../src/audit/canonical-json.js';
import { openDatabase } from '../../src/db/database.js';
import { applyMigrations, readMigrations } from '../../src/db/migrations.js';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';

function store() {
  const db = openDatabase(':memory:');
  applyMigrations(db, readMigrations(join(packageRoot(), 'migrations')));
  return { db, audit: new AuditStore(db) };
}

test('canonical JSON sorts keys at every depth and drops undefined members', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined }, e: null }), '{"a":{"d":[3,{"y":2,"z":1}]},"b":1,"e":null}');
  assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  assert.equal(canonicalJson('x"y'), '"x\\"y"');
});

test('events chain: seq from 1, prev_hash is the previous hash, hash covers the content', () => {
  const { db, audit } = store();
  const a = audit.append({ type: 'auth.denied', actor: null, data: { reason: 'missing' } });
  const b = audit.append({ type: 'session.creating', actor: 'alice', sessionId: 's1', requestId: 'r1', data: { z: 1, a: [1, 2] } });
  assert.equal(a.seq, 1);
  assert.equal(a.prevHash, GENESIS_HASH);
  assert.equal(b.seq, 2);
  assert.equal(b.prevHash, a.hash);
  assert.equal(b.hash, eventHash(a.hash, b));
  assert.deepEqual(audit.verify(), { ok: true, count: 2 });
  db.close();
});

test('verify names the first edited, removed or re-linked event', () => {
  const { db, audit } = store();
  for (let i = 0; i < 5; i++) audit.append({ type: 'exec.completed', actor: 'alice', sessionId: 's', data: { i } });
  const rows = [...audit.iterate()];
  const edited = rows.map((r) => (r.seq === 3 ? { ...r, data: { i: 99 } } : r));
  assert.deepEqual(verifyChain(edited), { ok: false, seq: 3, reason: 'content does not match its hash', verified: 2 });
  const removed = rows.filter((r) => r.seq !== 2);
  assert.equal((verifyChain(removed) as { seq: number }).seq, 2);
  // Rehashing an edited event is not enough: the next event's prev_hash no longer matches.
  const rehashed = rows.map((r) => (r.seq === 3 ? { ...r, actor: 'mallory', hash: eventHash(r.prevHash, { ...r, actor: 'mallory' }) } : r));
  assert.deepEqual(verifyChain(rehashed), { ok: false, seq: 4, reason: 'prev_hash does not match the previous event', verified: 3 });
  assert.deepEqual(verifyChain([]), { ok: true, count: 0 });
  db.close();
});

test('fail closed: when the audit write fails, the caller sees the error and nothing is written', () => {
  const { db, audit } = store();
  audit.append({ type: 'token.created', actor: 'cli', data: {} });
  db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
  assert.throws(() => audit.append({ type: 'token.created', actor: 'cli', data: {} }), /disk full/);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM audit_events').get() as { n: number }).n, 1);
  db.close();
});
