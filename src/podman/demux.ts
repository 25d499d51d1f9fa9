import { Transform, type TransformCallback } from 'node:stream';

export type StreamName = 'stdout' | 'stderr';

export interface Frame {
  stream: StreamName;
  payload: Buffer;
}

const HEADER_BYTES = 8;
/** Podman writes frames of at most 32 KiB; anything near this is a corrupt header. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export class DemuxError extends Error {
  override name = 'DemuxError';
}

/**
 * Splits Podman's multiplexed (Tty=false) attach stream into frames. Each frame is an 8-byte
 * header [stream, 0, 0, 0, uint32 BE length] and `length` payload bytes; headers and payloads may
 * be split across chunks in any way. Readable side is in object mode and yields Frame objects.
 */
export class FrameDemuxer extends Transform {
  /** Bytes received but not yet emitted; concatenated only once a whole frame is there. */
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    try {
      this.drain();
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.buffered > 0) {
      callback(new DemuxError(`attach stream ended inside a frame (${this.buffered} bytes left over)`));
      return;
    }
    callback();
  }

  private drain(): void {
    while (this.buffered >= HEADER_BYTES) {
      const head = this.peek(HEADER_BYTES);
      const kind = head[0]!;
      const length = head.readUInt32BE(4);
      const stream = streamOf(kind);
      if (stream === undefined) throw new DemuxError(`unknown stream type ${kind} in attach stream`);
      if (length > MAX_FRAME_BYTES) throw new DemuxError(`frame of ${length} bytes exceeds ${MAX_FRAME_BYTES}`);
      if (this.buffered < HEADER_BYTES + length) return;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      if (length > 0) this.push({ stream, payload: all.subarray(HEADER_BYTES, HEADER_BYTES + length) } satisfies Frame);
      const rest = all.subarray(HEADER_BYTES + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
  }

  /** The first n buffered bytes (n <= buffered), copying only when they span chunks. */
  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    if (this.chunks.length > 1) {
      this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    }
    return this.chunks[0]!;
  }
}

function streamOf(kind: number): StreamName | undefined {
  // 0 (stdin echoed) and 1 are stdout in Docker's protocol; 3 is Docker's "system error" stream.
  if (kind === 0 || kind === 1) return 'stdout';
  if (kind === 2 || kind === 3) return 'stderr';
  return undefined;
}
