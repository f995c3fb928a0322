// Store merging: adjacent narrow stores to the stack, from different registers or immediates,
// written as one store of their combined value.
//
// clang builds a small struct key field by field, and the lookup that follows reads it whole:
//
//   *(u16 *)(r10 - 8) = r8; *(u16 *)(r10 - 6) = r6; … call 1     (port_key {proto, pad, port})
//
// The hash then loads 4 bytes that two 2-byte stores still in the store buffer wrote, and x86
// cannot forward one load from two stores: it waits for both to reach the cache, ~15 cycles
// (examples/firewall.o: ~5 ns a packet of ~14, measured by building the key as one u32 in
// the C source). So the run becomes
//
//   movzx r11d, r14w; movzx r10d, bx; shl r10d, 16; or r11d, r10d; mov [rbp - 8], r11d
//
// A run is 2 to 4 consecutive stores through r10 (register or immediate sources, 1, 2 or 4
// bytes each) whose bytes are disjoint and together cover 2, 4 or 8 consecutive bytes. The
// stores only read registers and no instruction of the run reads memory, so writing the
// bytes at once, after reading every source, is the run's effect. Stores through other base
// registers are left alone: packet and map memory is rarely read back whole right away.
import { Class as Class_, Mode as Mode_, Size as Size_, classOf as classOf_, modeOf as modeOf_, sizeBytes as sizeBytes_, sizeOf as sizeOf_, R10 as R10_ } from '../isa/opcode.ts';
import type { Instruction } from '../isa/instruction.ts';
import { Alu as Alu_, Shift as Shift_, type Asm } from './encoder.ts';
import { TMP1 as TMP1_, TMP2 as TMP2_, x86 as x86_, type X } from './regs.ts';
import { straightRun as straightRun_, type Fusion, type PeepholeContext } from './fusion.ts';

// Imports copied into locals: under tsx every use of an imported binding is a getter call.
const Class = Class_, Mode = Mode_, Size = Size_, classOf = classOf_, modeOf = modeOf_, sizeBytes = sizeBytes_,
  sizeOf = sizeOf_, R10 = R10_, Alu = Alu_, Shift = Shift_, TMP1 = TMP1_, TMP2 = TMP2_, x86 = x86_, straightRun = straightRun_;

const LONGEST_RUN = 4;

/** One store of the run: where its bytes go, and from which register (or which immediate). */
interface Piece { off: number; size: 1 | 2 | 4; reg?: number; imm?: number }

function pieceOf(insn: Instruction): Piece | undefined {
  const cls = classOf(insn.opcode);
  if ((cls !== Class.STX && cls !== Class.ST) || modeOf(insn.opcode) !== Mode.MEM || insn.dst !== R10) return undefined;
  if (sizeOf(insn.opcode) === Size.DW) return undefined;
  const size = sizeBytes(sizeOf(insn.opcode)) as 1 | 2 | 4;
  return cls === Class.STX ? { off: insn.off, size, reg: insn.src } : { off: insn.off, size, imm: insn.imm };
}

/** The lowest offset when the pieces cover [lo, lo + total) exactly once, total 2, 4 or 8. */
function coverage(pieces: readonly Piece[]): { lo: number; total: 2 | 4 | 8 } | undefined {
  const sorted = [...pieces].sort((p, q) => p.off - q.off);
  let end = sorted[0]!.off;
  for (const p of sorted) {
    if (p.off !== end) return undefined; // a gap or an overlap
    end += p.size;
  }
  const total = end - sorted[0]!.off;
  return total === 2 || total === 4 || total === 8 ? { lo: sorted[0]!.off, total } : undefined;
}

export function mergedStores(ctx: PeepholeContext, i: number): Fusion | undefined {
  const pieces: Piece[] = [];
  let best: Fusion | undefined;
  for (const { insn } of straightRun(ctx, i, LONGEST_RUN)) {
    const piece = pieceOf(insn);
    if (!piece) break;
    pieces.push(piece);
    if (pieces.length < 2) continue;
    const cover = coverage(pieces);
    if (cover) best = merge([...pieces], cover.lo, cover.total);
  }
  return best;
}

function merge(pieces: readonly Piece[], lo: number, total: 2 | 4 | 8): Fusion {
  const wide = total === 8;
  const constant = pieces.reduce((acc, p) => (p.imm === undefined ? acc
    : acc | (BigInt.asUintN(8 * p.size, BigInt(p.imm)) << BigInt(8 * (p.off - lo)))), 0n);
  return {
    kind: 'merge',
    count: pieces.length,
    emit(a: Asm) {
      let first = true;
      for (const p of pieces) {
        if (p.reg === undefined) continue;
        const into: X = first ? TMP1 : TMP2;
        const src = x86(p.reg);
        if (p.size === 4) a.movRR(into, src, false); // zero-extends
        else a.movzxRR(into, src, p.size);
        if (p.off > lo) a.shiftRI(Shift.SHL, into, 8 * (p.off - lo), wide);
        if (!first) a.aluRR(Alu.OR, TMP1, TMP2, wide);
        first = false;
      }
      if (first) a.movRI(TMP1, constant, wide); // immediates only
      else if (constant !== 0n) {
        a.movRI(TMP2, constant, wide);
        a.aluRR(Alu.OR, TMP1, TMP2, wide);
      }
      a.store(total, { base: x86(R10), disp: lo }, TMP1);
    },
  };
}
