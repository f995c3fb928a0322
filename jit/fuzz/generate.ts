// Random ALU/JMP programs that the kernel's verifier accepts, for differential
// tests: the same seed always gives the same program and packet.
//
// A program is a random *body* between an engine-specific prologue and
// epilogue (frame.ts). The body:
//   - first gives every register it uses a constant (mov32, mov64 or lddw) with
//     values picked to hit edge cases (0, ±1, INT32/INT64 min and max, 0x80000000…),
//     so the verifier never sees an uninitialised read;
//   - then runs a few dozen random instructions: every ALU and ALU64 operation in
//     K and X forms (div and mod by registers that may be zero, shifts by in-range
//     immediates and by arbitrary registers, arsh, neg, le/be/bswap of 16/32/64
//     bits, mov and movsx, sdiv and smod), and conditional jumps of every
//     condition (JMP and JMP32, K and X); now and then two constants lined up for
//     an edge case (INT_MIN s/ -1, division by zero, extremes against ±1);
//   - jumps only forward, so there are no loops. A conditional jump may land on
//     any later instruction or on the epilogue. Unconditional jumps (ja, gotol)
//     only appear inside an if/else diamond, because the verifier rejects code
//     that no edge reaches: `if c goto ELSE; A; ja END; ELSE: B; END:`.
// One register from r6-r9 is left out of the body: the prologue parks the
// context (or, for the interpreter, the packet pointer) there.
import { AluOp, Class, JmpOp, R0, R6, R9, Source } from '../isa/opcode.ts';
import { type Instruction, lddw, layout } from '../isa/instruction.ts';
import { Rng } from './prng.ts';

export const PACKET_SIZE = 128;
/** The most random steps a body may have (see generate()). */
export const MAX_OPS = 1000;

export interface FuzzOptions {
  /** Random steps after the initialisation (a diamond or an edge snippet counts as one). Default 20..60, at most MAX_OPS. */
  minOps?: number;
  maxOps?: number;
  /** Include the ISA v4 instructions (sdiv, smod, movsx, bswap, gotol). Default true. */
  v4?: boolean;
}

export interface FuzzProgram {
  seed: number;
  /** The register (r6-r9) the body never touches: the context or packet pointer lives there. */
  ctxReg: number;
  /** The registers the body uses, in the order the epilogue stores them (8 bytes each from packet offset 0). */
  regs: readonly number[];
  /** Jump offsets are final; a jump may land on index body.length, the epilogue's first instruction. */
  body: Instruction[];
  /** The packet the program runs on. */
  packet: Uint8Array;
}

const INT32_MIN = -0x8000_0000, INT32_MAX = 0x7fff_ffff;

/** 32-bit immediates that sit on boundaries, with some random ones. */
function interesting32(rng: Rng): number {
  return rng.weighted<() => number>([
    [3, () => rng.pick([0, 1, -1, 2, -2])],
    [3, () => rng.pick([INT32_MIN, INT32_MAX, INT32_MIN + 1, INT32_MAX - 1])],
    [2, () => rng.pick([0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, -0x80, -0x8000, 0x10000])],
    [2, () => rng.pick([31, 32, 33, 63, 64, 65])],
    [1, () => 1 << rng.below(31)],
    [2, () => rng.between(-300, 300)],
    [4, () => rng.i32()],
  ])();
}

/** 64-bit constants for lddw. */
function interesting64(rng: Rng): bigint {
  return rng.weighted<() => bigint>([
    [3, () => rng.pick([0n, 1n, -1n, 2n, -2n])],
    [3, () => rng.pick([-(1n << 63n), (1n << 63n) - 1n, -(1n << 63n) + 1n])],
    [3, () => rng.pick([0x8000_0000n, 0xffff_ffffn, 0x1_0000_0000n, -0x8000_0000n, 0x7fff_ffffn, 0xffff_ffff_0000_0000n])],
    [1, () => 1n << BigInt(rng.below(64))],
    [2, () => BigInt(rng.i32())],
    [5, () => rng.u64()],
  ])();
}

type AluKind =
  | 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'mod' | 'smod' | 'or' | 'and' | 'xor'
  | 'lsh' | 'rsh' | 'arsh' | 'neg' | 'mov' | 'movsx' | 'le' | 'be' | 'bswap';

const V4_ONLY = new Set<AluKind>(['sdiv', 'smod', 'movsx', 'bswap']);

const ALU_KINDS: readonly (readonly [number, AluKind])[] = [
  [3, 'add'], [3, 'sub'], [3, 'mul'], [3, 'div'], [2, 'sdiv'], [3, 'mod'], [2, 'smod'],
  [2, 'or'], [2, 'and'], [2, 'xor'], [3, 'lsh'], [3, 'rsh'], [3, 'arsh'], [1, 'neg'],
  [2, 'mov'], [2, 'movsx'], [1, 'le'], [1, 'be'], [1, 'bswap'],
];

const BINARY_OPS: Record<string, AluOp> = {
  add: AluOp.ADD, sub: AluOp.SUB, mul: AluOp.MUL, div: AluOp.DIV, sdiv: AluOp.DIV, mod: AluOp.MOD,
  smod: AluOp.MOD, or: AluOp.OR, and: AluOp.AND, xor: AluOp.XOR, lsh: AluOp.LSH, rsh: AluOp.RSH,
  arsh: AluOp.ARSH, mov: AluOp.MOV,
};

const CONDITIONS: readonly JmpOp[] = [
  JmpOp.JEQ, JmpOp.JNE, JmpOp.JGT, JmpOp.JGE, JmpOp.JLT, JmpOp.JLE,
  JmpOp.JSGT, JmpOp.JSGE, JmpOp.JSLT, JmpOp.JSLE, JmpOp.JSET,
];

const insn = (opcode: number, dst: number, src: number, off: number, imm: number): Instruction =>
  ({ opcode, dst, src, off, imm });

function aluInstruction(rng: Rng, regs: readonly number[], v4: boolean): Instruction {
  const kinds = v4 ? ALU_KINDS : ALU_KINDS.filter(([, k]) => !V4_ONLY.has(k));
  const kind = rng.weighted(kinds);
  const dst = rng.pick(regs);
  const is64 = rng.chance(0.5);
  const cls = is64 ? Class.ALU64 : Class.ALU;
  const bits = is64 ? 64 : 32;
  const x = rng.chance(0.5);
  switch (kind) {
    case 'neg': return insn(cls | AluOp.NEG, dst, 0, 0, 0);
    case 'le': return insn(Class.ALU | Source.K | AluOp.END, dst, 0, 0, rng.pick([16, 32, 64]));
    case 'be': return insn(Class.ALU | Source.X | AluOp.END, dst, 0, 0, rng.pick([16, 32, 64]));
    case 'bswap': return insn(Class.ALU64 | Source.K | AluOp.END, dst, 0, 0, rng.pick([16, 32, 64]));
    case 'movsx': return insn(cls | Source.X | AluOp.MOV, dst, rng.pick(regs), rng.pick(is64 ? [8, 16, 32] : [8, 16]), 0);
    default: break;
  }
  const op = BINARY_OPS[kind]!;
  const off = kind === 'sdiv' || kind === 'smod' ? 1 : 0;
  if (x) return insn(cls | Source.X | op, dst, rng.pick(regs), off, 0);
  let imm: number;
  if (kind === 'lsh' || kind === 'rsh' || kind === 'arsh') {
    // The verifier rejects immediate shifts outside [0, bits); registers may shift by anything.
    imm = rng.chance(0.5) ? rng.pick([0, 1, bits / 2 - 1, bits / 2, bits - 1]) : rng.below(bits);
  } else {
    const divides = op === AluOp.DIV || op === AluOp.MOD;
    // Small divisors half the time, or most quotients are 0.
    imm = divides && rng.chance(0.5) ? rng.between(-16, 100) : interesting32(rng);
    // Division by an immediate zero is a verifier error; by a register it is defined.
    while (divides && imm === 0) imm = interesting32(rng);
  }
  return insn(cls | Source.K | op, dst, 0, off, imm);
}

/** A constant load into reg: mov32 (zero-extends), mov64 (sign-extends) or lddw. */
function constantLoad(rng: Rng, reg: number): Instruction {
  return rng.weighted<() => Instruction>([
    [2, () => insn(Class.ALU | Source.K | AluOp.MOV, reg, 0, 0, interesting32(rng))],
    [2, () => insn(Class.ALU64 | Source.K | AluOp.MOV, reg, 0, 0, interesting32(rng))],
    [3, () => lddw(reg, interesting64(rng))],
  ])();
}

function condition(rng: Rng, regs: readonly number[]): Instruction {
  const cls = rng.chance(0.5) ? Class.JMP : Class.JMP32;
  const op = rng.pick(CONDITIONS);
  if (rng.chance(0.5)) return insn(cls | Source.X | op, rng.pick(regs), rng.pick(regs), 0, 0);
  // Equality with a random immediate almost never holds; 0 and ±1 often do.
  const equality = op === JmpOp.JEQ || op === JmpOp.JNE;
  const imm = equality && rng.chance(0.6) ? rng.pick([0, 0, 0, 1, -1]) : interesting32(rng);
  return insn(cls | Source.K | op, rng.pick(regs), 0, 0, imm);
}

const EDGE_DIVIDENDS: readonly bigint[] = [
  -(1n << 63n), -0x8000_0000n, 0x8000_0000n, (1n << 63n) - 1n, -1n, 0n, 1n, 0xffff_ffffn,
];
const EDGE_DIVISORS: readonly number[] = [-1, 0, 1, INT32_MIN, 2, -2];
const EDGE_OPS: readonly (readonly [AluOp, number])[] = [
  [AluOp.DIV, 1], [AluOp.MOD, 1], [AluOp.DIV, 0], [AluOp.MOD, 0], [AluOp.MUL, 0], [AluOp.ARSH, 0],
];

/**
 * Operands that random draws rarely line up: INT_MIN s/ -1, division by zero, the
 * signed and unsigned extremes against ±1. Two constant loads, then the operation.
 */
function edgeCase(rng: Rng, regs: readonly number[], v4: boolean): Instruction[] {
  const dst = rng.pick(regs);
  const src = rng.pick(regs.filter((r) => r !== dst));
  const ops = v4 ? EDGE_OPS : EDGE_OPS.filter(([, off]) => off === 0);
  const [op, off] = rng.pick(ops);
  const cls = rng.chance(0.5) ? Class.ALU64 : Class.ALU;
  // Half the time exactly INT_MIN of the operation's width, and -1 for the divisor.
  const min = cls === Class.ALU64 ? -(1n << 63n) : rng.pick([0x8000_0000n, -0x8000_0000n]);
  const load = lddw(dst, rng.chance(0.5) ? min : rng.pick(EDGE_DIVIDENDS));
  const divisor = rng.chance(0.5) ? -1 : rng.pick(EDGE_DIVISORS);
  if (op === AluOp.ARSH) {
    return [load, insn(cls | Source.K | op, dst, 0, 0, rng.pick([0, 1, 31, cls === Class.ALU64 ? 63 : 30]))];
  }
  if (rng.chance(0.5) && divisor !== 0) return [load, insn(cls | Source.K | op, dst, 0, off, divisor)];
  const mov = rng.chance(0.5) ? Class.ALU64 : Class.ALU; // -1 as 32 or 64 bits of ones
  return [load, insn(mov | Source.K | AluOp.MOV, src, 0, 0, divisor), insn(cls | Source.X | op, dst, src, off, 0)];
}

/** A body instruction whose jump target (a piece index, or END) is resolved at the end. */
interface Piece { insn: Instruction; target?: number | 'random' }

export function generate(seed: number, options: FuzzOptions = {}): FuzzProgram {
  const rng = new Rng(seed);
  const v4 = options.v4 ?? true;
  const ctxReg = rng.between(R6, R9);
  const regs: number[] = [];
  for (let r = R0; r <= R9; r++) if (r !== ctxReg) regs.push(r);

  const pieces: Piece[] = regs.map((r) => ({ insn: constantLoad(rng, r) }));
  const minOps = options.minOps ?? 20, maxOps = options.maxOps ?? 60;
  // A step is at most 20 slots; 1000 keeps every jump offset inside 16 bits.
  if (!(Number.isInteger(minOps) && Number.isInteger(maxOps) && minOps >= 0 && minOps <= maxOps && maxOps <= MAX_OPS)) {
    throw new RangeError(`instruction counts ${minOps}..${maxOps} are not within 0..${MAX_OPS}`);
  }
  const ops = rng.between(minOps, maxOps);
  for (let i = 0; i < ops; i++) {
    const what = rng.weighted<'alu' | 'jump' | 'diamond' | 'const' | 'edge'>(
      [[70, 'alu'], [16, 'jump'], [6, 'diamond'], [8, 'const'], [5, 'edge']]);
    if (what === 'alu') pieces.push({ insn: aluInstruction(rng, regs, v4) });
    else if (what === 'edge') pieces.push(...edgeCase(rng, regs, v4).map((i) => ({ insn: i })));
    else if (what === 'const') pieces.push({ insn: constantLoad(rng, rng.pick(regs)) });
    else if (what === 'jump') pieces.push({ insn: condition(rng, regs), target: 'random' });
    else {
      // if c goto ELSE; A; ja END; ELSE: B; END:
      const a = rng.between(1, 4), b = rng.between(1, 4);
      const cond = pieces.length;
      const elseAt = cond + a + 2, end = elseAt + b;
      pieces.push({ insn: condition(rng, regs), target: elseAt });
      for (let k = 0; k < a; k++) pieces.push({ insn: aluInstruction(rng, regs, v4) });
      const gotol = v4 && rng.chance(0.5);
      pieces.push({ insn: gotol ? insn(Class.JMP32 | JmpOp.JA, 0, 0, 0, 0) : insn(Class.JMP | JmpOp.JA, 0, 0, 0, 0), target: end });
      for (let k = 0; k < b; k++) pieces.push({ insn: aluInstruction(rng, regs, v4) });
    }
  }
  const pieceCount = pieces.length; // index pieceCount is the epilogue's first instruction
  pieces.forEach((p, i) => {
    if (p.target !== 'random') return;
    // Mostly short hops, sometimes far; never backwards, never past the epilogue's start.
    const reach = rng.chance(0.2) ? pieceCount - i : Math.min(pieceCount - i, 10);
    p.target = i + 1 + rng.below(reach);
  });
  const body = resolve(pieces);
  const packet = rng.bytes(PACKET_SIZE);
  return { seed, ctxReg, regs, body, packet };
}

/** Turns piece-index targets into slot offsets (lddw is two slots wide). */
function resolve(pieces: readonly Piece[]): Instruction[] {
  const { pcOf } = layout(pieces.map((p) => p.insn));
  return pieces.map((p, i) => {
    if (typeof p.target !== 'number') return p.insn;
    const delta = pcOf[p.target]! - pcOf[i]! - 1;
    const gotol = p.insn.opcode === (Class.JMP32 | JmpOp.JA);
    return gotol ? { ...p.insn, imm: delta } : { ...p.insn, off: delta };
  });
}
