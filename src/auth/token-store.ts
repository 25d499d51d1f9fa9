import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../db/database.js';
import { DEFAULT_SCOPES, type Scope } from './scopes.js';

export interface TokenInfo {
  name: string;
  scopes: string[];
  expiresAt: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface Row {
  name: string;
  scopes: string;
  expires_at: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export const TOKEN_PREFIX = 'pdd_';
export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class TokenNameTakenError extends Error {
  constructor(name: string) {
    super(`a token named "${name}" already exists`);
    this.name = 'TokenNameTakenError';
  }
}

/** API tokens. Only the SHA-256 of a token is stored; the token itself is shown once, at creation. */
export class TokenStore {
  private readonly insert;
  private readonly selectAll;
  private readonly selectByHash;
  private readonly touch;
  private readonly revokeStmt;
  /** Last-used times are written at most once a minute per token, not on every request. */
  private readonly lastTouched = new Map<string, number>();

  constructor(db: Database) {
    this.insert = db.prepare(`INSERT INTO tokens (name, token_sha256, created_at, scopes, expires_at) VALUES (?, ?, ?, ?, ?)`);
    this.selectAll = db.prepare(`SELECT name, scopes, expires_at, created_at, last_used_at, revoked_at FROM tokens ORDER BY id`);
    this.selectByHash = db.prepare(`SELECT name, scopes, expires_at, revoked_at FROM tokens WHERE token_sha256 = ?`);
    this.touch = db.prepare(`UPDATE tokens SET last_used_at = ? WHERE name = ?`);
    this.revokeStmt = db.prepare(`UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL`);
  }

  create(name: string, options: { scopes?: readonly Scope[]; expiresAt?: Date } = {}, now = new Date()): string {
    if (!TOKEN_NAME_PATTERN.test(name)) {
      throw new Error(`token name "${name}" must be 1-64 characters of letters, digits, '.', '_', '@' or '-'`);
    }
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    try {
      const scopes = [...new Set(options.scopes ?? DEFAULT_SCOPES)].join(' ');
      this.insert.run(name, hashToken(token), now.toISOString(), scopes, options.expiresAt?.toISOString() ?? null);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new TokenNameTakenError(name);
      throw err;
    }
    return token;
  }

  list(): TokenInfo[] {
    return (this.selectAll.all() as Row[]).map((r) => ({
      name: r.name,
      scopes: r.scopes.split(' ').filter(Boolean),
      expiresAt: r.expires_at,
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
      revokedAt: r.revoked_at,
    }));
  }

  /** True if a live token of that name was revoked now. */
  revoke(name: string, now = new Date()): boolean {
    return this.revokeStmt.run(now.toISOString(), name).changes > 0;
  }

  /** The principal a presented token belongs to, or why it is refused. */
  authenticate(
    token: string,
    now = new Date(),
  ): { name: string; scopes: ReadonlySet<string> } | { refused: 'unknown' | 'revoked' | 'expired' } {
    const row = this.selectByHash.get(hashToken(token)) as
      | { name: string; scopes: string; expires_at: string | null; revoked_at: string | null }
      | undefined;
    if (!row) return { refused: 'unknown' };
    if (row.revoked_at) return { refused: 'revoked' };
    if (row.expires_at && row.expires_at <= now.toISOString()) return { refused: 'expired' };
    const last = this.lastTouched.get(row.name) ?? 0;
    if (now.getTime() - last > 60_000) {
      this.lastTouched.set(row.name, now.getTime());
      this.touch.run(now.toISOString(), row.name);
    }
    return { name: row.name, scopes: new Set(row.scopes.split(' ').filter(Boolean)) };
  }
}
