// Tail calls through a prog_array laid out as maps/map.h says (max_entries at 12, the
// u64 entry addresses at *(values) at 32), with the kernel's rules: out-of-range index or
// empty slot fall through, at most 33 tail calls per packet (MAX_TAIL_CALL_CNT), and the
// burst loop comes back to its own program for the next packet.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import koffi from 'koffi';
import { assemble } from '../../isa/asm.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { JitProgram } from '../../../dataplane/jit-program.ts';
import { FrameArena } from '../../../dataplane/frame-arena.ts';
import { hasNativeLibrary } from './native.ts';

const BPF_MAP_TYPE_PROG_ARRAY = 3;

if (requires('tail calls through a prog_array', hasNativeLibrary())) {
  test('tail calls: taken, out of range, empty slot, the limit of 33, and back to the entry program', () => {
    const slots = 4;
    const map = koffi.alloc('uint8_t', 64) as bigint;
    const values = koffi.alloc('uint64_t', slots) as bigint;
    const mapView = new DataView(koffi.view(map, 64) as ArrayBuffer);
    const valueView = new DataView(koffi.view(values, slots * 8) as ArrayBuffer);
    mapView.setUint32(0, BPF_MAP_TYPE_PROG_ARRAY, true);
    mapView.setUint32(4, 4, true);
    mapView.setUint32(8, 4, true);
    mapView.setUint32(12, slots, true);
    mapView.setBigUint64(32, values, true);
    for (let i = 0; i < slots; i++) valueView.setBigUint64(i * 8, 0n, true);

    // Marks byte 0, tail-calls the slot named by byte 1, or returns 9 when the call falls through.
    const entry = JitProgram.compile(assemble(`
      r6 = r1
      r2 = *(u32 *)(r6 + 0)
      *(u8 *)(r2 + 0) = 0xaa
      r3 = *(u8 *)(r2 + 1)
      r2 = ${map} ll
      r1 = r6
      call 12
      r0 = 9
      exit`));
    // Slot 0: returns 100 + the packet length.
    const length = JitProgram.compile(assemble(`
      r0 = *(u32 *)(r1 + 4)
      r2 = *(u32 *)(r1 + 0)
      r0 -= r2
      r0 += 100
      exit`));
    // Slot 1: counts itself in byte 2 and tail-calls itself until the limit stops it.
    const chain = JitProgram.compile(assemble(`
      r2 = *(u32 *)(r1 + 0)
      r3 = *(u8 *)(r2 + 2)
      r3 += 1
      *(u8 *)(r2 + 2) = r3
      r2 = ${map} ll
      r3 = 1
      call 12
      r0 = 2
      exit`));
    valueView.setBigUint64(0, length.tailCallEntry, true);
    valueView.setBigUint64(8, chain.tailCallEntry, true);

    const indexes = [0, 1, 2, 5, 1, 0];
    const arena = new FrameArena(indexes.length);
    try {
      arena.fill(indexes.map((index, i) => Uint8Array.from([0, index, 0, ...new Array<number>(20 + i).fill(7)])), {}, 0n);
      entry.burst(arena.buffs, arena.verdicts, indexes.length);
      const verdicts = indexes.map((_, i) => arena.verdict(i));
      assert.equal(verdicts, [100 + 23, 2, 9, 9, 2, 100 + 28]);
      indexes.forEach((index, i) => {
        const p = arena.packet(i);
        assert.is(p[0], 0xaa, `packet ${i} ran the entry program`);
        assert.is(p[2], index === 1 ? 33 : 0, `packet ${i}: tail calls in its chain`);
      });
    } finally {
      arena.free();
      for (const p of [entry, length, chain]) p.free();
      koffi.free(map);
      koffi.free(values);
    }
  });
}

test.run();
