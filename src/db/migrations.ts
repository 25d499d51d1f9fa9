import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from './database.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrationResult {
  from: number;
  to: number;
  applied: string[];
}

export class SchemaTooNewError extends Error {
  constructor(readonly dbVersion: number, readonly codeVersion: number) {
    super(
      `database schema version ${dbVersion} is newer than this podman-debugd understands (${codeVersion}); ` +
        'run the newer podman-debugd, or restore a backup made before the upgrade',
    );
    this.name = 'SchemaTooNewError';
  }
}

/** Reads migrations/NNNN_name.sql in version order; gaps and duplicates are a packaging error. */
export function readMigrations(dir: string): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = /^(\d{4})_([a-z0-9_-]+)\.sql$/.exec(file);
      if (!match) throw new Error(`migration file "${file}" is not named NNNN_name.sql`);
      return { version: Number(match[1]), name: file, sql: readFileSync(join(dir, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} out of sequence: expected version ${i + 1}`);
  });
  return migrations;
}

/**
 * Applies pending migrations, one transaction each, recording the version in PRAGMA user_version.
 * Refuses a database whose schema is newer than the code.
 */
export function applyMigrations(db: Database, migrations: Migration[]): MigrationResult {
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > latest) throw new SchemaTooNewError(from, latest);
  const applied: string[] = [];
  for (const migration of migrations) {
    if (migration.version <= from) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
    applied.push(migration.name);
  }
  return { from, to: Math.max(from, latest), applied };
}
