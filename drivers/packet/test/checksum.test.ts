// Checksums against values worked out by hand or published elsewhere.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { internetChecksum, ipv4HeaderChecksum, transportChecksum, checkChecksums, fixChecksums, checksumsOk } from '../packet.ts';

const bytes = (hex: string) => Uint8Array.from(hex.replace(/\s+/g, '').match(/../g)!, (h) => parseInt(h, 16));

test('RFC 1071 section 3 example: the sum of 0001 f203 f4f5 f6f7 is ddf2', () => {
  assert.is(internetChecksum(bytes('0001 f203 f4f5 f6f7')), ~0xddf2 & 0xffff);
  // An odd length pads the last byte with zero.
  assert.is(internetChecksum(bytes('0001 f203 f4f5 f6')), ~(0x0001 + 0xf203 + 0xf4f5 + 0xf600 - 0x1fffe + 0) & 0xffff);
});

test('the well-known IPv4 header example (192.168.0.1 → 192.168.0.199) has checksum b861', () => {
  const header = bytes('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');
  assert.is(ipv4HeaderChecksum(header, 0), 0xb861);
  // A correct header sums to 0xffff, so its checksum over everything is 0.
  assert.is(internetChecksum(header), 0);
});

// A DNS query for example.com (10.0.2.15:43254 → 10.0.2.3:53), laid out by hand
// with both checksum fields 0; the expected values are summed word by word below.
const dnsQuery = bytes(`
  5254 0012 3502 0800 27a5 5d2a 0800
  4500 0039 8fdb 4000 4011 0000 0a00 020f 0a00 0203
  a8f6 0035 0025 0000
  1d47 0100 0001 0000 0000 0000 0765 7861 6d70 6c65 0363 6f6d 0000 0100 01`);

function onesComplement(words: number[]): number {
  let sum = words.reduce((a, b) => a + b, 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
const ipHeaderWords = [0x4500, 0x0039, 0x8fdb, 0x4000, 0x4011, 0x0a00, 0x020f, 0x0a00, 0x0203];
const udpWords = [
  0x0a00, 0x020f, 0x0a00, 0x0203, 0x0011, 0x0025, // pseudo-header: src, dst, zero + protocol, UDP length
  0xa8f6, 0x0035, 0x0025, // ports, length (checksum 0)
  0x1d47, 0x0100, 0x0001, 0x0000, 0x0000, 0x0000, 0x0765, 0x7861, 0x6d70, 0x6c65, 0x0363, 0x6f6d, 0x0000, 0x0100,
  0x0100, // the odd last byte, padded with zero
];

test('IPv4 header and UDP checksums over the pseudo-header, worked by hand', () => {
  assert.is(ipv4HeaderChecksum(dnsQuery, 14), onesComplement(ipHeaderWords));
  const src = dnsQuery.subarray(26, 30);
  const dst = dnsQuery.subarray(30, 34);
  assert.is(transportChecksum(dnsQuery, 34, 37, 40, 17, src, dst), onesComplement(udpWords));
});

test('checkChecksums reports wrong checksums and fixChecksums mends them', () => {
  const p = dnsQuery.slice();
  // UDP checksum 0 over IPv4 means "none" (RFC 768): ok. The IPv4 header checksum 0 is wrong.
  assert.equal(checkChecksums(p).map((c) => [c.layer, c.offset, c.ok]), [['ipv4', 24, false], ['udp', 40, true]]);
  p[40] = 0x12; // a wrong UDP checksum
  assert.equal(checkChecksums(p).map((c) => c.ok), [false, false]);
  assert.not.ok(checksumsOk(p));
  fixChecksums(p);
  assert.ok(checksumsOk(p));
  assert.is((p[24]! << 8) | p[25]!, onesComplement(ipHeaderWords));
  assert.is((p[40]! << 8) | p[41]!, onesComplement(udpWords));
  // Decrementing the TTL raises the header checksum by 0x0100 (RFC 1624, one's complement arithmetic).
  const before = (p[24]! << 8) | p[25]!;
  p[22] = p[22]! - 1;
  fixChecksums(p);
  assert.is((p[24]! << 8) | p[25]!, (before + 0x0100) % 0xffff);
});

test.run();
