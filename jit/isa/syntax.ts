// The vocabulary of the listing format, shared by the disassembler and the
// assembler so the two cannot drift apart: operator spellings, jump conditions,
// access-size names, and the names of lddw's pseudo kinds. The format is the one
// llvm-objdump prints for BPF (see README.md for the whole grammar).
import { AluOp, AtomicOp, JmpOp, PseudoLd, Size } from './opcode.ts';

/** Compound assignment operators of ALU instructions (offset 0). */
export const ALU_OPERATORS: ReadonlyMap<AluOp, string> = new Map([
  [AluOp.ADD, '+='], [AluOp.SUB, '-='], [AluOp.MUL, '*='], [AluOp.DIV, '/='],
  [AluOp.OR, '|='], [AluOp.AND, '&='], [AluOp.LSH, '<<='], [AluOp.RSH, '>>='],
  [AluOp.MOD, '%='], [AluOp.XOR, '^='], [AluOp.ARSH, 's>>='],
]);

/** The signed forms (offset 1, v4) of division and modulo. */
export const SIGNED_ALU_OPERATORS: ReadonlyMap<AluOp, string> = new Map([
  [AluOp.DIV, 's/='], [AluOp.MOD, 's%='],
]);

/** Conditions of conditional jumps, as they appear between the operands. */
export const JMP_CONDITIONS: ReadonlyMap<JmpOp, string> = new Map([
  [JmpOp.JEQ, '=='], [JmpOp.JGT, '>'], [JmpOp.JGE, '>='], [JmpOp.JSET, '&'],
  [JmpOp.JNE, '!='], [JmpOp.JSGT, 's>'], [JmpOp.JSGE, 's>='], [JmpOp.JLT, '<'],
  [JmpOp.JLE, '<='], [JmpOp.JSLT, 's<'], [JmpOp.JSLE, 's<='],
]);

/** Atomic read-modify-write operations: `lock ... += r2` and `atomic_fetch_add(...)`. */
export const ATOMIC_OPERATORS: ReadonlyMap<AtomicOp, { sym: string; name: string }> = new Map([
  [AtomicOp.ADD, { sym: '+=', name: 'add' }],
  [AtomicOp.OR, { sym: '|=', name: 'or' }],
  [AtomicOp.AND, { sym: '&=', name: 'and' }],
  [AtomicOp.XOR, { sym: '^=', name: 'xor' }],
]);

/** Bits accessed by each size: `u8`, `u16`, `u32`, `u64`. */
export const SIZE_BITS: ReadonlyMap<Size, 8 | 16 | 32 | 64> = new Map([
  [Size.B, 8], [Size.H, 16], [Size.W, 32], [Size.DW, 64],
]);

/** lddw pseudo kinds (src 1..6): llvm has no text for them, these names are ours. */
export const PSEUDO_LD_NAMES: ReadonlyMap<PseudoLd, string> = new Map([
  [PseudoLd.MAP_FD, 'map_fd'],
  [PseudoLd.MAP_VALUE, 'map_value'],
  [PseudoLd.BTF_ID, 'btf_id'],
  [PseudoLd.FUNC, 'func'],
  [PseudoLd.MAP_IDX, 'map_idx'],
  [PseudoLd.MAP_IDX_VALUE, 'map_idx_value'],
]);

/** Kinds whose second slot always appears in the text (a value offset). */
export const PSEUDO_LD_WITH_OFFSET: ReadonlySet<PseudoLd> = new Set([PseudoLd.MAP_VALUE, PseudoLd.MAP_IDX_VALUE]);

/** Inverts a map (the assembler reads text back into enum values). */
export function invert<K, V>(map: ReadonlyMap<K, V>): Map<V, K> {
  return new Map(Array.from(map, ([k, v]) => [v, k]));
}

/** A signed number with its sign always shown: `+5`, `-3`, `+0` (jump offsets). */
export const signed = (n: number): string => (n < 0 ? `${n}` : `+${n}`);

/** A memory operand's address: `r1 + 4`, `r10 - 8`. */
export const address = (base: number, off: number): string =>
  off < 0 ? `r${base} - ${-off}` : `r${base} + ${off}`;
