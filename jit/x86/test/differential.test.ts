// Seeded differential fuzzing: random programs (every ALU form, stack loads and stores,
// atomics, forward branches), run by the reference interpreter and by the JIT; r0 folds
// every register and the stack, so any difference shows. Bounded and reproducible:
// SLUICE_FUZZ_SEED=N runs one seed; a failure prints the seed and the program.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Interpreter } from '../../interp/interpreter.ts';
import { listing, randomProgram } from './random-program.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { hasNativeLibrary, runWithMemory } from './native.ts';
import { hostCpu } from '../../../dataplane/jit-program.ts';

const PROGRAMS = 800;

if (requires('differential fuzzing, JIT against the interpreter', hasNativeLibrary())) {
  test(`${PROGRAMS} random programs: the JIT and the interpreter agree on r0`, () => {
    const only = process.env['SLUICE_FUZZ_SEED'];
    const seeds = only ? [Number(only)] : Array.from({ length: PROGRAMS }, (_, i) => 1000 + i);
    for (const seed of seeds) {
      const program = randomProgram(seed);
      const expected = BigInt.asUintN(64, new Interpreter(program).run().r0);
      const cpu = { bmi2: hostCpu().bmi2 && seed % 2 === 0 }; // both shift-by-register paths
      const got = runWithMemory(program, new Uint8Array(0), { cpu }).r0;
      if (got !== expected) {
        assert.unreachable(`seed ${seed} (SLUICE_FUZZ_SEED=${seed}, bmi2 ${cpu.bmi2}): interpreter r0 = 0x${expected.toString(16)}, JIT r0 = 0x${got.toString(16)}\n${listing(program)}`);
      }
    }
  });

  test(`${PROGRAMS / 2} random programs with constant blinding: the JIT and the interpreter agree on r0`, () => {
    const only = process.env['SLUICE_FUZZ_SEED'];
    const seeds = only ? [Number(only)] : Array.from({ length: PROGRAMS / 2 }, (_, i) => 9000 + i);
    for (const seed of seeds) {
      const program = randomProgram(seed);
      const expected = BigInt.asUintN(64, new Interpreter(program).run().r0);
      const cpu = { bmi2: hostCpu().bmi2 && seed % 2 === 0 };
      const got = runWithMemory(program, new Uint8Array(0), { cpu, blindConstants: true }).r0;
      if (got !== expected) {
        assert.unreachable(`seed ${seed} (SLUICE_FUZZ_SEED=${seed}, bmi2 ${cpu.bmi2}, blinded): interpreter r0 = 0x${expected.toString(16)}, JIT r0 = 0x${got.toString(16)}\n${listing(program)}`);
      }
    }
  });
}

test.run();
