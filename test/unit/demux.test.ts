import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DemuxError, FrameDemuxer, type Frame } from '../../src/podman/demux.js';

/** One multiplexed frame: [type, 0, 0, 0, uint32 BE length] + payload. */
function frame(type: number, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Splits a buffer into chunks of the given size (the last one may be shorter). */
function chunksOf(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

/** Feeds the chunks through a FrameDemuxer the way a consumer would and collects the frames. */
async function demux(chunks: Buffer[]): Promise<Frame[]> {
  const frames: Frame[] = [];
  await pipeline(Readable.from(chunks), new FrameDemuxer(), async (source: AsyncIterable<Frame>) => {
    for await (const f of source) frames.push(f);
  });
  return frames;
}

/** Frames as plain data, so deepEqual compares payload text rather than Buffer identity. */
function plain(frames: Frame[]): Array<{ stream: string; text: string }> {
  return frames.map((f) => {
    assert.ok(Buffer.isBuffer(f.payload), 'payload is a Buffer');
    return { stream: f.stream, text: f.payload.toString('utf8') };
  });
}

const sample = Buffer.concat([
  frame(1, 'hello '),
  frame(2, 'oops\n'),
  frame(1, 'world\n'),
  frame(2, 'more errors'),
]);
const sampleExpected = [
  { stream: 'stdout', text: 'hello ' },
  { stream: 'stderr', text: 'oops\n' },
  { stream: 'stdout', text: 'world\n' },
  { stream: 'stderr', text: 'more errors' },
];

test('many frames in one chunk come out in order', async () => {
  assert.deepEqual(plain(await demux([sample])), sampleExpected);
});

test('input delivered one byte at a time (headers split across chunks) gives the same frames', async () => {
  assert.deepEqual(plain(await demux(chunksOf(sample, 1))), sampleExpected);
});

test('every two-chunk split point of the stream gives the same frames', async () => {
  for (let cut = 1; cut < sample.length; cut++) {
    const frames = await demux([sample.subarray(0, cut), sample.subarray(cut)]);
    assert.deepEqual(plain(frames), sampleExpected, `split at byte ${cut}`);
  }
});

test('a payload split across several chunks is reassembled into one frame', async () => {
  const payload = Buffer.alloc(100_000);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) % 251;
  const frames = await demux(chunksOf(frame(1, payload), 4093));
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.stream, 'stdout');
  assert.ok(frames[0]!.payload.equals(payload));
});

test('payloads stay intact after later chunks are processed', async () => {
  // A frame completes in the middle of a chunk whose remainder starts the next frame.
  const a = frame(1, 'first-payload');
  const b = frame(2, 'second-payload');
  const stream = Buffer.concat([a, b]);
  const chunks = [stream.subarray(0, 10), stream.subarray(10, a.length + 3), stream.subarray(a.length + 3)];
  assert.deepEqual(plain(await demux(chunks)), [
    { stream: 'stdout', text: 'first-payload' },
    { stream: 'stderr', text: 'second-payload' },
  ]);
});

test('binary payloads are passed through byte for byte', async () => {
  const payload = Buffer.from([0x00, 0xff, 0x01, 0x02, 0x00, 0x00, 0x00, 0x08, 0xc3]);
  const frames = await demux([frame(2, payload)]);
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.stream, 'stderr');
  assert.ok(frames[0]!.payload.equals(payload));
});

test('stream types 0 and 1 are stdout, 2 and 3 are stderr', async () => {
  const frames = await demux([Buffer.concat([frame(0, 'a'), frame(1, 'b'), frame(2, 'c'), frame(3, 'd')])]);
  assert.deepEqual(plain(frames), [
    { stream: 'stdout', text: 'a' },
    { stream: 'stdout', text: 'b' },
    { stream: 'stderr', text: 'c' },
    { stream: 'stderr', text: 'd' },
  ]);
});

test('zero-length frames yield nothing', async () => {
  const frames = await demux([Buffer.concat([frame(1, ''), frame(1, 'x'), frame(2, ''), frame(2, 'y'), frame(1, '')])]);
  assert.deepEqual(plain(frames), [
    { stream: 'stdout', text: 'x' },
    { stream: 'stderr', text: 'y' },
  ]);
});

test('only zero-length frames: no frames, ends cleanly', async () => {
  assert.deepEqual(await demux([frame(1, ''), frame(2, '')]), []);
});

test('completely empty input: no frames, ends cleanly', async () => {
  assert.deepEqual(await demux([]), []);
});

test('unknown stream type is a DemuxError naming the type', async () => {
  await assert.rejects(demux([Buffer.concat([frame(1, 'ok'), frame(7, 'bad')])]), (err: unknown) => {
    assert.ok(err instanceof DemuxError);
    assert.equal(err.name, 'DemuxError');
    assert.match(err.message, /unknown stream type 7/);
    return true;
  });
});

test('unknown stream type with an empty payload is still an error', async () => {
  await assert.rejects(demux([frame(4, '')]), DemuxError);
});

test('unknown stream type is detected when the frame arrives split across chunks', async () => {
  await assert.rejects(demux(chunksOf(frame(9, 'abc'), 1)), /unknown stream type 9/);
});

test('input ending inside a header is a DemuxError', async () => {
  const stream = Buffer.concat([frame(1, 'complete'), frame(1, 'cut').subarray(0, 5)]);
  await assert.rejects(demux([stream]), (err: unknown) => {
    assert.ok(err instanceof DemuxError);
    assert.match(err.message, /ended inside a frame \(5 bytes left over\)/);
    return true;
  });
});

test('input ending inside a payload is a DemuxError', async () => {
  const whole = frame(2, 'a payload that is cut short');
  await assert.rejects(demux(chunksOf(whole.subarray(0, whole.length - 4), 3)), (err: unknown) => {
    assert.ok(err instanceof DemuxError);
    assert.match(err.message, new RegExp(`\\(${whole.length - 4} bytes left over\\)`));
    return true;
  });
});
