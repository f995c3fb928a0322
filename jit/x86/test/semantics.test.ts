// Every semantics data file (jit/semantics/data) through the JIT: the plain function entry
// for the cases that return a value (as XDP programs run, no run-time checks), and every
// case — the ones that expect a fault included — through the sandboxed, guarded JIT that
// `sluice vm exec --engine jit` uses (dataplane/raw-jit.ts), with and without constant
// blinding: each expected fault must come back as a RawJitError of the expected kind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeFailures, loadSemantics, runSemantics } from '../../semantics/runner.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { runRawJit } from '../../../dataplane/raw-jit.ts';
import { assemble } from '../../isa/asm.ts';
import { layout } from '../../isa/instruction.ts';
import { Class, classOf } from '../../isa/opcode.ts';
import { hasNativeLibrary, runWithMemory } from './native.ts';

if (requires('semantics files through the JIT', hasNativeLibrary())) {
  test('every semantics case gives the expected r0 when JIT-compiled', async () => {
    const cases = loadSemantics().filter((c) => c.expect.error === undefined);
    assert.ok(cases.length > 0, 'no semantics cases found');
    const outcomes = await runSemantics((program, memory) => runWithMemory(program, memory).r0, cases);
    const failures = describeFailures(outcomes);
    assert.is(failures, '', `${outcomes.filter((o) => !o.ok).length} of ${outcomes.length} cases failed`);
  });

  for (const blindConstants of [false, true]) {
    test(`every semantics case, faults included, through the sandboxed guarded JIT${blindConstants ? ' with blinding' : ''}`, async () => {
      const cases = loadSemantics();
      const faults = cases.filter((c) => c.expect.error?.kind === 'memory');
      assert.ok(faults.length >= 10, 'the data files should have memory-fault cases');
      const outcomes = await runSemantics((program, memory) => runRawJit(program, memory, { blindConstants }).r0, cases);
      assert.is(describeFailures(outcomes), '', `${outcomes.filter((o) => !o.ok).length} of ${outcomes.length} cases failed`);
    });
  }

  test('expected faults are reported with their kind and the eBPF pc of the faulting instruction', () => {
    for (const c of loadSemantics().filter((k) => k.expect.error?.kind === 'memory')) {
      const program = assemble(c.source);
      try {
        runRawJit(program, c.memory.slice());
        assert.unreachable(`${c.name}: no fault`);
      } catch (err) {
        const e = err as { kind?: string; pc?: number; message: string };
        assert.is(e.kind, 'memory', `${c.name}: ${e.message}`);
        // The faulting instruction is a load, store or atomic at that pc.
        const { indexOf } = layout(program);
        const insn = program[indexOf[e.pc!]!]!;
        assert.ok([Class.LDX, Class.ST, Class.STX].includes(classOf(insn.opcode)), `${c.name}: pc ${e.pc} is not a memory access`);
      }
    }
  });
}

test.run();
