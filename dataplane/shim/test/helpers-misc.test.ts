// The helper table, csum_diff, trace_printk, bpf_loop, spin locks, time,
// randomness and the worker's CPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import koffi from 'koffi';
import { helperBindings } from '../../ffi.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { E, Fn, NativeBuf, call, hasNativeLibrary, signed } from '../../../maps/test/native.ts';

const cb5 = koffi.pointer(koffi.proto('uint64_t loop_cb(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t)'));

function drainTrace(): string {
  const out = new Uint8Array(1 << 16);
  const n = helperBindings().traceDrain(out, out.length);
  return new TextDecoder().decode(out.subarray(0, n));
}

/** RFC 1071: the 16-bit one's complement sum of 16-bit little-endian words. */
function fold16(words32: number[]): number {
  let s = 0;
  for (const w of words32) s += (w & 0xffff) + (w >>> 16);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

if (requires('helpers', hasNativeLibrary())) {
  const h = helperBindings();

  test('the table: kernel ids and names; unsupported ids have no address', () => {
    for (const [name, id] of Object.entries(Fn)) {
      assert.is(h.name(id), name, `id ${id}`);
      if (name !== 'tail_call') assert.ok(h.address(id) !== 0n, `${name} has an address`);
    }
    assert.is(h.address(9), 0n);
    assert.is(h.name(9), null);
    assert.is(h.kernelName(9), 'skb_store_bytes');
    assert.is(h.kernelName(100000), null);
    assert.is(h.address(100000), 0n);
  });

  test('csum_diff: sizes must be multiples of 4 and at most 512 bytes in all', () => {
    const mem = new NativeBuf(1024);
    try {
      assert.is(signed(call(Fn.csum_diff, mem.address, 3, mem.address, 4, 0)), E.EINVAL);
      assert.is(signed(call(Fn.csum_diff, mem.address, 4, mem.address, 6, 0)), E.EINVAL);
      assert.is(signed(call(Fn.csum_diff, 0, 0, mem.address, 1, 0)), E.EINVAL);
      assert.is(signed(call(Fn.csum_diff, mem.address, 256, mem.address, 260, 0)), E.EINVAL);
      assert.ok(signed(call(Fn.csum_diff, mem.address, 256, mem.address, 256, 0)) >= 0);
    } finally { mem.free(); }
  });

  test('csum_diff: the one\'s complement sum of seed, ~from and to, folded to 16 bits (kernel 6.x)', () => {
    const mem = new NativeBuf(64);
    const w = new DataView(mem.bytes.buffer, mem.bytes.byteOffset);
    try {
      w.setUint32(0, 1, true);
      w.setUint32(4, 2, true);
      assert.is(call(Fn.csum_diff, 0, 0, mem.address, 8, 0), 3n);
      assert.is(call(Fn.csum_diff, 0, 0, mem.address, 8, 10), 13n);
      // ~csum([1], ~0) = ~1 = 0xfffffffe, folded: 0xfffe + 0xffff -> 0xfffe
      assert.is(call(Fn.csum_diff, mem.address, 4, 0, 0, 0), 0xfffen);
      // csum([1]) - csum([1]) = 1 + ~1 = 0xffffffff, folded: 0xffff
      assert.is(call(Fn.csum_diff, mem.address, 4, mem.address, 4, 0), 0xffffn);
      assert.is(call(Fn.csum_diff, 0, 0, 0, 0, 0x12345678), 0x68acn, 'no words: the seed, folded');
      // random words: the 16-bit fold agrees with RFC 1071 arithmetic
      let seed = 7;
      const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
      for (let round = 0; round < 200; round++) {
        const nf = rnd() % 5, nt = rnd() % 5, s = rnd();
        const from = Array.from({ length: nf }, rnd), to = Array.from({ length: nt }, rnd);
        from.forEach((v, i) => w.setUint32(i * 4, v, true));
        to.forEach((v, i) => w.setUint32(32 + i * 4, v, true));
        const r = Number(call(Fn.csum_diff, mem.address, nf * 4, mem.at(32), nt * 4, s));
        assert.ok(r >= 0 && r <= 0xffff);
        const expected = fold16([s, ...from.map((v) => (~v) >>> 0), ...to]);
        const got = fold16([r]);
        // 0 and 0xffff are the same number in one's complement
        assert.is(got % 0xffff, expected % 0xffff, `round ${round}`);
      }
    } finally { mem.free(); }
  });

  test('trace_printk: kernel formats into the trace pipe; bad formats are -EINVAL', () => {
    drainTrace();
    const mem = new NativeBuf(256);
    const fmt = (s: string, at = 0) => { mem.bytes.set(new TextEncoder().encode(s + '\0'), at); return s.length + 1; };
    try {
      h.workerSet(1);
      let n = fmt('x=%d y=%u z=%x\n');
      assert.is(signed(call(Fn.trace_printk, mem.address, n, -5, 7, 255)), 'x=-5 y=7 z=ff\n'.length);
      n = fmt('%lld %llu %%', 0);
      assert.is(signed(call(Fn.trace_printk, mem.address, n, -1n, 18446744073709551615n)), '-1 18446744073709551615 %'.length);
      const s = fmt('eth0', 128);
      void s;
      n = fmt('dev %s ip %pI4 p %p\n');
      mem.bytes.set([10, 0, 0, 1], 160);
      assert.ok(signed(call(Fn.trace_printk, mem.address, n, mem.at(128), mem.at(160), 0x1000)) > 0);
      assert.is(drainTrace(), '[001] x=-5 y=7 z=ff\n[001] -1 18446744073709551615 %[001] dev eth0 ip 10.0.0.1 p 0x1000\n');
      n = fmt('%q');
      assert.is(signed(call(Fn.trace_printk, mem.address, n)), E.EINVAL);
      n = fmt('%d %d %d %d');
      assert.is(signed(call(Fn.trace_printk, mem.address, n, 1, 2, 3)), E.EINVAL, 'four arguments');
      fmt('abc');
      assert.is(signed(call(Fn.trace_printk, mem.address, 3)), E.EINVAL, 'not NUL-terminated within fmt_size');
      // vprintk: u64 array of up to 12 args
      n = fmt('%d-%d-%d-%d\n');
      const args = new DataView(mem.bytes.buffer, mem.bytes.byteOffset + 200, 32);
      [1, 2, 3, 4].forEach((v, i) => args.setBigUint64(i * 8, BigInt(v), true));
      assert.is(signed(call(Fn.trace_vprintk, mem.address, n, mem.at(200), 32)), 8);
      assert.is(signed(call(Fn.trace_vprintk, mem.address, n, mem.at(200), 31)), E.EINVAL);
      assert.is(drainTrace(), '[001] 1-2-3-4\n');
    } finally { h.workerSet(0); mem.free(); }
  });

  test('snprintf formats into a buffer; strncmp compares as the kernel\'s', () => {
    const SNPRINTF = 165, STRNCMP = 182;
    const mem = new NativeBuf(256);
    const put = (s: string, at: number) => mem.bytes.set(new TextEncoder().encode(s + '\0'), at);
    const str = (at: number) => new TextDecoder().decode(mem.bytes.subarray(at, mem.bytes.indexOf(0, at)));
    try {
      put('port %u of %d', 100);
      const args = new DataView(mem.bytes.buffer, mem.bytes.byteOffset + 200, 16);
      args.setBigUint64(0, 80n, true);
      args.setBigUint64(8, 3n, true);
      assert.is(signed(call(SNPRINTF, mem.address, 64, mem.at(100), mem.at(200), 16)), 'port 80 of 3'.length + 1);
      assert.is(str(0), 'port 80 of 3');
      assert.is(signed(call(SNPRINTF, mem.address, 5, mem.at(100), mem.at(200), 16)), 'port 80 of 3'.length + 1, 'truncated: the full length');
      assert.is(str(0), 'port');
      assert.is(signed(call(SNPRINTF, mem.address, 64, mem.at(100), mem.at(200), 12)), E.EINVAL);
      put('abc', 0);
      put('abd', 8);
      put('abc', 16);
      assert.is(signed(call(STRNCMP, mem.address, 3, mem.at(8))), -1);
      assert.is(signed(call(STRNCMP, mem.at(8), 3, mem.address)), 1);
      assert.is(signed(call(STRNCMP, mem.address, 4, mem.at(16))), 0);
      assert.is(signed(call(STRNCMP, mem.address, 2, mem.at(8))), 0, 'only s1_sz bytes');
    } finally { mem.free(); }
  });

  test('bpf_loop: calls back nr_loops times or until the callback returns 1', () => {
    let seen: bigint[] = [];
    const cb = koffi.register((i: bigint, ctx: bigint) => { seen.push(BigInt(i)); assert.is(BigInt(ctx), 99n); return BigInt(i) === 4n ? 1n : 0n; }, cb5);
    try {
      const addr = koffi.address(cb);
      assert.is(call(Fn.loop, 3, addr, 99, 0), 3n);
      assert.equal(seen, [0n, 1n, 2n]);
      seen = [];
      assert.is(call(Fn.loop, 10, addr, 99, 0), 5n);
      assert.is(seen.length, 5);
      assert.is(call(Fn.loop, 0, addr, 99, 0), 0n);
      assert.is(signed(call(Fn.loop, 1, addr, 99, 1)), E.EINVAL);
      assert.is(signed(call(Fn.loop, (1 << 23) + 1, addr, 99, 0)), E.E2BIG);
    } finally { koffi.unregister(cb); }
  });

  test('spin_lock / spin_unlock toggle the lock word', () => {
    const mem = new NativeBuf(8);
    try {
      call(Fn.spin_lock, mem.address);
      assert.is(mem.bytes[0], 1);
      call(Fn.spin_unlock, mem.address);
      assert.is(mem.bytes[0], 0);
    } finally { mem.free(); }
  });

  test('time, randomness, CPU and NUMA node', () => {
    const t0 = call(Fn.ktime_get_ns), t1 = call(Fn.ktime_get_ns);
    assert.ok(t1 >= t0);
    const now = process.hrtime.bigint();
    const k = call(Fn.ktime_get_ns);
    assert.ok(k >= now && k - now < 1_000_000_000n, 'CLOCK_MONOTONIC, as process.hrtime');
    assert.ok(call(Fn.ktime_get_boot_ns) >= t0);
    const coarse = call(Fn.ktime_get_coarse_ns);
    assert.ok(coarse > t0 - 50_000_000n && coarse < t1 + 50_000_000n);
    assert.ok(call(Fn.jiffies64) > 0n);
    const r = Array.from({ length: 64 }, () => call(Fn.get_prandom_u32));
    assert.ok(r.every((v) => v <= 0xffffffffn));
    assert.ok(new Set(r).size > 60);
    const ones = r.reduce((a, v) => a + v.toString(2).split('1').length - 1, 0);
    assert.ok(ones > 64 * 12 && ones < 64 * 20, `bits set: ${ones}`);
    h.workerSet(3);
    assert.is(call(Fn.get_smp_processor_id), 3n);
    assert.is(h.workerGet(), 3);
    h.workerSet(0);
    assert.is(call(Fn.get_smp_processor_id), 0n);
    assert.is(call(Fn.get_numa_node_id), 0n);
  });
}

test.run();
