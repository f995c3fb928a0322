// The context rewrite, until the verifier exists (jit/verifier will replace it:
// it knows every register's type). XDP programs read `struct xdp_md` fields as
// 32-bit loads through the ctx pointer; sluice passes a struct sluice_xdp_buff
// (dataplane/shim/xdp.h) instead, so each such load becomes a load of the
// matching xdp_buff field: data, data_end and data_meta are 64-bit pointers there.
//
// Which loads go through the ctx pointer is found by a forward dataflow over the
// control-flow graph: at every pc, each register and each 8-byte stack slot
// (spills and fills through r10) is ctx, other, or mixed (ctx on some incoming
// paths and not on others). The states only climb that lattice, so the worklist
// reaches a fixed point. A load through a mixed register is an error.
import { AluOp as AluOp_, Class as Class_, JmpOp as JmpOp_, Mode as Mode_, PseudoCall as PseudoCall_, PseudoLd as PseudoLd_, Size as Size_, Source as Source_, classOf as classOf_, modeOf as modeOf_, opOf as opOf_, sizeBytes as sizeBytes_, sizeOf as sizeOf_, sourceOf as sourceOf_, R10 as R10_ } from '../isa/opcode.ts';
import { layout, type Instruction, type Program } from '../isa/instruction.ts';
import { JitError } from './errors.ts';

// Imports copied into locals: under tsx every use of an imported binding is a getter
// call, which the per-instruction paths of the JIT feel (compile time).
const AluOp = AluOp_, Class = Class_, JmpOp = JmpOp_, Mode = Mode_, PseudoCall = PseudoCall_, PseudoLd = PseudoLd_, Size = Size_, Source = Source_, classOf = classOf_, modeOf = modeOf_, opOf = opOf_, sizeBytes = sizeBytes_, sizeOf = sizeOf_, sourceOf = sourceOf_, R10 = R10_;
type AluOp = AluOp_;
type Class = Class_;
type JmpOp = JmpOp_;
type Mode = Mode_;
type PseudoCall = PseudoCall_;
type PseudoLd = PseudoLd_;
type Size = Size_;
type Source = Source_;

/** xdp_md field offset → the load that replaces a 4-byte load of it (xdp.h's table). */
export const XDP_MD_REWRITES: ReadonlyMap<number, { size: Size; off: number; field: string }> = new Map([
  [0, { size: Size.DW, off: 0, field: 'data' }],
  [4, { size: Size.DW, off: 8, field: 'data_end' }],
  [8, { size: Size.DW, off: 16, field: 'data_meta' }],
  [12, { size: Size.W, off: 40, field: 'ingress_ifindex' }],
  [16, { size: Size.W, off: 44, field: 'rx_queue_index' }],
  [20, { size: Size.W, off: 48, field: 'egress_ifindex' }],
]);

const CTX = 1, OTHER = 2, MIXED = 3; // 0: not reached
type Kind = number;
const join = (a: Kind, b: Kind): Kind => (a === 0 ? b : b === 0 || a === b ? a : MIXED);
const NREGS = 11;

/**
 * The state at one pc: registers, and the stack slots (by r10 offset) that hold ctx or a
 * mixed value. Slot maps are shared between pcs and copied on write (`owned`): most
 * instructions do not touch them.
 */
interface State { regs: Uint8Array; slots: Map<number, Kind> | undefined; owned: boolean }

function ownSlots(s: State): Map<number, Kind> {
  if (!s.owned || !s.slots) { s.slots = new Map(s.slots); s.owned = true; }
  return s.slots;
}

/** Joins `from` into the state stored at `regs[base..base+11)` and `slots[pc]`; true when it changed. */
function joinAt(regs: Uint8Array, slotsAt: (Map<number, Kind> | undefined)[], pc: number, from: State): boolean {
  let changed = false;
  const base = pc * NREGS;
  const first = regs[base] === 0; // never reached before: take the state as it is
  for (let r = 0; r < NREGS; r++) {
    const j = join(regs[base + r]!, from.regs[r]!);
    if (j !== regs[base + r]) { regs[base + r] = j; changed = true; }
  }
  const mine = slotsAt[pc];
  if (first) {
    slotsAt[pc] = from.slots && from.slots.size > 0 ? from.slots : undefined; // shared: never written in place
    return true;
  }
  if (mine === from.slots || (mine === undefined && (from.slots === undefined || from.slots.size === 0))) return changed;
  // Keys missing on one side are OTHER there; a copy is made only when something changes.
  let into: Map<number, Kind> | undefined;
  const keys = new Set<number>(mine?.keys());
  if (from.slots) for (const key of from.slots.keys()) keys.add(key);
  for (const key of keys) {
    const old = (into ?? mine)?.get(key) ?? OTHER;
    const j = join(old, from.slots?.get(key) ?? OTHER);
    if (j === old) continue;
    into ??= new Map(mine);
    into.set(key, j);
  }
  if (into === undefined) return changed;
  slotsAt[pc] = into;
  return true;
}

function clobberStack(s: State, off: number, size: number): void {
  if (!s.slots) return;
  for (const key of s.slots.keys()) {
    if (key < off + size && off < key + 8) { ownSlots(s).delete(key); }
  }
}

/** Returns the program with its xdp_md loads rewritten (the same layout: one slot for one slot). */
export function rewriteContextAccess(program: Program): Instruction[] {
  const { pcOf, indexOf } = layout(program);
  const slots = pcOf[program.length]!;
  const regs = new Uint8Array(slots * NREGS); // all 0: not reached
  const slotsAt: (Map<number, Kind> | undefined)[] = new Array(slots);
  const dirty = new Uint8Array(slots);
  let again = false; // a back edge changed a state already swept: sweep once more
  const flow = (from: number, pc: number, s: State): void => {
    if (pc < 0 || pc >= slots || indexOf[pc] === -1) return; // bad targets are the JIT's to report
    if (joinAt(regs, slotsAt, pc, s)) {
      dirty[pc] = 1;
      if (pc <= from) again = true;
    }
  };
  const fresh = (): State => ({ regs: new Uint8Array(NREGS).fill(OTHER), slots: undefined, owned: true });
  const entry = fresh();
  entry.regs[1] = CTX;
  flow(-1, 0, entry);
  const s: State = { regs: new Uint8Array(NREGS), slots: undefined, owned: false };
  // Sweeps in pc order: forward edges settle in the same sweep, back edges ask for another.
  do {
    again = false;
    for (let pc = 0; pc < slots; pc++) {
      if (!dirty[pc]) continue;
      dirty[pc] = 0;
      const insn = program[indexOf[pc]!]!;
      for (let r = 0, b = pc * NREGS; r < NREGS; r++) s.regs[r] = regs[b + r]!;
      s.slots = slotsAt[pc];
      s.owned = false;
      step(insn, pc, s, flow, fresh);
    }
  } while (again);
  return program.map((insn, i) => {
    const pc = pcOf[i]!;
    if (regs[pc * NREGS] === 0) return insn; // unreachable
    return rewrite(insn, regs.subarray(pc * NREGS, pc * NREGS + NREGS), pc);
  });
}

type Flow = (from: number, pc: number, s: State) => void;

/** Applies one instruction to `s` and passes the result to its successors. */
function step(insn: Instruction, pc: number, s: State, flow: Flow, fresh: () => State): void {
  const next = pc + (insn.opcode === (Class.LD | Mode.IMM | Size.DW) ? 2 : 1);
  const cls = classOf(insn.opcode);
  if (cls === Class.JMP || cls === Class.JMP32) {
    const op = opOf(insn.opcode);
    if (op === JmpOp.EXIT) return;
    if (op === JmpOp.CALL) {
      if (sourceOf(insn.opcode) === Source.K && insn.src === PseudoCall.LOCAL) {
        const callee = fresh();
        for (let r = 1; r <= 5; r++) callee.regs[r] = s.regs[r]!;
        flow(pc, pc + 1 + insn.imm, callee);
      }
      for (let r = 0; r <= 5; r++) s.regs[r] = OTHER;
      return flow(pc, next, s);
    }
    if (op === JmpOp.JA) return flow(pc, pc + 1 + (cls === Class.JMP ? insn.off : insn.imm), s);
    flow(pc, pc + 1 + insn.off, s);
    return flow(pc, next, s);
  }
  transfer(insn, s);
  if (cls === Class.LD && insn.src === PseudoLd.FUNC) flow(pc, pc + 1 + insn.imm, fresh()); // a callback's entry
  flow(pc, next, s);
}

function transfer(insn: Instruction, s: State): void {
  const cls = classOf(insn.opcode);
  const size = sizeBytes(sizeOf(insn.opcode));
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      const copy = cls === Class.ALU64 && opOf(insn.opcode) === AluOp.MOV && sourceOf(insn.opcode) === Source.X && insn.off === 0;
      s.regs[insn.dst] = copy ? s.regs[insn.src]! : OTHER; // arithmetic on the ctx pointer makes it something else
      return;
    }
    case Class.LD:
      s.regs[insn.dst] = OTHER;
      return;
    case Class.LDX: {
      const fill = insn.src === R10 && size === 8 && modeOf(insn.opcode) === Mode.MEM;
      s.regs[insn.dst] = fill ? (s.slots?.get(insn.off) ?? OTHER) : OTHER;
      return;
    }
    case Class.ST:
    case Class.STX:
      if (insn.dst === R10) {
        clobberStack(s, insn.off, size);
        if (cls === Class.STX && modeOf(insn.opcode) === Mode.MEM && size === 8 && s.regs[insn.src] !== OTHER) {
          ownSlots(s).set(insn.off, s.regs[insn.src]!); // a spill of ctx (or of a mixed register)
        }
      }
      if (cls === Class.STX && modeOf(insn.opcode) === Mode.ATOMIC) {
        if (insn.imm & 1) s.regs[insn.imm === 0xf1 ? 0 : insn.src] = OTHER; // fetch forms write a register
      }
      return;
  }
}

function rewrite(insn: Instruction, regs: Uint8Array, pc: number): Instruction {
  const cls = classOf(insn.opcode);
  if (cls !== Class.LDX && cls !== Class.ST && cls !== Class.STX) return insn;
  const base = cls === Class.LDX ? insn.src : insn.dst;
  const kind = regs[base];
  if (kind === OTHER) return insn;
  if (kind === MIXED) {
    throw new JitError(`r${base} holds the context pointer on some paths to this access and something else on others`, pc);
  }
  if (cls !== Class.LDX) throw new JitError(`write into the context (xdp_md is read-only) through r${base}`, pc);
  const size = sizeBytes(sizeOf(insn.opcode));
  const to = XDP_MD_REWRITES.get(insn.off);
  if (to === undefined || size !== 4 || modeOf(insn.opcode) !== Mode.MEM) {
    throw new JitError(`invalid access to xdp_md: ${size} bytes at offset ${insn.off} (fields are 4-byte, at 0-20)`, pc);
  }
  return { ...insn, opcode: Class.LDX | Mode.MEM | to.size, off: to.off };
}
