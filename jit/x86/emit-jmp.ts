// JMP and JMP32: conditional jumps (one cmp/test fused with one jcc), goto and
// gotol, helper calls, bpf-to-bpf calls, callx and exit.
import { Class as Class_, JmpOp as JmpOp_, PseudoCall as PseudoCall_, Source as Source_, classOf as classOf_, opOf as opOf_, sourceOf as sourceOf_ } from '../isa/opcode.ts';
import type { Instruction } from '../isa/instruction.ts';
import { Cond as Cond_, type Label } from './code-buffer.ts';
import { Alu as Alu_, Shift as Shift_, type Asm, type Mem } from './encoder.ts';
import { SYSV_ARGS, TMP1 as TMP1_, TMP2 as TMP2_, X as X_, x86 as x86_ } from './regs.ts';
import { loadBlinded as loadBlinded_, loadBlinded64 as loadBlinded64_ } from './blind.ts';
import { hashInlinable, hashLookup, type HashMapLayout } from './inline-hash.ts';

// Imports copied into locals: under tsx every use of an imported binding is a getter
// call, which the per-instruction paths of the JIT feel (compile time).
const Class = Class_, JmpOp = JmpOp_, PseudoCall = PseudoCall_, Source = Source_, classOf = classOf_, opOf = opOf_, sourceOf = sourceOf_, Cond = Cond_, Alu = Alu_, Shift = Shift_, TMP1 = TMP1_, TMP2 = TMP2_, X = X_, x86 = x86_, loadBlinded = loadBlinded_, loadBlinded64 = loadBlinded64_;
type Class = Class_;
type JmpOp = JmpOp_;
type PseudoCall = PseudoCall_;
type Source = Source_;
type Cond = Cond_;
type Alu = Alu_;
type X = X_;

/** bpf_tail_call's helper id (linux/bpf.h). */
export const TAIL_CALL_HELPER = 12;
/** bpf_map_lookup_elem's helper id. */
export const MAP_LOOKUP_HELPER = 1;

/** An array map whose lookups are inlined (compile.ts ArrayMapLayout, maps/map.h). */
export interface InlinedArray {
  maxEntries: number;
  elemSize: number;
  values: bigint;
  /** percpu_array: CPU-major copies cpuStride bytes apart; the worker's cpu is the u32 at %fs:tpOffset. */
  perCpu?: { cpuStride: number | bigint; tpOffset: number };
}

export interface JmpContext {
  /** The label of the instruction at a pc, or undefined when the pc is not a valid target. */
  target(pc: number): Label | undefined;
  /** Where `exit` goes: the burst loop for the main program, the shared epilogue for subprograms. */
  exit: Label;
  subprogram(pc: number): Label | undefined;
  helperAddress(id: number): bigint | undefined;
  /** The array map a `call 1` at this pc looks up, when its lookup can be inlined. */
  inlineLookup?: (pc: number) => InlinedArray | undefined;
  /** The plain hash map a `call 1` at this pc looks up, when its lookup can be inlined (inline-hash.ts). */
  inlineHash?: (pc: number) => HashMapLayout | undefined;
  /** The map's own lookup function for a `call 1` at this pc whose map is a constant (skips the helper's dispatch). */
  directLookup?: (pc: number) => bigint | undefined;
  /** Set in the main program of a burst entry: where the tail-call count lives. */
  tailCalls: { counter: Mem } | undefined;
}

/** The kernel's MAX_TAIL_CALL_CNT: a chain runs at most 33 tail calls, then the call falls through. */
export const MAX_TAIL_CALLS = 33;
/** struct sluice_map (maps/map.h): offsets of max_entries and of values (prog_array: u64 entry addresses). */
const MAP_MAX_ENTRIES = 12, MAP_VALUES = 32;

const CONDITIONS: Partial<Record<JmpOp, Cond>> = {
  [JmpOp.JEQ]: Cond.E, [JmpOp.JNE]: Cond.NE, [JmpOp.JSET]: Cond.NE,
  [JmpOp.JGT]: Cond.A, [JmpOp.JGE]: Cond.AE, [JmpOp.JLT]: Cond.B, [JmpOp.JLE]: Cond.BE,
  [JmpOp.JSGT]: Cond.G, [JmpOp.JSGE]: Cond.GE, [JmpOp.JSLT]: Cond.L, [JmpOp.JSLE]: Cond.LE,
};

export function emitJmp(a: Asm, insn: Instruction, pc: number, ctx: JmpContext): void {
  const op = opOf(insn.opcode) as JmpOp;
  const w = classOf(insn.opcode) === Class.JMP;
  switch (op) {
    case JmpOp.JA: {
      const offset = w ? insn.off : insn.imm; // JMP32|JA is gotol, with a 32-bit offset
      const label = jumpTo(a, ctx, pc, offset);
      if (label !== undefined && offset !== 0) a.jmp(label);
      return;
    }
    case JmpOp.EXIT:
      return a.jmp(ctx.exit);
    case JmpOp.CALL:
      return call(a, insn, pc, ctx);
  }
  const cond = CONDITIONS[op];
  if (cond === undefined) return a.fail(`unknown jump operation 0x${op.toString(16)}`);
  const label = jumpTo(a, ctx, pc, insn.off);
  if (label === undefined || insn.off === 0) return; // a branch to the next instruction does nothing
  const dst = x86(insn.dst);
  if (sourceOf(insn.opcode) === Source.X) {
    if (op === JmpOp.JSET) a.testRR(dst, x86(insn.src), w);
    else a.aluRR(Alu.CMP, dst, x86(insn.src), w);
  } else if (insn.imm === 0 && (op === JmpOp.JEQ || op === JmpOp.JNE)) {
    a.testRR(dst, dst, w);
  } else if (a.blind) { // blinded: the constant through TMP1 (free: one eBPF instruction's scratch)
    loadBlinded(a, TMP1, insn.imm, w, a.blind);
    if (op === JmpOp.JSET) a.testRR(dst, TMP1, w);
    else a.aluRR(Alu.CMP, dst, TMP1, w);
  } else if (op === JmpOp.JSET) {
    a.testRI(dst, insn.imm, w);
  } else {
    a.aluRI(Alu.CMP, dst, insn.imm, w);
  }
  a.jcc(cond, label);
}

/**
 * bpf_tail_call(ctx, prog_array, index), inlined as the kernel's JIT does: when index is in
 * range, the slot holds a program and fewer than 33 tail calls ran for this packet, jump to
 * that program's tail-call entry (its body, in this same burst frame, r1 still ctx) and never
 * come back; otherwise fall through to the next instruction.
 */
function tailCall(a: Asm, ctx: JmpContext): void {
  if (!ctx.tailCalls) return a.fail('tail calls are supported from the main program of a burst entry only');
  const out = a.newLabel();
  const index = TMP2;
  a.movRR(index, X.RDX, false); // r3: the index, a u32
  a.aluRM(Alu.CMP, index, { base: X.RSI, disp: MAP_MAX_ENTRIES }, false); // r2: the prog_array
  a.jcc(Cond.AE, out);
  a.aluRI(Alu.CMP, ctx.tailCalls.counter, MAX_TAIL_CALLS, false);
  a.jcc(Cond.AE, out);
  a.load(8, TMP1, { base: X.RSI, disp: MAP_VALUES });
  a.load(8, TMP1, { base: TMP1, index, scale: 8, disp: 0 });
  a.testRR(TMP1, TMP1, true);
  a.jcc(Cond.E, out);
  a.incR(ctx.tailCalls.counter, false);
  a.jmpIndirect(TMP1);
  a.bind(out);
}

/** Sizes the inlined code handles (anything else takes the map's own lookup function). */
function inlinable(array: InlinedArray): boolean {
  if (!(array.maxEntries >= 0 && array.maxEntries <= 0x7fffffff && array.elemSize >= 0 && array.elemSize <= 0x7fffffff)) return false;
  const p = array.perCpu;
  if (!p) return true;
  const stride = BigInt(p.cpuStride);
  return stride >= 0n && stride < 1n << 48n && Number.isInteger(p.tpOffset) && p.tpOffset >= -0x80000000 && p.tpOffset <= 0x7fffffff;
}

/**
 * map_lookup_elem on an array map, inlined (the kernel's array_map_gen_lookup): r0 = the
 * value's address when the u32 key at r2 is below max_entries, else NULL. A per-CPU array adds
 * the calling worker's copy: + cpu * cpu_stride, cpu read from its thread-local slot with one
 * %fs-relative load (the kernel's percpu_array_map_gen_lookup reads this_cpu_off the same way).
 * No call: r1-r5 are dead after a call in eBPF, so r1 (and TMP1) serve as scratch here.
 */
function arrayLookup(a: Asm, array: InlinedArray): void {
  const none = a.newLabel(), done = a.newLabel();
  const r0 = x86(0);
  a.load(4, r0, { base: x86(2), disp: 0 });
  // The map's sizes come from the (untrusted) loader too: blinded like the program's immediates.
  if (a.blind) { loadBlinded(a, TMP1, array.maxEntries, false, a.blind); a.aluRR(Alu.CMP, r0, TMP1, false); }
  else a.aluRI(Alu.CMP, r0, array.maxEntries, false);
  a.jcc(Cond.AE, none);
  // Element sizes of 1, 2, 4 or 8 bytes scale the index in the final lea; others multiply here.
  const scale = array.elemSize === 1 || array.elemSize === 2 || array.elemSize === 4 || array.elemSize === 8 ? array.elemSize : undefined;
  if (scale === undefined) multiply(a, r0, BigInt(array.elemSize));
  // base = values, or for a per-CPU array values + cpu * cpu_stride (the worker's copies).
  let base = TMP1;
  if (array.perCpu) {
    base = x86(1);
    a.loadFs32(base, array.perCpu.tpOffset); // sluice_worker.cpu, zero-extended
    multiply(a, base, BigInt(array.perCpu.cpuStride)); // a blinded stride goes through TMP1 (and r3): values after it
    a.movRI(TMP1, array.values, true);
    a.aluRR(Alu.ADD, base, TMP1, true);
  } else {
    a.movRI(TMP1, array.values, true);
  }
  if (scale !== undefined) a.lea(r0, { base, index: r0, scale, disp: 0 });
  else a.aluRR(Alu.ADD, r0, base, true);
  a.jmp(done);
  a.bind(none);
  a.movRI(r0, 0, false);
  a.bind(done);
}

/** reg *= factor (64-bit, reg holding a u32): a shift for powers of two, else imul; blinded factors through TMP1. */
function multiply(a: Asm, reg: X, factor: bigint): void {
  if (factor > 0n && (factor & (factor - 1n)) === 0n) {
    const k = factor.toString(2).length - 1;
    if (k > 0) a.shiftRI(Shift.SHL, reg, k, true);
  } else if (a.blind) {
    if (factor <= 0x7fffffffn) loadBlinded(a, TMP1, Number(factor), true, a.blind);
    else loadBlinded64(a, TMP1, factor, x86(3), a.blind); // r3: dead here too
    a.imulRR(reg, TMP1, true);
  } else if (factor <= 0x7fffffffn) {
    a.imulRRI(reg, reg, Number(factor), true);
  } else {
    a.movRI(TMP1, factor, true);
    a.imulRR(reg, TMP1, true);
  }
}

/** Parallel move of up to six registers (from[i] → to[i]) through the stack: any permutation, no scratch register. */
export function moveArguments(a: Asm, from: readonly X[], to: readonly X[]): void {
  if (from.every((r, i) => r === to[i])) return;
  for (const r of from) a.push(r);
  for (let i = to.length - 1; i >= 0; i--) a.pop(to[i]!);
}

function jumpTo(a: Asm, ctx: JmpContext, pc: number, offset: number): Label | undefined {
  const label = ctx.target(pc + 1 + offset);
  if (label === undefined) a.fail(`jump to pc ${pc + 1 + offset}, outside its function or into an lddw`);
  return label;
}

function call(a: Asm, insn: Instruction, pc: number, ctx: JmpContext): void {
  if (sourceOf(insn.opcode) === Source.X) return a.callR(x86(insn.dst)); // callx: the address from lddw of a function
  switch (insn.src) {
    case PseudoCall.HELPER: {
      if (insn.imm === TAIL_CALL_HELPER) return tailCall(a, ctx);
      if (insn.imm === MAP_LOOKUP_HELPER) {
        const array = ctx.inlineLookup?.(pc);
        if (array && inlinable(array)) return arrayLookup(a, array);
        const hash = array ? undefined : ctx.inlineHash?.(pc);
        if (hash && hashInlinable(hash)) return hashLookup(a, hash);
      }
      // map_lookup_elem(map, key) is map->ops->lookup(map, key): with the map known, call that directly.
      const direct = insn.imm === MAP_LOOKUP_HELPER ? ctx.directLookup?.(pc) : undefined;
      const address = direct || ctx.helperAddress(insn.imm);
      if (address === undefined || address === 0n) return a.fail(`unknown helper ${insn.imm}`);
      const args = [1, 2, 3, 4, 5].map(x86);
      moveArguments(a, args, SYSV_ARGS); // nothing to move with the standard map: r1-r5 are the System V registers
      a.movabs(X.RAX, address); // not an argument register; r0 is overwritten by the call anyway
      a.callR(X.RAX);
      if (x86(0) !== X.RAX) a.movRR(x86(0), X.RAX, true);
      return;
    }
    case PseudoCall.LOCAL: {
      const label = ctx.subprogram(pc + 1 + insn.imm);
      if (label === undefined) return a.fail(`call to pc ${pc + 1 + insn.imm}, not a subprogram`);
      return a.callLabel(label);
    }
    default:
      return a.fail('kfunc calls are not supported');
  }
}
