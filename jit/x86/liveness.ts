// Register liveness: which of r0-r9 may still be read after each instruction. A backward
// dataflow over each function's control-flow graph, iterated to a fixed point (loops are
// legal eBPF). The peephole fusions (peephole.ts) use it to prove that a scratch register
// a pattern leaves behind is never read again, so the fused code need not produce it.
//
// Conservative where eBPF leaves room: every call reads r1-r5 (whatever the helper's
// prototype), a call into the program's own code reads every register, and calls clobber r0-r5; an exit reads r0; an instruction the table does not know
// reads everything. r10 is not tracked (it is never written).
import { AluOp as AluOp_, AtomicOp as AtomicOp_, ATOMIC_FETCH as ATOMIC_FETCH_, Class as Class_, JmpOp as JmpOp_, LDDW as LDDW_, Mode as Mode_, PseudoCall as PseudoCall_, Source as Source_, classOf as classOf_, modeOf as modeOf_, opOf as opOf_, sourceOf as sourceOf_ } from '../isa/opcode.ts';
import type { Instruction, Program } from '../isa/instruction.ts';
import type { Func } from './analysis.ts';

// Imports copied into locals: under tsx every use of an imported binding is a getter call.
const AluOp = AluOp_, AtomicOp = AtomicOp_, ATOMIC_FETCH = ATOMIC_FETCH_, Class = Class_, JmpOp = JmpOp_, LDDW = LDDW_,
  Mode = Mode_, PseudoCall = PseudoCall_, Source = Source_, classOf = classOf_, modeOf = modeOf_, opOf = opOf_, sourceOf = sourceOf_;

/** Bit r of a mask: eBPF register r. */
const bit = (r: number): number => (r >= 0 && r <= 9 ? 1 << r : 0);
const ALL = 0x3ff;
const ARGS = 0b111110; // r1-r5
const CALL_CLOBBERS = 0b111111; // r0-r5

/** What one instruction reads (uses) and writes (defs), as register masks. */
export function usesDefs(insn: Instruction): { uses: number; defs: number } {
  const cls = classOf(insn.opcode);
  const x = sourceOf(insn.opcode) === Source.X;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const op = opOf(insn.opcode);
      if (op === AluOp.MOV) return { uses: x ? bit(insn.src) : 0, defs: bit(insn.dst) };
      if (op === AluOp.NEG || op === AluOp.END) return { uses: bit(insn.dst), defs: bit(insn.dst) };
      return { uses: bit(insn.dst) | (x ? bit(insn.src) : 0), defs: bit(insn.dst) };
    }
    case Class.LDX:
      return { uses: bit(insn.src), defs: bit(insn.dst) };
    case Class.ST:
      return { uses: bit(insn.dst), defs: 0 };
    case Class.STX: {
      const uses = bit(insn.dst) | bit(insn.src);
      if (modeOf(insn.opcode) !== Mode.ATOMIC) return { uses, defs: 0 };
      if (insn.imm === AtomicOp.CMPXCHG) return { uses: uses | bit(0), defs: bit(0) };
      const fetch = insn.imm === AtomicOp.XCHG || (insn.imm & ATOMIC_FETCH) !== 0;
      return { uses, defs: fetch ? bit(insn.src) : 0 };
    }
    case Class.LD:
      if (insn.opcode === LDDW) return { uses: 0, defs: bit(insn.dst) };
      return { uses: ALL, defs: CALL_CLOBBERS }; // legacy packet loads: not for XDP; assume the worst
    case Class.JMP:
    case Class.JMP32: {
      const op = opOf(insn.opcode);
      if (op === JmpOp.JA) return { uses: 0, defs: 0 };
      if (op === JmpOp.EXIT) return { uses: bit(0), defs: 0 };
      // A bpf-to-bpf call (or callx) enters JIT code that sees every caller register as it is.
      if (op === JmpOp.CALL) return { uses: x || insn.src === PseudoCall.LOCAL ? ALL : ARGS, defs: CALL_CLOBBERS };
      return { uses: bit(insn.dst) | (x ? bit(insn.src) : 0), defs: 0 };
    }
  }
  return { uses: ALL, defs: 0 };
}

/** The pcs control may reach next from the instruction at pc (within its function). */
export function successors(insn: Instruction, pc: number, width: number, f: Func): number[] {
  const cls = classOf(insn.opcode);
  const fall = pc + width;
  if (cls !== Class.JMP && cls !== Class.JMP32) return fall < f.end ? [fall] : [];
  const op = opOf(insn.opcode);
  if (op === JmpOp.EXIT) return [];
  if (op === JmpOp.CALL) return fall < f.end ? [fall] : [];
  const target = pc + 1 + (cls === Class.JMP32 && op === JmpOp.JA ? insn.imm : insn.off);
  const out = target >= f.start && target < f.end ? [target] : [];
  if (op !== JmpOp.JA && fall < f.end) out.push(fall);
  return out;
}

/** Register masks by pc (bit r = eBPF r_r); slots that are not instructions (lddw's second) hold 0. */
export interface Liveness {
  /** Registers some path from the instruction at pc may read before writing them. */
  liveIn: Uint16Array;
  /** The same, from just after the instruction at pc. */
  liveOut: Uint16Array;
}

/** A run of instructions compiled as one (peephole.ts): what it reads and writes, and the pc after it. */
export interface Run { uses: number; defs: number; next: number }

/** Liveness of the program, or of the program as compiled when `runs` (by first pc) replace runs of it. */
export function liveness(prog: Program, pcOf: readonly number[], indexOf: readonly number[], functions: readonly Func[],
  runs?: ReadonlyMap<number, Run>): Liveness {
  const slots = indexOf.length - 1;
  const liveIn = new Uint16Array(slots + 1);
  const liveOut = new Uint16Array(slots + 1);
  const facts = prog.map((insn, i) => runs?.get(pcOf[i]!) ?? usesDefs(insn));
  for (const f of functions) {
    const pcs: number[] = [];
    for (let pc = f.start; pc < f.end; pc++) if (indexOf[pc]! >= 0) pcs.push(pc);
    const succ = pcs.map((pc) => {
      const i = indexOf[pc]!;
      const run = runs?.get(pc);
      if (run) return run.next < f.end ? [run.next] : [];
      return successors(prog[i]!, pc, pcOf[i + 1]! - pc, f);
    });
    for (let changed = true; changed;) {
      changed = false;
      for (let k = pcs.length - 1; k >= 0; k--) {
        const pc = pcs[k]!;
        let out = 0;
        for (const s of succ[k]!) out |= liveIn[s]!;
        const { uses, defs } = facts[indexOf[pc]!]!;
        const inn = uses | (out & ~defs);
        if (out !== liveOut[pc] || inn !== liveIn[pc]) {
          liveOut[pc] = out;
          liveIn[pc] = inn;
          changed = true;
        }
      }
    }
  }
  return { liveIn, liveOut };
}
