// The builder: defaults, inferred types and lengths, errors, and round trips
// through the dissector; checksums confirmed independently by tcpdump -vv.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import { createCaptureFile } from '../../pcap/capture.ts';
import { tcpdumpFrames } from '../../pcap/test/tcpdump.ts';
import {
  AddressError, PacketError, buildPacket, checkChecksums, dissect, layersFrom, packet, type Dissection, type LayerSpec,
} from '../packet.ts';

const values = (d: Dissection, layer: string, nth = 0): Record<string, number | string> => {
  const l = d.layers.filter((x) => x.layer === layer)[nth]!;
  return Object.fromEntries(l.fields.map((f) => [f.field, f.value]));
};

test('defaults: an Ethernet / IPv4 / TCP SYN with every field documented in spec.ts', () => {
  const p = packet().eth().ipv4().tcp().build();
  assert.is(p.length, 14 + 20 + 20);
  const d = dissect(p);
  assert.equal(values(d, 'eth'), { dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: 0x0800 });
  const ip = values(d, 'ipv4');
  assert.equal([ip.version, ip.ihl, ip.tos, ip.totalLength, ip.id, ip.flags, ip.frag, ip.ttl, ip.protocol, ip.src, ip.dst],
    [4, 5, 0, 40, 0, 0, 0, 64, 6, '10.0.0.1', '10.0.0.2']);
  const tcp = values(d, 'tcp');
  assert.equal([tcp.sport, tcp.dport, tcp.seq, tcp.ack, tcp.dataOffset, tcp.flags, tcp.window, tcp.urgent],
    [12345, 80, 1, 0, 5, 0x02, 65535, 0]);
  assert.ok(checkChecksums(p).every((c) => c.ok));
});

test('types, protocols and lengths follow from the layers', () => {
  const v6 = dissect(packet().eth().ipv6().udp().payload(10).build());
  assert.is(values(v6, 'eth').type, 0x86dd);
  assert.equal([values(v6, 'ipv6').nextHeader, values(v6, 'ipv6').payloadLength, values(v6, 'udp').length], [17, 18, 18]);
  const q = dissect(packet().eth().vlan({ vid: 10, pcp: 3 }).vlan({ vid: 20 }).arp().build());
  assert.equal([values(q, 'eth').type, values(q, 'vlan').type, values(q, 'vlan', 1).type], [0x88a8, 0x8100, 0x0806]);
  assert.equal([values(q, 'vlan').vid, values(q, 'vlan').pcp, values(q, 'vlan', 1).vid], [10, 3, 20]);
  const icmp6 = dissect(packet().eth().ipv6().icmpv6({ type: 'echo-reply', id: 7, seq: 9 }).build());
  assert.equal([values(icmp6, 'ipv6').nextHeader, values(icmp6, 'icmpv6').type, values(icmp6, 'icmpv6').id], [58, 129, 7]);
  const ipip = dissect(packet().eth().ipv4({ src: '1.1.1.1' }).ipv4().icmp({ type: 'echo-reply' }).build());
  assert.equal([values(ipip, 'ipv4').protocol, values(ipip, 'ipv4').totalLength, values(ipip, 'ipv4', 1).totalLength], [4, 48, 28]);
  assert.is(values(ipip, 'icmp').type, 0);
});

test('every field given is the field encoded', () => {
  const p = packet()
    .eth({ src: 'aa:bb:cc:dd:ee:ff', dst: '11:22:33:44:55:66' })
    .ipv4({ src: '192.0.2.1', dst: '198.51.100.2', tos: 0xb8, id: 0xbeef, flags: 'DF,MF', ttl: 3, options: [0x94, 4, 0, 0] })
    .tcp({ sport: 1, dport: 2, seq: 0xfffffffe, ack: 77, flags: 'FSRPAUEC', window: 0, urgent: 9, options: { mss: 1460, wscale: 7 } })
    .payload('hi')
    .build({ minLength: 120 });
  assert.is(p.length, 120);
  const d = dissect(p);
  const ip = values(d, 'ipv4');
  assert.equal([ip.tos, ip.id, ip.flags, ip.frag, ip.ttl, ip.ihl, ip.options, ip.src], [0xb8, 0xbeef, 3, 0, 3, 6, '94040000', '192.0.2.1']);
  const tcp = values(d, 'tcp');
  assert.equal([tcp.sport, tcp.dport, tcp.seq, tcp.ack, tcp.flags, tcp.window, tcp.urgent, tcp.dataOffset], [1, 2, 0xfffffffe, 77, 0xff, 0, 9, 7]);
  // mss (kind 2, length 4), NOP, window scale (kind 3, length 3), zero padding
  assert.is(tcp.options, '020405b401030307');
  assert.is(d.layers.at(-1)!.layer, 'trailer'); // the padding to 120 bytes
  // A later fragment (offset 185 × 8 bytes) holds no TCP header: the dissector shows its bytes as payload.
  const frag = dissect(packet().eth().ipv4({ frag: 185 }).tcp().build());
  assert.equal([values(frag, 'ipv4').frag, frag.layers.at(-1)!.layer], [185, 'payload']);
});

test('ICMP errors quote the packet that caused them; payloads as hex', () => {
  // "fragmentation needed" (type 3 code 4) with the next-hop MTU in the low half of the rest field (RFC 1191)
  const p = packet().eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.9' }).icmp({ type: 3, code: 4, rest: 1400 })
    .ipv4({ src: '10.0.0.9', dst: '10.0.0.1', totalLength: 1500 }).udp({ sport: 7, dport: 9 }).build();
  const d = dissect(p);
  assert.equal(d.layers.map((l) => l.layer), ['eth', 'ipv4', 'icmp', 'ipv4', 'udp']);
  assert.equal([values(d, 'icmp').type, values(d, 'icmp').code, values(d, 'icmp').rest], [3, 4, 1400]);
  assert.ok(checkChecksums(p).find((c) => c.layer === 'icmp')!.ok);
  const unreachable = dissect(packet().eth().ipv6().icmpv6({ type: 1 }).build());
  assert.is(values(unreachable, 'icmpv6').rest, 0); // not an echo: id and seq default to 0
  assert.equal(packet().payload({ hex: 'de ad:BE ef' }).build(), Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
  assert.throws(() => packet().payload({ hex: 'abc' }).build(), /bad hex "abc"/);
});

test('checksums can be set on purpose, and the checks see them wrong', () => {
  const p = packet().eth().ipv4({ checksum: 0x1234 }).udp({ checksum: 0xbad }).payload(4).build();
  assert.equal(checkChecksums(p).map((c) => [c.layer, c.stored, c.ok]), [['ipv4', 0x1234, false], ['udp', 0xbad, false]]);
});

test('the flat description and the chained builder agree', () => {
  const layers: LayerSpec[] = [{ layer: 'eth' }, { layer: 'vlan', vid: 5 }, { layer: 'ipv6', hopLimit: 1 }, { layer: 'tcp', flags: 'SA' }, { layer: 'payload', data: [1, 2, 3] }];
  assert.equal(buildPacket(layers), packet().eth().vlan({ vid: 5 }).ipv6({ hopLimit: 1 }).tcp({ flags: 'SA' }).payload([1, 2, 3]).build());
});

test('descriptions as data (YAML/JSON shapes) build the same packet, and typos are named', () => {
  const yamlish = JSON.parse('[{"eth": null}, {"vlan": {"vid": 5}}, {"ipv6": {"hopLimit": 1}}, {"layer": "tcp", "flags": "SA"}, {"payload": {"hex": "010203"}}]');
  assert.equal(buildPacket(layersFrom(yamlish)), packet().eth().vlan({ vid: 5 }).ipv6({ hopLimit: 1 }).tcp({ flags: 'SA' }).payload([1, 2, 3]).build());
  assert.throws(() => layersFrom([{ eth: {} }, { ipv4: { tll: 3 } }]), /layer 2: ipv4 has no field "tll" \(fields: src, dst, tos, id, flags, frag, ttl,/);
  assert.throws(() => layersFrom([{ ethernet: {} }]), /layer 1: unknown layer "ethernet"/);
  assert.throws(() => layersFrom({ eth: {} }), /a list of layers/);
  assert.throws(() => layersFrom([{ eth: {}, ipv4: {} }]), /expected \{ layer: NAME/);
  assert.throws(() => layersFrom([{ udp: 53 }]), /udp takes an object of fields/);
  // the builder itself checks too (a LayerSpec built by hand with a typo)
  assert.throws(() => buildPacket([{ layer: 'udp', dprot: 53 } as unknown as LayerSpec]), /udp has no field "dprot"/);
});

test('bad descriptions are refused with the field named', () => {
  assert.throws(() => packet().eth().ipv4({ ttl: 256 }).build(), (e: unknown) => e instanceof PacketError && /ipv4.ttl: 256 is not an integer in 0..255/.test(e.message));
  assert.throws(() => packet().eth().vlan({ vid: 4096 }).build(), /vlan.vid: 4096/);
  assert.throws(() => packet().eth().ipv4().tcp({ flags: 'SX' }).build(), /unknown flag 'X'/);
  assert.throws(() => packet().eth().ipv4({ flags: 'XF' }).build(), /unknown flag "XF"/);
  assert.throws(() => packet().eth().ipv4({ src: '10.0.0.300' }).build(), (e: unknown) => e instanceof AddressError && /"10.0.0.300"/.test(e.message));
  assert.throws(() => packet().eth({ dst: 'ff:ff' }).build(), (e: unknown) => e instanceof AddressError);
  assert.throws(() => packet().eth().ipv4({ options: new Array(41).fill(1) }).build(), /at most 40/);
  assert.throws(() => packet().eth().ipv4().icmpv6().build(), /IPv6 pseudo-header/);
  assert.throws(() => buildPacket([{ layer: 'gre' } as unknown as LayerSpec]), /unknown layer "gre"/);
});

// A varied set of packets for tcpdump to check.
function variety(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < 60; i++) {
    const b = packet().eth();
    if (i % 5 === 0) b.vlan({ vid: i });
    if (i % 2 === 0) b.ipv4({ src: `10.0.${i}.1`, dst: `192.168.${i}.2`, id: i * 111, ttl: 1 + i, options: i % 6 === 0 ? [0x94, 4, 0, 0] : undefined });
    else b.ipv6({ src: `2001:db8::${i.toString(16)}`, dst: `fd00:${i}::2`, flowLabel: i * 1000 });
    switch (i % 3) {
      case 0: b.tcp({ sport: 1000 + i, dport: 443, seq: i * 7919, ack: i * 104729, flags: i % 4 ? 'PA' : 'S', options: i % 4 ? undefined : { mss: 1460, sackPermitted: true, timestamp: [i, 0], wscale: 7 } }); break;
      case 1: b.udp({ sport: 5000 + i, dport: 9000 }); break;
      default: if (i % 2 === 0) b.icmp({ id: i, seq: i * 3 }); else b.icmpv6({ type: 'echo-reply', id: i, seq: i }); break;
    }
    b.payload(i * 13 % 200 + (i % 7 === 0 ? 1 : 0));
    out.push(b.build());
  }
  return out;
}

test('round trip: every built packet dissects to whole layers with right checksums', () => {
  for (const p of variety()) {
    const d = dissect(p);
    assert.not.ok(d.truncated);
    const checks = checkChecksums(p);
    assert.ok(checks.length >= 1);
    assert.ok(checks.every((c) => c.ok), JSON.stringify(checks));
  }
});

if (requires('builder checksums verified by tcpdump -vv', hasCommand('tcpdump'))) {
  test('tcpdump -vv finds every checksum correct', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-packet-'));
    try {
      const path = join(dir, 'variety.pcap');
      const w = createCaptureFile(path);
      const packets = variety();
      packets.push(packet().eth().ipv4().ipv4().udp().payload(5).build());
      for (const p of packets) w.write(p);
      w.close();
      const frames = tcpdumpFrames(path, ['-vv']);
      assert.is(frames.length, packets.length);
      let confirmed = 0;
      frames.forEach((f, i) => {
        assert.not.match(f.text, /bad cksum|incorrect|bad udp cksum|bad icmp cksum|bad icmp6 cksum/i, `frame ${i + 1}: ${f.text}`);
        // tcpdump states the result for each checksum it checks:
        confirmed += (f.text.match(/cksum 0x[0-9a-f]+ \(correct\)|udp sum ok|icmp6 sum ok/g) ?? []).length;
      });
      // every TCP, UDP and ICMPv6 checksum was confirmed (tcpdump says nothing for correct IPv4 header and ICMP checksums)
      const expected = packets.reduce((n, p) => n + checkChecksums(p).filter((c) => ['tcp', 'udp', 'icmpv6'].includes(c.layer)).length, 0);
      assert.is(confirmed, expected);
      // a wrong checksum is caught the same way, so the check above can fail
      const bad = join(dir, 'bad.pcap');
      const wb = createCaptureFile(bad);
      wb.write(packet().eth().ipv4({ checksum: 0x1234 }).tcp({ checksum: 0x4321 }).build());
      wb.close();
      const [f] = tcpdumpFrames(bad, ['-vv']);
      assert.match(f!.text, /bad cksum 1234/);
      assert.match(f!.text, /cksum 0x4321 \(incorrect/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
