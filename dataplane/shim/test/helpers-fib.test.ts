// bpf_fib_lookup against the control plane's tables (maps/fib.ts), with the
// return codes and output fields of linux/bpf.h's struct bpf_fib_lookup.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addRoute, deleteRoute, setDevice, setNeighbour } from '../../../maps/index.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { E, NativeBuf, call, hasNativeLibrary, signed } from '../../../maps/test/native.ts';

const FIB_LOOKUP = 69; // BPF_FUNC_fib_lookup
const RET = { SUCCESS: 0, BLACKHOLE: 1, UNREACHABLE: 2, PROHIBIT: 3, NOT_FWDED: 4, NO_NEIGH: 7, FRAG_NEEDED: 8, NO_SRC_ADDR: 9 };
const F = { SKIP_NEIGH: 4, SRC: 16 };

/** struct bpf_fib_lookup (64 bytes) in native memory. */
class Params {
  readonly mem = new NativeBuf(64);
  readonly v = new DataView(this.mem.bytes.buffer, this.mem.bytes.byteOffset, 64);
  constructor(dst: string, totLen = 0) {
    const six = dst.includes(':');
    this.mem.bytes[0] = six ? 10 : 2;
    this.v.setUint16(6, totLen, true);
    if (six) {
      const [h = '', t = ''] = dst.split('::');
      const g = [...h.split(':').filter(Boolean), ...new Array(8 - h.split(':').filter(Boolean).length - t.split(':').filter(Boolean).length).fill('0'), ...t.split(':').filter(Boolean)];
      g.forEach((x, i) => this.v.setUint16(32 + 2 * i, parseInt(x, 16), false));
    } else this.mem.bytes.set(dst.split('.').map(Number), 32);
  }
  lookup(flags = 0, plen = 64): number { return signed(call(FIB_LOOKUP, 0, this.mem.address, plen, flags)); }
  get ifindex(): number { return this.v.getUint32(8, true); }
  get metric(): number { return this.v.getUint32(12, true); }
  get mtu(): number { return this.v.getUint16(6, true); }
  get src4(): string { return Array.from(this.mem.bytes.slice(16, 20)).join('.'); }
  get smac(): string { return Array.from(this.mem.bytes.slice(52, 58), (b) => b.toString(16).padStart(2, '0')).join(':'); }
  get dmac(): string { return Array.from(this.mem.bytes.slice(58, 64), (b) => b.toString(16).padStart(2, '0')).join(':'); }
  free(): void { this.mem.free(); }
}

function withParams(dst: string, totLen: number, fn: (p: Params) => void): void {
  const p = new Params(dst, totLen);
  try { fn(p); } finally { p.free(); }
}

if (requires('bpf_fib_lookup', hasNativeLibrary())) {
  setDevice(2, { mac: '02:00:00:00:00:02', mtu: 1500, ipv4: '192.0.2.1' });
  setDevice(3, { mac: '02:00:00:00:00:03', mtu: 9000 });
  addRoute('198.51.100.0/24', { dev: 2, metric: 100 });
  addRoute('203.0.113.0/24', { dev: 3, via: '198.51.100.254' });
  addRoute('203.0.113.128/25', { dev: 2, type: 'blackhole' });
  addRoute('10.9.0.0/16', { dev: 2, type: 'unreachable' });
  addRoute('10.8.0.0/16', { dev: 2, type: 'prohibit' });
  addRoute('192.0.2.1/32', { dev: 2, type: 'local' });
  setNeighbour('198.51.100.7', 'aa:bb:cc:00:00:07');
  setNeighbour('198.51.100.254', 'aa:bb:cc:00:00:fe');

  test('a connected route: the destination is the next hop; smac from the device', () => {
    withParams('198.51.100.7', 100, (p) => {
      assert.is(p.lookup(), RET.SUCCESS);
      assert.is(p.ifindex, 2);
      assert.is(p.metric, 100);
      assert.is(p.dmac, 'aa:bb:cc:00:00:07');
      assert.is(p.smac, '02:00:00:00:00:02');
      assert.is(p.mtu, 1500, 'mtu_result');
    });
    withParams('198.51.100.8', 100, (p) => assert.is(p.lookup(), RET.NO_NEIGH));
    withParams('198.51.100.8', 100, (p) => { assert.is(p.lookup(F.SKIP_NEIGH), RET.SUCCESS); assert.is(p.ifindex, 2); });
  });

  test('a route via a gateway resolves the gateway\'s MAC; longer prefixes win', () => {
    withParams('203.0.113.5', 0, (p) => {
      assert.is(p.lookup(), RET.SUCCESS);
      assert.is(p.ifindex, 3);
      assert.is(p.dmac, 'aa:bb:cc:00:00:fe');
      assert.is(p.mtu, 9000);
    });
    withParams('203.0.113.200', 0, (p) => assert.is(p.lookup(), RET.BLACKHOLE));
    withParams('10.9.1.1', 0, (p) => assert.is(p.lookup(), RET.UNREACHABLE));
    withParams('10.8.1.1', 0, (p) => assert.is(p.lookup(), RET.PROHIBIT));
    withParams('192.0.2.1', 0, (p) => assert.is(p.lookup(), RET.NOT_FWDED, 'local'));
    withParams('8.8.8.8', 0, (p) => assert.is(p.lookup(), RET.NOT_FWDED, 'no route'));
  });

  test('tot_len beyond the MTU needs fragmentation; BPF_FIB_LOOKUP_SRC fills the source', () => {
    withParams('198.51.100.7', 1501, (p) => { assert.is(p.lookup(), RET.FRAG_NEEDED); assert.is(p.mtu, 1500); });
    withParams('198.51.100.7', 0, (p) => { assert.is(p.lookup(F.SRC), RET.SUCCESS); assert.is(p.src4, '192.0.2.1'); });
    withParams('203.0.113.5', 0, (p) => assert.is(p.lookup(F.SRC), RET.NO_SRC_ADDR, 'device 3 has no address'));
  });

  test('bad arguments: short params, unknown flags, unknown family', () => {
    withParams('198.51.100.7', 0, (p) => {
      assert.is(p.lookup(0, 63), E.EINVAL);
      assert.is(p.lookup(1 << 9), E.EINVAL);
      p.mem.bytes[0] = 7;
      assert.is(p.lookup(), -97 /* EAFNOSUPPORT */);
    });
  });

  test('IPv6, a default route, and deleting routes', () => {
    addRoute('::/0', { dev: 3, via: 'fe80::1' });
    addRoute('2001:db8::/32', { dev: 2 });
    setNeighbour('fe80::1', '00:00:5e:00:01:01');
    setNeighbour('2001:db8::5', '00:00:5e:00:01:05');
    withParams('2001:db8::5', 0, (p) => { assert.is(p.lookup(), RET.SUCCESS); assert.is(p.ifindex, 2); assert.is(p.dmac, '00:00:5e:00:01:05'); });
    withParams('2606:4700::1', 0, (p) => { assert.is(p.lookup(), RET.SUCCESS); assert.is(p.ifindex, 3); assert.is(p.dmac, '00:00:5e:00:01:01'); });
    assert.is(deleteRoute('2001:db8::/32'), true);
    assert.is(deleteRoute('2001:db8::/32'), false);
    withParams('2001:db8::5', 0, (p) => assert.is(p.ifindex === 0 && p.lookup() === RET.SUCCESS && p.ifindex, 3));
  });
}

test.run();
