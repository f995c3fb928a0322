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
import { AluOp, Class, JmpOp, Mode, PseudoCall, PseudoLd, Size, Source, classOf, modeOf, opOf, sizeBytes, sizeOf, sourceOf, R10 } from '../isa/opcode.ts';
import { layout, type Instruction, type Program } from '../isa/instruction.ts';
import { JitError } from './errors.ts';

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

interface State { regs: Uint8Array; slots: Map<number, Kind> }

function joinInto(into: State, from: State): boolean {
  let changed = false;
  for (let r = 0; r < into.regs.length; r++) {
    const j = join(into.regs[r]!, from.regs[r]!);
    if (j !== into.regs[r]) { into.regs[r] = j; changed = true; }
  }
  for (const key of new Set([...into.slots.keys(), ...from.slots.keys()])) {
    const j = join(into.slots.get(key) ?? OTHER, from.slots.get(key) ?? OTHER);
    if (j !== (into.slots.get(key) ?? OTHER)) { into.slots.set(key, j); changed = true; }
  }
  return changed;
}

const clone = (s: State): State => ({ regs: s.regs.slice(), slots: new Map(s.slots) });
const fresh = (): State => ({ regs: new Uint8Array(11).fill(OTHER), slots: new Map() });

function clobberStack(s: State, off: number, size: number): void {
  for (const key of [...s.slots.keys()]) if (key < off + size && off < key + 8) s.slots.delete(key);
}

/** Returns the program with its xdp_md loads rewritten (the same layout: one slot for one slot). */
export function rewriteContextAccess(program: Program): Instruction[] {
  const { pcOf, indexOf } = layout(program);
  const slots = pcOf[program.length]!;
  const at = (pc: number): Instruction | undefined => (indexOf[pc] ?? -1) >= 0 ? program[indexOf[pc]!] : undefined;
  const states: (State | undefined)[] = new Array(slots);
  const work: number[] = [];
  const flow = (pc: number, s: State): void => {
    if (pc < 0 || pc >= slots || at(pc) === undefined) return; // bad targets are the JIT's to report
    const old = states[pc];
    if (old === undefined) { states[pc] = clone(s); work.push(pc); } else if (joinInto(old, s)) work.push(pc);
  };
  const entry = fresh();
  entry.regs[1] = CTX;
  flow(0, entry);
  while (work.length > 0) {
    const pc = work.pop()!;
    const insn = at(pc)!;
    const s = clone(states[pc]!);
    const next = pc + (insn.opcode === (Class.LD | Mode.IMM | Size.DW) ? 2 : 1);
    const cls = classOf(insn.opcode);
    if (cls === Class.JMP || cls === Class.JMP32) {
      const op = opOf(insn.opcode);
      if (op === JmpOp.EXIT) continue;
      if (op === JmpOp.CALL) {
        if (sourceOf(insn.opcode) === Source.K && insn.src === PseudoCall.LOCAL) {
          const callee = fresh();
          for (let r = 1; r <= 5; r++) callee.regs[r] = s.regs[r]!;
          flow(pc + 1 + insn.imm, callee);
        }
        for (let r = 0; r <= 5; r++) s.regs[r] = OTHER;
        flow(next, s);
        continue;
      }
      if (op === JmpOp.JA) { flow(pc + 1 + (cls === Class.JMP ? insn.off : insn.imm), s); continue; }
      flow(pc + 1 + insn.off, s);
      flow(next, s);
      continue;
    }
    transfer(insn, s);
    if (cls === Class.LD && insn.src === PseudoLd.FUNC) flow(pc + 1 + insn.imm, fresh()); // a callback's entry
    flow(next, s);
  }
  return program.map((insn, i) => {
    const s = states[pcOf[i]!];
    return s === undefined ? insn : rewrite(insn, s, pcOf[i]!);
  });
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
      s.regs[insn.dst] = fill ? (s.slots.get(insn.off) ?? OTHER) : OTHER;
      return;
    }
    case Class.ST:
    case Class.STX:
      if (insn.dst === R10) {
        clobberStack(s, insn.off, size);
        if (cls === Class.STX && modeOf(insn.opcode) === Mode.MEM && size === 8 && s.regs[insn.src] !== OTHER) {
          s.slots.set(insn.off, s.regs[insn.src]!); // a spill of ctx (or of a mixed register)
        }
      }
      if (cls === Class.STX && modeOf(insn.opcode) === Mode.ATOMIC) {
        if (insn.imm & 1) s.regs[insn.imm === 0xf1 ? 0 : insn.src] = OTHER; // fetch forms write a register
      }
      return;
  }
}

function rewrite(insn: Instruction, s: State, pc: number): Instruction {
  const cls = classOf(insn.opcode);
  if (cls !== Class.LDX && cls !== Class.ST && cls !== Class.STX) return insn;
  const base = cls === Class.LDX ? insn.src : insn.dst;
  const kind = s.regs[base];
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
