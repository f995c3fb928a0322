// The test frame builder against fixed vectors and, where installed, tcpdump's
// own checksum verification.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, requires } from '../../scripts/testkit/skip.ts';
import { eth4, eth6, internetChecksum, ipv4Addr, ipv6Addr, TCP_SYN } from './frames.ts';

test('the Internet checksum of a textbook IPv4 header', () => {
  // 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7: the sum of the other words is 0x479e.
  const h = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
  assert.is(internetChecksum(h), 0xb861);
  h.writeUInt16BE(0xb861, 10);
  assert.is(internetChecksum(h), 0);
  assert.is(internetChecksum(Buffer.from([0x01])), 0xfeff, 'an odd byte is padded with zero');
});

test('addresses', () => {
  assert.equal([...ipv4Addr('192.0.2.7')], [192, 0, 2, 7]);
  assert.is(ipv6Addr('2001:db8:bad::1').toString('hex'), '20010db80bad00000000000000000001');
  assert.is(ipv6Addr('::').toString('hex'), '0'.repeat(32));
  assert.throws(() => ipv6Addr('1:2:3'));
  assert.throws(() => ipv4Addr('1.2.3.256'));
});

test('IPv4 frames: lengths, header checksum, VLAN tags', () => {
  const f = eth4({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 7 }, { kind: 'udp', sport: 1, dport: 2, payload: Buffer.alloc(3) },
    { vlans: [{ tpid: 0x88a8, vid: 10 }, { vid: 20, pcp: 5 }] });
  assert.is(f.length, 14 + 8 + 20 + 8 + 3);
  assert.is(f.readUInt16BE(12), 0x88a8);
  assert.is(f.readUInt16BE(14), 10);
  assert.is(f.readUInt16BE(16), 0x8100);
  assert.is(f.readUInt16BE(18), (5 << 13) | 20);
  assert.is(f.readUInt16BE(20), 0x0800);
  const ip = f.subarray(22, 42);
  assert.is(ip.readUInt16BE(2), 31);
  assert.is(ip[8], 7);
  assert.is(internetChecksum(ip), 0);
});

test('IPv4 options lengthen the header and count in the checksum', () => {
  const f = eth4({ src: '10.0.0.1', dst: '10.0.0.2', options: Buffer.from([0x94, 0x04, 0, 0, 1]) }, { kind: 'udp', sport: 1, dport: 2 });
  assert.is(f[14], 0x47, 'ihl 7: 20 bytes + 5 of options padded to 8');
  assert.is(f.readUInt16BE(16), 28 + 8);
  assert.is(internetChecksum(f.subarray(14, 42)), 0);
  assert.equal([...f.subarray(34, 42)], [0x94, 0x04, 0, 0, 1, 0, 0, 0]);
});

function pcap(frames: Buffer[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4); header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16); header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  return Buffer.concat([header, ...frames.flatMap((f) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(f.length, 8); r.writeUInt32LE(f.length, 12);
    return [r, f];
  })]);
}

if (requires('frame checksums checked by tcpdump', hasCommand('tcpdump'))) {
  test('tcpdump finds every checksum correct', () => {
    const frames = [
      eth4({ src: '10.0.0.1', dst: '10.0.0.2' }, { kind: 'tcp', sport: 40000, dport: 80, flags: TCP_SYN, payload: Buffer.from('hello') }),
      eth4({ src: '10.0.0.1', dst: '10.0.0.2', options: Buffer.from([0x94, 0x04, 0, 0]) },
        { kind: 'udp', sport: 5353, dport: 53, payload: Buffer.from('abc') }),
      eth4({ src: '10.0.0.1', dst: '10.0.0.2' }, { kind: 'icmp', type: 8, payload: Buffer.from('ping') }),
      eth6({ src: '2001:db8::1', dst: '2001:db8::2' }, { kind: 'tcp', sport: 1, dport: 443 }),
      eth6({ src: '2001:db8::1', dst: '2001:db8::2' }, { kind: 'udp', sport: 1, dport: 53, payload: Buffer.from('x') }),
      eth6({ src: '2001:db8::1', dst: '2001:db8::2' }, { kind: 'icmp', type: 128 }),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'sluice-frames-'));
    try {
      const file = join(dir, 'frames.pcap');
      writeFileSync(file, pcap(frames));
      const r = spawnSync('tcpdump', ['-nn', '-vv', '-r', file], { encoding: 'utf8' });
      assert.is(r.status, 0, r.stderr);
      const lines = r.stdout;
      assert.not.match(lines, /incorrect|bad cksum|wrong/i, lines);
      // tcpdump -vv confirms good TCP, UDP and ICMPv6 sums; it names bad IPv4 and ICMP ones.
      const count = (re: RegExp) => (lines.match(re) ?? []).length;
      assert.is(count(/cksum 0x[0-9a-f]+ \(correct\)/g), 2, lines);
      assert.is(count(/\[udp sum ok\]/g), 2, lines);
      assert.is(count(/\[icmp6 sum ok\]/g), 1, lines);
      assert.match(lines, /ICMP echo request/);
      assert.match(lines, /ICMP6, echo request/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
