// Field offsets from the header layouts in the RFCs (791, 8200, 793, 768, 792,
// 4443, 826) and IEEE 802.1Q, on packets written out by hand in hex.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dissect, fieldAt, fieldsAt, type Dissection } from '../packet.ts';

const bytes = (hex: string) => Uint8Array.from(hex.replace(/\s+/g, '').match(/../g)!, (h) => parseInt(h, 16));
const field = (d: Dissection, layer: string, name: string, nth = 0) => d.fields.filter((f) => f.layer === layer && f.field === name)[nth];
const pick = (d: Dissection, layer: string, name: string, nth = 0) => {
  const f = field(d, layer, name, nth);
  return f && [f.offset, f.length, f.value];
};

// Ethernet, IPv4 with a 4-byte option (ihl 6), TCP SYN 10.1.1.1:1024 → 10.2.2.2:22, 3 payload bytes.
const tcpWithOptions = bytes(`
  0a0b0c0d0e0f 010203040506 0800
  46 00 0033 1234 4000 40 06 0000 0a010101 0a020202 94040000
  0400 0016 00000064 00000000 50 02 7210 0000 0000
  616263`);

test('Ethernet / IPv4 with options / TCP: offsets, lengths, values', () => {
  const d = dissect(tcpWithOptions);
  assert.equal(d.layers.map((l) => [l.layer, l.offset, l.length]), [['eth', 0, 14], ['ipv4', 14, 24], ['tcp', 38, 20], ['payload', 58, 3]]);
  assert.not.ok(d.truncated);
  assert.equal(pick(d, 'eth', 'dst'), [0, 6, '0a:0b:0c:0d:0e:0f']);
  assert.equal(pick(d, 'eth', 'type'), [12, 2, 0x0800]);
  assert.equal(pick(d, 'ipv4', 'ihl'), [14, 1, 6]);
  assert.equal(pick(d, 'ipv4', 'totalLength'), [16, 2, 0x33]);
  assert.equal(pick(d, 'ipv4', 'flags'), [20, 1, 2]);
  assert.is(field(d, 'ipv4', 'flags')!.text, 'DF');
  assert.equal(pick(d, 'ipv4', 'frag'), [20, 2, 0]);
  assert.equal(pick(d, 'ipv4', 'ttl'), [22, 1, 64]);
  assert.equal(pick(d, 'ipv4', 'protocol'), [23, 1, 6]); // the example
  assert.equal(pick(d, 'ipv4', 'src'), [26, 4, '10.1.1.1']);
  assert.equal(pick(d, 'ipv4', 'dst'), [30, 4, '10.2.2.2']);
  assert.equal(pick(d, 'ipv4', 'options'), [34, 4, '94040000']);
  assert.equal(pick(d, 'tcp', 'dport'), [40, 2, 22]);
  assert.equal(pick(d, 'tcp', 'seq'), [42, 4, 100]);
  assert.equal(pick(d, 'tcp', 'flags'), [51, 1, 2]);
  assert.is(field(d, 'tcp', 'flags')!.text, 'S');
  assert.equal(pick(d, 'payload', 'data'), [58, 3, '616263']);
});

test('fieldAt names the field behind a byte; the narrowest wins where fields share bytes', () => {
  const at = (o: number) => { const f = fieldAt(tcpWithOptions, o); return f && `${f.layer}.${f.field}`; };
  assert.is(at(23), 'ipv4.protocol');
  assert.is(at(14), 'ipv4.version'); // version and ihl share byte 14; both 1 byte, the first listed
  assert.is(at(20), 'ipv4.flags'); // flags (1 byte) inside frag (2 bytes)
  assert.is(at(21), 'ipv4.frag');
  assert.is(at(33), 'ipv4.dst');
  assert.is(at(51), 'tcp.flags');
  assert.is(at(59), 'payload.data');
  assert.is(at(100), undefined);
  assert.equal(fieldsAt(tcpWithOptions, 14).map((f) => f.field), ['version', 'ihl']);
  assert.equal(fieldsAt(tcpWithOptions, 22, 2).map((f) => f.field), ['ttl', 'protocol']);
  assert.equal(field(dissect(tcpWithOptions), 'ipv4', 'ihl')!.bits, { shift: 0, width: 4 });
});

test('QinQ: an 802.1ad tag then an 802.1Q tag, then IPv6 / UDP', () => {
  const p = bytes(`
    ffffffffffff 020000000001 88a8
    a064 8100 00c8 86dd
    6 12 34567 0010 11 40 fd000000000000000000000000000001 fd000000000000000000000000000002
    3039 0035 0010 abcd 0102030405060708`);
  const d = dissect(p);
  assert.equal(d.layers.map((l) => [l.layer, l.offset]), [['eth', 0], ['vlan', 14], ['vlan', 18], ['ipv6', 22], ['udp', 62], ['payload', 70]]);
  assert.equal(pick(d, 'vlan', 'pcp'), [14, 1, 5]);
  assert.equal(pick(d, 'vlan', 'vid'), [14, 2, 100]);
  assert.equal(pick(d, 'vlan', 'type'), [16, 2, 0x8100]);
  assert.equal(pick(d, 'vlan', 'vid', 1), [18, 2, 200]);
  assert.equal(pick(d, 'ipv6', 'trafficClass'), [22, 2, 0x12]);
  assert.equal(pick(d, 'ipv6', 'flowLabel'), [23, 3, 0x34567]);
  assert.equal(pick(d, 'ipv6', 'nextHeader'), [28, 1, 17]);
  assert.equal(pick(d, 'ipv6', 'hopLimit'), [29, 1, 64]);
  assert.equal(pick(d, 'ipv6', 'src'), [30, 16, 'fd00::1']);
  assert.equal(pick(d, 'udp', 'length'), [66, 2, 16]);
  assert.equal(pick(d, 'udp', 'checksum'), [68, 2, 0xabcd]);
});

test('ARP, ICMP echo, ICMPv6 echo, and Ethernet padding as a trailer', () => {
  const arp = dissect(bytes(`ffffffffffff 020000000001 0806 0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002 ${'00'.repeat(18)}`));
  assert.equal(arp.layers.map((l) => [l.layer, l.offset, l.length]), [['eth', 0, 14], ['arp', 14, 28], ['trailer', 42, 18]]);
  assert.equal(pick(arp, 'arp', 'op'), [20, 2, 1]);
  assert.equal(pick(arp, 'arp', 'tpa'), [38, 4, '10.0.0.2']);

  const icmp = dissect(bytes('0a0b0c0d0e0f 010203040506 0800 4500 001e 0000 0000 4001 0000 0a000001 0a000002 0800 0000 1234 0007 6869 0000'));
  assert.equal(pick(icmp, 'icmp', 'type'), [34, 1, 8]);
  assert.equal(pick(icmp, 'icmp', 'id'), [38, 2, 0x1234]);
  assert.equal(pick(icmp, 'icmp', 'seq'), [40, 2, 7]);
  // total length 30 ends the IPv4 packet two bytes before the frame does
  assert.equal(icmp.layers.map((l) => [l.layer, l.offset, l.length]), [['eth', 0, 14], ['ipv4', 14, 20], ['icmp', 34, 8], ['payload', 42, 2], ['trailer', 44, 2]]);

  const v6 = dissect(bytes(`0a0b0c0d0e0f 010203040506 86dd 60000000 0008 3a 40 ${'00'.repeat(15)}01 ${'00'.repeat(15)}02 8100 0000 0001 0002`));
  assert.equal(pick(v6, 'icmpv6', 'type'), [54, 1, 129]);
  assert.equal(pick(v6, 'icmpv6', 'seq'), [60, 2, 2]);
});

test('truncated packets: dissection stops where the bytes end', () => {
  for (const cut of [0, 5, 13, 14, 20, 37, 38, 45, 57]) {
    const d = dissect(tcpWithOptions.subarray(0, cut));
    for (const f of d.fields) assert.ok(f.offset + f.length <= cut, `${f.layer}.${f.field} past ${cut}`);
    assert.ok(cut === 0 || d.truncated, `cut at ${cut} is truncated`);
  }
  const d = dissect(tcpWithOptions.subarray(0, 25));
  assert.equal(d.fields.at(-1)!.field, 'protocol'); // the checksum (24..25) is cut
  assert.ok(d.layers[1]!.truncated);
  assert.is(d.layers[1]!.length, 11);
  // an IPv4 header that promises more bytes than the frame has: the TCP header is cut
  const short = dissect(tcpWithOptions.subarray(0, 50));
  assert.equal(short.layers.map((l) => [l.layer, l.truncated]), [['eth', false], ['ipv4', false], ['tcp', true]]);
});

test('IPIP and IPv6 extension headers are followed', () => {
  const ipip = dissect(bytes(`0a0b0c0d0e0f 010203040506 0800 4500 002c 0000 0000 4004 0000 01010101 02020202
    4500 0018 0000 0000 4011 0000 0a000001 0a000002 1111 2222 0004 0000`));
  assert.equal(ipip.layers.map((l) => l.layer), ['eth', 'ipv4', 'ipv4', 'udp']);
  assert.equal(pick(ipip, 'ipv4', 'src', 1), [46, 4, '10.0.0.1']);
  assert.is(field(ipip, 'ipv4', 'src', 1)!.layerIndex, 2);
  const hbh = dissect(bytes(`0a0b0c0d0e0f 010203040506 86dd 60000000 0010 00 40 ${'00'.repeat(32)} 11 00 0000 00000000 1111 2222 0008 0000`));
  assert.equal(hbh.layers.map((l) => [l.layer, l.offset]), [['eth', 0], ['ipv6', 14], ['ipv6-ext', 54], ['udp', 62]]);
});

test('odd input does not throw', () => {
  let seed = 7;
  for (let i = 0; i < 2000; i++) {
    const p = tcpWithOptions.slice(0, (seed = (seed * 1103515245 + 12345) >>> 0) % 70);
    for (let k = 0; k < 4 && p.length; k++) p[(seed = (seed * 1103515245 + 12345) >>> 0) % p.length] = seed >>> 24;
    const d = dissect(p);
    for (const f of d.fields) assert.ok(f.offset + f.length <= p.length);
  }
});

test.run();
