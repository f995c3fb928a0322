// Structural checks, before any value is tracked: valid encodings and registers,
// jump targets inside the program, inside the same subprogram and never into the
// second slot of lddw, every subprogram ending in exit or goto, every instruction
// reachable, and the call graph (for the call depth and combined stack limits).
import { Class as Class$, JmpOp as JmpOp$, LDDW as LDDW$, PseudoCall as PseudoCall$, PseudoLd as PseudoLd$, Source as Source$, classOf as classOf$, opOf as opOf$, sourceOf as sourceOf$, STACK_SIZE as STACK_SIZE$, MAX_CALL_FRAMES as MAX_CALL_FRAMES$ } from '../isa/opcode.ts';
import { layout as layout$, type Instruction, type Layout } from '../isa/instruction.ts';
import { encodingProblem as encodingProblem$ } from '../isa/codec.ts';
import type { FuncInfoSpec } from '../object/spec.ts';
// Local copies: esbuild-compiled imports read through a getter on every use, which
// dominated the verifier's profile.
const Class = Class$;
const JmpOp = JmpOp$;
const LDDW = LDDW$;
const PseudoCall = PseudoCall$;
const PseudoLd = PseudoLd$;
const Source = Source$;
const classOf = classOf$;
const opOf = opOf$;
const sourceOf = sourceOf$;
const STACK_SIZE = STACK_SIZE$;
const MAX_CALL_FRAMES = MAX_CALL_FRAMES$;
const layout = layout$;
const encodingProblem = encodingProblem$;

export interface Structure {
  readonly insns: readonly Instruction[];
  readonly layout: Layout;
  readonly slots: number;
  /** Start pc of each subprogram, ascending; [0] is the entry. */
  readonly subprogs: readonly number[];
  /** Subprogram index of each pc. */
  readonly subprogOf: Int32Array;
  /** Subprograms each subprogram calls (pseudo calls; callbacks count as calls). */
  readonly callees: readonly Set<number>[];
  /** pcs that are the target of a jump (pruning points). */
  readonly jumpTargets: Uint8Array;
  /** Subprograms that contain a tail call. */
  readonly hasTailCall: readonly boolean[];
  /** Registers live on entry to each pc (bit r): read on some path before being written. */
  readonly live: Uint16Array;
}

export type Fail = (pc: number, message: string) => never;

export const isCall = (i: Instruction): boolean => i.opcode === (Class.JMP | JmpOp.CALL);
export const isLocalCall = (i: Instruction): boolean => isCall(i) && i.src === PseudoCall.LOCAL;
export const isExit = (i: Instruction): boolean => i.opcode === (Class.JMP | JmpOp.EXIT);
const isFuncAddr = (i: Instruction): boolean => i.opcode === LDDW && i.src === PseudoLd.FUNC;

/** Helper calls that run a callback a bounded number of times (bpf_loop, for_each_map_elem). */
export const isCallbackCall = (i: Instruction): boolean => isCall(i) && i.src === PseudoCall.HELPER && (i.imm === 181 || i.imm === 164);

/** The jump target of a conditional or unconditional jump, or undefined. */
export function jumpTarget(i: Instruction, pc: number): number | undefined {
  const cls = classOf(i.opcode);
  if (cls !== Class.JMP && cls !== Class.JMP32) return undefined;
  const op = opOf(i.opcode);
  if (op === JmpOp.CALL || op === JmpOp.EXIT) return undefined;
  if (op === JmpOp.JA) return pc + 1 + (cls === Class.JMP32 ? i.imm : i.off);
  return pc + 1 + i.off;
}

export function analyseStructure(insns: readonly Instruction[], funcInfo: readonly FuncInfoSpec[], fail: Fail): Structure {
  if (insns.length === 0) fail(0, 'the program is empty');
  const lay = layout(insns);
  const slots = lay.pcOf[insns.length]!;
  const starts = new Set<number>([0]);
  for (const f of funcInfo) starts.add(f.pc);
  const inRange = (pc: number, t: number, what: string): void => {
    if (t < 0 || t >= slots) fail(pc, `${what} out of range: target pc ${t} is outside the program (0..${slots - 1})`);
    if (lay.indexOf[t] === -1) fail(pc, `${what} into the middle of lddw: pc ${t} is the second slot of the instruction at pc ${t - 1}`);
  };
  insns.forEach((i, n) => {
    const pc = lay.pcOf[n]!;
    const problem = encodingProblem(i);
    if (problem) fail(pc, `invalid instruction: ${problem}`);
    if (i.dst > 10 || (i.src > 10 && !isCall(i) && i.opcode !== LDDW)) fail(pc, `invalid register r${Math.max(i.dst, i.src)}`);
    if (isCall(i) && i.src === PseudoCall.KFUNC) fail(pc, 'kernel function calls (kfuncs) are not supported');
    if (i.opcode === (Class.JMP | Source.X | JmpOp.CALL)) fail(pc, 'callx (indirect calls) is not supported');
    if (isLocalCall(i)) { inRange(pc, pc + 1 + i.imm, 'call'); starts.add(pc + 1 + i.imm); }
    if (isFuncAddr(i)) { inRange(pc, pc + 1 + i.imm, 'function address'); starts.add(pc + 1 + i.imm); }
    if (i.opcode === LDDW && (i.src === PseudoLd.BTF_ID)) fail(pc, 'lddw of a kernel variable (BTF id) is not supported');
  });
  const subprogs = [...starts].sort((a, b) => a - b);
  const subprogOf = new Int32Array(slots);
  for (let s = 0; s < subprogs.length; s++) {
    const end = subprogs[s + 1] ?? slots;
    subprogOf.fill(s, subprogs[s]!, end);
    // The kernel's rule: the last instruction of each subprogram is exit or goto.
    const lastPc = lay.indexOf[end - 1] === -1 ? end - 2 : end - 1;
    const last = insns[lay.indexOf[lastPc]!]!;
    if (!isExit(last) && !(opOf(last.opcode) === JmpOp.JA && (classOf(last.opcode) === Class.JMP || classOf(last.opcode) === Class.JMP32))) {
      fail(lastPc, 'the last instruction is not exit or goto: execution would fall off the end');
    }
  }
  const jumpTargets = new Uint8Array(slots);
  const callees = subprogs.map(() => new Set<number>());
  const hasTailCall = subprogs.map(() => false);
  insns.forEach((i, n) => {
    const pc = lay.pcOf[n]!;
    const t = jumpTarget(i, pc);
    if (t !== undefined) {
      inRange(pc, t, 'jump');
      if (subprogOf[t] !== subprogOf[pc]) fail(pc, `jump out of range: pc ${t} is in another function`);
      jumpTargets[t] = 1;
    }
    if (isLocalCall(i) || isFuncAddr(i)) callees[subprogOf[pc]!]!.add(subprogOf[pc + 1 + i.imm]!);
    if (isCallbackCall(i)) jumpTargets[pc] = 1; // the callback's iterations meet here
    if (isCall(i) && i.src === PseudoCall.HELPER && i.imm === 12) hasTailCall[subprogOf[pc]!] = true;
  });
  // Reachability, as the kernel's check_cfg: from the entry, through jumps, calls and callbacks.
  const seen = new Uint8Array(slots);
  const work = [0];
  seen[0] = 1;
  const push = (t: number): void => { if (!seen[t]) { seen[t] = 1; work.push(t); } };
  while (work.length) {
    const pc = work.pop()!;
    const i = insns[lay.indexOf[pc]!]!;
    if (isExit(i)) continue;
    const t = jumpTarget(i, pc);
    if (isLocalCall(i) || isFuncAddr(i)) push(pc + 1 + i.imm);
    if (t !== undefined) {
      push(t);
      if (opOf(i.opcode) === JmpOp.JA) continue;
    }
    if (pc + (i.opcode === LDDW ? 2 : 1) < slots) push(pc + (i.opcode === LDDW ? 2 : 1));
  }
  for (let n = 0; n < insns.length; n++) {
    const pc = lay.pcOf[n]!;
    if (!seen[pc]) fail(pc, 'unreachable instruction: no path from the entry reaches it');
  }
  return { insns, layout: lay, slots, subprogs, subprogOf, callees, jumpTargets, hasTailCall, live: liveness(insns, lay, slots) };
}

const ARGS = 0b111110; // r1..r5
const CALLER_SAVED = 0b111111; // r0..r5
const FP = 1 << 10;

/** Registers each instruction reads and writes. */
function useDef(i: Instruction): [number, number] {
  const cls = classOf(i.opcode);
  const x = sourceOf(i.opcode) === Source.X;
  const op = opOf(i.opcode);
  switch (cls) {
    case Class.ALU: case Class.ALU64:
      if (op === 0xb0) return [x ? 1 << i.src : 0, 1 << i.dst]; // mov
      return [(1 << i.dst) | (x ? 1 << i.src : 0), 1 << i.dst];
    case Class.LD: return [i.opcode === LDDW ? 0 : 1 << 6, i.opcode === LDDW ? 1 << i.dst : CALLER_SAVED];
    case Class.LDX: return [1 << i.src, 1 << i.dst];
    case Class.ST: return [1 << i.dst, 0];
    case Class.STX:
      if ((i.opcode & 0xe0) === 0xc0) { // atomics: fetch forms write src (cmpxchg: r0, which it also reads)
        if (i.imm === 0xf1) return [(1 << i.dst) | (1 << i.src) | 1, 1];
        return [(1 << i.dst) | (1 << i.src), i.imm & 1 ? 1 << i.src : 0];
      }
      return [(1 << i.dst) | (1 << i.src), 0];
    default:
      if (isExit(i)) return [1, 0];
      if (isCall(i)) return [ARGS, CALLER_SAVED];
      if (op === JmpOp.JA) return [0, 0];
      return [(1 << i.dst) | (x ? 1 << i.src : 0), 0];
  }
}

/** Backward dataflow to a fixed point: what each pc may still read. r10 is always live. */
function liveness(insns: readonly Instruction[], lay: Layout, slots: number): Uint16Array {
  const live = new Uint16Array(slots);
  const ud = insns.map(useDef);
  let changed = true;
  while (changed) {
    changed = false;
    for (let n = insns.length - 1; n >= 0; n--) {
      const i = insns[n]!;
      const pc = lay.pcOf[n]!;
      let out = 0;
      if (!isExit(i)) {
        const t = jumpTarget(i, pc);
        if (t !== undefined && t >= 0 && t < slots) out |= live[t]!;
        const fallThrough = t === undefined || opOf(i.opcode) !== JmpOp.JA;
        const next = pc + (i.opcode === LDDW ? 2 : 1);
        if (fallThrough && next < slots) out |= live[next]!;
      }
      const [use, def] = ud[n]!;
      const v = (use | (out & ~def) | FP) & 0x7ff;
      if (v !== live[pc]) { live[pc] = v; changed = true; }
    }
  }
  return live;
}

/**
 * The kernel's check_max_stack_depth: along every call chain from the entry, at most
 * 8 frames, and the frames' stack sizes (each rounded up to 32 bytes, at least 32)
 * sum to at most 512. Returns the deepest chain's size.
 */
export function checkStackDepth(st: Structure, depth: readonly number[], fail: Fail): number {
  const frameSize = (s: number): number => Math.ceil(Math.max(depth[s] ?? 0, 1) / 32) * 32;
  let worst = 0;
  const walk = (s: number, chain: number[], total: number): void => {
    // Tail calls from a called function keep the callers' frames: the kernel caps them at 256 bytes.
    if (chain.length > 0 && st.hasTailCall[s] && total >= 256) {
      fail(st.subprogs[s]!, `tail calls are not allowed when the call stack of previous frames is ${total} bytes (at most 255): ${chain.map((p) => `pc ${st.subprogs[p]}`).join(' -> ')} -> pc ${st.subprogs[s]}`);
    }
    const t = total + frameSize(s);
    const path = [...chain, s];
    if (path.length > MAX_CALL_FRAMES) {
      fail(st.subprogs[s]!, `the call stack of ${path.length} frames is too deep (at most ${MAX_CALL_FRAMES}): ${path.map((p) => `pc ${st.subprogs[p]}`).join(' -> ')}`);
    }
    if (t > STACK_SIZE) {
      fail(st.subprogs[s]!, `combined stack size of ${path.length} calls is ${t} bytes, more than ${STACK_SIZE}: ${path.map((p) => `pc ${st.subprogs[p]} (${frameSize(p)} bytes)`).join(' -> ')}`);
    }
    worst = Math.max(worst, t);
    for (const c of st.callees[s]!) {
      if (chain.includes(c) || c === s) fail(st.subprogs[c]!, 'recursive call');
      walk(c, path, t);
    }
  };
  walk(0, [], 0);
  return worst;
}
