// Reading captures assembled by hand from the format specifications.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture, openCapture, FrameBurst, LinkType, linkTypeName, type CaptureRecord } from '../capture.ts';
import { block, Bytes, concat, epb, frame, idb, pcapHeader, pcapRecord, shb, spb } from './handmade.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-pcap-read-'));
let fileNo = 0;
function file(bytes: Uint8Array): string {
  const path = join(dir, `f${fileNo++}`);
  writeFileSync(path, bytes);
  return path;
}
const summary = (r: CaptureRecord) => ({ frame: r.frame, caplen: r.caplen, origLen: r.origLen, iface: r.interfaceId, ts: r.timestamp });

for (const le of [true, false]) {
  const order = le ? 'little-endian' : 'big-endian';
  test(`pcap ${order}, microseconds: fields, timestamps and truncated frames`, () => {
    const bytes = concat(
      pcapHeader(le, 0xa1b2c3d4, 96),
      pcapRecord(le, 1_700_000_000, 123_456, frame(1, 60)),
      pcapRecord(le, 1_700_000_001, 999_999, frame(2, 96), 1514), // truncated to the snaplen
      pcapRecord(le, 0, 0, new Uint8Array(0)), // zero-length frames are valid
    );
    const r = readCapture(bytes);
    assert.is(r.format, 'pcap');
    assert.is(r.byteOrder, le ? 'le' : 'be');
    assert.is(r.nanosecond, false);
    assert.is(r.linkType, LinkType.ETHERNET);
    assert.is(r.interfaces[0]!.snaplen, 96);
    const recs = r.all();
    assert.equal(recs.map(summary), [
      { frame: 1, caplen: 60, origLen: 60, iface: 0, ts: 1_700_000_000_123_456_000n },
      { frame: 2, caplen: 96, origLen: 1514, iface: 0, ts: 1_700_000_001_999_999_000n },
      { frame: 3, caplen: 0, origLen: 0, iface: 0, ts: 0n },
    ]);
    assert.equal(recs[0]!.data, frame(1, 60));
    assert.equal(recs[1]!.data, frame(2, 96));
    assert.ok(recs[1]!.truncated);
    assert.equal(recs.map((x) => x.offset), [24, 24 + 16 + 60, 24 + 16 + 60 + 16 + 96]);
    assert.is(r.warnings.length, 0);
  });

  test(`pcap ${order}, nanoseconds`, () => {
    const bytes = concat(pcapHeader(le, 0xa1b23c4d), pcapRecord(le, 1_700_000_000, 123_456_789, frame(7, 64)));
    const r = readCapture(bytes);
    assert.is(r.nanosecond, true);
    const [rec] = r.all();
    assert.is(rec!.timestamp, 1_700_000_000_123_456_789n);
    assert.equal(rec!.data, frame(7, 64));
  });

  test(`pcapng ${order}: two interfaces with their own resolution, snaplen and link type`, () => {
    const bytes = concat(
      shb(le),
      idb(le, { linkType: 1, snaplen: 0, tsresol: 9, name: 'veth0' }),
      idb(le, { linkType: 113, snaplen: 128 }), // no if_tsresol: microseconds
      block(le, 0x00000bad, Uint8Array.of(1, 2, 3, 4, 5)), // a block type nobody knows
      block(le, 5, new Bytes(le).u32(0).u32(0).u32(0).u16(0).u16(0).bytes()), // interface statistics, skipped
      epb(le, 0, 0x0017_9b7c, 0x1234_5678, frame(3, 70)),
      epb(le, 1, 0, 1_500_000, frame(4, 128), 1000),
      spb(le, frame(5, 40)),
    );
    const r = readCapture(bytes);
    assert.is(r.format, 'pcapng');
    assert.is(r.byteOrder, le ? 'le' : 'be');
    const recs = r.all();
    assert.is(r.interfaces.length, 2);
    assert.is(r.interfaces[0]!.name, 'veth0');
    assert.equal(r.interfaces[0]!.resolution, { base: 10, exponent: 9 });
    assert.equal(r.interfaces[1]!.resolution, { base: 10, exponent: 6 });
    assert.equal(recs.map(summary), [
      { frame: 1, caplen: 70, origLen: 70, iface: 0, ts: (0x0017_9b7cn << 32n) | 0x1234_5678n },
      { frame: 2, caplen: 128, origLen: 1000, iface: 1, ts: 1_500_000_000n },
      { frame: 3, caplen: 40, origLen: 40, iface: 0, ts: 0n },
    ]);
    assert.equal(recs.map((x) => x.linkType), [1, 113, 1]);
    assert.equal(recs[0]!.data, frame(3, 70));
    assert.equal(recs[1]!.data, frame(4, 128));
    assert.equal(recs[2]!.data, frame(5, 40));
  });
}

test('pcapng: 2^-n resolution, if_tsoffset, and a second section with its own byte order and interfaces', () => {
  const bytes = concat(
    shb(true),
    idb(true, { tsresol: 0x80 | 20, tsoffset: 10 }), // units of 2^-20 s, plus 10 s
    epb(true, 0, 0, 3 << 19, frame(1, 20)), // 1.5 s
    shb(false),
    idb(false, { tsresol: 3 }), // milliseconds
    epb(false, 0, 0, 2500, frame(2, 20)),
  );
  const recs = readCapture(bytes).all();
  assert.equal(recs.map((r) => r.timestamp), [11_500_000_000n, 2_500_000_000n]);
  assert.equal(recs[1]!.data, frame(2, 20));
});

test('pcapng obsolete packet blocks (type 2: 16-bit interface id, 16-bit drops count) still read', () => {
  const le = true;
  const opb = block(le, 2, new Bytes(le).u16(1).u16(0).u32(0).u32(2_000_000).u32(9).u32(60).raw(frame(8, 9)).pad4().bytes());
  const [rec] = readCapture(concat(shb(le), idb(le), idb(le, { tsresol: 3 }), opb)).all();
  assert.equal([rec!.interfaceId, rec!.caplen, rec!.origLen, rec!.timestamp], [1, 9, 60, 2_000_000_000_000n]);
  assert.equal(rec!.data, frame(8, 9));
});

test('link types are named', () => {
  assert.is(linkTypeName(1), '1 (ETHERNET, DLT_EN10MB)');
  assert.is(linkTypeName(113), '113 (LINUX_SLL)');
  assert.is(linkTypeName(101), '101 (RAW)');
  assert.is(linkTypeName(4242), '4242 (unknown)');
});

test('a capture of another link type reads, and is refused when Ethernet is required', () => {
  const sll = concat(pcapHeader(true, 0xa1b2c3d4, 65535, 113), pcapRecord(true, 1, 0, frame(0, 30)));
  assert.is(readCapture(sll).all()[0]!.linkType, LinkType.LINUX_SLL);
  assert.throws(() => readCapture(sll, { linkType: LinkType.ETHERNET }), /link type 113 \(LINUX_SLL\).*expected 1 \(ETHERNET/);
  // pcapng: refused at the first frame from such an interface, not at its IDB
  const ng = concat(shb(true), idb(true), idb(true, { linkType: 101 }), epb(true, 0, 0, 0, frame(0, 20)), epb(true, 1, 0, 0, frame(1, 20)));
  const r = readCapture(ng, { linkType: LinkType.ETHERNET, onError: 'stop' });
  assert.is(r.all().length, 1);
  assert.match(r.error!.message, /frame 2 at byte offset \d+: link type 101 \(RAW\) on interface 1/);
});

function mixed(): Uint8Array {
  const parts: Uint8Array[] = [shb(true), idb(true, { tsresol: 9 }), idb(true, { snaplen: 100 })];
  for (let i = 0; i < 300; i++) parts.push(epb(true, i % 2, 0, i, frame(i, (i * 37) % 300)));
  parts.push(spb(true, frame(9, 77)));
  return concat(...parts);
}

test('the streaming reader yields what the in-memory reader yields, whatever the chunk size', async () => {
  for (const bytes of [mixed(), concat(pcapHeader(false, 0xa1b23c4d), ...Array.from({ length: 200 }, (_, i) => pcapRecord(false, i, i, frame(i, i % 150))))]) {
    const expected = readCapture(bytes).all();
    const path = file(bytes);
    for (const chunkSize of [64, 100, 1000, 1 << 20]) {
      const stream = await openCapture(path, { chunkSize });
      const got = await stream.all();
      assert.is(got.length, expected.length, `chunk ${chunkSize}`);
      got.forEach((g, i) => {
        const e = expected[i]!;
        assert.equal(summary(g), summary(e));
        assert.is(g.offset, e.offset);
        assert.equal(g.data, e.data);
      });
    }
  }
});

test('streamed frames stay valid after later chunks are read', async () => {
  const bytes = mixed();
  const stream = await openCapture(file(bytes), { chunkSize: 64 });
  const kept: CaptureRecord[] = [];
  for await (const r of stream) kept.push(r);
  const expected = readCapture(bytes).all();
  kept.forEach((r, i) => assert.equal(r.data, expected[i]!.data));
});

test('batches group frames by chunk and the file closes when the consumer stops early', async () => {
  const stream = await openCapture(file(mixed()), { chunkSize: 4096 });
  let batches = 0;
  let frames = 0;
  for await (const batch of stream.batches()) {
    assert.ok(batch.length > 0);
    frames += batch.length;
    if (++batches === 2) break;
  }
  assert.is(stream.frames, frames);
});

test('bursts carry the same frames as records, in memory and streamed', async () => {
  const bytes = mixed();
  const expected = readCapture(bytes).all();
  const check = (burst: FrameBurst, i: number, seen: number) => {
    const e = expected[seen]!;
    assert.equal(burst.data(i), e.data);
    assert.equal([burst.caplen[i], burst.origLen[i], burst.interfaceId[i], burst.frame[i], burst.fileOffset[i], burst.linkType[i]],
      [e.caplen, e.origLen, e.interfaceId, e.frame, e.offset, e.linkType]);
    assert.is(burst.timestamp(i), e.timestamp);
  };
  for (const capacity of [1, 7, 64, 1000]) {
    const burst = new FrameBurst(capacity);
    const r = readCapture(bytes);
    let seen = 0;
    for (let n = r.readBurst(burst); n > 0; n = r.readBurst(burst)) {
      assert.ok(n <= capacity);
      for (let i = 0; i < n; i++) check(burst, i, seen++);
    }
    assert.is(seen, expected.length);
    const stream = await openCapture(file(bytes), { chunkSize: 256 });
    seen = 0;
    for (let n = await stream.readBurst(burst); n > 0; n = await stream.readBurst(burst)) {
      for (let i = 0; i < n; i++) check(burst, i, seen++);
    }
    assert.is(seen, expected.length, `streamed, capacity ${capacity}`);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
