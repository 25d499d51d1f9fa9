import type { Database } from '../db/database.js';
import type { Profile } from './profiles.js';
import type { EndReason, Session, SessionState } from './session.js';

interface Row {
  seq: number;
  id: string;
  state: SessionState;
  target_id: string;
  target_name: string;
  target_image: string;
  sidecar_id: string | null;
  sidecar_name: string;
  sidecar_image: string;
  requested_by: string;
  reason: string | null;
  created_at: string;
  expires_at: string;
  hard_expires_at: string | null;
  max_lifetime_seconds: number | null;
  ttl_seconds: number;
  profile: Profile;
  ended_at: string | null;
  end_reason: EndReason | null;
}

export interface NewSession {
  id: string;
  targetId: string;
  targetName: string;
  targetImage: string;
  sidecarName: string;
  sidecarImage: string;
  requestedBy: string;
  reason: string | null;
  command: string[] | null;
  ttlSeconds: number;
  maxLifetimeSeconds: number;
  profile: Profile;
  createdAt: string;
  expiresAt: string;
  hardExpiresAt: string;
}

export interface SessionPage {
  items: Session[];
  /** seq of the last item when more may follow. */
  nextSeq: number | null;
}

/** All SQL about sessions and exec runs. */
export class SessionStore {
  private readonly insertStmt;
  private readonly activateStmt;
  private readonly failStmt;
  private readonly endStmt;
  private readonly getStmt;
  private readonly listStmts;
  private readonly activeCountsStmt;
  private readonly liveUsageStmt;
  private readonly insertExecStmt;
  private readonly extendStmt;
  private readonly expiredStmt;
  private readonly idsByStateStmt;
  private readonly activeByTargetStmt;

  constructor(db: Database) {
    this.insertStmt = db.prepare(
      `INSERT INTO sessions (id, state, target_id, target_name, target_image, sidecar_name, sidecar_image,
         requested_by, reason, command, ttl_seconds, max_lifetime_seconds, profile, created_at, expires_at, hard_expires_at)
       VALUES (@id, 'creating', @targetId, @targetName, @targetImage, @sidecarName, @sidecarImage,
         @requestedBy, @reason, @command, @ttlSeconds, @maxLifetimeSeconds, @profile, @createdAt, @expiresAt, @hardExpiresAt)`,
    );
    this.activateStmt = db.prepare(
      `UPDATE sessions SET state = 'active', sidecar_id = ? WHERE id = ? AND state = 'creating'`,
    );
    this.failStmt = db.prepare(
      `UPDATE sessions SET state = 'failed', sidecar_id = COALESCE(?, sidecar_id), failure = ?, ended_at = ?
       WHERE id = ? AND state = 'creating'`,
    );
    this.endStmt = db.prepare(
      `UPDATE sessions SET state = 'ended', end_reason = ?, ended_at = ? WHERE id = ? AND state = 'active'`,
    );
    this.getStmt = db.prepare(`SELECT * FROM sessions WHERE id = ?`);
    const list = (where: string) =>
      db.prepare(
        `SELECT * FROM sessions WHERE seq < @before AND (@owner IS NULL OR requested_by = @owner) ${where}
         ORDER BY seq DESC LIMIT @limit`,
      );
    this.listStmts = {
      all: list(''),
      active: list(`AND state IN ('creating', 'active')`),
      ended: list(`AND state IN ('ended', 'failed')`),
      allTarget: list(`AND (target_id = @target OR target_name = @target)`),
      activeTarget: list(`AND state IN ('creating', 'active') AND (target_id = @target OR target_name = @target)`),
      endedTarget: list(`AND state IN ('ended', 'failed') AND (target_id = @target OR target_name = @target)`),
    };
    this.activeCountsStmt = db.prepare(
      `SELECT target_id, COUNT(*) AS n FROM sessions WHERE state IN ('creating', 'active') GROUP BY target_id`,
    );
    this.liveUsageStmt = db.prepare(
      `SELECT COUNT(*) AS total, COALESCE(SUM(requested_by = ?), 0) AS mine FROM sessions WHERE state IN ('creating', 'active')`,
    );
    this.extendStmt = db.prepare(
      `UPDATE sessions SET expires_at = ?, ttl_seconds = ? WHERE id = ? AND state = 'active' AND ? <= hard_expires_at`,
    );
    this.expiredStmt = db.prepare(`SELECT id FROM sessions WHERE state = 'active' AND expires_at <= ? ORDER BY expires_at`);
    this.idsByStateStmt = db.prepare(`SELECT id FROM sessions WHERE state = ? ORDER BY seq`);
    this.activeByTargetStmt = db.prepare(`SELECT id FROM sessions WHERE state = 'active' AND target_id = ?`);
    this.insertExecStmt = db.prepare(
      `INSERT INTO exec_runs (session_id, requested_by, argv, started_at, duration_ms, exit_code, timed_out,
         stdout_bytes, stderr_bytes, stdout_sha256, stderr_sha256)
       VALUES (@sessionId, @requestedBy, @argv, @startedAt, @durationMs, @exitCode, @timedOut,
         @stdoutBytes, @stderrBytes, @stdoutSha256, @stderrSha256)`,
    );
  }

  insertCreating(session: NewSession): void {
    this.insertStmt.run({ ...session, command: session.command ? JSON.stringify(session.command) : null });
  }

  markActive(id: string, sidecarId: string): boolean {
    return this.activateStmt.run(sidecarId, id).changes > 0;
  }

  markFailed(id: string, sidecarId: string | null, failure: string, at: string): boolean {
    return this.failStmt.run(sidecarId, failure, at, id).changes > 0;
  }

  /** Ends an active session; false if it was not active (already ended: the caller is idempotent). */
  markEnded(id: string, reason: EndReason, at: string): boolean {
    return this.endStmt.run(reason, at, id).changes > 0;
  }

  /** Moves the lease to `expiresAt` if the session is active and it stays within the hard lifetime. */
  extend(id: string, expiresAt: string, ttlSeconds: number): boolean {
    return this.extendStmt.run(expiresAt, ttlSeconds, id, expiresAt).changes > 0;
  }

  expiredIds(now: string): string[] {
    return (this.expiredStmt.all(now) as { id: string }[]).map((r) => r.id);
  }

  idsInState(state: SessionState): string[] {
    return (this.idsByStateStmt.all(state) as { id: string }[]).map((r) => r.id);
  }

  activeIdsForTarget(targetId: string): string[] {
    return (this.activeByTargetStmt.all(targetId) as { id: string }[]).map((r) => r.id);
  }

  get(id: string): Session | null {
    const row = this.getStmt.get(id) as Row | undefined;
    return row ? toSession(row) : null;
  }

  list(options: {
    state: 'active' | 'ended' | 'all';
    target?: string | undefined;
    /** Only this principal's sessions; undefined for everyone's. */
    owner?: string | undefined;
    beforeSeq: number | null;
    limit: number;
  }): SessionPage {
    const key = `${options.state}${options.target === undefined ? '' : 'Target'}` as keyof typeof this.listStmts;
    const rows = this.listStmts[key].all({
      before: options.beforeSeq ?? Number.MAX_SAFE_INTEGER,
      limit: options.limit + 1,
      owner: options.owner ?? null,
      ...(options.target === undefined ? {} : { target: options.target }),
    }) as Row[];
    const more = rows.length > options.limit;
    const page = more ? rows.slice(0, options.limit) : rows;
    return { items: page.map(toSession), nextSeq: more ? page[page.length - 1]!.seq : null };
  }

  activeCountsByTarget(): Map<string, number> {
    const rows = this.activeCountsStmt.all() as { target_id: string; n: number }[];
    return new Map(rows.map((r) => [r.target_id, r.n]));
  }

  /** Live (creating or active) sessions: in total and of one principal. For the policy's caps. */
  liveUsage(principal: string): { total: number; byPrincipal: number } {
    const row = this.liveUsageStmt.get(principal) as { total: number; mine: number };
    return { total: row.total, byPrincipal: row.mine };
  }

  insertExecRun(run: {
    sessionId: string;
    requestedBy: string;
    argv: string[];
    startedAt: string;
    durationMs: number;
    exitCode: number | null;
    timedOut: boolean;
    stdoutBytes: number;
    stderrBytes: number;
    stdoutSha256: string;
    stderrSha256: string;
  }): void {
    this.insertExecStmt.run({ ...run, argv: JSON.stringify(run.argv), timedOut: run.timedOut ? 1 : 0 });
  }
}

function toSession(row: Row): Session {
  return {
    id: row.id,
    state: row.state,
    target: { id: row.target_id, name: row.target_name, image: row.target_image },
    sidecar: { id: row.sidecar_id, name: row.sidecar_name, image: row.sidecar_image },
    requestedBy: row.requested_by,
    reason: row.reason,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    hardExpiresAt: row.hard_expires_at ?? row.expires_at,
    maxLifetimeSeconds: row.max_lifetime_seconds ?? row.ttl_seconds,
    profile: row.profile,
    endedAt: row.ended_at,
    endReason: row.end_reason,
    attachCommand: `podman exec -it ${row.sidecar_name} sh`,
  };
}
