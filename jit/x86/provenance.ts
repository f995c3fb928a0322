// Byte provenance: which registers and stack slots hold bytes of memory, and from where.
// clang's BPF back end assembles big-endian fields byte by byte, and often loads the bytes
// in one block, spills some to the stack, and shifts and ors them together blocks later,
// after the base pointer has moved on. A forward dataflow over each function tracks, at
// every pc, each register's and each 4/8-byte stack slot's value as an Assembly: byte k of
// the value is a byte of memory [base of site S + off], or zero, or the value is unknown.
//
// A site is the pc of the first load from a base register since that register was last
// written; later loads from the same register value share it. When a fusion needs a site's
// base after the register has changed, the compiler saves it into a frame slot at the site
// (compile.ts). Anything that may write memory (a store other than to r10, an atomic, a
// call) forgets every assembly: re-reading the bytes later would not give what was loaded.
// A site's pc running again (a loop) forgets what its previous run loaded.
import { AluOp as AluOp_, Class as Class_, JmpOp as JmpOp_, LDDW as LDDW_, Mode as Mode_, Source as Source_, classOf as classOf_, modeOf as modeOf_, opOf as opOf_, sizeBytes as sizeBytes_, sizeOf as sizeOf_, sourceOf as sourceOf_ } from '../isa/opcode.ts';
import type { Instruction, Program } from '../isa/instruction.ts';
import { successors as successors_, usesDefs as usesDefs_ } from './liveness.ts';
import type { Func } from './analysis.ts';

// Imports copied into locals: under tsx every use of an imported binding is a getter call.
const AluOp = AluOp_, Class = Class_, JmpOp = JmpOp_, LDDW = LDDW_, Mode = Mode_, Source = Source_, classOf = classOf_, modeOf = modeOf_, opOf = opOf_,
  sizeBytes = sizeBytes_, sizeOf = sizeOf_, sourceOf = sourceOf_, usesDefs = usesDefs_, successors = successors_;

/** A byte of memory: [the base register's value at site `site` + off]. */
export interface MemByte { site: number; off: number }
/** A value made of memory bytes: entry k is byte k (0 least significant), null for a zero byte. Always 8 entries. */
export type Assembly = ByteVector<MemByte>;

/** What is known before an instruction runs. */
export interface State {
  /** r0-r9. */
  regs: readonly (Assembly | undefined)[];
  /** Stack slots [r10 + off] of 4 or 8 bytes, by slotKey. */
  slots: ReadonlyMap<number, Assembly>;
  /** holds[r]: the site whose base value register r still holds. */
  holds: readonly (number | undefined)[];
}

export const EMPTY: State = { regs: [], slots: new Map(), holds: [] };
const slotKey = (off: number, size: number): number => off * 16 + size;

/** The base register of each site, by site pc (filled as sites are found). */
export type SiteBases = Map<number, number>;

/** The state after one instruction (pure: `s` is not changed). */
export function step(s: State, insn: Instruction, pc: number, bases: SiteBases, opaque?: ReadonlyMap<number, unknown>): State {
  const cls = classOf(insn.opcode);
  const { defs } = usesDefs(insn);
  if (cls === Class.LDX) return opaque?.has(pc) ? written(s, insn.dst, undefined) : afterLoad(s, insn, pc, bases, defs);
  if (cls === Class.ALU || cls === Class.ALU64) return written(s, insn.dst, combined(insn, s.regs));
  if (cls === Class.ST || cls === Class.STX) {
    if (insn.dst !== 10 || modeOf(insn.opcode) !== Mode.MEM) return forgetMemory(s, defs);
    // A stack store: drop the slots it overlaps, then record what a 4- or 8-byte register store put there.
    const size = sizeBytes(sizeOf(insn.opcode));
    const slots = new Map([...s.slots].filter(([key]) => {
      const off = Math.floor(key / 16), len = key - off * 16;
      return off + len <= insn.off || insn.off + size <= off;
    }));
    const value = cls === Class.STX ? s.regs[insn.src] : undefined;
    if (value && (size === 4 || size === 8) && value.every((b, k) => k < size || b === null)) slots.set(slotKey(insn.off, size), value);
    return { ...s, slots };
  }
  if (cls === Class.JMP || cls === Class.JMP32) {
    if (opOf(insn.opcode) !== JmpOp.CALL) return s;
    return forgetMemory(s, defs); // helpers may write the memory they are given
  }
  if (insn.opcode === LDDW) return written(s, insn.dst, undefined);
  return forgetMemory(s, defs); // legacy packet loads: treat as the worst
}

function afterLoad(s: State, insn: Instruction, pc: number, bases: SiteBases, defs: number): State {
  if (insn.src === 10) {
    const size = sizeBytes(sizeOf(insn.opcode));
    const value = modeOf(insn.opcode) === Mode.MEM ? s.slots.get(slotKey(insn.off, size)) : undefined;
    return written(s, insn.dst, value);
  }
  if (modeOf(insn.opcode) !== Mode.MEM || insn.src > 9) return forgetMemory(s, defs);
  let site = s.holds[insn.src];
  let state = s;
  if (site === undefined) { // a new site: what an earlier run of this pc loaded is stale now
    site = pc;
    bases.set(pc, insn.src);
    state = forgetSite(s, pc);
    const holds = [...state.holds];
    holds[insn.src] = pc;
    state = { ...state, holds };
  }
  const bytes = sizeBytes(sizeOf(insn.opcode));
  const value: (MemByte | null)[] = new Array(8).fill(null);
  for (let b = 0; b < bytes; b++) value[b] = { site, off: insn.off + b };
  return written(state, insn.dst, value);
}

/** dst gets `value`; whatever site dst held is no longer in a register. */
function written(s: State, dst: number, value: Assembly | undefined): State {
  const regs = [...s.regs];
  regs[dst] = value;
  const holds = s.holds[dst] === undefined ? s.holds : s.holds.map((h, r) => (r === dst ? undefined : h));
  return { regs, slots: s.slots, holds };
}

/** Memory may have changed: no assembly survives; registers in `defs` hold nothing known. */
function forgetMemory(s: State, defs: number): State {
  return { regs: [], slots: new Map(), holds: s.holds.map((h, r) => ((defs >> r) & 1 ? undefined : h)) };
}

function forgetSite(s: State, site: number): State {
  const stale = (v: Assembly | undefined): boolean => v !== undefined && v.some((b) => b !== null && b.site === site);
  if (!s.regs.some(stale) && ![...s.slots.values()].some(stale)) return s;
  return {
    regs: s.regs.map((v) => (stale(v) ? undefined : v)),
    slots: new Map([...s.slots].filter(([, v]) => !stale(v))),
    holds: s.holds,
  };
}

/** A value byte by byte (0 least significant; null: a zero byte); always 8 entries. */
export type ByteVector<T> = readonly (T | null)[];

/**
 * The value an ALU instruction leaves in its destination when it only moves whole bytes of
 * known values (mov, shifts by multiples of 8, or of disjoint bytes); undefined otherwise.
 * Shared by the byte dataflow here (bytes of memory) and store-runs.ts (bytes of registers).
 */
export function combined<T>(insn: Instruction, regs: readonly (ByteVector<T> | undefined)[]): ByteVector<T> | undefined {
  const w = classOf(insn.opcode) === Class.ALU64 ? 8 : 4;
  const op = opOf(insn.opcode);
  const x = sourceOf(insn.opcode) === Source.X;
  const dst = regs[insn.dst];
  if (insn.off !== 0) return undefined;
  if (op === AluOp.MOV && x) return truncate(regs[insn.src], w);
  if (op === AluOp.OR && x) return disjointOr(truncate(dst, w), truncate(regs[insn.src], w));
  if ((op === AluOp.LSH || op === AluOp.RSH) && !x && insn.imm % 8 === 0 && insn.imm >= 0 && insn.imm < w * 8 && dst) {
    const by = (op === AluOp.LSH ? 1 : -1) * (insn.imm / 8);
    const src = truncate(dst, w)!;
    return Array.from({ length: 8 }, (_, b) => (b < w && b - by >= 0 && b - by < 8 ? src[b - by]! : null));
  }
  return undefined;
}

function truncate<T>(v: ByteVector<T> | undefined, w: number): ByteVector<T> | undefined {
  return v && v.map((b, k) => (k < w ? b : null));
}

function disjointOr<T>(p: ByteVector<T> | undefined, q: ByteVector<T> | undefined): ByteVector<T> | undefined {
  if (!p || !q) return undefined;
  const out: (T | null)[] = [];
  for (let b = 0; b < 8; b++) {
    if (p[b] && q[b]) return undefined;
    out.push(p[b] ?? q[b] ?? null);
  }
  return out;
}

const sameBytes = (p: Assembly | undefined, q: Assembly | undefined): boolean =>
  p === q || (p !== undefined && q !== undefined && p.every((b, k) => {
    const c = q[k];
    return b === c || (b !== null && c !== null && c !== undefined && b.site === c.site && b.off === c.off);
  }));

/** What is known where two paths meet: what both agree on. */
export function merge(p: State, q: State): State {
  if (p === q) return p;
  const regs: (Assembly | undefined)[] = [];
  for (let r = 0; r < 10; r++) regs[r] = sameBytes(p.regs[r], q.regs[r]) ? p.regs[r] : undefined;
  const slots = new Map([...p.slots].filter(([key, v]) => sameBytes(v, q.slots.get(key))));
  const holds: (number | undefined)[] = [];
  for (let r = 0; r < 10; r++) holds[r] = p.holds[r] === q.holds[r] ? p.holds[r] : undefined;
  return { regs, slots, holds };
}

const sameState = (p: State, q: State): boolean => {
  for (let r = 0; r < 10; r++) if (!sameBytes(p.regs[r], q.regs[r]) || p.holds[r] !== q.holds[r]) return false;
  return p.slots.size === q.slots.size && [...p.slots].every(([key, v]) => sameBytes(v, q.slots.get(key)));
};

/**
 * The state before every instruction of each function (undefined where no path reaches), and
 * the base register of every site. Iterated to a fixed point: values only ever become less known.
 * Loads at `opaque` pcs (descriptor.ts context loads) do not hold the memory they name: unknown values.
 */
export function provenance(prog: Program, pcOf: readonly number[], indexOf: readonly number[], functions: readonly Func[],
  opaque?: ReadonlyMap<number, unknown>):
  { before: (State | undefined)[]; bases: SiteBases } {
  const before: (State | undefined)[] = [];
  const bases: SiteBases = new Map();
  for (const f of functions) {
    before[f.start] = EMPTY;
    for (let changed = true; changed;) {
      changed = false;
      for (let pc = f.start; pc < f.end; pc++) {
        const i = indexOf[pc]!;
        const state = before[pc];
        if (i < 0 || state === undefined) continue;
        const insn = prog[i]!;
        const out = step(state, insn, pc, bases, opaque);
        for (const next of successors(insn, pc, pcOf[i + 1]! - pc, f)) {
          const old = before[next];
          const merged = old === undefined ? out : merge(old, out);
          if (old === undefined || !sameState(old, merged)) { before[next] = merged; changed = true; }
        }
      }
    }
  }
  return { before, bases };
}
