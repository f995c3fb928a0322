// Every kind of file sluice writes is read back by tcpdump (libpcap's readers)
// with the same frames and timestamps, and files tcpdump writes read back here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import { createCaptureFile, readCaptureFile, type FrameToWrite, type WriteOptions } from '../capture.ts';
import { frame } from './handmade.ts';
import { tcpdumpFrames, tcpdumpTime } from './tcpdump.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// Frames whose first bytes look like Ethernet to tcpdump; contents otherwise arbitrary.
const frames: FrameToWrite[] = Array.from({ length: 40 }, (_, i) => ({
  data: frame(i * 7, 14 + ((i * 53) % 1500)),
  timestamp: 1_700_000_000_000_000_000n + BigInt(i) * 1_234_567_891n,
  interfaceId: i % 3,
}));
frames.push({ data: frame(1, 64), origLen: 1514, timestamp: 1_800_000_000_000_000_000n, interfaceId: 0 }); // truncated

if (requires('captures read by tcpdump', hasCommand('tcpdump'))) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-tcpdump-'));

  const variants: Array<[string, WriteOptions]> = [
    ['pcap le us', { resolution: 'us' }],
    ['pcap le ns', { resolution: 'ns' }],
    ['pcap be us', { byteOrder: 'be', resolution: 'us' }],
    ['pcap be ns', { byteOrder: 'be', resolution: 'ns' }],
    // libpcap reads several interfaces only when they share link type and snaplen.
    ['pcapng le, 3 interfaces', { format: 'pcapng', interfaces: [{ resolution: 'ns' }, { resolution: 'us' }, { name: 'veth0' }] }],
    ['pcapng be, 3 interfaces, snaplen 128', { format: 'pcapng', byteOrder: 'be', snaplen: 128, interfaces: [{ resolution: 'us' }, { resolution: 'ns' }, {}] }],
  ];

  for (const [name, options] of variants) {
    test(`tcpdump reads our ${name} with the same frames`, () => {
      const path = join(dir, `${name.replace(/[^a-z0-9]+/g, '-')}.cap`);
      const w = createCaptureFile(path, options);
      const onlyOne = options.format !== 'pcapng';
      const written = frames.map((f) => (onlyOne ? { ...f, interfaceId: 0 } : f));
      for (const f of written) w.write(f);
      w.close();
      const dumped = tcpdumpFrames(path);
      assert.is(dumped.length, written.length);
      // What we expect tcpdump to see, from the options (snaplen, resolution), not from our reader.
      const ifaces = options.interfaces ?? [{}];
      dumped.forEach((d, i) => {
        const f = written[i]!;
        const iface = ifaces[f.interfaceId ?? 0]!;
        const snaplen = iface.snaplen ?? options.snaplen ?? 262144;
        assert.is(d.hex, hex(f.data.subarray(0, snaplen)), `frame ${i + 1} bytes`);
        const us = (iface.resolution ?? options.resolution ?? 'ns') === 'us';
        const ts = f.timestamp!;
        assert.is(d.time, tcpdumpTime(us ? ts - (ts % 1000n) : ts), `frame ${i + 1} time`);
      });
    });
  }

  test('we read what tcpdump writes (microsecond and nanosecond pcap)', () => {
    const ours = join(dir, 'ours.pcapng');
    const w = createCaptureFile(ours, { format: 'pcapng' });
    for (const f of frames) w.write({ ...f, interfaceId: 0 });
    w.close();
    for (const precision of ['micro', 'nano']) {
      const theirs = join(dir, `theirs-${precision}.pcap`);
      execFileSync('tcpdump', ['-r', ours, '-w', theirs, `--time-stamp-precision=${precision}`], { stdio: 'ignore' });
      const r = readCaptureFile(theirs);
      assert.is(r.format, 'pcap');
      assert.is(r.nanosecond, precision === 'nano');
      const back = r.all();
      assert.is(back.length, frames.length);
      back.forEach((b, i) => {
        const f = frames[i]!;
        assert.equal(b.data, f.data);
        assert.is(b.origLen, f.origLen ?? f.data.length);
        const ts = f.timestamp!;
        assert.is(b.timestamp, precision === 'nano' ? ts : ts - (ts % 1000n));
      });
    }
  });

  test.after(() => rmSync(dir, { recursive: true, force: true }));
}

test.run();
