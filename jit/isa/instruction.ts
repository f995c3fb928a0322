// The eBPF instruction as a value. One Instruction is one element of a program;
// lddw is a single Instruction two slots (16 bytes) wide whose 64-bit constant
// is carried whole. Program counters (pc) count 8-byte slots, as jump offsets do.
import { Class as Class_, LDDW as LDDW_, PseudoLd as PseudoLd_ } from './opcode.ts';

// Imports copied into locals: width() runs for every instruction of every layout (tsx makes imports getters).
const Class = Class_, LDDW = LDDW_, PseudoLd = PseudoLd_;
type PseudoLd = PseudoLd_;

export interface Instruction {
  /** The opcode byte. */
  readonly opcode: number;
  /** Destination register, 0-10. */
  readonly dst: number;
  /** Source register, 0-10, or the pseudo kind of lddw and call. */
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly off: number;
  /** Signed 32-bit immediate (for lddw: the low half of the constant, or the map fd/index). */
  readonly imm: number;
  /** lddw only: the second slot's immediate (the high half, or the map value offset). */
  readonly imm2?: number;
  /** Loader metadata: the function symbol that starts at this instruction. */
  readonly symbol?: string;
  /** Loader metadata: the symbol this instruction refers to until it is relocated. */
  readonly reference?: string;
}

export type Program = readonly Instruction[];

export const isLddw = (insn: Instruction): boolean => insn.opcode === LDDW;

/** Slots the instruction occupies: 2 for lddw, 1 otherwise. */
export const width = (insn: Instruction): 1 | 2 => (insn.opcode === LDDW ? 2 : 1);

/** lddw's full 64-bit immediate, unsigned. */
export function imm64(insn: Instruction): bigint {
  return (BigInt((insn.imm2 ?? 0) >>> 0) << 32n) | BigInt(insn.imm >>> 0);
}

/** Builds an lddw of a plain 64-bit constant (any sign: it is stored as its 64-bit pattern). */
export function lddw(dst: number, value: bigint, src: PseudoLd = PseudoLd.IMM64): Instruction {
  const v = BigInt.asUintN(64, value);
  return {
    opcode: LDDW, dst, src, off: 0,
    imm: Number(BigInt.asIntN(32, v & 0xffffffffn)),
    imm2: Number(BigInt.asIntN(32, v >> 32n)),
  };
}

/** The slot index (pc) of every instruction, and the instruction index of every pc. */
export interface Layout {
  /** pcOf[i]: the pc of instruction i; pcOf[length] is the total slot count. */
  readonly pcOf: readonly number[];
  /** indexOf[pc]: the instruction starting at pc, or -1 for the second slot of lddw. */
  readonly indexOf: readonly number[];
}

export function layout(program: Program): Layout {
  const pcOf: number[] = [];
  const indexOf: number[] = [];
  let pc = 0;
  program.forEach((insn, i) => {
    pcOf.push(pc);
    indexOf.push(i);
    if (width(insn) === 2) indexOf.push(-1);
    pc += width(insn);
  });
  pcOf.push(pc);
  return { pcOf, indexOf };
}

/** The number of 8-byte slots a program occupies. */
export const slotCount = (program: Program): number =>
  program.reduce((n, insn) => n + width(insn), 0);

/** True for instructions that read or write memory through a register. */
export const isMemoryAccess = (insn: Instruction): boolean => {
  const c = insn.opcode & 0x07;
  return (c === Class.LDX || c === Class.ST || c === Class.STX) ||
    (c === Class.LD && insn.opcode !== LDDW);
};
