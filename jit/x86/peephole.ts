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
//
// A run fuses only when no jump lands inside it and every register it writes, other than the
// one the fused code produces, is dead after it (liveness.ts): the fused code writes that one
// register and nothing else. Each matcher returns the number of instructions it consumes.
import { AluOp as AluOp_, Class as Class_, Mode as Mode_, Source as Source_, classOf as classOf_, modeOf as modeOf_, opOf as opOf_, sizeBytes as sizeBytes_, sizeOf as sizeOf_, sourceOf as sourceOf_ } from '../isa/opcode.ts';
import type { Instruction, Program } from '../isa/instruction.ts';
import { Shift as Shift_, type Asm } from './encoder.ts';
import { x86 as x86_ } from './regs.ts';
import { usesDefs as usesDefs_ } from './liveness.ts';

// Imports copied into locals: under tsx every use of an imported binding is a getter call.
const AluOp = AluOp_, Class = Class_, Mode = Mode_, Source = Source_, classOf = classOf_, modeOf = modeOf_,
  opOf = opOf_, sizeBytes = sizeBytes_, sizeOf = sizeOf_, sourceOf = sourceOf_, Shift = Shift_,
  x86 = x86_, usesDefs = usesDefs_;

export interface PeepholeContext {
  prog: Program;
  /** pcOf[i]: the pc of instruction i. */
  pcOf: readonly number[];
  jumpTargets: Uint8Array;
  /** Live registers after each pc (liveness.ts). */
  liveOut: Uint16Array;
  /** The end (exclusive pc) of the function being compiled: runs never leave it. */
  end: number;
}

/** A fused run: which pattern, how many instructions it consumes and the code that replaces them. */
export interface Fusion { kind: 'lea' | 'scaled-add' | 'rotate' | 'load'; count: number; emit(a: Asm): void }

/** The longest fusion starting at instruction i, if any. */
export function findFusion(ctx: PeepholeContext, i: number): Fusion | undefined {
  return movAddAsLea(ctx, i) ?? scaledAdd(ctx, i) ?? rotate(ctx, i) ?? assembledLoad(ctx, i);
}

const bit = (r: number): number => 1 << r;

/** True when instructions i+1 .. i+count-1 are in the function and no jump lands on them. */
function straight(ctx: PeepholeContext, i: number, count: number): boolean {
  for (let k = i + 1; k < i + count; k++) {
    const pc = ctx.pcOf[k];
    if (pc === undefined || pc >= ctx.end || ctx.jumpTargets[pc]) return false;
  }
  return true;
}

/** The registers in `written` other than `result` are all dead after instruction `last`. */
const othersDead = (ctx: PeepholeContext, last: number, written: number, result: number): boolean =>
  (written & ~bit(result) & ctx.liveOut[ctx.pcOf[last]!]!) === 0;

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

/** A byte of memory: [base register's value at the start of the run + off]. */
interface MemByte { base: number; off: number }
/** A register assembled from memory bytes: byte k of the value (k = 0 least significant), or null for a zero byte. */
type Assembly = (MemByte | null)[];

const LONGEST_RUN = 24;

/**
 * Loads from one base, shifted by whole bytes and or'ed together, that end up as 2, 4 or 8
 * consecutive memory bytes in a register, in memory order (a wider load) or reversed (a
 * wider load and a byte swap). Runs are simulated from instruction i on, through loads,
 * moves, shifts by multiples of 8 and ors; anything else stops the simulation (stores,
 * jumps, calls) or makes its destination unknown. The longest run that ends with a
 * complete value, with every other register it wrote dead, wins.
 */
function assembledLoad(ctx: PeepholeContext, i: number): Fusion | undefined {
  if (classOf(ctx.prog[i]!.opcode) !== Class.LDX) return undefined; // a run worth fusing starts with a load
  const regs: (Assembly | undefined)[] = [];
  let written = 0;
  let best: Fusion | undefined;
  for (let k = i; k < i + LONGEST_RUN && k < ctx.prog.length; k++) {
    const insn = ctx.prog[k]!;
    const pc = ctx.pcOf[k]!;
    if (pc >= ctx.end || (k > i && ctx.jumpTargets[pc])) break;
    const cls = classOf(insn.opcode);
    if (cls !== Class.LDX && cls !== Class.ALU && cls !== Class.ALU64) break;
    regs[insn.dst] = cls === Class.LDX ? loaded(insn, written) : combined(insn, regs);
    written |= usesDefs(insn).defs;
    const value = regs[insn.dst];
    if (value === undefined && !regs.some((r) => r !== undefined)) break; // nothing left to assemble
    if (k - i + 1 < 3 || value === undefined) continue;
    const shape = loadShape(value);
    if (shape && othersDead(ctx, k, written, insn.dst)) {
      const dst = x86(insn.dst), base = x86(shape.base), count = k - i + 1;
      best = { kind: 'load', count, emit: (a) => emitAssembled(a, dst, { base, disp: shape.off }, shape.bytes, shape.swap) };
    }
  }
  return best;
}

/** A plain (zero-extending) load's bytes, or unknown when its base was written earlier in the run. */
function loaded(insn: Instruction, written: number): Assembly | undefined {
  if (modeOf(insn.opcode) !== Mode.MEM || (written & bit(insn.src)) !== 0 || insn.src > 10) return undefined;
  const bytes = sizeBytes(sizeOf(insn.opcode));
  const out: Assembly = new Array(8).fill(null);
  for (let b = 0; b < bytes; b++) out[b] = { base: insn.src, off: insn.off + b };
  return out;
}

/** The value an ALU instruction leaves in its destination, when it is still an assembly. */
function combined(insn: Instruction, regs: readonly (Assembly | undefined)[]): Assembly | undefined {
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

const truncate = (v: Assembly | undefined, w: number): Assembly | undefined => v && v.map((b, k) => (k < w ? b : null));

function disjointOr(p: Assembly | undefined, q: Assembly | undefined): Assembly | undefined {
  if (!p || !q) return undefined;
  const out: Assembly = [];
  for (let b = 0; b < 8; b++) {
    if (p[b] && q[b]) return undefined;
    out.push(p[b] ?? q[b] ?? null);
  }
  return out;
}

/** 2, 4 or 8 consecutive bytes of one base from byte 0 up, nothing above: which load (and swap) makes them. */
function loadShape(v: Assembly): { base: number; off: number; bytes: 2 | 4 | 8; swap: boolean } | undefined {
  const n = v.findIndex((b) => b === null);
  const bytes = n === -1 ? 8 : n;
  if ((bytes !== 2 && bytes !== 4 && bytes !== 8) || v.slice(bytes).some((b) => b !== null)) return undefined;
  const first = v[0]!, last = v[bytes - 1]!;
  const same = v.slice(0, bytes).every((b) => b!.base === first.base);
  if (!same) return undefined;
  if (v.slice(0, bytes).every((b, k) => b!.off === first.off + k)) return { base: first.base, off: first.off, bytes, swap: false };
  if (v.slice(0, bytes).every((b, k) => b!.off === last.off + (bytes - 1 - k))) return { base: first.base, off: last.off, bytes, swap: true };
  return undefined;
}

function emitAssembled(a: Asm, dst: number, mem: { base: number; disp: number }, bytes: 2 | 4 | 8, swap: boolean): void {
  a.load(bytes, dst, mem); // zero-extends: movzx for 2, a 32-bit mov for 4
  if (!swap) return;
  if (bytes === 2) a.shift16RI(Shift.ROL, dst, 8); // the upper 48 bits stay zero
  else a.bswap(dst, bytes === 8);
}
