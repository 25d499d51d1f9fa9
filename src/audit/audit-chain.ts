import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

export const GENESIS_HASH = '0'.repeat(64);

/** What is hashed of an event: everything but the hashes themselves. */
export interface ChainedFields {
  seq: number;
  at: string;
  type: string;
  actor: string | null;
  sessionId: string | null;
  requestId: string | null;
  data: unknown;
}

export function eventHash(prevHash: string, event: ChainedFields): string {
  const body = canonicalJson({
    seq: event.seq,
    at: event.at,
    type: event.type,
    actor: event.actor,
    sessionId: event.sessionId,
    requestId: event.requestId,
    data: event.data,
  });
  return createHash('sha256').update(prevHash, 'utf8').update(body, 'utf8').digest('hex');
}

export type ChainVerdict = { ok: true; count: number } | { ok: false; seq: number; reason: string; verified: number };

/**
 * Walks events in seq order and checks that seqs are contiguous from 1, each prev_hash is the
 * previous hash, and each hash matches its content. Reports the first bad seq.
 */
export function verifyChain(rows: Iterable<ChainedFields & { prevHash: string; hash: string }>): ChainVerdict {
  let expectedSeq = 1;
  let prev = GENESIS_HASH;
  let count = 0;
  for (const row of rows) {
    if (row.seq !== expectedSeq) {
      return { ok: false, seq: expectedSeq, reason: `event ${expectedSeq} is missing (next is ${row.seq})`, verified: count };
    }
    if (row.prevHash !== prev) return { ok: false, seq: row.seq, reason: 'prev_hash does not match the previous event', verified: count };
    if (eventHash(prev, row) !== row.hash) return { ok: false, seq: row.seq, reason: 'content does not match its hash', verified: count };
    prev = row.hash;
    expectedSeq++;
    count++;
  }
  return { ok: true, count };
}
