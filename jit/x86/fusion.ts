// What every fusion shares (peephole.ts, store-runs.ts): the context a matcher sees, what it
// returns, and the checks that make a run safe to replace.
import type { Instruction, Program } from '../isa/instruction.ts';
import type { Asm } from './encoder.ts';
import { usesDefs } from './liveness.ts';
import type { State } from './provenance.ts';

export interface PeepholeContext {
  prog: Program;
  /** pcOf[i]: the pc of instruction i. */
  pcOf: readonly number[];
  jumpTargets: Uint8Array;
  /** Live registers after each pc (liveness.ts). */
  liveOut: Uint16Array;
  /** The end (exclusive pc) of the function being compiled: runs never leave it. */
  end: number;
  /** What is known about memory bytes before each pc (provenance.ts); without it, runs start from nothing. */
  before?: readonly (State | undefined)[];
  /** Frame slots assigned to sites so far (planFusions), by site pc; without it, no run reads a slot. */
  slots?: ReadonlyMap<number, number>;
  /** Instructions no run may include: loads that do not read the memory they name (descriptor.ts context loads). */
  opaque?: ReadonlyMap<number, unknown>;
}

/** A fused run: which pattern, how many instructions it consumes and the code that replaces them. */
export interface Fusion {
  kind: 'lea' | 'scaled-add' | 'rotate' | 'load' | 'store' | 'merge';
  count: number;
  /** Registers the fused code reads and writes (for liveness of the code as compiled); default: the run's own. */
  uses?: number;
  defs?: number;
  /** Sites whose base this run reads from a frame slot (they must have one before emit runs). */
  slots?: number[];
  emit(a: Asm): void;
}

export const bit = (r: number): number => 1 << r;

/** What a straight run of instructions reads before writing, and writes. */
export function runEffect(prog: Program, i: number, count: number): { uses: number; defs: number } {
  let uses = 0, defs = 0;
  for (let k = i; k < i + count; k++) {
    const e = usesDefs(prog[k]!);
    uses |= e.uses & ~defs;
    defs |= e.defs;
  }
  return { uses, defs };
}

/** True when instructions i .. i+count-1 are in the function, no jump lands on i+1 on, and none is opaque. */
export function straight(ctx: PeepholeContext, i: number, count: number): boolean {
  for (let k = i; k < i + count; k++) {
    const pc = ctx.pcOf[k];
    if (pc === undefined || pc >= ctx.end || (k > i && ctx.jumpTargets[pc]) || ctx.opaque?.has(pc)) return false;
  }
  return true;
}

/** The registers in `written` other than `result` are all dead after instruction `last`. */
export const othersDead = (ctx: PeepholeContext, last: number, written: number, result: number): boolean =>
  (written & ~bit(result) & ctx.liveOut[ctx.pcOf[last]!]!) === 0;

/**
 * The instructions of a run from instruction i on, at most `longest` of them, stopping at the
 * function's end, before any instruction a jump lands on (the first may be one) and before an opaque one.
 */
export function* straightRun(ctx: PeepholeContext, i: number, longest: number): Generator<{ k: number; insn: Instruction; pc: number }> {
  for (let k = i; k < i + longest && k < ctx.prog.length; k++) {
    const pc = ctx.pcOf[k]!;
    if (pc >= ctx.end || (k > i && ctx.jumpTargets[pc]) || ctx.opaque?.has(pc)) return;
    yield { k, insn: ctx.prog[k]!, pc };
  }
}
