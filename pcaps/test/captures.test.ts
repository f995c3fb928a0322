// The committed captures are what make.ts generates, small, readable by our
// reader and by tcpdump, with correct checksums.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { hasCommand, requires } from '../../scripts/testkit/skip.ts';
import { encodeCapture, readCapture } from '../../drivers/pcap/capture.ts';
import { checkChecksums } from '../../drivers/packet/packet.ts';
import { tcpdumpFrames } from '../../drivers/pcap/test/tcpdump.ts';
import { CAPTURES } from '../make.ts';

const here = fileURLToPath(new URL('..', import.meta.url));

for (const [name, capture] of Object.entries(CAPTURES)) {
  const path = join(here, capture.file);

  test(`${capture.file} is up to date with make.ts and under 100 KB`, () => {
    const committed = readFileSync(path);
    assert.ok(committed.length < 100 * 1024, `${committed.length} bytes`);
    const generated = encodeCapture(capture.frames(), capture.options);
    assert.ok(Buffer.compare(Buffer.from(generated), committed) === 0, `run: node --import tsx pcaps/make.ts ${name}`);
  });

  test(`${capture.file}: every whole frame has correct checksums`, () => {
    const frames = readCapture(readFileSync(path)).all();
    assert.ok(frames.length > 0);
    for (const f of frames) {
      if (f.truncated) continue;
      assert.ok(checkChecksums(f.data).every((c) => c.ok), `frame ${f.frame}`);
    }
  });

  if (requires(`${capture.file} read by tcpdump`, hasCommand('tcpdump'))) {
    test(`${capture.file}: tcpdump reads the same frames and finds no bad checksum`, () => {
      const ours = readCapture(readFileSync(path)).all();
      const theirs = tcpdumpFrames(path, ['-vv']);
      assert.is(theirs.length, ours.length);
      theirs.forEach((t, i) => {
        assert.is(t.hex, Buffer.from(ours[i]!.data).toString('hex'));
        assert.not.match(t.text, /bad cksum|incorrect|bad udp cksum|bad icmp6? cksum/i);
      });
    });
  }
}

test('mixed.pcap has the traffic its README promises', () => {
  const frames = readCapture(readFileSync(join(here, 'mixed.pcap'))).all();
  assert.ok(frames.length >= 250);
  const hexes = frames.map((f) => Buffer.from(f.data).toString('hex'));
  const type = (h: string) => h.slice(24, 28);
  assert.ok(hexes.some((h) => type(h) === '0806'), 'ARP');
  assert.ok(hexes.some((h) => type(h) === '8100'), 'VLAN');
  assert.ok(hexes.some((h) => type(h) === '88a8'), 'QinQ');
  assert.ok(hexes.some((h) => type(h) === '86dd'), 'IPv6');
  assert.ok(hexes.some((h) => type(h) === '0800'), 'IPv4');
});

test('truncated.pcap keeps 96 of 1514 bytes per frame', () => {
  const r = readCapture(readFileSync(join(here, 'truncated.pcap')));
  for (const f of r.all()) assert.equal([f.caplen, f.origLen], [96, 1514]);
  assert.is(r.interfaces[0]!.snaplen, 96);
});

test.run();
