// Loads, stores, atomics and lddw (the LD, LDX, ST and STX classes).
import { ATOMIC_FETCH as ATOMIC_FETCH_, AtomicOp as AtomicOp_, Class as Class_, Mode as Mode_, PseudoLd as PseudoLd_, Size as Size_, classOf as classOf_, modeOf as modeOf_, sizeBytes as sizeBytes_, sizeOf as sizeOf_ } from '../isa/opcode.ts';
import { imm64 as imm64_, type Instruction } from '../isa/instruction.ts';
import { Cond as Cond_, type Label } from './code-buffer.ts';
import { Alu as Alu_, type Asm, type Mem } from './encoder.ts';
import { TMP1 as TMP1_, TMP3 as TMP3_, X as X_, x86 as x86_ } from './regs.ts';
import { loadBlinded as loadBlinded_, loadBlinded64 as loadBlinded64_ } from './blind.ts';

// Imports copied into locals: under tsx every use of an imported binding is a getter
// call, which the per-instruction paths of the JIT feel (compile time).
const ATOMIC_FETCH = ATOMIC_FETCH_, AtomicOp = AtomicOp_, Class = Class_, Mode = Mode_, PseudoLd = PseudoLd_, Size = Size_, classOf = classOf_, modeOf = modeOf_, sizeBytes = sizeBytes_, sizeOf = sizeOf_, imm64 = imm64_, Cond = Cond_, Alu = Alu_, TMP1 = TMP1_, TMP3 = TMP3_, X = X_, x86 = x86_, loadBlinded = loadBlinded_, loadBlinded64 = loadBlinded64_;
type AtomicOp = AtomicOp_;
type Class = Class_;
type Mode = Mode_;
type PseudoLd = PseudoLd_;
type Size = Size_;
type Cond = Cond_;
type Alu = Alu_;
type X = X_;

export interface MemContext {
  /** The entry label of the subprogram at an eBPF pc (for lddw of a BPF_PSEUDO_FUNC). */
  subprogram(pc: number): Label | undefined;
}

export function emitMem(a: Asm, insn: Instruction, pc: number, ctx: MemContext): void {
  const cls = classOf(insn.opcode);
  const mode = modeOf(insn.opcode);
  const size = sizeBytes(sizeOf(insn.opcode));
  switch (cls) {
    case Class.LD:
      if (mode === Mode.IMM) return loadImm64(a, insn, pc, ctx);
      return a.fail('legacy packet loads (LD ABS/IND) exist only for socket filters, not XDP');
    case Class.LDX:
      return a.load(size, x86(insn.dst), { base: x86(insn.src), disp: insn.off }, mode === Mode.MEMSX);
    case Class.ST:
      if (a.blind) { // blinded: the value through TMP1, then a register store of its low bytes
        loadBlinded(a, TMP1, insn.imm, size === 8, a.blind);
        return a.store(size, { base: x86(insn.dst), disp: insn.off }, TMP1);
      }
      return a.storeImm(size, { base: x86(insn.dst), disp: insn.off }, insn.imm);
    case Class.STX:
      if (mode === Mode.ATOMIC) return atomic(a, insn);
      return a.store(size, { base: x86(insn.dst), disp: insn.off }, x86(insn.src));
  }
}

function loadImm64(a: Asm, insn: Instruction, pc: number, ctx: MemContext): void {
  const dst = x86(insn.dst);
  switch (insn.src) {
    case PseudoLd.IMM64:
      if (a.blind) return loadBlinded64(a, dst, imm64(insn), TMP1, a.blind);
      return a.movRI(dst, imm64(insn), true);
    case PseudoLd.FUNC: {
      const target = pc + 1 + insn.imm;
      const label = ctx.subprogram(target);
      if (label === undefined) return a.fail(`lddw of a function: pc ${target} is not a subprogram`);
      return a.leaLabel(dst, label);
    }
    default:
      return a.fail(`lddw of kind ${insn.src} (a map or BTF reference) must be relocated before the JIT`);
  }
}

const ATOMIC_ALU: Partial<Record<number, Alu>> = {
  [AtomicOp.ADD]: Alu.ADD, [AtomicOp.OR]: Alu.OR, [AtomicOp.AND]: Alu.AND, [AtomicOp.XOR]: Alu.XOR,
};

/**
 * STX|ATOMIC on [dst + off] with src. add/or/and/xor without fetch are one
 * locked instruction; add with fetch is lock xadd; or/and/xor with fetch have
 * no x86 instruction and become a cmpxchg loop (which needs rax, i.e. r0).
 * 32-bit forms zero-extend what they return, as RFC 9669 requires.
 */
function atomic(a: Asm, insn: Instruction): void {
  const w = sizeOf(insn.opcode) === Size.DW;
  const base = x86(insn.dst);
  const src = x86(insn.src);
  const fetch = (insn.imm & ATOMIC_FETCH) !== 0;
  const mem: Mem = { base, disp: insn.off };
  if (insn.imm === AtomicOp.XCHG) return a.xchgMR(mem, src, w); // xchg r32 zero-extends
  if (insn.imm === AtomicOp.CMPXCHG) {
    const r0 = x86(0);
    if (r0 === X.RAX) {
      let m = mem;
      if (base === X.RAX) { a.movRR(TMP1, X.RAX, true); m = { base: TMP1, disp: insn.off }; }
      a.lockCmpxchg(m, src, w);
      if (!w) a.movRR(X.RAX, X.RAX, false); // on success eax is not written: zero-extend it here
      return;
    }
    // Another register map: rax holds some other eBPF register; keep it aside while rax is the comparand.
    a.movRR(TMP3, X.RAX, true);
    a.movRR(X.RAX, r0, true);
    a.lockCmpxchg({ base: base === X.RAX ? TMP3 : base, disp: insn.off }, src === X.RAX ? TMP3 : src, w);
    a.movRR(r0, X.RAX, w); // zero-extends the 32-bit form, success or not
    a.movRR(X.RAX, TMP3, true);
    return;
  }
  const op = ATOMIC_ALU[insn.imm & ~ATOMIC_FETCH];
  if (op === undefined) return a.fail(`unknown atomic operation 0x${(insn.imm >>> 0).toString(16)}`);
  if (!fetch) return a.aluMR(op, mem, src, w, true);
  if (op === Alu.ADD) return a.lockXadd(mem, src, w);
  // The loop: rax = old; tmp = old op src; lock cmpxchg [m], tmp; retry if another writer came between.
  const saved = TMP3; // rax is the comparand: keep the eBPF register it holds (r0 in the standard map) here
  a.movRR(saved, X.RAX, true);
  const b = base === X.RAX ? saved : base;
  const operand = src === X.RAX ? saved : src;
  const m: Mem = { base: b, disp: insn.off };
  a.load(w ? 8 : 4, X.RAX, m);
  const retry = a.newLabel();
  a.bind(retry);
  a.movRR(TMP1, X.RAX, w);
  a.aluRR(op, TMP1, operand, w);
  a.lockCmpxchg(m, TMP1, w);
  a.jcc(Cond.NE, retry);
  if (src === X.RAX) return; // the fetched value belongs in src, which lives in rax: it is there (zero-extended by the 32-bit load or cmpxchg)
  a.movRR(src, X.RAX, w);
  a.movRR(X.RAX, saved, true);
}
