// The writer: bytes laid out as the format specifications say, and every
// combination of format, byte order and resolution read back unchanged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CaptureError, CaptureWriter, createCaptureFile, encodeCapture, openCapture, readCapture, LinkType,
  type FrameToWrite, type WriteOptions,
} from '../capture.ts';
import { Bytes, concat, frame, pcapHeader, pcapRecord } from './handmade.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-pcap-write-'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('pcap header and record bytes, little-endian microseconds', () => {
  const out = encodeCapture([{ data: frame(0, 4), timestamp: 1_700_000_000_123_456_789n, origLen: 9 }], { resolution: 'us', snaplen: 1500 });
  assert.is(hex(out), hex(concat(pcapHeader(true, 0xa1b2c3d4, 1500), pcapRecord(true, 1_700_000_000, 123_456, frame(0, 4), 9))));
  assert.is(hex(out.subarray(0, 4)), 'd4c3b2a1'); // the magic as it appears in little-endian files
});

test('pcap header and record bytes, big-endian nanoseconds', () => {
  const out = encodeCapture([{ data: frame(0, 4), timestamp: 5_000_000_001n }], { byteOrder: 'be' });
  assert.is(hex(out.subarray(0, 8)), 'a1b23c4d00020004');
  assert.is(hex(out), hex(concat(pcapHeader(false, 0xa1b23c4d, 262144), pcapRecord(false, 5, 1, frame(0, 4)))));
});

test('pcapng layout: SHB, IDB with if_tsresol, EPB padded to 4 bytes', () => {
  const out = encodeCapture([{ data: frame(0, 5), timestamp: 0x1_0000_0002n }], { format: 'pcapng' });
  const v = new DataView(out.buffer, out.byteOffset);
  assert.is(v.getUint32(0, true), 0x0a0d0d0a);
  const shbLength = v.getUint32(4, true);
  assert.is(v.getUint32(8, true), 0x1a2b3c4d);
  assert.is(v.getUint32(shbLength - 4, true), shbLength);
  const idb = shbLength;
  assert.is(v.getUint32(idb, true), 1);
  assert.is(v.getUint16(idb + 8, true), 1); // Ethernet
  assert.is(v.getUint32(idb + 12, true), 262144);
  assert.equal([v.getUint16(idb + 16, true), v.getUint16(idb + 18, true), out[idb + 20]], [9, 1, 9]); // if_tsresol = 10^-9
  const epb = idb + v.getUint32(idb + 4, true);
  assert.is(v.getUint32(epb, true), 6);
  assert.is(v.getUint32(epb + 4, true), 28 + 8 + 4);
  assert.equal([v.getUint32(epb + 12, true), v.getUint32(epb + 16, true), v.getUint32(epb + 20, true)], [1, 2, 5]);
  assert.is(hex(out.subarray(epb + 28, epb + 36)), hex(concat(frame(0, 5), new Uint8Array(3))));
  assert.is(out.length, epb + 40);
});

const frames: FrameToWrite[] = [
  { data: frame(1, 60), timestamp: 1_700_000_000_000_000_001n },
  { data: frame(2, 1514), timestamp: 1_700_000_000_999_999_999n, origLen: 1514 },
  { data: frame(3, 0), timestamp: 1n },
  { data: frame(4, 200), timestamp: 2_000_000_000n, origLen: 9000 },
];

for (const format of ['pcap', 'pcapng'] as const) {
  for (const byteOrder of ['le', 'be'] as const) {
    for (const resolution of ['us', 'ns'] as const) {
      test(`round trip ${format} ${byteOrder} ${resolution}`, () => {
        const r = readCapture(encodeCapture(frames, { format, byteOrder, resolution }));
        assert.is(r.format, format);
        assert.is(r.byteOrder, byteOrder);
        const back = r.all();
        assert.is(back.length, frames.length);
        back.forEach((b, i) => {
          const f = frames[i]!;
          assert.equal(b.data, f.data);
          assert.is(b.origLen, f.origLen ?? f.data.length);
          const ts = f.timestamp!;
          assert.is(b.timestamp, resolution === 'ns' ? ts : ts - (ts % 1000n));
        });
      });
    }
  }
}

test('pcapng with several interfaces keeps each frame on its interface', () => {
  const out = encodeCapture([
    { data: frame(1, 10), interfaceId: 2, timestamp: 7_123_456_789n },
    { data: frame(2, 20), interfaceId: 0, timestamp: 7_123_456_789n },
    { data: frame(3, 30), interfaceId: 1 },
  ], {
    format: 'pcapng',
    interfaces: [{ name: 'eth0' }, { linkType: LinkType.RAW, snaplen: 16, resolution: 'us' }, { name: 'veth1', resolution: 'ns' }],
  });
  const r = readCapture(out);
  const back = r.all();
  assert.equal(r.interfaces.map((i) => [i.name, i.linkType, i.snaplen, i.resolution.exponent]),
    [['eth0', 1, 262144, 9], [undefined, 101, 16, 6], ['veth1', 1, 262144, 9]]);
  assert.equal(back.map((b) => [b.interfaceId, b.caplen, b.origLen, b.timestamp]), [[2, 10, 10, 7_123_456_789n], [0, 20, 20, 7_123_456_789n], [1, 16, 30, 0n]]);
});

test('frames longer than the snaplen are written truncated, with their original length', () => {
  const [b] = readCapture(encodeCapture([frame(0, 100)], { snaplen: 64 })).all();
  assert.is(b!.caplen, 64);
  assert.is(b!.origLen, 100);
  assert.equal(b!.data, frame(0, 64));
});

test('a read capture copies through the writer byte for byte', () => {
  const original = concat(pcapHeader(true, 0xa1b2c3d4, 262144), pcapRecord(true, 3, 4, frame(1, 33), 40), pcapRecord(true, 5, 6, frame(2, 3)));
  assert.is(hex(encodeCapture(readCapture(original), { resolution: 'us' })), hex(original));
});

test('the file writer streams more than its buffer and the result reads back', async () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    const path = join(dir, `big.${format}`);
    const w = createCaptureFile(path, { format });
    const n = 30_000; // ~3.5 MB, several buffer flushes
    for (let i = 0; i < n; i++) w.write({ data: frame(i, 64 + (i % 64)), timestamp: BigInt(i) * 1000n });
    w.close();
    assert.is(w.frames, n);
    assert.is(readFileSync(path).length, w.bytes);
    let count = 0;
    for await (const r of await openCapture(path, { chunkSize: 100_000 })) {
      if (r.caplen !== 64 + (count % 64) || r.data[0] !== (count & 0xff) || r.timestamp !== BigInt(count) * 1000n) {
        assert.unreachable(`frame ${count + 1} differs`);
      }
      count++;
    }
    assert.is(count, n);
  }
});

test('writer errors', () => {
  assert.throws(() => encodeCapture([{ data: frame(0, 1), interfaceId: 1 }]), (e: unknown) => e instanceof CaptureError && /interface 1 does not exist/.test(e.message));
  assert.throws(() => encodeCapture([], { interfaces: [{}, {}] }), /exactly one interface/);
  assert.throws(() => encodeCapture([{ data: frame(0, 1), timestamp: -1n }]), /negative timestamp/);
  assert.throws(() => encodeCapture([{ data: frame(0, 1), timestamp: 1n << 40n << 30n }]), /32-bit seconds/);
  const chunks: Uint8Array[] = [];
  const w = new CaptureWriter({ write: (b) => { chunks.push(b.slice()); } });
  w.close();
  assert.throws(() => w.write(frame(0, 1)), /write after close/);
  assert.is(chunks[0]!.length, 24);
});

test('options objects document their defaults: ns, little-endian, pcap, Ethernet, 262144', () => {
  const defaults: WriteOptions = {};
  const out = encodeCapture([], defaults);
  assert.is(hex(out), hex(new Bytes(true).u32(0xa1b23c4d).u16(2).u16(4).u32(0).u32(0).u32(262144).u32(1).bytes()));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
