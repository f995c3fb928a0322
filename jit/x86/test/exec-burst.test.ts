// XDP programs through the burst entry, on real packet buffers (dataplane's FrameArena:
// 256 bytes of headroom, data_meta == data, as the kernel's xdp_buff).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assemble } from '../../isa/asm.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { JitProgram } from '../../../dataplane/jit-program.ts';
import { FrameArena } from '../../../dataplane/frame-arena.ts';
import { hasNativeLibrary, identityHelper, runBurst } from './native.ts';

const XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3;

const frame = (len: number, etherType = 0x0800): Uint8Array => {
  const p = new Uint8Array(len);
  for (let i = 0; i < len; i++) p[i] = i;
  if (len >= 14) { p[12] = etherType >> 8; p[13] = etherType & 0xff; }
  return p;
};

if (requires('XDP programs through the burst entry', hasNativeLibrary())) {
  test('one verdict per packet, packet writes visible after the burst', () => {
    // Too short for Ethernet: drop. IPv4: pass. Anything else: swap the MAC addresses' first bytes and TX.
    const prog = assemble(`
      r2 = *(u32 *)(r1 + 0)
      r3 = *(u32 *)(r1 + 4)
      r4 = r2
      r4 += 14
      r0 = 1
      if r4 > r3 goto out
      r0 = 2
      r5 = *(u16 *)(r2 + 12)
      if r5 == 0x8 goto out
      r5 = *(u8 *)(r2 + 0)
      r6 = *(u8 *)(r2 + 6)
      *(u8 *)(r2 + 0) = r6
      *(u8 *)(r2 + 6) = r5
      r0 = 3
    out:
      exit`);
    const packets = [frame(10), frame(60), frame(64, 0x86dd), frame(14, 0x0806), frame(13)];
    const { verdicts, packets: after } = runBurst(prog, packets);
    assert.equal(verdicts, [XDP_DROP, XDP_PASS, XDP_TX, XDP_TX, XDP_DROP]);
    assert.equal([...after[1]!], [...packets[1]!], 'passed packets are untouched');
    assert.is(after[2]![0], 6);
    assert.is(after[2]![6], 0);
    assert.is(after[2]!.length, 64);
  });

  test('ingress_ifindex, rx_queue_index, egress_ifindex and data_meta', () => {
    const prog = assemble(`
      r0 = *(u32 *)(r1 + 12)
      r0 *= 100
      r2 = *(u32 *)(r1 + 16)
      r0 += r2
      r2 = *(u32 *)(r1 + 20)
      r0 += r2
      r2 = *(u32 *)(r1 + 0)
      r3 = *(u32 *)(r1 + 8)
      r2 -= r3
      r0 += r2
      exit`);
    assert.equal(runBurst(prog, [frame(20)], {}, { ifindex: 7, rxQueue: 3 }).verdicts, [703]);
  });

  test('the ctx pointer through a stack spill and into a subprogram', () => {
    const prog = assemble(`
      *(u64 *)(r10 - 8) = r1
      r1 = 0
      r6 = *(u64 *)(r10 - 8)
      r1 = r6
      call len
      r7 = r0
      r0 = *(u32 *)(r6 + 4)
      r2 = *(u32 *)(r6 + 0)
      r0 -= r2
      r0 += r7
      exit
    len:
      r0 = *(u32 *)(r1 + 4)
      r2 = *(u32 *)(r1 + 0)
      r0 -= r2
      exit`);
    assert.equal(runBurst(prog, [frame(20), frame(33)]).verdicts, [40, 66]);
  });

  test('a long burst: each packet gets its own r1 and its own verdict; helpers do not disturb the loop', () => {
    const prog = assemble(`
      r6 = r1
      r1 = 1000
      call 5
      r7 = r0
      r0 = *(u32 *)(r6 + 4)
      r2 = *(u32 *)(r6 + 0)
      r0 -= r2
      r0 += r7
      exit`);
    const lengths = Array.from({ length: 300 }, (_, i) => 14 + ((i * 37) % 1400));
    for (const prefetch of [false, true]) {
      const { verdicts } = runBurst(prog, lengths.map((n) => frame(n)), { prefetch, helperAddress: (id) => (id === 5 ? identityHelper() : undefined) });
      assert.equal(verdicts, lengths.map((n) => n + 1000), `prefetch: ${prefetch}`);
    }
    for (const n of [1, 2, 4, 5, 6]) { // around the prefetch distance: never reads past the last xdp_buff
      assert.equal(runBurst(prog, lengths.slice(0, n).map((k) => frame(k)), { prefetch: true, helperAddress: () => identityHelper() }).verdicts,
        lengths.slice(0, n).map((k) => k + 1000));
    }
  });

  test('an empty burst runs nothing; the same code runs many bursts; free() unmaps', () => {
    const p = JitProgram.compile(assemble('r0 = 1\nexit'));
    const arena = new FrameArena(4);
    try {
      arena.fill(Array.from({ length: 4 }, () => frame(60)), {}, 0n);
      p.burst(arena.buffs, arena.verdicts, 0);
      assert.equal([0, 1, 2, 3].map((i) => arena.verdict(i)), [0, 0, 0, 0]);
      for (let round = 0; round < 3; round++) p.burst(arena.buffs, arena.verdicts, 4);
      assert.equal([0, 1, 2, 3].map((i) => arena.verdict(i)), [1, 1, 1, 1]);
    } finally {
      arena.free();
      p.free();
    }
    assert.throws(() => p.burst(arena.buffs, arena.verdicts, 1), /after free/);
  });
}

test.run();
