/**
 * What a token may do. `admin` implies every other scope and reaches other principals' sessions.
 * `metrics:read` is only GET /metrics: a scraper's token reads counters, never sessions or audit.
 */
export const SCOPES = ['sessions:read', 'sessions:write', 'exec', 'audit:read', 'metrics:read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Scopes of a token created without --scope: what a person debugging needs (not admin, not metrics:read). */
export const DEFAULT_SCOPES: readonly Scope[] = ['sessions:read', 'sessions:write', 'exec', 'audit:read'];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

export function hasScope(granted: ReadonlySet<string>, needed: Scope): boolean {
  return granted.has(needed) || granted.has('admin');
}

/** "30d", "12h", "45m", "3600s" -> milliseconds; undefined if it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,6})([smhd])$/.exec(text);
  if (!match) return undefined;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
