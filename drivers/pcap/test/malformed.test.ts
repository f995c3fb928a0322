// Corrupt and truncated captures: each one reports a CaptureError naming the
// frame and the byte offset, after yielding every good frame before it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureError, FrameBurst, readCapture, openCapture, MAX_SNAPLEN, type CaptureRecord } from '../capture.ts';
import { block, Bytes, concat, epb, frame, idb, pcapHeader, pcapRecord, shb } from './handmade.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-pcap-bad-'));
let fileNo = 0;

/** Reads bytes fully, in memory and streamed; both must agree. Returns the frames and the error. */
async function readBoth(bytes: Uint8Array): Promise<{ frames: CaptureRecord[]; error: CaptureError | undefined }> {
  let memory: { frames: CaptureRecord[]; error: CaptureError | undefined };
  try {
    const r = readCapture(bytes, { onError: 'stop' });
    memory = { frames: r.all(), error: r.error };
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    memory = { frames: [], error: err };
  }
  const path = join(dir, `f${fileNo++}`);
  writeFileSync(path, bytes);
  const streamed: CaptureRecord[] = [];
  let streamError: unknown;
  try {
    for await (const r of await openCapture(path, { chunkSize: 64 })) streamed.push(r);
  } catch (err) {
    streamError = err;
  }
  assert.is(streamed.length, memory.frames.length, 'streamed frame count');
  assert.is((streamError as Error | undefined)?.message, memory.error?.message, 'streamed error');
  return memory;
}

async function expectError(bytes: Uint8Array, record: number, offset: number, message: RegExp, framesBefore: number): Promise<void> {
  const { frames, error } = await readBoth(bytes);
  assert.instance(error, CaptureError);
  assert.is(error!.record, record, 'record');
  assert.is(error!.offset, offset, 'offset');
  assert.match(error!.message, message);
  assert.is(frames.length, framesBefore, 'frames yielded before the error');
}

const LE = true;
const header = pcapHeader(LE, 0xa1b2c3d4);
const good = pcapRecord(LE, 1, 0, frame(1, 60));

test('bad magic', async () => {
  await expectError(Uint8Array.from({ length: 40 }, (_, i) => i), 0, 0, /^file header at byte offset 0: bad magic 0x00010203: not a pcap file/, 0);
});

test('empty and too-short files', async () => {
  await expectError(new Uint8Array(0), 0, 0, /empty file/, 0);
  await expectError(Uint8Array.of(0xd4, 0xc3), 0, 0, /too short/, 0);
});

test('truncated pcap header', async () => {
  await expectError(header.subarray(0, 10), 0, 0, /truncated pcap file header: needs 24 bytes, the file ends after 10/, 0);
});

test('unsupported pcap version', async () => {
  const v3 = new Bytes(LE).u32(0xa1b2c3d4).u16(3).u16(0).u32(0).u32(0).u32(65535).u32(1).bytes();
  await expectError(v3, 0, 0, /unsupported pcap version 3.0/, 0);
});

test('truncated record header, after a good frame', async () => {
  await expectError(concat(header, good, new Uint8Array(8)), 2, 24 + 76, /truncated record header: needs 16 bytes, the file ends after 8/, 1);
});

test('truncated record data', async () => {
  const cut = concat(header, good, good.subarray(0, 46));
  await expectError(cut, 2, 24 + 76, /truncated record: needs 76 bytes, the file ends after 46/, 1);
});

test('huge caplen is refused before reading (or allocating) the frame', async () => {
  const huge = new Bytes(LE).u32(1).u32(0).u32(0x7fffffff).u32(0x7fffffff).bytes();
  await expectError(concat(header, good, huge), 2, 100, new RegExp(`caplen 2147483647 is larger than the maximum ${MAX_SNAPLEN}`), 1);
});

test('caplen above the snaplen: kept to snaplen bytes with a warning, as libpcap does', async () => {
  const bytes = concat(pcapHeader(LE, 0xa1b2c3d4, 64), pcapRecord(LE, 1, 0, frame(1, 100)), pcapRecord(LE, 2, 0, frame(2, 30)));
  const r = readCapture(bytes);
  const frames = r.all();
  assert.equal(frames.map((f) => f.caplen), [64, 30]);
  assert.equal(frames[0]!.data, frame(1, 64));
  assert.is(frames[0]!.origLen, 100);
  assert.equal(frames[1]!.data, frame(2, 30)); // the next record starts after all 100 bytes
  assert.is(r.warnings.length, 1);
  assert.is(r.warnings[0]!.record, 1);
  assert.is(r.warnings[0]!.offset, 24);
  assert.match(r.warnings[0]!.message, /caplen 100 is larger than the file's snaplen 64/);
});

test('zero-length frames are valid', async () => {
  const { frames, error } = await readBoth(concat(header, pcapRecord(LE, 1, 0, new Uint8Array(0)), good));
  assert.is(error, undefined);
  assert.equal(frames.map((f) => f.caplen), [0, 60]);
});

test('by default iteration throws, after yielding the good frames', () => {
  const seen: number[] = [];
  assert.throws(() => { for (const r of readCapture(concat(header, good, good, new Uint8Array(3)))) seen.push(r.frame); }, /frame 3/);
  assert.equal(seen, [1, 2]);
});

test('a burst returns the good frames before an error, and the error comes with the next read', async () => {
  const bytes = concat(header, good, good, new Uint8Array(3));
  const burst = new FrameBurst(16);
  const r = readCapture(bytes);
  assert.is(r.readBurst(burst), 2);
  assert.throws(() => r.readBurst(burst), (e: unknown) => e instanceof CaptureError && e.record === 3);
  const stopping = readCapture(bytes, { onError: 'stop' });
  assert.is(stopping.readBurst(burst), 2);
  assert.is(stopping.readBurst(burst), 0);
  assert.is(stopping.error!.record, 3);
  const path = join(dir, `f${fileNo++}`);
  writeFileSync(path, bytes);
  const stream = await openCapture(path, { chunkSize: 64 });
  let n = 0;
  try {
    for (let k = await stream.readBurst(burst); k > 0; k = await stream.readBurst(burst)) n += k;
    assert.unreachable('no error');
  } catch (err) {
    assert.instance(err, CaptureError);
    assert.is((err as CaptureError).record, 3);
  }
  assert.is(n, 2);
});

const ngHead = concat(shb(LE), idb(LE));
const ngGood = epb(LE, 0, 0, 0, frame(1, 60)); // 28 + 60 + 4 = 92 bytes
// (a block with an 8-byte frame: 8 header + 20 fields + 8 data + 4 trailer = 40 bytes)

test('pcapng block length mismatch', async () => {
  const bad = block(LE, 6, new Bytes(LE).u32(0).u32(0).u32(0).u32(8).u32(8).raw(frame(0, 8)).bytes(), undefined, 999);
  await expectError(concat(ngHead, ngGood, bad), 2, ngHead.length + 92, /block length mismatch in block type 0x6: 40 at the start, 999 at the end/, 1);
});

test('pcapng block lengths that cannot be right', async () => {
  for (const length of [8, 45, MAX_SNAPLEN * 1000]) {
    const bad = new Bytes(LE).u32(6).u32(length).u32(0).bytes();
    await expectError(concat(ngHead, bad), 1, ngHead.length, new RegExp(`bad block length ${length}`), 0);
  }
});

test('pcapng truncated block', async () => {
  await expectError(concat(ngHead, ngGood, ngGood.subarray(0, 50)), 2, ngHead.length + 92, /truncated block \(type 0x6\): needs 92 bytes, the file ends after 50/, 1);
});

test('pcapng packet block of an interface that was never described', async () => {
  await expectError(concat(ngHead, epb(LE, 3, 0, 0, frame(0, 10))), 1, ngHead.length, /refers to interface 3, but the section has 1/, 0);
});

test('pcapng caplen larger than its block', async () => {
  const bad = block(LE, 6, new Bytes(LE).u32(0).u32(0).u32(0).u32(500).u32(500).raw(frame(0, 8)).bytes());
  await expectError(concat(ngHead, bad), 1, ngHead.length, /caplen 500 does not fit in a block of 40 bytes/, 0);
});

test('pcapng huge caplen', async () => {
  const bad = block(LE, 6, new Bytes(LE).u32(0).u32(0).u32(0).u32(0x10000000).u32(0x10000000).raw(frame(0, 8)).bytes());
  await expectError(concat(ngHead, bad), 1, ngHead.length, /caplen 268435456 is larger than the maximum/, 0);
});

test('pcapng caplen above the interface snaplen is kept to snaplen bytes with a warning', () => {
  const r = readCapture(concat(shb(LE), idb(LE, { snaplen: 32 }), ngGood));
  assert.equal(r.all()[0]!.data, frame(1, 32));
  assert.match(r.warnings[0]!.message, /caplen 60 is larger than interface 0's snaplen 32/);
});

test('pcapng bad byte-order magic and bad option lengths', async () => {
  const badBom = block(LE, 0x0a0d0d0a, new Bytes(LE).u32(0x11223344).u16(1).u16(0).u32(0).u32(0).bytes());
  await expectError(badBom, 0, 0, /bad byte-order magic 0x11223344/, 0);
  const badOption = block(LE, 1, new Bytes(LE).u16(1).u16(0).u32(0).u16(9).u16(200).u32(0).bytes());
  await expectError(concat(shb(LE), badOption), 1, 28, /option 9 \(200 bytes\) runs past the end of its block/, 0);
});

test('every truncation of a valid file is either complete frames or a CaptureError', async () => {
  for (const whole of [concat(header, good, pcapRecord(LE, 2, 0, frame(2, 17))), concat(ngHead, ngGood, epb(LE, 0, 0, 0, frame(2, 17)))]) {
    const all = readCapture(whole).all().length;
    for (let n = 0; n < whole.length; n++) {
      const { frames, error } = await readBoth(whole.subarray(0, n));
      assert.ok(error !== undefined || frames.length <= all);
    }
  }
});

test('random corruption never crashes, hangs or throws anything but CaptureError', () => {
  let seed = 12345;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
  const bases = [
    concat(header, good, good, pcapRecord(LE, 3, 0, frame(3, 5))),
    concat(ngHead, ngGood, idb(LE, { tsresol: 9 }), epb(LE, 1, 0, 0, frame(3, 9)), ngGood),
  ];
  for (let i = 0; i < 3000; i++) {
    const bytes = bases[i % 2]!.slice();
    for (let k = 1 + rand(4); k > 0; k--) bytes[rand(bytes.length)] = rand(256);
    try {
      const r = readCapture(bytes, { onError: 'stop' });
      r.all();
    } catch (err) {
      if (!(err instanceof CaptureError)) throw err;
    }
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
