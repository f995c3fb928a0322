// Constant blinding (JitOptions.blindConstants): the program's immediates never appear in the
// code, and blinded code computes exactly what unblinded code does (every semantics case,
// programs with distinctive constants in every blindable position, the examples).
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lddw, imm64, type Instruction } from '../../isa/instruction.ts';
import { AluOp, Class, JmpOp, LDDW, Mode, PseudoLd, Size, Source, classOf, opOf, sourceOf, isAluClass, isJmpClass } from '../../isa/opcode.ts';
import { jitCompile } from '../compile.ts';
import { describeFailures, loadSemantics, runSemantics } from '../../semantics/runner.ts';
import { loadObject } from '../../../dataplane/runtime.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { hasNativeLibrary, runWithMemory } from './native.ts';

const I = (opcode: number, dst: number, src: number, off: number, imm: number): Instruction => ({ opcode, dst, src, off, imm });
const EXIT = I(Class.JMP | JmpOp.EXIT, 0, 0, 0, 0);
const A = 0x41414141;

const le = (v: bigint, bytes: number): Uint8Array => {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return out;
};

function contains(code: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= code.length; i++) {
    for (let k = 0; k < needle.length; k++) if (code[i + k] !== needle[k]) continue outer;
    return true;
  }
  return false;
}

/** One program per blindable position, each using 0x41414141 (or the 64-bit constant) and folding it into r0. */
const PROGRAMS: Record<string, Instruction[]> = {
  'alu64 add': [I(Class.ALU64 | AluOp.MOV | Source.K, 0, 0, 0, 5), I(Class.ALU64 | AluOp.ADD | Source.K, 0, 0, 0, A), EXIT],
  'alu32 xor': [I(Class.ALU | AluOp.MOV | Source.K, 0, 0, 0, -1), I(Class.ALU | AluOp.XOR | Source.K, 0, 0, 0, A), EXIT],
  'alu64 and': [lddw(0, -1n), I(Class.ALU64 | AluOp.AND | Source.K, 0, 0, 0, A), EXIT],
  'alu64 sub negative': [I(Class.ALU64 | AluOp.SUB | Source.K, 0, 0, 0, -A), EXIT],
  'mov32': [I(Class.ALU | AluOp.MOV | Source.K, 0, 0, 0, A), EXIT],
  'mov64 negative': [I(Class.ALU64 | AluOp.MOV | Source.K, 0, 0, 0, -0x41414142), EXIT],
  'mul64': [I(Class.ALU64 | AluOp.MOV | Source.K, 0, 0, 0, 3), I(Class.ALU64 | AluOp.MUL | Source.K, 0, 0, 0, A), EXIT],
  'div64': [lddw(0, 0x1234567890abcdefn), I(Class.ALU64 | AluOp.DIV | Source.K, 0, 0, 0, A), EXIT],
  'sdiv32 by a negative': [I(Class.ALU | AluOp.MOV | Source.K, 0, 0, 0, 0x7fffffff), I(Class.ALU | AluOp.DIV | Source.K, 0, 0, 1, -A), EXIT],
  'mod32': [I(Class.ALU | AluOp.MOV | Source.K, 0, 0, 0, -1), I(Class.ALU | AluOp.MOD | Source.K, 0, 0, 0, A), EXIT],
  'smod64': [lddw(0, -0x123456789n), I(Class.ALU64 | AluOp.MOD | Source.K, 0, 0, 1, A), EXIT],
  'jeq64 taken': [I(Class.ALU64 | AluOp.MOV | Source.K, 1, 0, 0, A), I(Class.ALU64 | AluOp.MOV | Source.K, 0, 0, 0, 1),
    I(Class.JMP | JmpOp.JEQ | Source.K, 1, 0, 1, A), I(Class.ALU64 | AluOp.MOV | Source.K, 0, 0, 0, 2), EXIT],
  'jsgt32 not taken': [I(Class.ALU | AluOp.MOV | Source.K, 0, 0, 0, 7), I(Class.JMP32 | JmpOp.JSGT | Source.K, 0, 0, 1, A),
    I(Class.ALU64 | AluOp.ADD | Source.K, 0, 0, 0, 1), EXIT],
  'jset64': [lddw(0, 0x100000001n), I(Class.JMP | JmpOp.JSET | Source.K, 0, 0, 1, A), I(Class.ALU64 | AluOp.MOV | Source.K, 0, 0, 0, 9), EXIT],
  'st dw/w': [I(Class.ST | Mode.MEM | Size.DW, 10, 0, -8, -A), I(Class.ST | Mode.MEM | Size.W, 10, 0, -16, A),
    I(Class.LDX | Mode.MEM | Size.DW, 0, 10, -8, 0), I(Class.LDX | Mode.MEM | Size.W, 1, 10, -16, 0), I(Class.ALU64 | AluOp.XOR | Source.X, 0, 1, 0, 0), EXIT],
  'lddw': [lddw(0, 0xdeadbeef00c0ffeen), EXIT],
  'shifts': [lddw(0, 0xdeadbeef00c0ffeen), I(Class.ALU64 | AluOp.RSH | Source.K, 0, 0, 0, 13), I(Class.ALU | AluOp.LSH | Source.K, 0, 0, 0, 3),
    I(Class.ALU64 | AluOp.MOV | Source.X, 4, 0, 0, 0), I(Class.ALU64 | AluOp.ARSH | Source.K, 4, 0, 0, 61), I(Class.ALU64 | AluOp.ADD | Source.X, 0, 4, 0, 0), EXIT],
};

/** The immediates blinding hides, with their encodings as they would appear unblinded. */
function blindable(program: readonly Instruction[]): { value: bigint; bytes: Uint8Array; verbatimWhenOff: boolean }[] {
  const out: { value: bigint; bytes: Uint8Array; verbatimWhenOff: boolean }[] = [];
  for (const insn of program) {
    const cls = classOf(insn.opcode);
    if (insn.opcode === LDDW && insn.src === PseudoLd.IMM64) {
      const v = BigInt.asUintN(64, imm64(insn));
      const wide = v > 0xffffffffn && BigInt.asIntN(64, v) < -0x80000000n;
      out.push({ value: v, bytes: le(v, wide ? 8 : 4), verbatimWhenOff: true });
      continue;
    }
    const aluK = isAluClass(cls) && sourceOf(insn.opcode) === Source.K && opOf(insn.opcode) !== AluOp.END && opOf(insn.opcode) !== AluOp.NEG;
    const jmpK = isJmpClass(cls) && sourceOf(insn.opcode) === Source.K && ![JmpOp.JA, JmpOp.CALL, JmpOp.EXIT].includes(opOf(insn.opcode) as JmpOp);
    const st = cls === Class.ST;
    if (!aluK && !jmpK && !st) continue;
    const op = opOf(insn.opcode);
    // Unblinded, divisions and shifts by a constant are decided at compile time (no imm32 in the code), narrow stores carry fewer bytes.
    const verbatim = !(aluK && [AluOp.DIV, AluOp.MOD, AluOp.LSH, AluOp.RSH, AluOp.ARSH].includes(op as AluOp))
      && !(st && (insn.opcode & 0x18) !== Size.W && (insn.opcode & 0x18) !== Size.DW);
    out.push({ value: BigInt(insn.imm), bytes: le(BigInt.asUintN(32, BigInt(insn.imm)), 4), verbatimWhenOff: verbatim });
  }
  return out;
}

/** Byte patterns too common to mean anything when found (fewer than 3 non-zero bytes, or mostly 0xff). */
const distinctive = (bytes: Uint8Array): boolean =>
  bytes.filter((b) => b !== 0 && b !== 0xff).length >= 3;

test('constants in every blindable position are in the code unblinded and absent blinded', () => {
  for (const [name, program] of Object.entries(PROGRAMS)) {
    const consts = blindable(program).filter((c) => distinctive(c.bytes));
    assert.ok(consts.length > 0, `${name}: no distinctive constant to look for`);
    for (let round = 0; round < 20; round++) { // blinding is random: more than one draw
      const code = jitCompile(program, { entry: 'function', rewriteContext: false, blindConstants: true }).code;
      for (const c of consts) assert.not.ok(contains(code, c.bytes), `${name}: 0x${c.value.toString(16)} found in blinded code`);
    }
    const plain = jitCompile(program, { entry: 'function', rewriteContext: false }).code;
    for (const c of consts.filter((k) => k.verbatimWhenOff)) assert.ok(contains(plain, c.bytes), `${name}: 0x${c.value.toString(16)} not in unblinded code`);
  }
});

test('two compiles of the same program with blinding differ (fresh random values)', () => {
  const p = PROGRAMS['alu64 add']!;
  const x = jitCompile(p, { entry: 'function', blindConstants: true }).code;
  const y = jitCompile(p, { entry: 'function', blindConstants: true }).code;
  assert.not.equal([...x], [...y]);
});

if (requires('blinded code run natively', hasNativeLibrary())) {
  test('programs with distinctive constants compute the same r0 blinded and unblinded (and the expected value)', () => {
    const expected: Record<string, bigint> = { // from the RFC's definitions, computed here independently of the JIT
      'alu64 add': 5n + 0x41414141n, 'alu32 xor': 0xffffffffn ^ 0x41414141n, 'alu64 and': 0x41414141n,
      'mov32': 0x41414141n, 'mov64 negative': BigInt.asUintN(64, -0x41414142n), 'lddw': 0xdeadbeef00c0ffeen,
      'div64': 0x1234567890abcdefn / 0x41414141n, 'mod32': 0xffffffffn % 0x41414141n,
    };
    for (const [name, program] of Object.entries(PROGRAMS)) {
      const plain = runWithMemory(program, new Uint8Array(0)).r0;
      for (let round = 0; round < 5; round++) {
        const blinded = runWithMemory(program, new Uint8Array(0), { blindConstants: true }).r0;
        assert.is(blinded, plain, `${name}: blinded r0 0x${blinded.toString(16)}, unblinded 0x${plain.toString(16)}`);
      }
      if (expected[name] !== undefined) assert.is(plain, expected[name], name);
    }
  });

  test('every semantics case gives the expected r0 with constant blinding', async () => {
    const cases = loadSemantics().filter((c) => c.expect.error === undefined);
    const outcomes = await runSemantics((program, memory) => runWithMemory(program, memory, { blindConstants: true }).r0, cases);
    assert.is(describeFailures(outcomes), '');
  });

  test('the examples: no distinctive constant of theirs in the blinded code, all of them in the unblinded code', () => {
    const dir = fileURLToPath(new URL('../../../examples/', import.meta.url));
    let checked = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.o')).sort()) {
      for (const blindConstants of [false, true]) {
        const obj = loadObject(dir + file, { blindConstants });
        try {
          for (const name of obj.programNames) {
            const prog = obj.program(name);
            const code = prog.engine.native!.code;
            const consts = blindable(prog.instructions).filter((c) => distinctive(c.bytes));
            for (const c of consts) {
              if (blindConstants) assert.not.ok(contains(code, c.bytes), `${file} ${name}: 0x${c.value.toString(16)} in blinded code`);
              else if (c.verbatimWhenOff) assert.ok(contains(code, c.bytes), `${file} ${name}: 0x${c.value.toString(16)} not in unblinded code`);
            }
            if (blindConstants) checked += consts.length;
          }
        } finally {
          obj.close();
        }
      }
    }
    assert.ok(checked >= 5, `only ${checked} distinctive constants in the examples`);
  });
}

test.run();
