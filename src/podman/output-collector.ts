import { createHash, type Hash } from 'node:crypto';

/**
 * Keeps the first `cap` bytes of a stream and a count and SHA-256 of all of it, so the audit trail
 * can describe output that was too large to return.
 */
export class OutputCollector {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private total = 0;
  private readonly hash: Hash = createHash('sha256');

  constructor(private readonly cap: number) {}

  add(chunk: Buffer): void {
    this.total += chunk.length;
    this.hash.update(chunk);
    const room = this.cap - this.kept;
    if (room <= 0) return;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(Buffer.from(part));
    this.kept += part.length;
  }

  /** Decoded as UTF-8; invalid sequences (including one cut at the cap) become U+FFFD. */
  result(): CollectedOutput {
    return {
      text: Buffer.concat(this.chunks, this.kept).toString('utf8'),
      truncated: this.total > this.kept,
      totalBytes: this.total,
      sha256: this.hash.copy().digest('hex'),
    };
  }
}

export interface CollectedOutput {
  text: string;
  truncated: boolean;
  totalBytes: number;
  sha256: string;
}
