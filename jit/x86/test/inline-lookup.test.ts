// map_lookup_elem on an array map inlined (opts.arrayMapAt): a bounds check on the u32 key
// and values + key * elem_size, NULL past max_entries — the kernel's array lookup.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import koffi from 'koffi';
import { assemble } from '../../isa/asm.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { jitCompile, type ArrayMapLayout } from '../compile.ts';
import { JitError } from '../errors.ts';
import { hasNativeLibrary, runWithMemory } from './native.ts';
import { JitProgram } from '../../../dataplane/jit-program.ts';

const MAP = 0x5000_0000_1000n; // the map's address: only compared, never read by the inlined code

const lookup = (key: number): string => `
  *(u32 *)(r10 - 4) = ${key}
  r2 = r10
  r2 += -4
  r1 = ${MAP} ll
  call 1
  if r0 == 0 goto none
  r0 = *(u64 *)(r0 + 0)
  exit
none:
  r0 = 99
  exit`;

if (requires('inlined array map lookups', hasNativeLibrary())) {
  for (const elemSize of [8, 16, 24]) { // the lea's scale, a shift, an imul
    test(`array lookups with ${elemSize}-byte elements: in range, the last one, past the end`, () => {
      const entries = 5;
      const values = koffi.alloc('uint8_t', entries * elemSize) as bigint;
      try {
        const view = new DataView(koffi.view(values, entries * elemSize) as ArrayBuffer);
        for (let i = 0; i < entries; i++) view.setBigUint64(i * elemSize, BigInt(1000 + i), true);
        const layout: ArrayMapLayout = { maxEntries: entries, elemSize, values };
        for (const blindConstants of [false, true]) { // blinded: max_entries and elem_size through a register
          const opts = { arrayMapAt: (at: bigint) => (at === MAP ? layout : undefined), blindConstants }; // no helper 1: it must be inlined
          assert.is(runWithMemory(assemble(lookup(2)), new Uint8Array(0), opts).r0, 1002n);
          assert.is(runWithMemory(assemble(lookup(4)), new Uint8Array(0), opts).r0, 1004n);
          assert.is(runWithMemory(assemble(lookup(5)), new Uint8Array(0), opts).r0, 99n);
          assert.is(runWithMemory(assemble(lookup(-1)), new Uint8Array(0), opts).r0, 99n, 'the key is unsigned');
        }
      } finally {
        koffi.free(values);
      }
    });
  }
}

if (requires('direct calls of a map\'s own lookup', hasNativeLibrary())) {
  test('a constant map that is not an inlined array: its own lookup is called, not the helper', () => {
    // A stand-in for a map's lookup(map, key): returns *(u32 *)key * 10 + 7, so the key's address arrived in rsi.
    const fake = JitProgram.compile(assemble('r0 = *(u32 *)(r2 + 0)\nr0 *= 10\nr0 += 7\nexit'), { entry: 'function', rewriteContext: false });
    try {
      const opts = { mapLookupAt: (at: bigint) => (at === MAP ? fake.entry : undefined) }; // no helper 1 at all
      assert.is(runWithMemory(assemble(lookup(5).replace('r0 = *(u64 *)(r0 + 0)', '')), new Uint8Array(0), opts).r0, 57n);
      assert.throws(() => jitCompile(assemble(`r1 = ${MAP + 8n} ll\nr2 = r10\ncall 1\nexit`), { rewriteContext: false, ...opts }),
        (e: unknown) => e instanceof JitError && /unknown helper 1/.test(e.message), 'another map: the helper, which is unknown here');
    } finally {
      fake.free();
    }
  });
}

test('not inlined when r1 is not an lddw constant of the same basic block', () => {
  const layout: ArrayMapLayout = { maxEntries: 4, elemSize: 8, values: 0x1000n };
  // Helper 1 is unknown: a call that is not inlined fails to compile.
  const opts = { rewriteContext: false, arrayMapAt: () => layout, helperAddress: (id: number) => (id === 5 ? 0x1000n : undefined) };
  assert.not.throws(() => jitCompile(assemble(`r2 = r10\nr2 += -4\nr1 = ${MAP} ll\ncall 1\nr0 = 0\nexit`), opts));
  const notConstant = [
    `r1 = ${MAP} ll\nr1 += 0\nr2 = r10\ncall 1\nr0 = 0\nexit`,
    `r1 = ${MAP} ll\nif r2 == 0 goto +1\nr1 = r6\ncall 1\nr0 = 0\nexit`,
    `r1 = ${MAP} ll\nif r2 == 0 goto +0\ncall 1\nr0 = 0\nexit`,
    `r1 = ${MAP} ll\ncall 5\ncall 1\nr0 = 0\nexit`,
  ];
  for (const text of notConstant) {
    assert.throws(() => jitCompile(assemble(text), opts), (e: Error) => e instanceof JitError && /unknown helper 1$/.test(e.message), text);
  }
});

test.run();
