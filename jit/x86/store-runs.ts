// Store runs: bytes written one or two at a time that x86 writes four or eight at a time.
// clang lowers memcpy of a MAC address, and a value written into a packet in network order,
// to byte loads, shifts and byte stores:
//
//   r2 = *(u8 *)(r1 + 8); *(u8 *)(r1 + 2) = r2; r2 = *(u8 *)(r1 + 9); *(u8 *)(r1 + 3) = r2 …
//                                        → mov r11d, [rdi + 6]; mov [rdi], r11d; movzx … (a copy)
//   r2 = *(u32 *)(r10 - 8); w3 = w2; w3 >>= 16; *(u8 *)(r1 + 8) = r3; … *(u8 *)(r1 + 7) = r2
//                                        → mov r11d, [rbp - 8]; mov [rdi + 6], r11d
//
// A run is simulated byte by byte: every byte a store writes is either byte k of a register's
// value at the run's start, memory as it was at the run's start, or zero. The fused code
// loads every memory source first, then writes each destination byte once, in the widest
// pieces whose sources are consecutive. That is the run's effect when: all stores go through
// one base register and no load reads memory an earlier store of the run wrote (loads through
// another base than the stores' end the run before they come: they might alias), no base
// changes inside the run, and every register the run writes is dead after it.
import { Class as Class_, Mode as Mode_, Size as Size_, classOf as classOf_, modeOf as modeOf_, sizeBytes as sizeBytes_, sizeOf as sizeOf_ } from '../isa/opcode.ts';
import { Shift as Shift_, type Asm } from './encoder.ts';
import { TMP1 as TMP1_, TMP2 as TMP2_, TMP3 as TMP3_, x86 as x86_ } from './regs.ts';
import { usesDefs as usesDefs_ } from './liveness.ts';
import { combined as combined_, type ByteVector } from './provenance.ts';
import { bit as bit_, straightRun as straightRun_, type Fusion, type PeepholeContext } from './fusion.ts';

// Imports copied into locals: under tsx every use of an imported binding is a getter call.
const Class = Class_, Mode = Mode_, Size = Size_, classOf = classOf_, modeOf = modeOf_,
  sizeBytes = sizeBytes_, sizeOf = sizeOf_, x86 = x86_, usesDefs = usesDefs_, Shift = Shift_,
  TMP1 = TMP1_, TMP2 = TMP2_, TMP3 = TMP3_, bit = bit_, straightRun = straightRun_, combined = combined_;

/** Where a byte comes from: byte k of register r's value at the run's start, or [base + off] at the run's start. */
type ByteSource = { reg: number; k: number } | { base: number; off: number };
/** A register's value during the run, byte by byte. */
type Bytes = ByteVector<ByteSource>;

const LONGEST_RUN = 32;
const START_VALUES: Bytes[] = Array.from({ length: 10 }, (_, r) => Array.from({ length: 8 }, (_, k) => ({ reg: r, k })));
const startValue = (r: number): Bytes => START_VALUES[r]!;
const MEMORY_SOURCES = 3; // scratch registers that hold loaded pieces until they are stored

export function storeRun(ctx: PeepholeContext, i: number): Fusion | undefined {
  const first = ctx.prog[i]!;
  const cls0 = classOf(first.opcode);
  // A copy or a value stored piecewise starts with a load or store narrower than 8 bytes.
  if ((cls0 !== Class.LDX && cls0 !== Class.STX) || sizeOf(first.opcode) === Size.DW) return undefined;
  const regs: (Bytes | undefined)[] = Array.from({ length: 10 }, (_, r) => startValue(r));
  const written = new Map<number, ByteSource | null>(); // destination offset from the stores' base → its byte
  let storeBase: number | undefined;
  let changed = 0; // registers the run writes
  let best: Fusion | undefined;
  let bestSaved = 0;
  for (const { k, insn, pc } of straightRun(ctx, i, LONGEST_RUN)) {
    const cls = classOf(insn.opcode);
    if (cls === Class.LDX) {
      if (modeOf(insn.opcode) !== Mode.MEM || (changed >> insn.src) & 1) break;
      const size = sizeBytes(sizeOf(insn.opcode));
      if (storeBase !== undefined && storeBase !== insn.src) break; // might read what a store through another pointer wrote
      for (let b = 0; b < size; b++) if (written.has(insn.off + b) && storeBase === insn.src) return best; // reads a stored byte
      regs[insn.dst] = Array.from({ length: 8 }, (_, b) => (b < size ? { base: insn.src, off: insn.off + b } : null));
    } else if (cls === Class.STX && modeOf(insn.opcode) === Mode.MEM) {
      const value = regs[insn.src];
      if (!value || (changed >> insn.dst) & 1 || (storeBase !== undefined && storeBase !== insn.dst)) break;
      storeBase = insn.dst;
      const size = sizeBytes(sizeOf(insn.opcode));
      for (let b = 0; b < size; b++) written.set(insn.off + b, value[b]!);
    } else if (cls === Class.ALU || cls === Class.ALU64) {
      regs[insn.dst] = combined(insn, regs);
    } else {
      break;
    }
    changed |= usesDefs(insn).defs;
    if (written.size === 0 || (changed & ctx.liveOut[pc]!) !== 0) continue; // nothing stored yet, or a register it wrote is read later
    const plan = pieces(written);
    if (!plan) continue;
    const cost = plan.reduce((n, p) => n + ('base' in p.from ? 2 : 'reg' in p.from && p.from.k > 0 ? 3 : 1), 0);
    const saved = k - i + 1 - cost;
    if (saved > bestSaved && plan.filter((p) => 'base' in p.from).length <= MEMORY_SOURCES) {
      const base = storeBase!, count = k - i + 1;
      let uses = bit(base);
      for (const p of plan) uses |= 'base' in p.from ? bit(p.from.base) : 'reg' in p.from ? bit(p.from.reg) : 0;
      best = { kind: 'store', count, uses, defs: changed, emit: (a) => emitPieces(a, x86(base), plan) };
      bestSaved = saved;
    }
  }
  return best;
}

/** A store of `size` bytes at [stores' base + dst], from consecutive source bytes starting at `from` (or zeros). */
interface Piece { dst: number; size: 1 | 2 | 4 | 8; from: ByteSource | { zero: true } }

/** The destination bytes cut into the widest pieces whose sources are consecutive. */
function pieces(written: ReadonlyMap<number, ByteSource | null>): Piece[] | undefined {
  const offs = [...written.keys()].sort((p, q) => p - q);
  const out: Piece[] = [];
  for (let n = 0; n < offs.length;) {
    let size: 1 | 2 | 4 | 8 = 8;
    while (size > 1 && !consecutive(written, offs[n]!, size)) size = (size / 2) as 1 | 2 | 4;
    const src = written.get(offs[n]!)!;
    out.push({ dst: offs[n]!, size, from: src ?? { zero: true } });
    n += size;
  }
  return out;
}

/** Bytes dst .. dst+size-1 are all written, from consecutive bytes of one source (or all zero). */
function consecutive(written: ReadonlyMap<number, ByteSource | null>, dst: number, size: number): boolean {
  const first = written.get(dst);
  for (let b = 0; b < size; b++) {
    if (!written.has(dst + b)) return false;
    const s = written.get(dst + b)!;
    if (first === null || s === null) { if (first !== s) return false; continue; }
    if (first === undefined) return false;
    if ('reg' in first) { if (!('reg' in s) || s.reg !== first.reg || s.k !== first.k + b) return false; }
    else if ('reg' in s || s.base !== first.base || s.off !== first.off + b) return false;
  }
  return true;
}

function emitPieces(a: Asm, base: number, plan: readonly Piece[]): void {
  // Memory sources first, all of them: the run's loads read memory as it was before its stores.
  const temps = [TMP1, TMP2, TMP3];
  const loaded = new Map<Piece, number>();
  for (const p of plan) {
    if (!('base' in p.from)) continue;
    const t = temps[loaded.size]!;
    a.load(p.size, t, { base: x86(p.from.base), disp: p.from.off });
    loaded.set(p, t);
  }
  // Then the stores, loaded pieces first so that TMP1 is free for shifting: each byte is written once, in any order.
  for (const p of [...loaded.keys(), ...plan.filter((q) => !loaded.has(q))]) {
    const mem = { base, disp: p.dst };
    const from = p.from;
    if ('zero' in from) a.storeImm(p.size, mem, 0);
    else if ('base' in from) a.store(p.size, mem, loaded.get(p)!);
    else if (from.k === 0) a.store(p.size, mem, x86(from.reg));
    else { // from byte k on: a shifted copy
      a.movRR(TMP1, x86(from.reg), true);
      a.shiftRI(Shift.SHR, TMP1, 8 * from.k, true);
      a.store(p.size, mem, TMP1);
    }
  }
}
