// The JIT under other register maps (JitOptions.registerMap): the emitters' special cases
// depend on which eBPF register sits in rax (div, cmpxchg, helper results), rdx (div's high
// half) and rcx (shift counts), so the semantics files and random programs run again with r0,
// r3 and r4 elsewhere, and must still agree with the interpreter.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeFailures, loadSemantics, runSemantics } from '../../semantics/runner.ts';
import { Interpreter } from '../../interp/interpreter.ts';
import { lddw } from '../../isa/instruction.ts';
import { Class, JmpOp, PseudoLd } from '../../isa/opcode.ts';
import { jitCompile } from '../compile.ts';
import { JitError } from '../errors.ts';
import { REG_MAP, X, registerMapProblem } from '../regs.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { hasNativeLibrary, runWithMemory } from './native.ts';
import { listing, randomProgram } from './random-program.ts';

const { RAX, RDI, RSI, RDX, RCX, R8, RBX, R13, R14, R15, RBP } = X;

/** Named maps, each moving the registers the emitters treat specially. */
const MAPS: Record<string, readonly X[]> = {
  'r0-r5 rotated (r0 in rdi, r3 in rcx, r4 in r8, r5 in rax)': [RDI, RSI, RDX, RCX, R8, RAX, RBX, R13, R14, R15, RBP],
  'reversed (r0 in r8, r2 in rcx, r3 in rdx, r5 in rax)': [R8, RCX, RDX, RSI, RDI, RAX, R15, R14, R13, RBX, RBP],
  'r3 in rax, r0 in rdx, r4 in rsi, r6-r9 swapped in pairs': [RDX, RDI, RCX, RAX, RSI, R8, R13, RBX, R15, R14, RBP],
};

test('a register map is checked: r10 stays rbp, r6-r9 callee-saved, no register twice', () => {
  assert.is(registerMapProblem(REG_MAP), undefined);
  for (const map of Object.values(MAPS)) assert.is(registerMapProblem(map), undefined);
  assert.match(registerMapProblem([...REG_MAP.slice(0, 10), RBX]) ?? '', /two eBPF registers/);
  assert.match(registerMapProblem([RBX, RDI, RSI, RDX, RCX, R8, RAX, R13, R14, R15, RBP]) ?? '', /r0-r5 must be on/);
  assert.match(registerMapProblem(REG_MAP.slice(0, 10)) ?? '', /11 entries/);
});

test('another map needs the function entry, and no function address where a helper could call it', () => {
  const exit = { opcode: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, off: 0, imm: 0 };
  const helper = { opcode: Class.JMP | JmpOp.CALL, dst: 0, src: 0, off: 0, imm: 5 };
  const map = Object.values(MAPS)[0]!;
  assert.throws(() => jitCompile([exit], { registerMap: map }), (e: unknown) => e instanceof JitError && /entry: 'function'/.test(e.message));
  assert.throws(() => jitCompile([lddw(1, 1n, PseudoLd.FUNC), helper, exit, exit], { registerMap: map, entry: 'function', helperAddress: () => 1n }),
    (e: unknown) => e instanceof JitError && /callbacks/.test(e.message));
});

if (requires('JIT execution under other register maps', hasNativeLibrary())) {
  for (const [name, map] of Object.entries(MAPS)) {
    test(`every semantics case gives the expected r0 with ${name}`, async () => {
      const cases = loadSemantics().filter((c) => c.expect.error === undefined);
      assert.ok(cases.length > 300, `only ${cases.length} semantics cases`);
      const outcomes = await runSemantics((program, memory) => runWithMemory(program, memory, { registerMap: map }).r0, cases);
      assert.is(describeFailures(outcomes), '', `${outcomes.filter((o) => !o.ok).length} of ${outcomes.length} cases failed`);
    });

    test(`200 random programs agree with the interpreter with ${name}`, () => {
      for (let seed = 30_000; seed < 30_200; seed++) {
        const program = randomProgram(seed);
        const expected = BigInt.asUintN(64, new Interpreter(program).run().r0);
        const got = runWithMemory(program, new Uint8Array(0), { registerMap: map }).r0;
        if (got !== expected) {
          assert.unreachable(`seed ${seed}, ${name}: interpreter r0 = 0x${expected.toString(16)}, JIT r0 = 0x${got.toString(16)}\n${listing(program)}`);
        }
      }
    });
  }
}

test.run();
