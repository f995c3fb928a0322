// Field-by-field diffs of two packets, as `sluice test` shows them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diffPackets, formatDiff, packet } from '../packet.ts';

const base = () => packet().eth().ipv4({ ttl: 64 }).udp({ dport: 53 }).payload(4);

test('equal packets have no diff', () => {
  assert.equal(diffPackets(base().build(), base().build()), []);
});

test('a changed field is named with its offset and both values (and the checksum it moved)', () => {
  const diffs = diffPackets(base().build(), packet().eth().ipv4({ ttl: 63 }).udp({ dport: 53 }).payload(4).build());
  assert.equal(diffs.map((d) => [d.name, d.offset, d.expected, d.actual]), [
    ['ipv4.ttl', 22, 64, 63],
    ['ipv4.checksum', 24, diffs[1]!.expected, diffs[1]!.actual],
  ]);
  assert.is.not(diffs[1]!.expected, diffs[1]!.actual);
  assert.match(formatDiff(diffs), /^ipv4.ttl \(offset 22\): expected 64 \(0x40\), got 63 \(0x3f\)\n/);
});

test('different layers and lengths are reported, not misaligned field by field', () => {
  const v4 = base().build();
  const v6 = packet().eth().ipv6().udp({ dport: 53 }).payload(4).build();
  const diffs = diffPackets(v4, v6);
  assert.equal(diffs[0], { name: 'length', offset: 0, expected: v4.length, actual: v6.length });
  assert.equal(diffs[1], { name: 'layer 1', offset: 14, expected: 'ipv4', actual: 'ipv6' });
  assert.ok(diffs.some((d) => d.name === 'eth.type' && d.expected === 0x0800 && d.actual === 0x86dd));
  assert.ok(diffs.some((d) => d.name === 'ipv6.src' && d.expected === undefined && d.actual === 'fd00::1'));
  assert.match(formatDiff(diffs), /ipv6.src \(offset 22\): expected \(absent\), got fd00::1/);
});

test('a shortened packet shows the fields it lost', () => {
  const whole = base().build();
  const diffs = diffPackets(whole, whole.subarray(0, 40)); // the UDP header ends at 42
  assert.ok(diffs.some((d) => d.name === 'udp.checksum' && d.offset === 40 && d.actual === undefined));
  assert.ok(diffs.some((d) => d.name === 'payload.data' && d.actual === undefined));
});

test.run();
