// Conditional jumps: which directions are possible, and what each direction
// teaches — narrower bounds for compared numbers (and every copy sharing their
// id), a proven packet range from comparing a packet pointer with data_end (or
// data_meta with data), and a non-NULL map value after a NULL check.
import { Class as Class$, JmpOp as JmpOp$, Source as Source$, classOf as classOf$, opOf as opOf$, sourceOf as sourceOf$ } from '../isa/opcode.ts';
import type { Instruction } from '../isa/instruction.ts';
import * as S$ from './scalar.ts';
import type { Scalar } from './scalar.ts';
import { type Reg, RegType as RegType$, type VState, cloneState as cloneState$, cur as cur$, scalar as scalar$, isPointer as isPointer$, showReg as showReg$ } from './state.ts';
import { MAX_PACKET_OFF as MAX_PACKET_OFF$, type Env } from './memory.ts';
import { readReg as readReg$ } from './alu.ts';
// Local copies: esbuild-compiled imports read through a getter on every use, which
// dominated the verifier's profile.
const Class = Class$;
const JmpOp = JmpOp$;
const Source = Source$;
const classOf = classOf$;
const opOf = opOf$;
const sourceOf = sourceOf$;
const S = { ...S$ };
const RegType = RegType$;
const cloneState = cloneState$;
const cur = cur$;
const scalar = scalar$;
const isPointer = isPointer$;
const showReg = showReg$;
const MAX_PACKET_OFF = MAX_PACKET_OFF$;
const readReg = readReg$;
type JmpOp = JmpOp$;
type RegType = RegType$;

const NEGATE: Record<number, number> = {
  [JmpOp.JEQ]: JmpOp.JNE, [JmpOp.JNE]: JmpOp.JEQ, [JmpOp.JGT]: JmpOp.JLE, [JmpOp.JLE]: JmpOp.JGT,
  [JmpOp.JGE]: JmpOp.JLT, [JmpOp.JLT]: JmpOp.JGE, [JmpOp.JSGT]: JmpOp.JSLE, [JmpOp.JSLE]: JmpOp.JSGT,
  [JmpOp.JSGE]: JmpOp.JSLT, [JmpOp.JSLT]: JmpOp.JSGE, [JmpOp.JSET]: -1, [-1]: JmpOp.JSET,
};
const SWAP: Record<number, number> = {
  [JmpOp.JEQ]: JmpOp.JEQ, [JmpOp.JNE]: JmpOp.JNE, [JmpOp.JGT]: JmpOp.JLT, [JmpOp.JLT]: JmpOp.JGT,
  [JmpOp.JGE]: JmpOp.JLE, [JmpOp.JLE]: JmpOp.JGE, [JmpOp.JSGT]: JmpOp.JSLT, [JmpOp.JSLT]: JmpOp.JSGT,
  [JmpOp.JSGE]: JmpOp.JSLE, [JmpOp.JSLE]: JmpOp.JSGE, [JmpOp.JSET]: JmpOp.JSET, [-1]: -1,
};
const SIGNED = new Set<number>([JmpOp.JSGT, JmpOp.JSGE, JmpOp.JSLT, JmpOp.JSLE]);

export interface Outcome {
  /** The state after the jump is taken, or undefined when it cannot be. */
  taken?: VState;
  /** The state when it falls through, or undefined when it cannot. */
  fall?: VState;
}

/** true / false when the comparison's result is known for every value, undefined otherwise. */
export function decide(a: Scalar, b: Scalar, op: number): boolean | undefined {
  switch (op) {
    case JmpOp.JEQ:
      if (S.isConst(a) && S.isConst(b)) return a.value === b.value;
      if (a.umax < b.umin || a.umin > b.umax || a.smax < b.smin || a.smin > b.smax) return false;
      if (((a.value ^ b.value) & ~(a.mask | b.mask)) !== 0n) return false;
      return undefined;
    case JmpOp.JNE: { const r = decide(a, b, JmpOp.JEQ); return r === undefined ? undefined : !r; }
    case JmpOp.JGT: return a.umin > b.umax ? true : a.umax <= b.umin ? false : undefined;
    case JmpOp.JGE: return a.umin >= b.umax ? true : a.umax < b.umin ? false : undefined;
    case JmpOp.JLT: return a.umax < b.umin ? true : a.umin >= b.umax ? false : undefined;
    case JmpOp.JLE: return a.umax <= b.umin ? true : a.umin > b.umax ? false : undefined;
    case JmpOp.JSGT: return a.smin > b.smax ? true : a.smax <= b.smin ? false : undefined;
    case JmpOp.JSGE: return a.smin >= b.smax ? true : a.smax < b.smin ? false : undefined;
    case JmpOp.JSLT: return a.smax < b.smin ? true : a.smin >= b.smax ? false : undefined;
    case JmpOp.JSLE: return a.smax <= b.smin ? true : a.smin > b.smax ? false : undefined;
    case JmpOp.JSET:
      if ((a.value & b.value) !== 0n) return true;
      if (((a.value | a.mask) & (b.value | b.mask)) === 0n) return false;
      return undefined;
    case -1: { const r = decide(a, b, JmpOp.JSET); return r === undefined ? undefined : !r; }
  }
  return undefined;
}

/** x != k for a constant k: k can be cut off either end of x's ranges. */
function trim(x: Scalar, k: Scalar): Scalar {
  if (!S.isConst(k)) return x;
  let r = x;
  if (r.umin === k.value) r = S.refine(r, { umin: r.umin + 1n });
  if (r.umax === k.value) r = r.umax === 0n ? { ...r, umin: 1n, umax: 0n } : S.refine(r, { umax: r.umax - 1n });
  const sk = BigInt.asIntN(64, k.value);
  if (r.smin === sk) r = S.refine(r, { smin: r.smin + 1n });
  if (r.smax === sk) r = S.refine(r, { smax: r.smax - 1n });
  return r;
}

/** a OP b holds: the narrowed a and b (possibly empty). */
export function narrow(a: Scalar, b: Scalar, op: number): [Scalar, Scalar] {
  const one = 1n;
  switch (op) {
    case JmpOp.JEQ: { const x = S.intersect(a, b); return [x, x]; }
    case JmpOp.JNE: {
      return [trim(a, b), trim(b, a)];
    }
    case JmpOp.JGT: return [S.refine(a, { umin: b.umin + one }), b.umax === 0n && a.umax === 0n ? { ...b, umin: 1n, umax: 0n } : S.refine(b, { umax: a.umax - one })];
    case JmpOp.JGE: return [S.refine(a, { umin: b.umin }), S.refine(b, { umax: a.umax })];
    case JmpOp.JLT: { const [y, x] = narrow(b, a, JmpOp.JGT); return [x, y]; }
    case JmpOp.JLE: { const [y, x] = narrow(b, a, JmpOp.JGE); return [x, y]; }
    case JmpOp.JSGT: return [S.refine(a, { smin: b.smin + one }), S.refine(b, { smax: a.smax - one })];
    case JmpOp.JSGE: return [S.refine(a, { smin: b.smin }), S.refine(b, { smax: a.smax })];
    case JmpOp.JSLT: { const [y, x] = narrow(b, a, JmpOp.JSGT); return [x, y]; }
    case JmpOp.JSLE: { const [y, x] = narrow(b, a, JmpOp.JSGE); return [x, y]; }
    case -1: // (a & b) == 0: b's known bits are clear in a
      if (S.isConst(b)) return [S.make(a.value & ~b.value, a.mask & ~b.value, a.umin, a.umax, a.smin, a.smax), b];
      return [a, b];
  }
  return [a, b];
}

/** Replaces the value of every register and spill in the state with this id (or just `reg` when id is 0). */
function setScalar(st: VState, regno: number, old: Reg, v: Scalar): void {
  const frame = cur(st);
  frame.regs[regno] = { ...old, v };
  if (old.id === 0) return;
  for (const f of st.frames) {
    f.regs.forEach((r, i) => { if (r.type === RegType.SCALAR && r.id === old.id) f.regs[i] = { ...r, v }; });
    f.stack.forEach((sl, i) => {
      if (sl?.spilled?.type === RegType.SCALAR && sl.spilled.id === old.id && sl.bytes.every((b) => b === 2)) f.stack[i] = { ...sl, spilled: { ...sl.spilled, v } };
    });
  }
}

function forEachReg(st: VState, fn: (r: Reg) => Reg): void {
  for (const f of st.frames) {
    f.regs.forEach((r, i) => { f.regs[i] = fn(r); });
    f.stack.forEach((sl, i) => { if (sl?.spilled) f.stack[i] = { ...sl, spilled: fn(sl.spilled) }; });
  }
}

const zero = (r: Reg): boolean => r.type === RegType.SCALAR && S.isConst(r.v) && r.v.value === 0n;

/** The comparison's directions with what each teaches. */
export function condJump(env: Env, st: VState, insn: Instruction): Outcome {
  const is32 = classOf(insn.opcode) === Class.JMP32;
  const op = opOf(insn.opcode);
  const useX = sourceOf(insn.opcode) === Source.X;
  const dst = readReg(env, st, insn.dst);
  const src = useX ? readReg(env, st, insn.src) : scalar(S.constant(BigInt(insn.imm)));
  if (!isPointer(dst) && !isPointer(src)) return scalars(st, insn, op, is32, dst, src, useX);
  // NULL checks: every copy of the pointer (same id) learns the answer.
  const [ptr, other] = isPointer(dst) ? [dst, src] : [src, dst];
  if (zero(other) && (op === JmpOp.JEQ || op === JmpOp.JNE) && !is32) {
    if (ptr.type === RegType.MAP_VALUE_OR_NULL || ptr.type === RegType.MEM_OR_NULL || ptr.type === RegType.MAP_PTR_OR_NULL) {
      const isNull = cloneState(st), notNull = st;
      markNull(isNull, ptr, true);
      markNull(notNull, ptr, false);
      return op === JmpOp.JEQ ? { taken: isNull, fall: notNull } : { taken: notNull, fall: isNull };
    }
    return op === JmpOp.JEQ ? { fall: st } : { taken: st }; // a valid pointer is never NULL
  }
  if (env.strict && !(ptr.type === RegType.PKT || ptr.type === RegType.PKT_META || ptr.type === RegType.PKT_END)) {
    env.fail(`r${isPointer(dst) ? insn.dst : insn.src} is a pointer (${showReg(ptr)}): comparing it leaks its address in strict mode`);
  }
  const taken = cloneState(st), fall = st;
  if (!is32 && isPointer(dst) && isPointer(src)) {
    packetRange(taken, dst, src, op);
    if (NEGATE[op] !== undefined) packetRange(fall, dst, src, NEGATE[op]!);
  }
  return { taken, fall };
}

/** `a OP b` holds in `st`: when it is "packet pointer < or <= its end", every copy of the pointer gains the range. */
function packetRange(st: VState, a: Reg, b: Reg, op: number): void {
  const end = (p: Reg, e: Reg): boolean =>
    (p.type === RegType.PKT && e.type === RegType.PKT_END) ||
    (p.type === RegType.PKT_META && e.type === RegType.PKT && e.off === 0 && e.id === 0 && S.isConst(e.v));
  let p: Reg, rel: number;
  if (end(a, b)) { p = a; rel = op; } else if (end(b, a)) { p = b; rel = SWAP[op]!; } else return;
  if (rel !== JmpOp.JLT && rel !== JmpOp.JLE) return;
  const open = rel === JmpOp.JLT;
  if (p.off < 0 || (p.off === 0 && open)) return;
  if (p.v.umax > BigInt(MAX_PACKET_OFF) || Number(p.v.umax) + p.off > MAX_PACKET_OFF) return;
  const range = p.off + (open ? 1 : 0);
  forEachReg(st, (r) => (r.type === p.type && r.id === p.id && range > r.range ? { ...r, range } : r));
}

function markNull(st: VState, ptr: Reg, isNull: boolean): void {
  const id = ptr.id;
  forEachReg(st, (r) => {
    if ((r.type !== RegType.MAP_VALUE_OR_NULL && r.type !== RegType.MEM_OR_NULL && r.type !== RegType.MAP_PTR_OR_NULL) || r.id !== id) return r;
    if (isNull) return scalar(S.ZERO);
    const type = r.type === RegType.MAP_VALUE_OR_NULL ? RegType.MAP_VALUE : r.type === RegType.MAP_PTR_OR_NULL ? RegType.MAP_PTR : RegType.MEM;
    return { ...r, type, id: 0 };
  });
  if (isNull && ptr.ref) st.refs = st.refs.filter((x) => x !== ptr.ref);
}

const view = (x: Scalar, is32: boolean, signed: boolean): Scalar => (!is32 ? x : signed ? S.sext(x, 32) : S.trunc32(x));

/** The register's 64-bit value is its 32-bit view, so the view's narrowing applies as it is. */
const exact = (r: Reg, is32: boolean, signed: boolean): boolean => !is32 || (signed ? r.v.umax < 0x80000000n : r.v.umax <= S.U32);

/** What a narrowed view teaches the register itself, if anything. */
function back(r: Reg, n: Scalar, is32: boolean, signed: boolean): Scalar | undefined {
  if (exact(r, is32, signed)) return is32 && signed ? S.withS32(r.v, n.smin, n.smax) : n;
  // A signed 32-bit comparison bounds the low half as s32 whatever the high half holds.
  if (is32 && signed) return S.withS32(r.v, n.smin, n.smax);
  return undefined;
}

function applyBranch(state: VState, rel: number, a: Scalar, b: Scalar, insn: Instruction, dst: Reg, src: Reg,
  useX: boolean, is32: boolean, signed: boolean): VState | undefined {
  const [na, nb] = narrow(a, b, rel);
  if (S.empty(na) || S.empty(nb)) return undefined;
  const nd = back(dst, na, is32, signed);
  if (nd) { if (S.empty(nd)) return undefined; setScalar(state, insn.dst, dst, nd); }
  if (useX && insn.src !== insn.dst) {
    const ns = back(src, nb, is32, signed);
    if (ns) { if (S.empty(ns)) return undefined; setScalar(state, insn.src, cur(state).regs[insn.src]!, ns); }
  }
  return state;
}

function scalars(st: VState, insn: Instruction, op: number, is32: boolean, dst: Reg, src: Reg, useX: boolean): Outcome {
  const signed = SIGNED.has(op);
  const a = view(dst.v, is32, signed), b = view(src.v, is32, signed);
  const known = decide(a, b, op);
  if (known === true) return { taken: st };
  if (known === false) return { fall: st };
  const taken = applyBranch(cloneState(st), op, a, b, insn, dst, src, useX, is32, signed);
  const fall = applyBranch(st, NEGATE[op]!, a, b, insn, dst, src, useX, is32, signed);
  return { taken, fall };
}
