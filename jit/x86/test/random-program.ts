// Random eBPF programs for the differential tests (differential.test.ts, register-maps.test.ts):
// every ALU form, stack loads and stores, atomics, forward branches; r0 folds every register
// and the stack at the end, so any difference between two engines shows in r0.
import { disassemble } from '../../isa/disasm.ts';
import { lddw, type Instruction } from '../../isa/instruction.ts';
import { AluOp, AtomicOp, ATOMIC_FETCH, Class, JmpOp, Mode, Size, Source } from '../../isa/opcode.ts';

const BODY = 60;
const STACK = 64; // bytes of stack the programs use, all written first

const INTERESTING = [0n, 1n, 2n, 3n, 7n, 8n, 31n, 32n, 33n, 63n, 64n, -1n, -2n, 0x7fffffffn, 0x80000000n, 0xffffffffn,
  0x100000000n, -0x80000000n, 0x7fffffffffffffffn, -0x8000000000000000n, 0x0123456789abcdefn];
const IMMS = [0, 1, -1, 2, 3, 7, 8, 16, 31, 32, 63, 64, 255, 0x7fffffff, -0x80000000, 1000, -1000];
const ALU_OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.OR, AluOp.AND, AluOp.LSH, AluOp.RSH, AluOp.NEG,
  AluOp.MOD, AluOp.XOR, AluOp.MOV, AluOp.ARSH, AluOp.END];
const JMP_OPS = [JmpOp.JEQ, JmpOp.JGT, JmpOp.JGE, JmpOp.JSET, JmpOp.JNE, JmpOp.JSGT, JmpOp.JSGE, JmpOp.JLT, JmpOp.JLE, JmpOp.JSLT, JmpOp.JSLE];
const SIZES = [Size.B, Size.H, Size.W, Size.DW];
const BYTES = { [Size.B]: 1, [Size.H]: 2, [Size.W]: 4, [Size.DW]: 8 } as const;

function generator(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s % n; };
}

const I = (opcode: number, dst: number, src: number, off: number, imm: number): Instruction => ({ opcode, dst, src, off, imm });

export function randomProgram(seed: number): Instruction[] {
  const rnd = generator(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
  const value = (): bigint => (rnd(3) === 0 ? BigInt(rnd(0x7fffffff)) * BigInt(rnd(0x7fffffff) + 1) : pick(INTERESTING));
  const out: Instruction[] = [];
  for (let r = 0; r <= 9; r++) out.push(lddw(r, value()));
  for (let off = -STACK; off < 0; off += 8) out.push(I(Class.STX | Mode.MEM | Size.DW, 10, rnd(10), off, 0));
  const body: Instruction[] = [];
  for (let k = 0; k < BODY; k++) {
    const dst = rnd(10), src = rnd(10), kind = rnd(20);
    if (kind < 11) {
      const op = pick(ALU_OPS);
      const cls = rnd(2) ? Class.ALU64 : Class.ALU;
      if (op === AluOp.NEG) body.push(I(cls | op, dst, 0, 0, 0));
      else if (op === AluOp.END) body.push(I((rnd(3) === 0 ? Class.ALU64 : Class.ALU) | op | (rnd(2) ? Source.X : Source.K), dst, 0, 0, pick([16, 32, 64])));
      else if (op === AluOp.MOV && rnd(4) === 0) body.push(I(cls | op | Source.X, dst, src, 0, 0)), body[body.length - 1] = { ...body[body.length - 1]!, off: pick(cls === Class.ALU64 ? [8, 16, 32] : [8, 16]) };
      else {
        const off = (op === AluOp.DIV || op === AluOp.MOD) && rnd(2) ? 1 : 0;
        body.push(rnd(2) ? I(cls | op | Source.X, dst, src, off, 0) : I(cls | op | Source.K, dst, 0, off, pick(IMMS)));
      }
      const last = body[body.length - 1]!;
      if (last.opcode === (Class.ALU64 | AluOp.END | Source.X)) body[body.length - 1] = { ...last, opcode: Class.ALU64 | AluOp.END };
    } else if (kind < 13) {
      const size = pick(SIZES);
      const off = -BYTES[size] * (1 + rnd(STACK / BYTES[size]));
      body.push(rnd(2) ? I(Class.STX | Mode.MEM | size, 10, src, off, 0) : I(Class.ST | Mode.MEM | size, 10, 0, off, pick(IMMS)));
    } else if (kind < 15) {
      const size = pick(SIZES);
      const off = -BYTES[size] * (1 + rnd(STACK / BYTES[size]));
      const signed = size !== Size.DW && rnd(2) === 1;
      body.push(I(Class.LDX | (signed ? Mode.MEMSX : Mode.MEM) | size, dst, 10, off, 0));
    } else if (kind < 17) {
      const size = rnd(2) ? Size.DW : Size.W;
      const off = -BYTES[size] * (1 + rnd(STACK / BYTES[size]));
      const op = pick([AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR, AtomicOp.ADD | ATOMIC_FETCH, AtomicOp.OR | ATOMIC_FETCH,
        AtomicOp.AND | ATOMIC_FETCH, AtomicOp.XOR | ATOMIC_FETCH, AtomicOp.XCHG, AtomicOp.CMPXCHG]);
      body.push(I(Class.STX | Mode.ATOMIC | size, 10, src, off, op));
    } else {
      const remaining = BODY - 1 - k;
      if (remaining <= 0) continue;
      const off = 1 + rnd(Math.min(remaining, 12));
      const cls = rnd(2) ? Class.JMP : Class.JMP32;
      body.push(rnd(2) ? I(cls | pick(JMP_OPS) | Source.X, dst, src, off, 0) : I(cls | pick(JMP_OPS) | Source.K, dst, 0, off, pick(IMMS)));
    }
  }
  // Jumps count instructions of the body; lddw does not appear there, so offsets stay valid.
  out.push(...body);
  for (let r = 1; r <= 9; r++) out.push(I(Class.ALU64 | AluOp.MUL | Source.K, 0, 0, 0, 31), I(Class.ALU64 | AluOp.ADD | Source.X, 0, r, 0, 0));
  for (let off = -STACK; off < 0; off += 8) {
    out.push(I(Class.LDX | Mode.MEM | Size.DW, 1, 10, off, 0), I(Class.ALU64 | AluOp.MUL | Source.K, 0, 0, 0, 31), I(Class.ALU64 | AluOp.XOR | Source.X, 0, 1, 0, 0));
  }
  out.push(I(Class.JMP | JmpOp.EXIT, 0, 0, 0, 0));
  return out;
}

export const listing = (p: Instruction[]): string => p.map((insn, i) => `${String(i).padStart(4)}: ${disassemble(insn)}`).join('\n');
