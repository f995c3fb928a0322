// Facts about a program that code generation needs before emitting anything: its
// functions (main program, subprograms), the call graph's depth, which pcs are jump
// targets, and which lookups have a constant map in r1.
import { AluOp as AluOp_, Class as Class_, JmpOp as JmpOp_, LDDW as LDDW_, PseudoCall as PseudoCall_, PseudoLd as PseudoLd_, Source as Source_, MAX_CALL_FRAMES as MAX_CALL_FRAMES_, classOf as classOf_, opOf as opOf_, sourceOf as sourceOf_, isJmpClass as isJmpClass_ } from '../isa/opcode.ts';
import { imm64, type Program } from '../isa/instruction.ts';
import { JitError } from './errors.ts';

// Imports copied into locals: under tsx every use of an imported binding is a getter
// call, which the per-instruction paths of the JIT feel (compile time).
const AluOp = AluOp_, Class = Class_, JmpOp = JmpOp_, LDDW = LDDW_, PseudoCall = PseudoCall_, PseudoLd = PseudoLd_, Source = Source_, MAX_CALL_FRAMES = MAX_CALL_FRAMES_, classOf = classOf_, opOf = opOf_, sourceOf = sourceOf_, isJmpClass = isJmpClass_;

/** True for instructions that would overwrite r10: rbp is every frame's anchor, never a program's to change. */
export function writesFramePointer(insn: Program[number]): boolean {
  const cls = classOf(insn.opcode);
  if (cls === Class.ALU || cls === Class.ALU64 || cls === Class.LDX || insn.opcode === LDDW) return insn.dst === 10;
  if (cls === Class.STX && (insn.opcode & 0xe0) === 0xc0) return (insn.imm & 1) === 1 && insn.imm !== 0xf1 && insn.src === 10; // fetch into src
  return false;
}

/** jumpTargets[pc] is 1 when some jump lands on pc (pairs across it cannot be fused). */
export function findJumpTargets(prog: Program, pcOf: readonly number[], slots: number): Uint8Array {
  const targets = new Uint8Array(slots + 1);
  prog.forEach((insn, i) => {
    const cls = classOf(insn.opcode);
    if (!isJmpClass(cls)) return;
    const op = opOf(insn.opcode);
    if (op === JmpOp.CALL || op === JmpOp.EXIT) return;
    const target = pcOf[i]! + 1 + (cls === Class.JMP32 && op === JmpOp.JA ? insn.imm : insn.off);
    if (target >= 0 && target <= slots) targets[target] = 1;
  });
  return targets;
}

/**
 * For each `call 1` (map_lookup_elem) whose r1 comes from an lddw of a constant in the same
 * basic block (nothing between writes r1, no jump lands between): the constant, by call pc.
 */
export function constantR1AtLookups(prog: Program, pcOf: readonly number[], jumpTargets: Uint8Array): Map<number, bigint> {
  const found = new Map<number, bigint>();
  prog.forEach((insn, i) => {
    if (insn.opcode !== (Class.JMP | JmpOp.CALL) || insn.src !== PseudoCall.HELPER || insn.imm !== 1) return;
    const callPc = pcOf[i]!;
    if (jumpTargets[callPc]) return; // a jump lands on the call itself: r1 may come from anywhere
    for (let k = i - 1; k >= 0; k--) {
      const w = prog[k]!;
      if (w.opcode === LDDW && w.dst === 1) {
        if (w.src === PseudoLd.IMM64) found.set(callPc, imm64(w));
        return;
      }
      if (writesR1(w) || jumpTargets[pcOf[k]!]) return;
    }
  });
  return found;
}

function writesR1(insn: Program[number]): boolean {
  const cls = classOf(insn.opcode);
  if (cls === Class.ALU || cls === Class.ALU64 || cls === Class.LDX || cls === Class.LD) return insn.dst === 1;
  if (cls === Class.JMP && opOf(insn.opcode) === JmpOp.CALL) return true; // r1-r5 die in calls
  if (cls === Class.STX && (insn.opcode & 0xe0) === 0xc0) return (insn.imm & 1) === 1 && insn.src === 1;
  return false;
}

export function endsFlow(insn: Program[number]): boolean {
  if (!isJmpClass(classOf(insn.opcode))) return false;
  const op = opOf(insn.opcode);
  return op === JmpOp.EXIT || op === JmpOp.JA;
}

/** A function of the program: the slots [start, end). */
export interface Func { start: number; end: number }

/** Functions are contiguous: the main program from pc 0, then one per call (or lddw-of-function) target. */
export function findFunctions(prog: Program, pcOf: readonly number[], slots: number): Func[] {
  const starts = new Set<number>([0]);
  prog.forEach((insn, i) => {
    const pc = pcOf[i]!;
    const local = insn.opcode === (Class.JMP | JmpOp.CALL) && insn.src === PseudoCall.LOCAL;
    const func = insn.opcode === LDDW && insn.src === PseudoLd.FUNC;
    if (!local && !func) return;
    const target = pc + 1 + insn.imm;
    if (target <= 0 || target >= slots || !pcOf.includes(target)) {
      throw new JitError(`${local ? 'call' : 'lddw of a function'} targets pc ${target}, not an instruction of a subprogram`, pc);
    }
    starts.add(target);
  });
  const sorted = [...starts].sort((x, y) => x - y);
  return sorted.map((start, k) => ({ start, end: sorted[k + 1] ?? slots }));
}

/** Rejects recursion and call chains deeper than the kernel's MAX_CALL_FRAMES (each frame costs native stack). */
export function checkCallDepth(prog: Program, pcOf: readonly number[], functions: Func[]): void {
  const owner = (pc: number): number => functions.findIndex((f) => pc >= f.start && pc < f.end);
  const callees = functions.map(() => new Set<number>());
  const callbacks = new Set<number>();
  const hasCallx = new Set<number>();
  prog.forEach((insn, i) => {
    const pc = pcOf[i]!;
    if (insn.opcode === (Class.JMP | JmpOp.CALL) && insn.src === PseudoCall.LOCAL) callees[owner(pc)]!.add(owner(pc + 1 + insn.imm));
    if (insn.opcode === LDDW && insn.src === PseudoLd.FUNC) callbacks.add(owner(pc + 1 + insn.imm));
    if (classOf(insn.opcode) === Class.JMP && opOf(insn.opcode) === JmpOp.CALL && sourceOf(insn.opcode) === Source.X) hasCallx.add(owner(pc));
  });
  for (const f of hasCallx) for (const c of callbacks) callees[f]!.add(c);
  const depth = new Map<number, number>();
  const visiting = new Set<number>();
  const visit = (f: number): number => {
    const known = depth.get(f);
    if (known !== undefined) return known;
    if (visiting.has(f)) throw new JitError(`recursive call involving the function at pc ${functions[f]!.start}`, functions[f]!.start);
    visiting.add(f);
    let d = 1;
    for (const c of callees[f]!) d = Math.max(d, 1 + visit(c));
    visiting.delete(f);
    depth.set(f, d);
    return d;
  };
  for (let f = 0; f < functions.length; f++) {
    if (visit(f) > MAX_CALL_FRAMES) throw new JitError(`call chain of ${visit(f)} frames from pc ${functions[f]!.start} (at most ${MAX_CALL_FRAMES})`, functions[f]!.start);
  }
}
