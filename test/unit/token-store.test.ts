import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SCOPES } from '../../src/auth/scopes.js';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Database } from '../../src/db/database.js';
import { applyMigrations, readMigrations } from '../../src/db/migrations.js';
import { TOKEN_PREFIX, TokenNameTakenError, TokenStore, hashToken } from '../../src/auth/token-store.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

function setup(t: { after: (fn: () => void) => void }): { db: Database; store: TokenStore } {
  const db = openDatabase(':memory:');
  t.after(() => db.close());
  applyMigrations(db, readMigrations(MIGRATIONS_DIR));
  return { db, store: new TokenStore(db) };
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

test('hashToken is the hex SHA-256 of the token', () => {
  assert.equal(hashToken('pdd_abc'), sha256('pdd_abc'));
});

test('create returns a pdd_ token with 32 random bytes', (t) => {
  const { store } = setup(t);
  const token = store.create('alice');
  assert.ok(token.startsWith(TOKEN_PREFIX));
  assert.equal(TOKEN_PREFIX, 'pdd_');
  assert.match(token, /^pdd_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(store.create('bob'), token, 'tokens differ');
});

test('only the SHA-256 of the token is stored; the plaintext appears nowhere', (t) => {
  const { db, store } = setup(t);
  const created = new Date('2024-05-01T12:00:00.000Z');
  const token = store.create('alice', {}, created);
  const secret = token.slice(TOKEN_PREFIX.length);
  const rows = db.prepare(`SELECT * FROM tokens`).all() as Array<Record<string, unknown>>;
  assert.equal(rows.length, 1);
  const row = rows[0]!;
  assert.equal(row.name, 'alice');
  assert.equal(row.token_sha256, sha256(token));
  assert.equal(row.created_at, created.toISOString());
  assert.equal(row.last_used_at, null);
  assert.equal(row.revoked_at, null);
  for (const [column, value] of Object.entries(row)) {
    const text = String(value);
    assert.ok(!text.includes(token), `column ${column} holds the token`);
    assert.ok(!text.includes(secret), `column ${column} holds the token's secret part`);
  }
});

test('authenticate: a live token gives its name', (t) => {
  const { store } = setup(t);
  const alice = store.create('alice');
  const bob = store.create('bob');
  assert.deepEqual(store.authenticate(alice), { name: 'alice', scopes: new Set(DEFAULT_SCOPES) });
  assert.deepEqual(store.authenticate(bob), { name: 'bob', scopes: new Set(DEFAULT_SCOPES) });
});

test('authenticate: unknown tokens are refused as unknown', (t) => {
  const { store } = setup(t);
  const token = store.create('alice');
  assert.deepEqual(store.authenticate('pdd_not-a-real-token'), { refused: 'unknown' });
  assert.deepEqual(store.authenticate(''), { refused: 'unknown' });
  assert.deepEqual(store.authenticate(token + 'x'), { refused: 'unknown' });
  assert.deepEqual(store.authenticate(sha256(token)), { refused: 'unknown' }, 'the stored hash is not a credential');
});

test('revoke: the token is refused as revoked; revoking twice or an unknown name is false', (t) => {
  const { store } = setup(t);
  const alice = store.create('alice');
  const bob = store.create('bob');
  const when = new Date('2024-05-02T00:00:00.000Z');
  assert.equal(store.revoke('alice', when), true);
  assert.deepEqual(store.authenticate(alice), { refused: 'revoked' });
  assert.deepEqual(store.authenticate(bob), { name: 'bob', scopes: new Set(DEFAULT_SCOPES) }, 'other tokens unaffected');
  assert.equal(store.revoke('alice'), false);
  assert.equal(store.revoke('nobody'), false);
  const info = store.list().find((i) => i.name === 'alice');
  assert.equal(info?.revokedAt, when.toISOString(), 'second revoke did not move the time');
});

test('duplicate name -> TokenNameTakenError, and the first token keeps working', (t) => {
  const { db, store } = setup(t);
  const first = store.create('alice');
  assert.throws(
    () => store.create('alice'),
    (err: unknown) => {
      assert.ok(err instanceof TokenNameTakenError);
      assert.match(err.message, /"alice" already exists/);
      return true;
    },
  );
  assert.equal((db.prepare(`SELECT count(*) AS n FROM tokens`).get() as { n: number }).n, 1);
  assert.deepEqual(store.authenticate(first), { name: 'alice', scopes: new Set(DEFAULT_SCOPES) });
});

test('a revoked name still cannot be reused', (t) => {
  const { store } = setup(t);
  store.create('alice');
  store.revoke('alice');
  assert.throws(() => store.create('alice'), TokenNameTakenError);
});

test('bad names are rejected before anything is stored', (t) => {
  const { db, store } = setup(t);
  const bad = ['', '-leading-dash', '.hidden', 'has space', 'slash/name', 'a'.repeat(65), 'ünïcode', 'semi;colon'];
  for (const name of bad) {
    assert.throws(
      () => store.create(name),
      (err: unknown) => err instanceof Error && !(err instanceof TokenNameTakenError) && /token name/.test(err.message),
      JSON.stringify(name),
    );
  }
  assert.equal((db.prepare(`SELECT count(*) AS n FROM tokens`).get() as { n: number }).n, 0);
});

test('good names of the allowed shapes are accepted', (t) => {
  const { store } = setup(t);
  for (const name of ['a', 'ci-bot', 'alice@example.org', 'svc_1.prod', '9lives', 'a'.repeat(64)]) {
    assert.match(store.create(name), /^pdd_/, name);
  }
});

test('list returns tokens in creation order without secrets', (t) => {
  const { store } = setup(t);
  store.create('b-first', {}, new Date('2024-01-01T00:00:00.000Z'));
  store.create('a-second', {}, new Date('2024-01-02T00:00:00.000Z'));
  assert.deepEqual(store.list(), [
    { name: 'b-first', scopes: [...DEFAULT_SCOPES], expiresAt: null, createdAt: '2024-01-01T00:00:00.000Z', lastUsedAt: null, revokedAt: null },
    { name: 'a-second', scopes: [...DEFAULT_SCOPES], expiresAt: null, createdAt: '2024-01-02T00:00:00.000Z', lastUsedAt: null, revokedAt: null },
  ]);
});

test('last-used time is recorded, at most once a minute per token', (t) => {
  const { store } = setup(t);
  const token = store.create('alice');
  const lastUsed = () => store.list()[0]!.lastUsedAt;
  const t0 = new Date('2024-06-01T10:00:00.000Z');
  store.authenticate(token, t0);
  assert.equal(lastUsed(), t0.toISOString());
  store.authenticate(token, new Date(t0.getTime() + 30_000));
  assert.equal(lastUsed(), t0.toISOString(), 'not rewritten within a minute');
  const t2 = new Date(t0.getTime() + 61_000);
  store.authenticate(token, t2);
  assert.equal(lastUsed(), t2.toISOString(), 'rewritten after a minute');
});

test('refused tokens do not touch last-used', (t) => {
  const { store } = setup(t);
  const token = store.create('alice');
  store.revoke('alice');
  store.authenticate(token, new Date('2024-06-01T10:00:00.000Z'));
  assert.equal(store.list()[0]!.lastUsedAt, null);
});

test('scopes and expiry: a token carries the scopes it was made with and stops working when it expires', (t) => {
  const { store } = setup(t);
  const now = new Date('2026-01-01T00:00:00.000Z');
  const token = store.create('ops', { scopes: ['exec', 'sessions:read'], expiresAt: new Date('2026-01-02T00:00:00.000Z') }, now);
  assert.deepEqual(store.authenticate(token, new Date('2026-01-01T12:00:00.000Z')), { name: 'ops', scopes: new Set(['exec', 'sessions:read']) });
  assert.deepEqual(store.authenticate(token, new Date('2026-01-02T00:00:00.000Z')), { refused: 'expired' });
  assert.deepEqual(store.list()[0]!.scopes, ['exec', 'sessions:read']);
  assert.equal(store.list()[0]!.expiresAt, '2026-01-02T00:00:00.000Z');
});
