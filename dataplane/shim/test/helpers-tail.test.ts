// sluice_tail_call: a tail call made as a call (dataplane/shim/helpers_tail.c).
// Targets here are koffi callbacks standing in for JIT'd function entries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import koffi from 'koffi';
import { helperBindings, TAIL_CALL_FAILED } from '../../ffi.ts';
import { createMap, MapType, registerProgram, u32 } from '../../../maps/index.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { hasNativeLibrary } from '../../../maps/test/native.ts';

const MAX_TAIL_CALL_CNT = 33; // linux/bpf.h (kernel/bpf/core.c)

if (requires('tail calls', hasNativeLibrary())) {
  const entryType = koffi.pointer(koffi.proto('uint64_t tail_entry(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t)'));
  const tailCall = koffi.decode(helperBindings().tailCallAddress(), koffi.proto('uint64_t tail_call_fn(uint64_t, uint64_t, uint64_t)')) as
    (ctx: bigint, map: bigint, index: bigint) => bigint;
  const tc = (ctx: bigint, map: bigint, index: number) => BigInt.asUintN(64, BigInt(tailCall(ctx, map, BigInt(index))));

  test('the target runs with the caller\'s ctx and its r0 comes back; failures return the marker', () => {
    const jmp = createMap({ name: 'jmp_tc', type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    const seen: bigint[] = [];
    const target = koffi.register((ctx: bigint) => { seen.push(BigInt(ctx)); return 7n; }, entryType);
    try {
      registerProgram(901, koffi.address(target));
      jmp.update(u32(2), u32(901));
      assert.is(tc(0x1234n, jmp.address, 2), 7n);
      assert.equal(seen, [0x1234n]);
      assert.is(tc(0x1234n, jmp.address, 1), TAIL_CALL_FAILED, 'empty slot');
      assert.is(tc(0x1234n, jmp.address, 4), TAIL_CALL_FAILED, 'index beyond max_entries');
      const notProgs = createMap({ name: 'arr_tc', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
      assert.is(tc(0n, notProgs.address, 0), TAIL_CALL_FAILED, 'not a prog_array');
      notProgs.close();
    } finally { koffi.unregister(target); jmp.close(); }
  });

  test(`a chain stops after ${MAX_TAIL_CALL_CNT} tail calls; the count unwinds with the chain`, () => {
    const jmp = createMap({ name: 'jmp_chain', type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    let runs = 0;
    const self = koffi.register((ctx: bigint) => {
      runs++;
      const r = tc(BigInt(ctx), jmp.address, 0);
      return r === TAIL_CALL_FAILED ? BigInt(runs) : r; // the last program in the chain reports how many ran
    }, entryType);
    try {
      registerProgram(902, koffi.address(self));
      jmp.update(u32(0), u32(902));
      assert.is(tc(1n, jmp.address, 0), BigInt(MAX_TAIL_CALL_CNT));
      runs = 0;
      assert.is(tc(1n, jmp.address, 0), BigInt(MAX_TAIL_CALL_CNT), 'a second packet gets the full budget again');
    } finally { koffi.unregister(self); jmp.close(); }
  });
}

test.run();
