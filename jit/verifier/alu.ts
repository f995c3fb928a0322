// ALU and ALU64 instructions: scalar arithmetic on the known-bits/bounds domain,
// and pointer arithmetic by the kernel's rules (a pointer plus or minus a scalar
// for the kinds that allow it; a pointer minus a pointer is a number; nothing
// else on pointers).
import { AluOp as AluOp$, Class as Class$, Source as Source$, classOf as classOf$, opOf as opOf$, sourceOf as sourceOf$ } from '../isa/opcode.ts';
import type { Instruction } from '../isa/instruction.ts';
import * as S$ from './scalar.ts';
import type { Scalar } from './scalar.ts';
import { type Reg, RegType as RegType$, type VState, cur as cur$, scalar as scalar$, isPointer as isPointer$, showReg as showReg$, NOT_INIT as NOT_INIT$ } from './state.ts';
import type { Env } from './memory.ts';
// Local copies: esbuild-compiled imports read through a getter on every use, which
// dominated the verifier's profile.
const AluOp = AluOp$;
const Class = Class$;
const Source = Source$;
const classOf = classOf$;
const opOf = opOf$;
const sourceOf = sourceOf$;
const S = { ...S$ };
const RegType = RegType$;
const cur = cur$;
const scalar = scalar$;
const isPointer = isPointer$;
const showReg = showReg$;
const NOT_INIT = NOT_INIT$;
type RegType = RegType$;

const OP_NAMES: Record<number, string> = {
  [AluOp.ADD]: '+', [AluOp.SUB]: '-', [AluOp.MUL]: '*', [AluOp.DIV]: '/', [AluOp.OR]: '|', [AluOp.AND]: '&',
  [AluOp.LSH]: '<<', [AluOp.RSH]: '>>', [AluOp.NEG]: 'neg', [AluOp.MOD]: '%', [AluOp.XOR]: '^', [AluOp.MOV]: '=',
  [AluOp.ARSH]: 's>>', [AluOp.END]: 'byte swap',
};

/** Pointer kinds to which a scalar may be added. */
const ARITH_OK = new Set<RegType>([RegType.STACK, RegType.MAP_VALUE, RegType.PKT, RegType.PKT_META, RegType.CTX, RegType.MEM]);

export function readReg(env: Env, st: VState, r: number): Reg {
  const reg = cur(st).regs[r]!;
  if (reg.type === RegType.NOT_INIT) env.fail(`r${r} is read before it is written (uninitialised register)`);
  return reg;
}

export function alu(env: Env, st: VState, insn: Instruction, linkId: () => number): void {
  const frame = cur(st);
  const regs = frame.regs;
  const is64 = classOf(insn.opcode) === Class.ALU64;
  const op = opOf(insn.opcode);
  const useX = sourceOf(insn.opcode) === Source.X;
  if (insn.dst === 10) env.fail('r10 (the frame pointer) is read-only');
  if (op === AluOp.MOV) {
    if (!useX) {
      regs[insn.dst] = scalar(is64 ? S.constant(BigInt(insn.imm)) : S.constant(BigInt(insn.imm >>> 0)));
      return;
    }
    const src = readReg(env, st, insn.src);
    if (insn.off !== 0) { // movsx
      if (isPointer(src)) {
        if (env.strict) env.fail(`r${insn.src} is a pointer: a sign-extending move of it leaks its address`);
        regs[insn.dst] = scalar();
        return;
      }
      const v = S.sext(src.v, insn.off as 8 | 16 | 32);
      regs[insn.dst] = scalar(is64 ? v : S.trunc32(v));
      return;
    }
    if (is64) {
      if (src.type === RegType.SCALAR && !S.isConst(src.v)) {
        // Copies share an id so that a comparison of one refines the other (kernel: find_equal_scalars).
        const id = src.id || linkId();
        regs[insn.src] = { ...src, id };
        regs[insn.dst] = { ...src, id };
      } else {
        regs[insn.dst] = src;
      }
      return;
    }
    if (isPointer(src)) {
      if (env.strict) env.fail(`r${insn.src} is a pointer: a 32-bit copy of it leaks part of its address`);
      regs[insn.dst] = scalar(S.unknownOfSize(4));
      return;
    }
    regs[insn.dst] = scalar(S.trunc32(src.v));
    return;
  }
  const dst = readReg(env, st, insn.dst);
  if (op === AluOp.NEG || op === AluOp.END) {
    if (isPointer(dst)) {
      if (env.strict) env.fail(`r${insn.dst} is a pointer (${showReg(dst)}): ${OP_NAMES[op]} on it is not allowed`);
      regs[insn.dst] = scalar();
      return;
    }
    if (op === AluOp.NEG) {
      const v = S.neg(is64 ? dst.v : S.trunc32(dst.v));
      regs[insn.dst] = scalar(is64 ? v : S.trunc32(v));
    } else {
      const bits = insn.imm as 16 | 32 | 64;
      // to-little-endian on this little-endian machine only truncates; the others swap.
      const le = classOf(insn.opcode) === Class.ALU && !useX;
      regs[insn.dst] = scalar(le ? S.truncTo(dst.v, bits) : S.bswap(dst.v, bits));
    }
    return;
  }
  let src: Reg;
  if (useX) src = readReg(env, st, insn.src);
  else src = scalar(is64 ? S.constant(BigInt(insn.imm)) : S.constant(BigInt(insn.imm >>> 0)));
  if (!useX && (op === AluOp.DIV || op === AluOp.MOD) && insn.imm === 0) env.fail('division by zero (an immediate divisor of 0)');
  if (!useX && (op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH) && (insn.imm < 0 || insn.imm >= (is64 ? 64 : 32))) {
    env.fail(`invalid shift by ${insn.imm} (a ${is64 ? 64 : 32}-bit shift takes 0..${is64 ? 63 : 31})`);
  }
  if (isPointer(dst) || isPointer(src)) {
    regs[insn.dst] = pointerArith(env, insn, op, is64, dst, src);
    return;
  }
  const a = is64 ? dst.v : S.trunc32(dst.v);
  const b = is64 ? src.v : S.trunc32(src.v);
  const width = is64 ? 64 : 32;
  let r: Scalar;
  switch (op) {
    case AluOp.ADD: r = S.add(a, b); break;
    case AluOp.SUB: r = S.sub(a, b); break;
    case AluOp.MUL: r = S.mul(a, b); break;
    case AluOp.DIV: r = insn.off === 1 ? S.UNKNOWN : S.div(a, b); break;
    case AluOp.MOD: r = insn.off === 1 ? S.UNKNOWN : S.mod(a, b); break;
    case AluOp.OR: r = S.or(a, b); break;
    case AluOp.AND: r = S.and(a, b); break;
    case AluOp.XOR: r = S.xor(a, b); break;
    case AluOp.LSH: r = S.isConst(b) && b.value < BigInt(width) ? S.lsh(a, Number(b.value)) : S.UNKNOWN; break;
    case AluOp.RSH: r = S.isConst(b) && b.value < BigInt(width) ? S.rsh(a, Number(b.value)) : S.range(0n, a.umax); break;
    case AluOp.ARSH:
      r = S.isConst(b) && b.value < BigInt(width)
        ? (is64 ? S.arsh(a, Number(b.value)) : S.trunc32(S.arsh(S.sext(a, 32), Number(b.value))))
        : S.UNKNOWN;
      break;
    default: env.fail(`unknown ALU operation 0x${op.toString(16)}`);
  }
  if (!is64 && (op === AluOp.ADD || op === AluOp.SUB || op === AluOp.MUL)) {
    // The same low 32 bits computed on sign-extended operands give the s32 range (kernel: s32 bounds).
    const sa = S.sext(a, 32), sb = S.sext(b, 32);
    const sr = op === AluOp.ADD ? S.add(sa, sb) : op === AluOp.SUB ? S.sub(sa, sb) : S.mul(sa, sb);
    if (sr.smin >= S.S32_MIN && sr.smax <= S.S32_MAX) r = S.withS32(S.trunc32(r), sr.smin, sr.smax);
  }
  regs[insn.dst] = scalar(is64 ? r : S.trunc32(r));
}

const packetFamily = (r: Reg): boolean => r.type === RegType.PKT || r.type === RegType.PKT_END || r.type === RegType.PKT_META;

function pointerArith(env: Env, insn: Instruction, op: number, is64: boolean, dst: Reg, src: Reg): Reg {
  const name = OP_NAMES[op] ?? '?';
  // The distance between two packet pointers (data_end - data: the length) reveals no address,
  // so strict mode allows it too (the unprivileged kernel does not, but it loads no XDP programs).
  if (op === AluOp.SUB && packetFamily(dst) && packetFamily(src)) return scalar(is64 ? S.UNKNOWN : S.unknownOfSize(4));
  if (!is64) {
    // The kernel: 32-bit operations on pointers make meaningless numbers; only a privileged SUB is let through.
    if (op === AluOp.SUB && !env.strict) return scalar(S.unknownOfSize(4));
    env.fail(`32-bit pointer arithmetic is not allowed: w${insn.dst} ${name}= ${useXText(insn)} with ${showReg(isPointer(dst) ? dst : src)}`);
  }
  if (isPointer(dst) && isPointer(src)) {
    if (op === AluOp.SUB && !env.strict) return scalar();
    if (op === AluOp.SUB) env.fail(`r${insn.dst} -= r${insn.src}: subtracting pointers (${dst.type} - ${src.type}) leaks an address in strict mode`);
    env.fail(`r${insn.dst} ${name}= r${insn.src}: pointer ${name} pointer is not allowed (${dst.type} and ${src.type})`);
  }
  const [ptr, num, ptrReg] = isPointer(dst) ? [dst, src, insn.dst] : [src, dst, insn.src];
  if (op !== AluOp.ADD && op !== AluOp.SUB) {
    env.fail(`r${ptrReg} is a pointer (${showReg(ptr)}): the operator ${name} is not allowed on pointers, only + and - of a number`);
  }
  if (op === AluOp.SUB && !isPointer(dst)) env.fail(`r${insn.dst} -= r${insn.src}: a number minus a pointer is not allowed`);
  if (ptr.type === RegType.MAP_VALUE_OR_NULL || ptr.type === RegType.MEM_OR_NULL || ptr.type === RegType.MAP_PTR_OR_NULL) {
    env.fail(`arithmetic on r${ptrReg} (${ptr.type}) before it is checked against NULL: compare it with 0 first`);
  }
  if (!ARITH_OK.has(ptr.type)) env.fail(`arithmetic on r${ptrReg} (${ptr.type}) is not allowed`);
  const v = op === AluOp.SUB ? S.neg(num.v) : num.v;
  if (S.isConst(v)) {
    const k = Number(BigInt.asIntN(64, v.value));
    const off = ptr.off + k;
    if (Math.abs(k) >= 1 << 29 || Math.abs(off) >= 1 << 29) env.fail(`pointer offset ${off} of r${ptrReg} is too large (the kernel allows less than 2^29)`);
    return { ...ptr, off };
  }
  const nv = S.add(ptr.v, v);
  if (ptr.type === RegType.PKT || ptr.type === RegType.PKT_META) {
    // A new variable offset: a new base, with nothing proven about it yet.
    return { ...ptr, v: nv, id: env.newId(), range: 0 };
  }
  return { ...ptr, v: nv };
}


const useXText = (insn: Instruction): string => (sourceOf(insn.opcode) === Source.X ? `w${insn.src}` : String(insn.imm));
