// A program decoded once into pc-indexed columns, so the run loop reads typed
// arrays and precomputed bigints instead of re-deriving fields every step.
// Slot pc holds the instruction starting there; the second slot of lddw and
// the slot just past the end hold opcode 0 (never a valid opcode: LD|IMM|W),
// which the run loop treats as "not an instruction" (a bad jump).
import { DecodeError } from '../errors.ts';
import { encodingProblem } from '../isa/codec.ts';
import { type Instruction, type Program, imm64, width } from '../isa/instruction.ts';
import { Class, JmpOp, LDDW, PseudoCall, classOf, opOf } from '../isa/opcode.ts';

export const NOT_AN_INSTRUCTION = 0;

export interface Code {
  /** Slots in the program (pcs 0 .. slots-1). */
  readonly slots: number;
  /** opcode per pc; length slots + 1, the last one NOT_AN_INSTRUCTION. */
  readonly ops: Uint8Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  /** off as a bigint, for address arithmetic. */
  readonly offB: bigint[];
  readonly off: Int16Array;
  readonly imm: Int32Array;
  /** imm sign-extended to 64 bits, as an unsigned 64-bit value (ALU64 and JMP operand; lddw: the constant). */
  readonly k64: bigint[];
  /** imm as an unsigned 32-bit value (ALU and JMP32 operand). */
  readonly k32: bigint[];
  /** imm as a signed value (signed comparisons). */
  readonly kS: bigint[];
  /** Jump and local-call targets (pc), precomputed; -1 where there is none. */
  readonly target: Int32Array;
  /** The instruction at each pc (undefined in the second slot of lddw). */
  readonly insns: (Instruction | undefined)[];
}

export function compile(program: Program): Code {
  let slots = 0;
  for (const insn of program) slots += width(insn);
  const n = slots + 1;
  const code = {
    slots,
    ops: new Uint8Array(n), dst: new Uint8Array(n), src: new Uint8Array(n),
    offB: new Array<bigint>(n).fill(0n), off: new Int16Array(n), imm: new Int32Array(n),
    k64: new Array<bigint>(n).fill(0n), k32: new Array<bigint>(n).fill(0n), kS: new Array<bigint>(n).fill(0n),
    target: new Int32Array(n).fill(-1),
    insns: new Array<Instruction | undefined>(n).fill(undefined),
  };
  let pc = 0;
  for (const insn of program) {
    const problem = encodingProblem(insn);
    if (problem) throw new DecodeError(`cannot run: ${problem}`, pc);
    code.ops[pc] = insn.opcode;
    code.dst[pc] = insn.dst;
    code.src[pc] = insn.src;
    code.off[pc] = insn.off;
    code.offB[pc] = BigInt(insn.off);
    code.imm[pc] = insn.imm;
    code.kS[pc] = BigInt(insn.imm);
    code.k64[pc] = insn.opcode === LDDW ? imm64(insn) : BigInt.asUintN(64, BigInt(insn.imm));
    code.k32[pc] = BigInt(insn.imm >>> 0);
    code.insns[pc] = insn;
    code.target[pc] = targetOf(insn, pc);
    pc += width(insn);
  }
  return code;
}

/** Where a jump or a local call goes: pc + 1 + off (imm for gotol and calls). */
function targetOf(insn: Instruction, pc: number): number {
  const cls = classOf(insn.opcode);
  if (cls !== Class.JMP && cls !== Class.JMP32) return -1;
  const op = opOf(insn.opcode);
  if (op === JmpOp.EXIT) return -1;
  if (op === JmpOp.CALL) return insn.src === PseudoCall.LOCAL && (insn.opcode & 0x08) === 0 ? pc + 1 + insn.imm : -1;
  if (op === JmpOp.JA && cls === Class.JMP32) return pc + 1 + insn.imm; // gotol
  return pc + 1 + insn.off;
}
