// Peephole fusions: short runs of eBPF instructions that x86-64 does in fewer instructions.
// clang's BPF back end writes what BPF has, and the JIT otherwise translates one to one:
//
//   lea      r2 = r10; r2 += -8                            → lea rsi, [rbp - 8]
//   load     r4 = *(u8 *)(r1 + 13); r2 = *(u8 *)(r1 + 12);
//            w2 <<= 8; w2 |= w4                            → movzx esi, word [rdi + 12]; rol si, 8
//            (any mix of byte/half/word loads from one base, shifted by whole bytes and or'ed
//            into 2, 4 or 8 consecutive bytes, in either byte order: one load, one bswap)
//   lea      w4 *= 5; w4 += -430675100                     → lea ecx, [rcx + rcx*4 - 430675100]
//            (a multiply by 3, 5 or 9, with or without the add: lea's latency is imul's third)
//   rotate   w5 = w4; w5 >>= 19; w4 <<= 13; w4 |= w5       → rol ecx, 13
//            (also with a multiply folded in, as clang writes rotl(k * C, s):
//            w5 = w4; w5 *= C << s; w4 *= C; w4 >>= 32 - s; w4 |= w5 → imul ecx, ecx, C; rol ecx, s)
//   store    byte copies and values stored byte by byte    → 2-, 4- and 8-byte moves (store-runs.ts)
//
// Loads may also have happened blocks earlier, through registers and stack spills: the run then
// starts from what provenance.ts knows at its first pc, and reloads the bytes through the base
// pointer (kept in a frame slot if its register has moved on).
//
// A run fuses only when no jump lands inside it and every register it writes, other than the
// ones the fused code produces, is dead after it (liveness.ts): the fused code writes those and
// nothing else (but scratch registers). Each matcher returns how many instructions it consumes.
import { AluOp as AluOp_, Class as Class_, Mode as Mode_, STACK_SIZE, Source as Source_, classOf as classOf_, modeOf as modeOf_, opOf as opOf_, sizeBytes as sizeBytes_, sizeOf as sizeOf_, sourceOf as sourceOf_ } from '../isa/opcode.ts';
import type { Instruction } from '../isa/instruction.ts';
import { Shift as Shift_, type Asm } from './encoder.ts';
import { TMP1, TMP2, TMP3, X, x86 as x86_ } from './regs.ts';
import { usesDefs as usesDefs_, type Run } from './liveness.ts';
import { bit, othersDead, runEffect, straight, straightRun, type Fusion, type PeepholeContext } from './fusion.ts';
import { storeRun } from './store-runs.ts';
import { mergedStores } from './store-merge.ts';
import { EMPTY, step, type Assembly, type MemByte, type State } from './provenance.ts';

// Imports copied into locals: under tsx every use of an imported binding is a getter call.
const AluOp = AluOp_, Class = Class_, Mode = Mode_, Source = Source_, classOf = classOf_, modeOf = modeOf_,
  opOf = opOf_, sizeBytes = sizeBytes_, sizeOf = sizeOf_, sourceOf = sourceOf_, Shift = Shift_,
  x86 = x86_, usesDefs = usesDefs_;

/**
 * The fusions of one function by the index of their first instruction, found in the order the
 * code is emitted, with frame slots assigned to the sites they need (SITE_SLOTS at most; a run
 * that would need more is left unfused). Planned whole before emission, because a run can
 * need a slot saved at a site that comes before it.
 */
export function planFusions(ctx: PeepholeContext, start: number, indexOf: readonly number[], slots: Map<number, number>, runs: Map<number, Run>): Map<number, Fusion> {
  const plan = new Map<number, Fusion>();
  for (let pc = start; pc < ctx.end; pc++) {
    const i = indexOf[pc]!;
    if (i < 0) continue;
    const fusion = findFusion(ctx, i);
    if (!fusion) continue;
    const missing = [...new Set(fusion.slots ?? [])].filter((site) => !slots.has(site));
    if (slots.size + missing.length > SITE_SLOTS) continue;
    for (const site of missing) slots.set(site, slots.size);
    plan.set(i, fusion);
    const own = runEffect(ctx.prog, i, fusion.count);
    runs.set(pc, { uses: fusion.uses ?? own.uses, defs: fusion.defs ?? own.defs, next: ctx.pcOf[i + fusion.count]! });
    pc = ctx.pcOf[i + fusion.count - 1]!;
  }
  return plan;
}

/** The fusion starting at instruction i, if any: the first pattern that matches (each picks its best run). */
export function findFusion(ctx: PeepholeContext, i: number): Fusion | undefined {
  return movAddAsLea(ctx, i) ?? scaledAdd(ctx, i) ?? rotate(ctx, i) ?? assembledLoad(ctx, i) ?? storeRun(ctx, i) ?? mergedStores(ctx, i);
}

// --- lea -----------------------------------------------------------------------------

/** `dst = src; dst += imm` (or `-= imm`) on 64 bits, dst != src: the operands of one lea. */
function movAddAsLea(ctx: PeepholeContext, i: number): Fusion | undefined {
  const first = ctx.prog[i]!, second = ctx.prog[i + 1];
  if (!second || first.opcode !== (Class.ALU64 | AluOp.MOV | Source.X) || first.off !== 0 || first.dst === first.src) return undefined;
  if (second.dst !== first.dst || !straight(ctx, i, 2)) return undefined;
  let disp: number;
  if (second.opcode === (Class.ALU64 | AluOp.ADD | Source.K)) disp = second.imm;
  else if (second.opcode === (Class.ALU64 | AluOp.SUB | Source.K) && second.imm !== -0x80000000) disp = -second.imm;
  else return undefined;
  return { kind: 'lea', count: 2, emit: (a) => a.lea(x86(first.dst), { base: x86(first.src), disp }) };
}

/** `x *= 3|5|9`, optionally followed by `x += imm` of the same width: one lea. */
function scaledAdd(ctx: PeepholeContext, i: number): Fusion | undefined {
  const mul = ctx.prog[i]!;
  const cls = classOf(mul.opcode);
  if ((cls !== Class.ALU && cls !== Class.ALU64) || mul.opcode !== (cls | AluOp.MUL | Source.K) || mul.off !== 0) return undefined;
  if (mul.imm !== 3 && mul.imm !== 5 && mul.imm !== 9) return undefined;
  const add = ctx.prog[i + 1];
  const fused = add !== undefined && add.opcode === (cls | AluOp.ADD | Source.K) && add.dst === mul.dst && add.off === 0 && straight(ctx, i, 2);
  const r = x86(mul.dst), scale = (mul.imm - 1) as 2 | 4 | 8, w = cls === Class.ALU64;
  const disp = fused ? add.imm : 0;
  return { kind: 'scaled-add', count: fused ? 2 : 1, emit: (a) => a.lea(r, { base: r, index: r, scale, disp }, w) };
}

// --- rotate ----------------------------------------------------------------------------

/** A register's value during a rotate run: (x * mul) >> shr, x being the source's value at the start. */
interface Term { mul: bigint; shr: number }

/**
 * `t = x`, then on t and x (in any order) multiplies by constants, one left or right shift
 * each, then `x |= t` or `t |= x`: a rotate of x times a constant when the shifts add up to
 * the width and the multipliers agree (see the file's head).
 */
function rotate(ctx: PeepholeContext, i: number): Fusion | undefined {
  const first = ctx.prog[i]!;
  const cls = classOf(first.opcode);
  if ((cls !== Class.ALU && cls !== Class.ALU64) || first.opcode !== (cls | AluOp.MOV | Source.X) || first.off !== 0) return undefined;
  const t = first.dst, x = first.src;
  if (t === x || t === 10 || x === 10) return undefined;
  const bits = cls === Class.ALU64 ? 64 : 32;
  const mask = (1n << BigInt(bits)) - 1n;
  const terms = new Map<number, Term>([[t, { mul: 1n, shr: 0 }], [x, { mul: 1n, shr: 0 }]]);
  for (let k = i + 1; k < i + 6 && k < ctx.prog.length; k++) {
    const insn = ctx.prog[k]!;
    const term = terms.get(insn.dst);
    if (!term || classOf(insn.opcode) !== cls) return undefined;
    if (insn.opcode === (cls | AluOp.OR | Source.X) && terms.has(insn.src) && insn.src !== insn.dst) {
      const other = terms.get(insn.src)!;
      const [plain, shifted] = term.shr === 0 ? [term, other] : [other, term];
      if (plain.shr !== 0 || shifted.shr === 0) return undefined;
      const amount = bits - shifted.shr;
      if (((shifted.mul << BigInt(amount)) & mask) !== plain.mul) return undefined;
      if (!straight(ctx, i, k - i + 1) || !othersDead(ctx, k, bit(t) | bit(x), insn.dst)) return undefined;
      // imul takes a sign-extended 32-bit immediate: the shifted term's multiplier must be one.
      const factor = BigInt.asIntN(bits, shifted.mul);
      if (factor < -0x80000000n || factor > 0x7fffffffn) return undefined;
      const result = x86(insn.dst), source = x86(x), w = bits === 64;
      return {
        kind: 'rotate',
        count: k - i + 1,
        emit: (a) => {
          if (factor !== 1n) a.imulRRI(result, source, Number(factor), w);
          else if (result !== source) a.movRR(result, source, w);
          a.shiftRI(Shift.ROL, result, amount, w);
        },
      };
    }
    const op = opOf(insn.opcode);
    if (sourceOf(insn.opcode) !== Source.K || insn.off !== 0 || term.shr !== 0) return undefined;
    if (op === AluOp.MUL) term.mul = (term.mul * BigInt.asUintN(bits, BigInt(insn.imm))) & mask;
    else if (op === AluOp.LSH && insn.imm > 0 && insn.imm < bits) term.mul = (term.mul << BigInt(insn.imm)) & mask;
    else if (op === AluOp.RSH && insn.imm > 0 && insn.imm < bits) term.shr = insn.imm;
    else return undefined;
  }
  return undefined;
}

// --- assembled loads ----------------------------------------------------------------------

const LONGEST_RUN = 24;
/** Frame slots for sites' base pointers, below each frame's 512 bytes (compile.ts reserves them). */
export const SITE_SLOTS = 4;

/**
 * Bytes of memory shifted by whole bytes and or'ed together until registers hold 2, 4 or 8
 * consecutive bytes, in memory order (one wider load) or reversed (a load and a byte swap).
 * The run is simulated from instruction i on (provenance.ts's step), starting from what the
 * dataflow knows at i: the bytes may have been loaded (and spilled) blocks earlier. It ends
 * where registers it wrote that are still live all hold such values; the run that saves the
 * most instructions wins. Each value's base comes from a register that still
 * holds it, or from the frame slot its site saved it to (planFusions assigns those).
 */
function assembledLoad(ctx: PeepholeContext, i: number): Fusion | undefined {
  const first = ctx.prog[i]!;
  const start = ctx.before?.[ctx.pcOf[i]!] ?? EMPTY;
  const fromMemory = classOf(first.opcode) === Class.LDX && first.src !== 10;
  if (!fromMemory && !start.regs.some((v) => v !== undefined) && start.slots.size === 0) return undefined; // nothing to assemble from
  let s = start;
  let written = 0;
  /** Sites first seen inside the run: their base register, unchanged since the run began. */
  const newSites = new Map<number, number>();
  const scratch = new Map<number, number>();
  let best: Fusion | undefined;
  let bestSaved = 0;
  for (const { k, insn, pc } of straightRun(ctx, i, LONGEST_RUN)) {
    const cls = classOf(insn.opcode);
    if (cls !== Class.LDX && cls !== Class.ALU && cls !== Class.ALU64) break;
    if (cls === Class.LDX && insn.src !== 10) {
      if ((written >> insn.src) & 1) break; // its base moved inside the run: the run's start does not have it
      if (s.holds[insn.src] === undefined) newSites.set(pc, insn.src);
    }
    s = step(s, insn, pc, scratch);
    written |= usesDefs(insn).defs;
    if (k - i + 1 < 3) continue;
    const plan = planLoads(ctx, s, written & ctx.liveOut[pc]!, start, newSites);
    // The run that saves the most instructions; on a tie the shorter, which leaves the rest to other fusions.
    const saved = plan ? k - i + 1 - plan.cost : 0;
    if (plan && saved > bestSaved) {
      best = { kind: 'load', count: k - i + 1, slots: plan.slots, uses: plan.uses, defs: written, emit: plan.emit };
      bestSaved = saved;
    }
  }
  return best;
}

/** How to produce every register in `results` from memory, or undefined when one of them is not such a value. */
function planLoads(ctx: PeepholeContext, s: State, results: number, start: State, newSites: ReadonlyMap<number, number>):
  { cost: number; slots: number[]; uses: number; emit: (a: Asm) => void } | undefined {
  const loads: { dst: number; site: number; off: number; bytes: 2 | 4 | 8; swap: boolean }[] = [];
  for (let r = 0; r < 10; r++) {
    if (!((results >> r) & 1)) continue;
    const shape = loadShape(s.regs[r]);
    if (!shape) return undefined;
    loads.push({ dst: r, ...shape });
  }
  if (loads.length === 0) return undefined;
  // Where each site's base comes from: a register (copied aside if a result overwrites it) or a frame slot.
  const sources = new Map<number, { reg?: number; slot?: true }>();
  for (const { site } of loads) {
    if (sources.has(site)) continue;
    const reg = newSites.get(site) ?? start.holds.findIndex((h) => h === site);
    if (reg >= 0) sources.set(site, { reg });
    else if (ctx.slots) sources.set(site, { slot: true });
    else return undefined;
  }
  // Loads that overwrite a base register go last; a base needs copying aside only if a load still
  // reads it after one of them wrote it (one load that reads and writes the same register does not).
  const baseRegs = new Set([...sources.values()].flatMap((src) => (src.reg === undefined ? [] : [src.reg])));
  loads.sort((p, q) => Number(baseRegs.has(p.dst)) - Number(baseRegs.has(q.dst)));
  const clobbered = (reg: number): boolean => loads.some((l, k) => l.dst === reg && loads.slice(k + 1).some((m) => sources.get(m.site)!.reg === reg));
  const staged = [...sources].filter(([, src]) => src.slot !== undefined || clobbered(src.reg!));
  if (staged.length > TEMPS.length) return undefined;
  const slotOf = (site: number): number => ctx.slots!.get(site)!;
  let uses = 0;
  for (const src of sources.values()) if (src.reg !== undefined) uses |= bit(src.reg);
  for (const reg of newSites.values()) uses |= bit(reg);
  return {
    cost: staged.length + loads.reduce((n, l) => n + (l.swap ? 2 : 1), 0),
    uses,
    slots: [...sources].filter(([, src]) => src.slot !== undefined).map(([site]) => site),
    emit: (a) => {
      // Sites first seen inside the run save their base first, as their own pc would have, when a
      // later run needs it (known once the function's fusions are all planned, before any emission).
      for (const [site, reg] of newSites) {
        const slot = ctx.slots?.get(site);
        if (slot !== undefined) a.store(8, frameSlot(slot), x86(reg));
      }
      const base = new Map<number, number>();
      staged.forEach(([site, src], t) => {
        const tmp = TEMPS[t]!;
        if (src.slot !== undefined) a.load(8, tmp, frameSlot(slotOf(site)));
        else a.movRR(tmp, x86(src.reg!), true);
        base.set(site, tmp);
      });
      for (const [site, src] of sources) if (!base.has(site)) base.set(site, x86(src.reg!));
      for (const l of loads) emitLoad(a, x86(l.dst), { base: base.get(l.site)!, disp: l.off }, l.bytes, l.swap);
    },
  };
}

const TEMPS = [TMP1, TMP2, TMP3];

/** Frame slot k for a site's base: below the frame's 512 bytes of eBPF stack, addressed from r10 (rbp). */
export const frameSlot = (k: number): { base: number; disp: number } => ({ base: X.RBP, disp: -STACK_SIZE - 8 * (k + 1) });

/** 2, 4 or 8 consecutive bytes of one site from byte 0 up, nothing above: which load (and swap) makes them. */
function loadShape(v: Assembly | undefined): { site: number; off: number; bytes: 2 | 4 | 8; swap: boolean } | undefined {
  if (!v) return undefined;
  const n = v.findIndex((b) => b === null);
  const bytes = n === -1 ? 8 : n;
  if ((bytes !== 2 && bytes !== 4 && bytes !== 8) || v.slice(bytes).some((b) => b !== null)) return undefined;
  const head = v.slice(0, bytes) as MemByte[];
  const first = head[0]!, last = head[bytes - 1]!;
  if (!head.every((b) => b.site === first.site)) return undefined;
  if (head.every((b, k) => b.off === first.off + k)) return { site: first.site, off: first.off, bytes, swap: false };
  if (head.every((b, k) => b.off === last.off + (bytes - 1 - k))) return { site: first.site, off: last.off, bytes, swap: true };
  return undefined;
}

function emitLoad(a: Asm, dst: number, mem: { base: number; disp: number }, bytes: 2 | 4 | 8, swap: boolean): void {
  a.load(bytes, dst, mem); // zero-extends: movzx for 2, a 32-bit mov for 4
  if (!swap) return;
  if (bytes === 2) a.shift16RI(Shift.ROL, dst, 8); // the upper 48 bits stay zero
  else a.bswap(dst, bytes === 8);
}

export type { Fusion, PeepholeContext } from './fusion.ts';
