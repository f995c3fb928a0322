import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AddressError, formatIPv4, formatIPv6, formatMac, parseIPv4, parseIPv6, parseMac } from '../packet.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('MAC addresses', () => {
  assert.is(hex(parseMac('02:00:5E:10:00:FF')), '02005e1000ff');
  assert.is(hex(parseMac('2-0-5e-10-0-ff')), '02005e1000ff');
  assert.is(hex(parseMac([1, 2, 3, 4, 5, 6])), '010203040506');
  assert.is(formatMac(Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0, 1)), 'de:ad:be:ef:00:01');
  for (const bad of ['02:00:5e:10:00', '02:00:5e:10:00:ff:01', '02:00:5e:10:00:fg', '0200.5e10.00ff', '']) {
    assert.throws(() => parseMac(bad), (e: unknown) => e instanceof AddressError && e.message.includes(`"${bad}"`), bad);
  }
  assert.throws(() => parseMac([1, 2, 3]), /expected 6 bytes/);
});

test('IPv4 addresses', () => {
  assert.is(hex(parseIPv4('10.0.0.1')), '0a000001');
  assert.is(hex(parseIPv4('255.255.255.255')), 'ffffffff');
  assert.is(formatIPv4(Uint8Array.of(192, 168, 1, 200)), '192.168.1.200');
  for (const bad of ['10.0.0', '10.0.0.256', '10.0.0.01', '10.0.0.1.', 'a.b.c.d', '10.0.0.-1', ' 10.0.0.1']) {
    assert.throws(() => parseIPv4(bad), (e: unknown) => e instanceof AddressError && e.message.includes(`"${bad}"`), bad);
  }
});

test('IPv6 addresses (RFC 4291 text forms)', () => {
  assert.is(hex(parseIPv6('::')), '0'.repeat(32));
  assert.is(hex(parseIPv6('::1')), `${'0'.repeat(30)}01`);
  assert.is(hex(parseIPv6('fd00::2')), `fd00${'0'.repeat(26)}02`);
  assert.is(hex(parseIPv6('2001:db8:0:0:1:0:0:1')), '20010db8000000000001000000000001');
  assert.is(hex(parseIPv6('2001:DB8::8:800:200C:417A')), '20010db80000000000080800200c417a');
  assert.is(hex(parseIPv6('::ffff:10.1.2.3')), '00000000000000000000ffff0a010203');
  assert.is(hex(parseIPv6('::10.1.2.3')), '0000000000000000000000000a010203');
  assert.is(hex(parseIPv6('1:2:3:4:5:6:10.1.2.3')), '000100020003000400050006' + '0a010203');
  assert.is(hex(parseIPv6('1::')), `0001${'0'.repeat(28)}`);
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', '::ffff:10.1.2', '1:2:3:4:5:6:7::8', 'fe80::1%eth0', ':1']) {
    assert.throws(() => parseIPv6(bad), (e: unknown) => e instanceof AddressError && e.message.includes(`"${bad}"`), bad);
  }
});

test('IPv6 text output follows RFC 5952', () => {
  const f = (s: string) => formatIPv6(parseIPv6(s));
  assert.is(f('2001:0db8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.is(f('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1'); // a single zero word stays
  assert.is(f('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1'); // the longest run
  assert.is(f('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1'); // the first of equal runs
  assert.is(f('::'), '::');
  assert.is(f('::1'), '::1');
  assert.is(f('fd00::'), 'fd00::');
});

test.run();
