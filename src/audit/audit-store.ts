import type { Database } from '../db/database.js';
import { type ChainVerdict, GENESIS_HASH, eventHash, verifyChain } from './audit-chain.js';

export type AuditEventType =
  | 'session.creating'
  | 'session.created'
  | 'session.failed'
  | 'session.ended'
  | 'session.extended'
  | 'exec.completed'
  | 'auth.denied'
  | 'rate.limited'
  | 'policy.denied'
  | 'policy.loaded'
  | 'policy.reload-rejected'
  | 'chat.command'
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
  prevHash: string;
  hash: string;
}

interface Row {
  seq: number;
  at: string;
  type: AuditEventType;
  actor: string | null;
  session_id: string | null;
  request_id: string | null;
  data: string;
  prev_hash: string;
  hash: string;
}

/** Append-only audit trail (the table's triggers refuse UPDATE and DELETE). */
export class AuditStore {
  private readonly insert;
  private readonly last;
  private readonly selectAll;
  private readonly selectBySession;
  private readonly iterateAll;
  private readonly appendTx;

  constructor(private readonly db: Database) {
    this.insert = db.prepare(
      `INSERT INTO audit_events (seq, at, type, actor, session_id, request_id, data, prev_hash, hash)
       VALUES (@seq, @at, @type, @actor, @session_id, @request_id, @data, @prev_hash, @hash)`,
    );
    this.last = db.prepare(`SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`);
    this.iterateAll = db.prepare(`SELECT * FROM audit_events ORDER BY seq`);
    // Reading the chain's end and appending must be one step, also across processes (the CLI
    // writes too): an IMMEDIATE transaction, or a savepoint inside the caller's transaction.
    this.appendTx = db.transaction((event: AuditEventInput, at: Date): AuditEvent => {
      const tail = this.last.get() as { seq: number; hash: string } | undefined;
      const fields = {
        seq: (tail?.seq ?? 0) + 1,
        at: at.toISOString(),
        type: event.type,
        actor: event.actor,
        sessionId: event.sessionId ?? null,
        requestId: event.requestId ?? null,
        data: event.data,
      };
      // Hash what will be read back: the data as JSON round-trips it.
      const data = JSON.stringify(event.data);
      const stored = { ...fields, data: JSON.parse(data) as Record<string, unknown> };
      const prevHash = tail?.hash ?? GENESIS_HASH;
      const hash = eventHash(prevHash, stored);
      this.insert.run({
        seq: fields.seq,
        at: fields.at,
        type: fields.type,
        actor: fields.actor,
        session_id: fields.sessionId,
        request_id: fields.requestId,
        data,
        prev_hash: prevHash,
        hash,
      });
      return { ...stored, type: event.type, prevHash, hash };
    });
    this.selectAll = db.prepare(`SELECT * FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`);
    this.selectBySession = db.prepare(
      `SELECT * FROM audit_events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    );
  }

  /** Appends an event to the chain. Throws if it cannot be written: callers fail closed. */
  append(event: AuditEventInput, at = new Date()): AuditEvent {
    return this.appendTx.immediate(event, at);
  }

  /** Every event, oldest first, without loading them all at once. */
  *iterate(): Generator<AuditEvent> {
    for (const row of this.iterateAll.iterate() as Iterable<Row>) yield toEvent(row);
  }

  /** Walks the whole chain; a row whose data is not even JSON is reported as the bad seq. */
  verify(): ChainVerdict {
    let current = 0;
    const rows = this.iterateAll.iterate() as Iterable<Row>;
    function* parsed() {
      for (const row of rows) {
        current = row.seq;
        yield toEvent(row);
      }
    }
    try {
      return verifyChain(parsed());
    } catch {
      return { ok: false, seq: current, reason: 'data is not valid JSON', verified: current - 1 };
    }
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
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
