// ALU and ALU64: arithmetic, moves, shifts, division, byte swaps.
// 32-bit (ALU) forms use 32-bit x86 operations, which zero-extend for free;
// an explicit `mov r32, r32` is emitted only where x86 writes nothing.
import { AluOp as AluOp_, Class as Class_, Source as Source_, classOf as classOf_, opOf as opOf_, sourceOf as sourceOf_ } from '../isa/opcode.ts';
import type { Instruction } from '../isa/instruction.ts';
import { Cond as Cond_ } from './code-buffer.ts';
import { Alu as Alu_, Shift as Shift_, type Asm } from './encoder.ts';
import { TMP1 as TMP1_, TMP2 as TMP2_, TMP3 as TMP3_, X as X_, x86 as x86_ } from './regs.ts';
import { loadBlinded as loadBlinded_ } from './blind.ts';

// Imports copied into locals: under tsx every use of an imported binding is a getter
// call, which the per-instruction paths of the JIT feel (compile time).
const AluOp = AluOp_, Class = Class_, Source = Source_, classOf = classOf_, opOf = opOf_, sourceOf = sourceOf_, Cond = Cond_, Alu = Alu_, Shift = Shift_, TMP1 = TMP1_, TMP2 = TMP2_, TMP3 = TMP3_, X = X_, x86 = x86_, loadBlinded = loadBlinded_;
type AluOp = AluOp_;
type Class = Class_;
type Source = Source_;
type Cond = Cond_;
type Alu = Alu_;
type Shift = Shift_;
type X = X_;

const GROUP1: Partial<Record<AluOp, Alu>> = {
  [AluOp.ADD]: Alu.ADD, [AluOp.SUB]: Alu.SUB, [AluOp.OR]: Alu.OR, [AluOp.AND]: Alu.AND, [AluOp.XOR]: Alu.XOR,
};
const SHIFTS: Partial<Record<AluOp, Shift>> = { [AluOp.LSH]: Shift.SHL, [AluOp.RSH]: Shift.SHR, [AluOp.ARSH]: Shift.SAR };

/** The immediate as the 64-bit (sign-extended) or 32-bit pattern an operation of width w sees. */
const immValue = (imm: number, w: boolean): number => (w ? imm : imm >>> 0);

export function emitAlu(a: Asm, insn: Instruction): void {
  const w = classOf(insn.opcode) === Class.ALU64;
  const byReg = sourceOf(insn.opcode) === Source.X;
  const op = opOf(insn.opcode) as AluOp;
  const dst = x86(insn.dst);
  const src = byReg ? x86(insn.src) : X.RAX; // unused for immediates
  // (no closures here: tsx's keepNames makes each one cost a defineProperty per instruction)
  const g1 = GROUP1[op];
  if (g1 !== undefined) {
    if (byReg) return a.aluRR(g1, dst, src, w);
    if (insn.imm === 0 && op !== AluOp.AND) return zext(a, dst, w); // x+0, x-0, x|0, x^0
    if (insn.imm === 0) return a.movRI(dst, 0, false);
    if (op === AluOp.AND && insn.imm === -1) return zext(a, dst, w);
    if (a.blind) { loadBlinded(a, TMP1, insn.imm, w, a.blind); return a.aluRR(g1, dst, TMP1, w); }
    return a.aluRI(g1, dst, insn.imm, w);
  }
  const shift = SHIFTS[op];
  if (shift !== undefined) {
    if (byReg) return shiftByRegister(a, shift, dst, src, w);
    // Blinded: the count through TMP2 (the by-register path borrows TMP1 to keep rcx); x86 masks it as eBPF does.
    if (a.blind && (insn.imm & (w ? 63 : 31)) !== 0) { loadBlinded(a, TMP2, insn.imm, false, a.blind); return shiftByRegister(a, shift, dst, TMP2, w); }
    return shiftByImmediate(a, shift, dst, insn.imm, w);
  }

  switch (op) {
    case AluOp.MOV:
      if (!byReg) return a.blind ? loadBlinded(a, dst, insn.imm, w, a.blind) : a.movRI(dst, immValue(insn.imm, w), w);
      if (insn.off !== 0) return a.movsxRR(dst, src, (insn.off / 8) as 1 | 2 | 4, w); // movsx (v4)
      if (w && dst === src) return; // mov r, r: nothing to do
      return a.movRR(dst, src, w); // the 32-bit form zero-extends, even onto itself
    case AluOp.MUL:
      if (byReg) return a.imulRR(dst, src, w);
      if (insn.imm === 1) return zext(a, dst, w);
      if (insn.imm === 0) return a.movRI(dst, 0, false);
      if (a.blind) { loadBlinded(a, TMP1, insn.imm, w, a.blind); return a.imulRR(dst, TMP1, w); }
      return a.imulRRI(dst, dst, insn.imm, w);
    case AluOp.NEG:
      return a.negR(dst, w);
    case AluOp.DIV:
    case AluOp.MOD:
      return divide(a, insn, w, dst, src, byReg);
    case AluOp.END:
      return byteSwap(a, insn, dst);
    default:
      a.fail(`unknown ALU operation 0x${op.toString(16)}`);
  }
}

/** The 32-bit form of an operation that changes nothing still zero-extends: mov r32, r32. */
function zext(a: Asm, dst: X, w: boolean): void {
  if (!w) a.movRR(dst, dst, false);
}

function shiftByImmediate(a: Asm, op: Shift, dst: X, imm: number, w: boolean): void {
  const count = imm & (w ? 63 : 31); // eBPF masks the count, as x86 does
  if (count === 0) {
    if (!w) a.movRR(dst, dst, false);
    return;
  }
  a.shiftRI(op, dst, count, w);
}

/**
 * Legacy x86 shifts by cl only, and cl is eBPF r4: borrow rcx around the shift when the count
 * is elsewhere. With BMI2, shlx/shrx/sarx take the count in any register (rol is never by register).
 */
function shiftByRegister(a: Asm, op: Shift, dst: X, src: X, w: boolean): void {
  if (src === X.RCX) return a.shiftRCL(op, dst, w); // also when dst is rcx: r4 <<= r4
  if (a.bmi2) return a.shiftX(op as Shift_.SHL | Shift_.SHR | Shift_.SAR, dst, dst, src, w);
  if (dst === X.RCX) {
    a.movRR(TMP1, X.RCX, true); // the value to shift
    a.movRR(X.RCX, src, false); // the count (only cl matters)
    a.shiftRCL(op, TMP1, w);
    a.movRR(X.RCX, TMP1, true);
    return;
  }
  a.movRR(TMP1, X.RCX, true); // save r4
  a.movRR(X.RCX, src, false);
  a.shiftRCL(op, dst, w);
  a.movRR(X.RCX, TMP1, true);
}

/**
 * Unsigned and signed (off 1) division and modulo. x86 faults on a zero divisor
 * and on INT_MIN / -1; eBPF defines both (RFC 9669): x / 0 = 0, x % 0 = x (the
 * 32-bit form zero-extends it), INT_MIN / -1 = INT_MIN (x / -1 = -x), x % -1 = 0.
 * Register divisors are tested and branched around; immediates are decided here.
 */
function divide(a: Asm, insn: Instruction, w: boolean, dst: X, src: X, byReg: boolean): void {
  if (!byReg && a.blind) { // blinded: the divisor in TMP1 (untouched below), decided at run time like a register
    loadBlinded(a, TMP1, insn.imm, w, a.blind);
    src = TMP1;
    byReg = true;
  }
  const isMod = opOf(insn.opcode) === AluOp.MOD;
  const signed = insn.off === 1;
  let divisor = src;
  let zero: number | undefined;
  let minusOne: number | undefined;
  if (!byReg) {
    const imm = insn.imm;
    if (imm === 0) return isMod ? (w ? undefined : a.movRR(dst, dst, false)) : a.movRI(dst, 0, false);
    if (signed && imm === -1) return isMod ? a.movRI(dst, 0, false) : a.negR(dst, w);
    if (!signed && imm > 0 && (imm & (imm - 1)) === 0) { // a power of two: shift or mask
      if (isMod) return a.aluRI(Alu.AND, dst, imm - 1, w);
      const k = 31 - Math.clz32(imm);
      return k === 0 ? (w ? undefined : a.movRR(dst, dst, false)) : a.shiftRI(Shift.SHR, dst, k, w);
    }
    if (signed && imm === 1) return isMod ? a.movRI(dst, 0, false) : (w ? undefined : a.movRR(dst, dst, false));
    a.movRI(TMP1, immValue(imm, w), w);
    divisor = TMP1;
  } else {
    zero = a.newLabel();
    a.testRR(src, src, w);
    a.jcc(Cond.E, zero);
    if (signed) {
      minusOne = a.newLabel();
      a.aluRI(Alu.CMP, src, -1, w);
      a.jcc(Cond.E, minusOne);
    }
  }
  // div uses rdx:rax, which are eBPF r3 and r0: keep them aside unless they are dst.
  if (divisor === X.RAX || divisor === X.RDX) {
    a.movRR(TMP1, divisor, true);
    divisor = TMP1;
  }
  if (dst !== X.RAX) a.movRR(TMP3, X.RAX, true);
  if (dst !== X.RDX) a.movRR(TMP2, X.RDX, true);
  if (dst !== X.RAX) a.movRR(X.RAX, dst, true);
  if (signed) a.signExtendAx(w);
  else a.aluRR(Alu.XOR, X.RDX, X.RDX, false);
  a.divR(divisor, w, signed);
  const result = isMod ? X.RDX : X.RAX;
  if (dst !== result) a.movRR(dst, result, true); // div r32 already zero-extended eax and edx
  if (dst !== X.RAX) a.movRR(X.RAX, TMP3, true);
  if (dst !== X.RDX) a.movRR(X.RDX, TMP2, true);
  if (zero === undefined) return;
  const done = a.newLabel();
  a.jmp(done);
  a.bind(zero);
  if (!isMod) a.movRI(dst, 0, false);
  else if (!w) a.movRR(dst, dst, false);
  if (minusOne !== undefined) {
    a.jmp(done);
    a.bind(minusOne);
    if (isMod) a.movRI(dst, 0, false);
    else a.negR(dst, w);
  }
  a.bind(done);
}

/** le16/32/64 (ALU|K: host order is already little-endian), be16/32/64 (ALU|X) and bswap16/32/64 (ALU64|K). */
function byteSwap(a: Asm, insn: Instruction, dst: X): void {
  const swap = sourceOf(insn.opcode) === Source.X || classOf(insn.opcode) === Class.ALU64;
  switch (insn.imm) {
    case 16:
      if (swap) a.shift16RI(Shift.ROL, dst, 8);
      a.movzxRR(dst, dst, 2);
      return;
    case 32:
      if (swap) a.bswap(dst, false);
      else a.movRR(dst, dst, false);
      return;
    case 64:
      if (swap) a.bswap(dst, true);
      return;
    default:
      a.fail(`byte swap of ${insn.imm} bits`);
  }
}
