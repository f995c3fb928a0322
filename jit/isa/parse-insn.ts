// One line of assembler text -> one instruction (or a draft waiting for its label).
// The patterns mirror disasm.ts form by form; in them a space stands for optional
// whitespace and `~` for required whitespace. Operands are range-checked here, and
// every error says what was expected.
import {
  AluOp, AtomicOp, ATOMIC_FETCH, Class, JmpOp, LDDW, Mode, PseudoCall, PseudoLd, Size, Source,
  EXIT, CALLX,
} from './opcode.ts';
import { lddw, type Instruction } from './instruction.ts';
import type { Draft, Fixup } from './labels.ts';
import {
  ALU_OPERATORS, ATOMIC_OPERATORS, JMP_CONDITIONS, PSEUDO_LD_NAMES, PSEUDO_LD_WITH_OFFSET,
  SIGNED_ALU_OPERATORS, SIZE_BITS, invert,
} from './syntax.ts';
/** Throws the error for the current line. */
export type Fail = (msg: string) => never;

// Pattern pieces. In the patterns below a space stands for optional whitespace.
const REG = '([rw]\\d+)';
const NUM = '([+-]? ?(?:0x[0-9a-fA-F]+|\\d+))';
const OPERAND = '([rw]\\d+|[+-]? ?(?:0x[0-9a-fA-F]+|\\d+))';
const MEM = '([rw]\\d+) (?:([+-]) (0x[0-9a-fA-F]+|\\d+))?';
const TARGET = '([+-]? ?\\d+|[A-Za-z_.$][\\w.$]*)';
const re = (src: string): RegExp => new RegExp(`^${src.replace(/ /g, '\\s*').replace(/~/g, '\\s+')}$`);

const P = {
  exit: re('exit'),
  callx: re(`callx~${REG}`),
  kfunc: re(`call~kfunc~${NUM}`),
  callPc: re(`call~pc ([+-] ?\\d+)`),
  call: re(`call~${TARGET}`),
  gotol: re(`gotol~${TARGET}`),
  goto: re(`goto~${TARGET}`),
  cond: re(`if~${REG} (==|!=|s?[<>]=?|&) ${OPERAND}~goto~${TARGET}`),
  lock: re(`lock~\\*\\( u(\\d+) \\* \\) \\( ${MEM} \\) (\\S+=) ${REG}`),
  store: re(`\\*\\( u(\\d+) \\* \\) \\( ${MEM} \\) = ${OPERAND}`),
  fetch: re(`${REG} = atomic_fetch_(\\w+) \\( \\( u(\\d+) \\* \\) \\( ${MEM} \\) , ${REG} \\)`),
  xchg: re(`${REG} = (xchg_64|xchg32_32) \\( ${MEM} , ${REG} \\)`),
  cmpxchg: re(`${REG} = (cmpxchg_64|cmpxchg32_32) \\( ${MEM} , ${REG} , ${REG} \\)`),
  packet: re(`${REG} = \\*\\( u(\\d+) \\* \\) skb \\[ (.*) \\]`),
  load: re(`${REG} = \\*\\( ([su])(\\d+) \\* \\) \\( ${MEM} \\)`),
  lddw: re(`${REG} = ${NUM}~ll`),
  pseudo: re(`${REG} = ([a-z_]+) \\( (.*) \\)~ll`),
  swap: re(`${REG} = (le|be|bswap)(\\d+)~${REG}`),
  neg: re(`${REG} = - ${REG}`),
  movsx: re(`${REG} = \\( s(\\d+) \\) ${REG}`),
  mov: re(`${REG} = ${OPERAND}`),
  alu: re(`${REG} (s?/=|s?%=|s?>>=|<<=|[-+*|&^]=) ${OPERAND}`),
};

const ALU_BY_SYM = invert(ALU_OPERATORS);
const SIGNED_ALU_BY_SYM = invert(SIGNED_ALU_OPERATORS);
const JMP_BY_COND = invert(JMP_CONDITIONS);
const SIZE_BY_BITS = invert(SIZE_BITS);
const PSEUDO_BY_NAME = invert(PSEUDO_LD_NAMES);
const ATOMIC_BY_SYM = new Map(Array.from(ATOMIC_OPERATORS, ([op, v]) => [v.sym, op]));
const ATOMIC_BY_NAME = new Map(Array.from(ATOMIC_OPERATORS, ([op, v]) => [v.name, op]));

const insn = (opcode: number, dst: number, src: number, off: number, imm: number): Instruction =>
  ({ opcode, dst, src, off, imm });

/** Parses one instruction (comments, labels and pasted prefixes already removed). */
export function parseInstruction(text: string, fail: Fail): Draft {
  const g = (m: RegExpExecArray, i: number): string => m[i] ?? '';
  let m: RegExpExecArray | null;
  const ops = new Operands(fail);

  if (P.exit.test(text)) return { insn: insn(EXIT, 0, 0, 0, 0) };
  if ((m = P.callx.exec(text))) return { insn: insn(CALLX, ops.reg(g(m, 1), 'r'), 0, 0, 0) };
  if ((m = P.kfunc.exec(text))) return { insn: insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.KFUNC, 0, ops.imm(g(m, 1), 32)) };
  if ((m = P.callPc.exec(text))) return { insn: insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.LOCAL, 0, ops.imm(g(m, 1), 32)) };
  if ((m = P.call.exec(text))) {
    const t = g(m, 1);
    if (/^[+-]?\s*\d/.test(t)) return { insn: insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, ops.imm(t, 32)) };
    return { insn: insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.LOCAL, 0, 0), fixup: { label: t, field: 'imm' } };
  }
  if ((m = P.gotol.exec(text))) return target(insn(Class.JMP32 | JmpOp.JA, 0, 0, 0, 0), g(m, 1), 'imm', ops);
  if ((m = P.goto.exec(text))) return target(insn(Class.JMP | JmpOp.JA, 0, 0, 0, 0), g(m, 1), 'off', ops);
  if ((m = P.cond.exec(text))) {
    const r = g(m, 1)[0] as 'r' | 'w';
    const op = JMP_BY_COND.get(g(m, 2)) ?? fail(`unknown condition '${g(m, 2)}'`);
    const cls = r === 'w' ? Class.JMP32 : Class.JMP;
    const { source, src, imm } = ops.operand(g(m, 3), r);
    return target(insn(cls | source | op, ops.reg(g(m, 1), r), src, 0, imm), g(m, 4), 'off', ops);
  }
  if (text.startsWith('if')) fail('expected a conditional jump like `if r1 > r2 goto +5`, `if w1 s< -3 goto label`');
  if ((m = P.lock.exec(text))) {
    const size = ops.atomicSize(g(m, 1));
    const r = size === Size.DW ? 'r' : 'w';
    const op = ATOMIC_BY_SYM.get(g(m, 5)) ?? fail(`unknown atomic operation '${g(m, 5)}' (expected += |= &= ^=)`);
    return { insn: insn(Class.STX | Mode.ATOMIC | size, ops.reg(g(m, 2), 'r'), ops.reg(g(m, 6), r), ops.off(m, 3), op) };
  }
  if (text.startsWith('lock')) fail('expected an atomic operation like `lock *(u64 *)(r1 + 0) += r2`');
  if ((m = P.store.exec(text))) {
    const size = ops.size(g(m, 1));
    const dst = ops.reg(g(m, 2), 'r');
    const value = g(m, 5);
    if (/^[rw]/.test(value)) return { insn: insn(Class.STX | Mode.MEM | size, dst, ops.reg(value, 'r'), ops.off(m, 3), 0) };
    return { insn: insn(Class.ST | Mode.MEM | size, dst, 0, ops.off(m, 3), ops.imm(value, size === Size.DW ? 64 : 32)) };
  }
  if (text.startsWith('*')) fail('expected a store like `*(u32 *)(r10 - 4) = r1` or `*(u64 *)(r1 + 8) = 5`');
  if ((m = P.fetch.exec(text))) {
    const size = ops.atomicSize(g(m, 3));
    const r = size === Size.DW ? 'r' : 'w';
    const op = ATOMIC_BY_NAME.get(g(m, 2)) ?? fail(`unknown atomic operation 'atomic_fetch_${g(m, 2)}' (expected add, or, and, xor)`);
    const src = ops.reg(g(m, 7), r);
    if (ops.reg(g(m, 1), r) !== src) fail(`the fetched value goes back to the source register: expected ${r}${src} = ...`);
    return { insn: insn(Class.STX | Mode.ATOMIC | size, ops.reg(g(m, 4), 'r'), src, ops.off(m, 5), op | ATOMIC_FETCH) };
  }
  if ((m = P.xchg.exec(text))) {
    const size = g(m, 2) === 'xchg_64' ? Size.DW : Size.W;
    const r = size === Size.DW ? 'r' : 'w';
    const src = ops.reg(g(m, 6), r);
    if (ops.reg(g(m, 1), r) !== src) fail(`xchg returns the old value in its source register: expected ${r}${src} = ...`);
    return { insn: insn(Class.STX | Mode.ATOMIC | size, ops.reg(g(m, 3), 'r'), src, ops.off(m, 4), AtomicOp.XCHG) };
  }
  if ((m = P.cmpxchg.exec(text))) {
    const size = g(m, 2) === 'cmpxchg_64' ? Size.DW : Size.W;
    const r = size === Size.DW ? 'r' : 'w';
    if (ops.reg(g(m, 1), r) !== 0 || ops.reg(g(m, 6), r) !== 0) fail(`cmpxchg compares with and returns in ${r}0: expected ${r}0 = ${g(m, 2)}(rN + off, ${r}0, ${r}M)`);
    return { insn: insn(Class.STX | Mode.ATOMIC | size, ops.reg(g(m, 3), 'r'), ops.reg(g(m, 7), r), ops.off(m, 4), AtomicOp.CMPXCHG) };
  }
  if ((m = P.packet.exec(text))) return packetLoad(m, ops, fail);
  if ((m = P.load.exec(text))) {
    const signExtend = g(m, 2) === 's';
    const size = ops.size(g(m, 3));
    if (signExtend && size === Size.DW) fail('there is no sign-extending load of 64 bits (expected s8, s16 or s32)');
    return { insn: insn(Class.LDX | (signExtend ? Mode.MEMSX : Mode.MEM) | size, ops.reg(g(m, 1), 'r'), ops.reg(g(m, 4), 'r'), ops.off(m, 5), 0) };
  }
  if ((m = P.lddw.exec(text))) return { insn: lddw(ops.reg(g(m, 1), 'r'), ops.imm64(g(m, 2))) };
  if ((m = P.pseudo.exec(text))) return pseudoLoad(m, ops, fail);
  if ((m = P.swap.exec(text))) {
    const dst = ops.reg(g(m, 1), 'r');
    if (ops.reg(g(m, 4), 'r') !== dst) fail(`a byte swap works in place: expected r${dst} = ${g(m, 2)}${g(m, 3)} r${dst}`);
    const width = Number(g(m, 3));
    if (width !== 16 && width !== 32 && width !== 64) fail(`byte swaps are 16, 32 or 64 bits, not ${width}`);
    const opcode = g(m, 2) === 'bswap' ? Class.ALU64 | Source.K | AluOp.END
      : Class.ALU | (g(m, 2) === 'be' ? Source.X : Source.K) | AluOp.END;
    return { insn: insn(opcode, dst, 0, 0, width) };
  }
  if ((m = P.neg.exec(text))) {
    const r = g(m, 1)[0] as 'r' | 'w';
    const dst = ops.reg(g(m, 1), r);
    if (ops.reg(g(m, 2), r) !== dst) fail(`neg works in place: expected ${r}${dst} = -${r}${dst}`);
    return { insn: insn((r === 'r' ? Class.ALU64 : Class.ALU) | AluOp.NEG, dst, 0, 0, 0) };
  }
  if ((m = P.movsx.exec(text))) {
    const r = g(m, 1)[0] as 'r' | 'w';
    const bits = Number(g(m, 2));
    const ok = r === 'r' ? [8, 16, 32] : [8, 16];
    if (!ok.includes(bits)) fail(`a sign-extending move into ${r}N takes ${ok.map((b) => `(s${b})`).join(', ')}`);
    const cls = r === 'r' ? Class.ALU64 : Class.ALU;
    return { insn: insn(cls | Source.X | AluOp.MOV, ops.reg(g(m, 1), r), ops.reg(g(m, 3), r), bits, 0) };
  }
  if ((m = P.mov.exec(text))) return { insn: alu(AluOp.MOV, 0, m, ops) };
  if ((m = P.alu.exec(text))) {
    const sym = g(m, 2);
    const signedOp = SIGNED_ALU_BY_SYM.get(sym);
    const op = signedOp ?? ALU_BY_SYM.get(sym) ?? fail(`unknown operator '${sym}'`);
    return { insn: alu(op, signedOp === undefined ? 0 : 1, m, ops) };
  }
  if (/^[rw]\d+\s*=/.test(text)) {
    fail('expected one of `r1 = r2`, `r1 = 5`, `r1 = 5 ll`, `r1 = -r1`, `r1 = (s8)r2`, `r1 = be16 r1`, ' +
      '`r2 = *(u32 *)(r1 + 4)`, `r0 = *(u8 *)skb[12]`, `r1 = map_fd(5) ll`, atomic_fetch_*, xchg, cmpxchg');
  }
  if (/^[rw]\d+\s*\S*=/.test(text)) fail('expected an ALU operation like `r1 += 5` or `w1 s>>= w2` (operators += -= *= /= s/= %= s%= |= &= ^= <<= >>= s>>=)');
  if (/^(call|goto|exit)/.test(text)) fail('expected `call 1` (helper), `call pc+5` or `call name` (local), `call kfunc 123`, `callx r1`, `goto +5`, `gotol label` or `exit`');
  return fail('not an instruction: expected an ALU operation, load, store, jump, call or exit (see jit/isa/README.md)');
}

function target(base: Instruction, t: string, field: 'off' | 'imm', ops: Operands): Draft {
  if (/^[+-]?\s*\d/.test(t)) return { insn: { ...base, [field]: field === 'off' ? ops.off16(t) : ops.imm(t, 32) } };
  const fixup: Fixup = { label: t, field };
  return { insn: base, fixup };
}

function alu(op: AluOp, off: number, m: RegExpExecArray, ops: Operands): Instruction {
  const r = (m[1] ?? '')[0] as 'r' | 'w';
  const { source, src, imm } = ops.operand(m[m.length - 1] ?? '', r);
  return insn((r === 'r' ? Class.ALU64 : Class.ALU) | source | op, ops.reg(m[1] ?? '', r), src, off, imm);
}

function packetLoad(m: RegExpExecArray, ops: Operands, fail: Fail): Draft {
  if (ops.reg(m[1] ?? '', 'r') !== 0) fail('packet loads always load into r0');
  const size = ops.size(m[2] ?? '');
  if (size === Size.DW) fail('packet loads are 8, 16 or 32 bits');
  const where = (m[3] ?? '').trim();
  const ind = /^([rw]\d+)\s*(?:([+-])\s*(0x[0-9a-fA-F]+|\d+))?$/.exec(where);
  if (ind) {
    const imm = ind[2] ? ops.imm(`${ind[2]}${ind[3]}`, 64) : 0;
    return { insn: insn(Class.LD | Mode.IND | size, 0, ops.reg(ind[1] ?? '', 'r'), 0, imm) };
  }
  if (/^[+-]?\s*(0x[0-9a-fA-F]+|\d+)$/.test(where)) return { insn: insn(Class.LD | Mode.ABS | size, 0, 0, 0, ops.imm(where, 64)) };
  return fail('expected a packet offset like skb[12] or skb[r1 + 4]');
}

function pseudoLoad(m: RegExpExecArray, ops: Operands, fail: Fail): Draft {
  const dst = ops.reg(m[1] ?? '', 'r');
  const name = m[2] ?? '';
  const kind = PSEUDO_BY_NAME.get(name) ??
    fail(`unknown lddw kind '${name}' (expected ${Array.from(PSEUDO_LD_NAMES.values()).join(', ')})`);
  const args = (m[3] ?? '').split(',').map((a) => a.trim());
  const needs = PSEUDO_LD_WITH_OFFSET.has(kind) ? 2 : 1;
  if (args.length !== needs && !(needs === 1 && args.length === 2)) {
    fail(`${name}() takes ${needs === 2 ? 'two arguments: (index or fd, value offset)' : 'one argument'}`);
  }
  const imm2 = args.length === 2 ? ops.imm(args[1] ?? '', 32) : 0;
  const base: Instruction = { opcode: LDDW, dst, src: kind, off: 0, imm: 0, imm2 };
  const first = args[0] ?? '';
  if (kind === PseudoLd.FUNC) {
    const pc = /^pc\s*([+-]\s*\d+)$/.exec(first);
    if (pc) return { insn: { ...base, imm: ops.imm(pc[1] ?? '', 32) } };
    if (/^[A-Za-z_.$][\w.$]*$/.test(first)) return { insn: base, fixup: { label: first, field: 'imm' } };
    fail('expected func(pc+N) or func(label)');
  }
  return { insn: { ...base, imm: ops.imm(first, 32) } };
}

/** Operand parsing with range checks; every error names what was expected. */
class Operands {
  constructor(private readonly fail: Fail) {}

  reg(token: string, want: 'r' | 'w'): number {
    const m = /^([rw])(\d+)$/.exec(token);
    if (!m) return this.fail(`expected a register, found '${token}'`);
    const n = Number(m[2]);
    if (n > 10) return this.fail(`there is no register ${token} (r0-r10)`);
    if (m[1] !== want) {
      return this.fail(want === 'r'
        ? `${token} is a 32-bit register name where r${n} was expected`
        : `${token} is a 64-bit register name in a 32-bit operation (expected w${n})`);
    }
    return n;
  }

  /** An operand that is a register (`X` source) or an immediate (`K` source). */
  operand(token: string, r: 'r' | 'w'): { source: Source; src: number; imm: number } {
    if (/^[rw]/.test(token)) return { source: Source.X, src: this.reg(token, r), imm: 0 };
    return { source: Source.K, src: 0, imm: this.imm(token, r === 'w' ? 32 : 64) };
  }

  private int(token: string): bigint {
    const t = token.replace(/\s+/g, '');
    const neg = t.startsWith('-');
    const digits = t.replace(/^[+-]/, '');
    if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(digits)) return this.fail(`expected a number, found '${token}'`);
    const v = BigInt(digits);
    return neg ? -v : v;
  }

  /**
   * A 32-bit immediate. `context` 32: the value is used as 32 bits, so 0..0xffffffff is
   * accepted too; 64: it is sign-extended to 64 bits, so only -2^31..2^31-1 means what it says.
   */
  imm(token: string, context: 32 | 64): number {
    const v = this.int(token);
    const max = context === 32 ? 0xffffffffn : 0x7fffffffn;
    if (v < -0x80000000n || v > max) {
      return this.fail(context === 64 && v > 0n && v <= 0xffffffffn
        ? `${token.trim()} would be sign-extended to 64 bits; use lddw (\`rN = ${v} ll\`) or a 32-bit (w) operation`
        : `${token.trim()} does not fit a 32-bit immediate`);
    }
    return Number(BigInt.asIntN(32, v));
  }

  imm64(token: string): bigint {
    const v = this.int(token);
    if (v < -(2n ** 63n) || v >= 2n ** 64n) return this.fail(`${token.trim()} does not fit 64 bits`);
    return v;
  }

  off16(token: string): number {
    const v = this.int(token);
    if (v < -0x8000n || v > 0x7fffn) return this.fail(`offset ${token.trim()} does not fit 16 bits (-32768..32767)`);
    return Number(v);
  }

  /** A memory operand's offset from groups (sign, digits) starting at index i. */
  off(m: RegExpExecArray, i: number): number {
    const sign = m[i];
    return sign === undefined ? 0 : this.off16(`${sign}${m[i + 1] ?? ''}`);
  }

  size(bits: string): Size {
    return SIZE_BY_BITS.get(Number(bits) as 8 | 16 | 32 | 64) ?? this.fail(`no access size of ${bits} bits (expected 8, 16, 32 or 64)`);
  }

  atomicSize(bits: string): Size {
    const size = this.size(bits);
    if (size !== Size.W && size !== Size.DW) this.fail('atomic operations are 32 or 64 bits');
    return size;
  }
}
