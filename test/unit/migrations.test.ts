import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Database } from '../../src/db/database.js';
import { SchemaTooNewError, applyMigrations, readMigrations } from '../../src/db/migrations.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

function userVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function tableNames(db: Database): string[] {
  const rows = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
    .all() as Array<{ name: string }>;
  return rows.map((r) => r.name);
}

/** A temporary folder with the given files; removed after the test. */
function tempMigrations(t: { after: (fn: () => void) => void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pdd-migrations-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

test('readMigrations reads the real migrations folder in version order', () => {
  const migrations = readMigrations(MIGRATIONS_DIR);
  assert.ok(migrations.length >= 1);
  migrations.forEach((m, i) => {
    assert.equal(m.version, i + 1);
    assert.match(m.name, /^\d{4}_[a-z0-9_-]+\.sql$/);
    assert.ok(m.sql.length > 0);
  });
  assert.equal(migrations[0]!.name, '0001_init.sql');
});

test('applies all migrations to a fresh database and records user_version', () => {
  const db = openDatabase(':memory:');
  const migrations = readMigrations(MIGRATIONS_DIR);
  const latest = migrations[migrations.length - 1]!.version;
  const result = applyMigrations(db, migrations);
  assert.deepEqual(result, { from: 0, to: latest, applied: migrations.map((m) => m.name) });
  assert.equal(userVersion(db), latest);
  const tables = tableNames(db);
  for (const t of ['sessions', 'exec_runs', 'tokens', 'audit_events']) assert.ok(tables.includes(t), `table ${t}`);
  db.close();
});

test('a second run applies nothing and changes nothing', () => {
  const db = openDatabase(':memory:');
  const migrations = readMigrations(MIGRATIONS_DIR);
  applyMigrations(db, migrations);
  const before = { version: userVersion(db), tables: tableNames(db) };
  const result = applyMigrations(db, migrations);
  assert.deepEqual(result, { from: before.version, to: before.version, applied: [] });
  assert.deepEqual({ version: userVersion(db), tables: tableNames(db) }, before);
  db.close();
});

test('only the migrations newer than user_version are applied', (t) => {
  const dir = tempMigrations(t, {
    '0001_one.sql': 'CREATE TABLE one (x INTEGER);',
    '0002_two.sql': 'CREATE TABLE two (x INTEGER);',
    '0003_three.sql': 'CREATE TABLE three (x INTEGER);',
  });
  const db = openDatabase(':memory:');
  const all = readMigrations(dir);
  assert.deepEqual(applyMigrations(db, all.slice(0, 1)), { from: 0, to: 1, applied: ['0001_one.sql'] });
  assert.deepEqual(applyMigrations(db, all), { from: 1, to: 3, applied: ['0002_two.sql', '0003_three.sql'] });
  assert.deepEqual(tableNames(db), ['one', 'three', 'two']);
  assert.equal(userVersion(db), 3);
  db.close();
});

test('a database newer than the code: SchemaTooNewError and nothing changed', () => {
  const db = openDatabase(':memory:');
  const migrations = readMigrations(MIGRATIONS_DIR);
  const latest = migrations[migrations.length - 1]!.version;
  db.pragma(`user_version = ${latest + 5}`);
  assert.throws(
    () => applyMigrations(db, migrations),
    (err: unknown) => {
      assert.ok(err instanceof SchemaTooNewError);
      assert.equal(err.dbVersion, latest + 5);
      assert.equal(err.codeVersion, latest);
      assert.match(err.message, new RegExp(`version ${latest + 5} is newer`));
      return true;
    },
  );
  assert.equal(userVersion(db), latest + 5);
  assert.deepEqual(tableNames(db), []);
  db.close();
});

test('any non-zero user_version is too new when there are no migrations', () => {
  const db = openDatabase(':memory:');
  db.pragma('user_version = 1');
  assert.throws(() => applyMigrations(db, []), SchemaTooNewError);
  db.close();
});

test('no migrations and a fresh database: nothing to do', () => {
  const db = openDatabase(':memory:');
  assert.deepEqual(applyMigrations(db, []), { from: 0, to: 0, applied: [] });
  db.close();
});

test('a failing migration on a fresh database rolls back entirely', (t) => {
  const dir = tempMigrations(t, {
    '0001_bad.sql': `
      CREATE TABLE half (x INTEGER);
      INSERT INTO half VALUES (1);
      PRAGMA user_version = 77;
      INSERT INTO no_such_table VALUES (1);
    `,
  });
  const db = openDatabase(':memory:');
  assert.throws(() => applyMigrations(db, readMigrations(dir)), /no such table/);
  assert.equal(userVersion(db), 0);
  assert.deepEqual(tableNames(db), []);
  db.close();
});

test('a failing later migration rolls back only itself; earlier ones stay applied', (t) => {
  const dir = tempMigrations(t, {
    '0002_bad.sql': `
      CREATE TABLE extra (x INTEGER);
      ALTER TABLE tokens ADD COLUMN note TEXT;
      SELECT RAISE(ABORT, 'boom');
    `,
  });
  copyFileSync(join(MIGRATIONS_DIR, '0001_init.sql'), join(dir, '0001_init.sql'));
  const db = openDatabase(':memory:');
  const migrations = readMigrations(dir);
  assert.throws(() => applyMigrations(db, migrations), /boom|RAISE/);
  assert.equal(userVersion(db), 1);
  const tables = tableNames(db);
  assert.ok(tables.includes('tokens'), '0001 is still applied');
  assert.ok(!tables.includes('extra'), '0002 table rolled back');
  const columns = (db.prepare(`PRAGMA table_info(tokens)`).all() as Array<{ name: string }>).map((c) => c.name);
  assert.ok(!columns.includes('note'), '0002 column rolled back');

  // Retrying with the same failing migration changes nothing further.
  assert.throws(() => applyMigrations(db, migrations));
  assert.equal(userVersion(db), 1);
  db.close();
});

test('misnamed .sql files are rejected', (t) => {
  for (const bad of ['1_init.sql', '0001-init.sql', '0001_Init.sql', '00001_init.sql', '0001_.sql', '0001 init.sql', 'init.sql']) {
    const dir = tempMigrations(t, { [bad]: 'SELECT 1;' });
    assert.throws(() => readMigrations(dir), /not named NNNN_name\.sql/, bad);
  }
});

test('files not ending in .sql are ignored', (t) => {
  const dir = tempMigrations(t, { '0001_init.sql': 'SELECT 1;', 'README.md': 'notes', '0002_next.sql.bak': 'x' });
  assert.deepEqual(
    readMigrations(dir).map((m) => m.name),
    ['0001_init.sql'],
  );
});

test('files are ordered by version, not by directory order', (t) => {
  const dir = tempMigrations(t, { '0002_b.sql': 'SELECT 2;', '0001_a.sql': 'SELECT 1;', '0003_c.sql': 'SELECT 3;' });
  const migrations = readMigrations(dir);
  assert.deepEqual(
    migrations.map((m) => [m.version, m.name, m.sql]),
    [
      [1, '0001_a.sql', 'SELECT 1;'],
      [2, '0002_b.sql', 'SELECT 2;'],
      [3, '0003_c.sql', 'SELECT 3;'],
    ],
  );
});

test('out-of-sequence files (gap, duplicate, not starting at 1) are rejected', (t) => {
  const cases: Array<Record<string, string>> = [
    { '0001_a.sql': 'SELECT 1;', '0003_c.sql': 'SELECT 3;' },
    { '0001_a.sql': 'SELECT 1;', '0001_b.sql': 'SELECT 1;' },
    { '0002_b.sql': 'SELECT 2;' },
    { '0000_zero.sql': 'SELECT 0;', '0001_a.sql': 'SELECT 1;' },
  ];
  for (const files of cases) {
    const dir = tempMigrations(t, files);
    assert.throws(() => readMigrations(dir), /out of sequence/, Object.keys(files).join(', '));
  }
});

test('an empty folder has no migrations', (t) => {
  assert.deepEqual(readMigrations(tempMigrations(t, {})), []);
});

test('audit_events is append-only: UPDATE and DELETE raise', () => {
  const db = openDatabase(':memory:');
  applyMigrations(db, readMigrations(MIGRATIONS_DIR));
  db.prepare(`INSERT INTO audit_events (at, type, actor, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)`).run(
    '2024-01-01T00:00:00.000Z',
    'session.created',
    'alice',
    '{}',
    '0'.repeat(64),
    'a'.repeat(64),
  );
  assert.throws(() => db.prepare(`UPDATE audit_events SET actor = 'mallory'`).run(), /append-only/);
  assert.throws(() => db.prepare(`DELETE FROM audit_events`).run(), /append-only/);
  const rows = db.prepare(`SELECT actor, type FROM audit_events`).all();
  assert.deepEqual(rows, [{ actor: 'alice', type: 'session.created' }]);
  // Appending still works.
  db.prepare(`INSERT INTO audit_events (at, type, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?)`).run(
    '2024-01-01T00:00:01.000Z',
    'x',
    '{}',
    'a'.repeat(64),
    'b'.repeat(64),
  );
  assert.equal((db.prepare(`SELECT count(*) AS n FROM audit_events`).get() as { n: number }).n, 2);
  db.close();
});
