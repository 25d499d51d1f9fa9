import type { Database } from '../db/database.js';

export type AuditEventType =
  | 'session.creating'
  | 'session.created'
  | 'session.failed'
  | 'session.ended'
  | 'session.extended'
  | 'exec.completed'
  | 'auth.denied'
  | 'token.created'
  | 'token.revoked';

export interface AuditEventInput {
  type: AuditEventType;
  actor: string | null;
  sessionId?: string | null;
  requestId?: string | null;
  data: Record<string, unknown>;
}

export interface AuditEvent {
  seq: number;
  at: string;
  type: AuditEventType;
  actor: string | null;
  sessionId: string | null;
  requestId: string | null;
  data: Record<string, unknown>;
}

interface Row {
  seq: number;
  at: string;
  type: AuditEventType;
  actor: string | null;
  session_id: string | null;
  request_id: string | null;
  data: string;
}

/** Append-only audit trail (the table's triggers refuse UPDATE and DELETE). */
export class AuditStore {
  private readonly insert;
  private readonly selectAll;
  private readonly selectBySession;

  constructor(private readonly db: Database) {
    this.insert = db.prepare(
      `INSERT INTO audit_events (at, type, actor, session_id, request_id, data)
       VALUES (@at, @type, @actor, @session_id, @request_id, @data) RETURNING seq`,
    );
    this.selectAll = db.prepare(`SELECT * FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`);
    this.selectBySession = db.prepare(
      `SELECT * FROM audit_events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    );
  }

  append(event: AuditEventInput, at = new Date()): AuditEvent {
    const row = {
      at: at.toISOString(),
      type: event.type,
      actor: event.actor,
      session_id: event.sessionId ?? null,
      request_id: event.requestId ?? null,
      data: JSON.stringify(event.data),
    };
    const { seq } = this.insert.get(row) as { seq: number };
    return toEvent({ ...row, seq });
  }

  /** Oldest first, after `afterSeq`. */
  list(options: { sessionId?: string | undefined; afterSeq: number; limit: number }): AuditEvent[] {
    const rows = (
      options.sessionId === undefined
        ? this.selectAll.all(options.afterSeq, options.limit)
        : this.selectBySession.all(options.sessionId, options.afterSeq, options.limit)
    ) as Row[];
    return rows.map(toEvent);
  }
}

function toEvent(row: Row): AuditEvent {
  return {
    seq: row.seq,
    at: row.at,
    type: row.type,
    actor: row.actor,
    sessionId: row.session_id,
    requestId: row.request_id,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}
