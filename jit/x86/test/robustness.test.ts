// Bad input never crashes the JIT: random instruction fields (any opcode byte, register
// numbers past r10, wild offsets and immediates) either compile or fail with a JitError.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Instruction } from '../../isa/instruction.ts';
import { jitCompile } from '../compile.ts';
import { JitError } from '../errors.ts';

function generator(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s % n; };
}

test('3,000 random programs compile or throw a JitError', () => {
  const others: string[] = [];
  let compiled = 0;
  for (let seed = 1; seed <= 3000; seed++) {
    const rnd = generator(seed);
    const length = 1 + rnd(12);
    const program: Instruction[] = Array.from({ length }, () => ({
      opcode: rnd(256),
      dst: rnd(4) === 0 ? rnd(16) : rnd(11),
      src: rnd(4) === 0 ? rnd(16) : rnd(11),
      off: rnd(3) === 0 ? rnd(65536) - 32768 : rnd(9) - 4,
      imm: rnd(3) === 0 ? (rnd(0x7fffffff) * (rnd(2) ? 1 : -1)) | 0 : rnd(9) - 4,
      imm2: rnd(5),
    }));
    if (rnd(2)) program.push({ opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 });
    try {
      jitCompile(program, { helperAddress: (id) => (id < 100 ? 0x1000n + BigInt(id) : undefined), arrayMapAt: () => ({ maxEntries: 4, elemSize: 8, values: 0x2000n }) });
      compiled++;
    } catch (err) {
      if (!(err instanceof JitError)) others.push(`seed ${seed}: ${(err as Error)?.stack ?? String(err)}`);
    }
    try { // the raw-program configuration: sandboxed, blinded
      jitCompile(program, { entry: 'function', sandbox: true, blindConstants: true, helperAddress: (id) => (id === 5 ? 0x1000n : undefined) });
    } catch (err) {
      if (!(err instanceof JitError)) others.push(`seed ${seed} (sandbox): ${(err as Error)?.stack ?? String(err)}`);
    }
  }
  assert.equal(others.slice(0, 3), []);
  assert.ok(compiled > 0, 'some random programs are valid');
});

test.run();
