import { Transform, type TransformCallback } from 'node:stream';

export type StreamName = 'stdout' | 'stderr';

export interface Frame {
  stream: StreamName;
  payload: Buffer;
}

const HEADER_BYTES = 8;

export class DemuxError extends Error {
  override name = 'DemuxError';
}

/**
 * Splits Podman's multiplexed (Tty=false) attach stream into frames. Each frame is an 8-byte
 * header [stream, 0, 0, 0, uint32 BE length] and `length` payload bytes; headers and payloads may
 * be split across chunks in any way. Readable side is in object mode and yields Frame objects.
 */
export class FrameDemuxer extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    while (this.pending.length - offset >= HEADER_BYTES) {
      const kind = this.pending[offset]!;
      const length = this.pending.readUInt32BE(offset + 4);
      if (this.pending.length - offset - HEADER_BYTES < length) break;
      const stream = streamOf(kind);
      if (stream === undefined) {
        callback(new DemuxError(`unknown stream type ${kind} in attach stream`));
        return;
      }
      const start = offset + HEADER_BYTES;
      if (length > 0) this.push({ stream, payload: this.pending.subarray(start, start + length) } satisfies Frame);
      offset = start + length;
    }
    this.pending = offset === 0 ? this.pending : Buffer.from(this.pending.subarray(offset));
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.pending.length > 0) {
      callback(new DemuxError(`attach stream ended inside a frame (${this.pending.length} bytes left over)`));
      return;
    }
    callback();
  }
}

function streamOf(kind: number): StreamName | undefined {
  // 0 (stdin echoed) and 1 are stdout in Docker's protocol; 3 is Docker's "system error" stream.
  if (kind === 0 || kind === 1) return 'stdout';
  if (kind === 2 || kind === 3) return 'stderr';
  return undefined;
}
