// Instruction -> text, in the syntax llvm-objdump prints for BPF (`r2 = *(u32 *)(r1 + 4)`,
// `if r3 > r2 goto +5 <LBB0_3>`, `lock *(u64 *)(r1 + 0) += r2`, `call 1`). Forms llvm 14
// cannot print (the v4 instructions, 32-bit fetch atomics, lddw pseudo kinds, kfunc and
// local calls) follow newer LLVM or, where LLVM has no text at all, README.md.
// Every valid instruction has exactly one string, and assemble() reads it back.
import {
  AluOp, AtomicOp, ATOMIC_FETCH, Class, JmpOp, LDDW, Mode, PseudoCall, PseudoLd, Size, Source,
  classOf, modeOf, opOf, sizeOf, sourceOf,
} from './opcode.ts';
import { imm64, type Instruction } from './instruction.ts';
import { encodingProblem } from './codec.ts';
import {
  ALU_OPERATORS, ATOMIC_OPERATORS, JMP_CONDITIONS, PSEUDO_LD_NAMES, PSEUDO_LD_WITH_OFFSET,
  SIGNED_ALU_OPERATORS, SIZE_BITS, address, signed,
} from './syntax.ts';

export interface DisasmOptions {
  /**
   * Name of the pc this instruction jumps to (jumps, gotol, local calls, `func(...)` lddw),
   * printed after it as llvm does: `goto +1 <LBB0_2>`. Default: none.
   */
  label?: string;
}

/** The text of one instruction. An invalid encoding prints as `<invalid: why>`. */
export function disassemble(insn: Instruction, opts: DisasmOptions = {}): string {
  const problem = encodingProblem(insn);
  if (problem) return `<invalid: ${problem}>`;
  const text = body(insn);
  return opts.label !== undefined && isPcRelative(insn) ? `${text} <${opts.label}>` : text;
}

/** True for instructions whose target is relative to the next pc. */
export function isPcRelative(insn: Instruction): boolean {
  const cls = classOf(insn.opcode);
  if (insn.opcode === LDDW) return insn.src === PseudoLd.FUNC;
  if (cls !== Class.JMP && cls !== Class.JMP32) return false;
  const op = opOf(insn.opcode);
  if (op === JmpOp.EXIT) return false;
  if (op === JmpOp.CALL) return sourceOf(insn.opcode) === Source.K && insn.src === PseudoCall.LOCAL;
  return true;
}

/**
 * The pc an instruction at `pc` transfers control to (jump, gotol, local call, lddw of a
 * function), or undefined for other instructions. Offsets count from the next slot,
 * for lddw too (the kernel resolves BPF_PSEUDO_FUNC as pc + imm + 1).
 */
export function targetPc(insn: Instruction, pc: number): number | undefined {
  if (!isPcRelative(insn)) return undefined;
  const cls = classOf(insn.opcode);
  const usesImm = insn.opcode === LDDW || opOf(insn.opcode) === JmpOp.CALL ||
    (cls === Class.JMP32 && opOf(insn.opcode) === JmpOp.JA);
  return pc + 1 + (usesImm ? insn.imm : insn.off);
}

function body(insn: Instruction): string {
  switch (classOf(insn.opcode)) {
    case Class.ALU:
    case Class.ALU64: return alu(insn);
    case Class.JMP:
    case Class.JMP32: return jmp(insn);
    case Class.LD: return ld(insn);
    case Class.LDX: {
      const sign = modeOf(insn.opcode) === Mode.MEMSX ? 's' : 'u';
      return `r${insn.dst} = *(${sign}${bits(insn)} *)(${address(insn.src, insn.off)})`;
    }
    case Class.ST: return `*(u${bits(insn)} *)(${address(insn.dst, insn.off)}) = ${insn.imm}`;
    case Class.STX:
      if (modeOf(insn.opcode) === Mode.ATOMIC) return atomic(insn);
      return `*(u${bits(insn)} *)(${address(insn.dst, insn.off)}) = r${insn.src}`;
  }
}

const bits = (insn: Instruction): number => SIZE_BITS.get(sizeOf(insn.opcode)) ?? 0;

function alu(insn: Instruction): string {
  const { opcode, dst, src, off, imm } = insn;
  const is64 = classOf(opcode) === Class.ALU64;
  const r = is64 ? 'r' : 'w';
  const op: AluOp = opOf(opcode);
  const x = sourceOf(opcode) === Source.X;
  const operand = x ? `${r}${src}` : `${imm}`;
  switch (op) {
    case AluOp.END: {
      const name = is64 ? 'bswap' : x ? 'be' : 'le';
      return `r${dst} = ${name}${imm} r${dst}`;
    }
    case AluOp.NEG: return `${r}${dst} = -${r}${dst}`;
    case AluOp.MOV:
      return off !== 0 ? `${r}${dst} = (s${off})${r}${src}` : `${r}${dst} = ${operand}`;
    default: {
      const sym = (off === 1 ? SIGNED_ALU_OPERATORS : ALU_OPERATORS).get(op);
      return `${r}${dst} ${sym} ${operand}`;
    }
  }
}

function jmp(insn: Instruction): string {
  const { opcode, dst, src, off, imm } = insn;
  const is32 = classOf(opcode) === Class.JMP32;
  const op: JmpOp = opOf(opcode);
  const x = sourceOf(opcode) === Source.X;
  switch (op) {
    case JmpOp.JA: return is32 ? `gotol ${signed(imm)}` : `goto ${signed(off)}`;
    case JmpOp.EXIT: return 'exit';
    case JmpOp.CALL:
      if (x) return `callx r${dst}`;
      if (src === PseudoCall.LOCAL) return `call pc${signed(imm)}`;
      if (src === PseudoCall.KFUNC) return `call kfunc ${imm}`;
      return `call ${imm}`;
    default: {
      const r = is32 ? 'w' : 'r';
      return `if ${r}${dst} ${JMP_CONDITIONS.get(op)} ${x ? `${r}${src}` : imm} goto ${signed(off)}`;
    }
  }
}

function ld(insn: Instruction): string {
  if (insn.opcode === LDDW) {
    if (insn.src === PseudoLd.IMM64) return `r${insn.dst} = ${BigInt.asIntN(64, imm64(insn))} ll`;
    const kind: PseudoLd = insn.src;
    const first = kind === PseudoLd.FUNC ? `pc${signed(insn.imm)}` : `${insn.imm}`;
    const imm2 = insn.imm2 ?? 0;
    const args = PSEUDO_LD_WITH_OFFSET.has(kind) || imm2 !== 0 ? `${first}, ${imm2}` : first;
    return `r${insn.dst} = ${PSEUDO_LD_NAMES.get(kind)}(${args}) ll`;
  }
  // Legacy packet loads (ABS, IND): r0 = the packet's bytes at imm (+ src), big-endian.
  const where = modeOf(insn.opcode) === Mode.ABS ? `${insn.imm}`
    : insn.imm === 0 ? `r${insn.src}` : address(insn.src, insn.imm);
  return `r0 = *(u${bits(insn)} *)skb[${where}]`;
}

function atomic(insn: Instruction): string {
  const { dst, src, off, imm } = insn;
  const is64 = sizeOf(insn.opcode) === Size.DW;
  const r = is64 ? 'r' : 'w';
  const at = address(dst, off);
  if (imm === AtomicOp.XCHG) return `${r}${src} = ${is64 ? 'xchg_64' : 'xchg32_32'}(${at}, ${r}${src})`;
  if (imm === AtomicOp.CMPXCHG) return `${r}0 = ${is64 ? 'cmpxchg_64' : 'cmpxchg32_32'}(${at}, ${r}0, ${r}${src})`;
  const op = ATOMIC_OPERATORS.get(imm & ~ATOMIC_FETCH);
  const mem = `*(u${is64 ? 64 : 32} *)`;
  if (imm & ATOMIC_FETCH) return `${r}${src} = atomic_fetch_${op?.name}((u${is64 ? 64 : 32} *)(${at}), ${r}${src})`;
  return `lock ${mem}(${at}) ${op?.sym} ${r}${src}`;
}
