// Programs written inline, for tests:
//
//   const p = new ProgramBuilder()
//     .mov64Imm(R0, 0)
//     .jeqImm(R1, 0, 'out')
//     .add64Reg(R0, R1)
//     .label('out')
//     .exit()
//     .build();
//
// Method names follow the kernel's instruction macros (BPF_ALU64_IMM(BPF_ADD, ...) is
// add64Imm, BPF_JMP32_REG(BPF_JGT, ...) is jgt32Reg, BPF_LDX_MEM(BPF_W, ...) is ldxw)
// and take their operands in the same order: dst, src, off, imm, target. A target is a
// label name or a relative offset in slots. Labels are resolved by build(), which reports
// an undefined label or one too far for the jump; a label defined twice is reported at once,
// and an instruction that cannot be encoded is reported by the call that adds it.
import { SluiceError } from '../errors.ts';
import {
  AluOp, AtomicOp, ATOMIC_FETCH, CALLX, Class, EXIT, JmpOp, LDDW, Mode, PseudoCall, PseudoLd, Size,
  Source, classOf, sizeOf,
} from './opcode.ts';
import { lddw, type Instruction } from './instruction.ts';
import { encode, encodingProblem } from './codec.ts';
import { disassemble } from './disasm.ts';
import { type Draft, labelMessage, resolveLabels } from './labels.ts';

/** A program builder misused: a bad label, or an instruction that cannot be encoded. */
export class BuilderError extends SluiceError {}

/** Where a jump goes: a label, or an offset relative to the next slot. */
export type Target = string | number;

const ALU_OPS = {
  add: [AluOp.ADD, 0], sub: [AluOp.SUB, 0], mul: [AluOp.MUL, 0], div: [AluOp.DIV, 0],
  sdiv: [AluOp.DIV, 1], or: [AluOp.OR, 0], and: [AluOp.AND, 0], lsh: [AluOp.LSH, 0],
  rsh: [AluOp.RSH, 0], mod: [AluOp.MOD, 0], smod: [AluOp.MOD, 1], xor: [AluOp.XOR, 0],
  mov: [AluOp.MOV, 0], arsh: [AluOp.ARSH, 0],
} as const satisfies Record<string, readonly [AluOp, number]>;

const JMP_OPS = {
  jeq: JmpOp.JEQ, jgt: JmpOp.JGT, jge: JmpOp.JGE, jset: JmpOp.JSET, jne: JmpOp.JNE,
  jsgt: JmpOp.JSGT, jsge: JmpOp.JSGE, jlt: JmpOp.JLT, jle: JmpOp.JLE, jslt: JmpOp.JSLT,
  jsle: JmpOp.JSLE,
} as const satisfies Record<string, JmpOp>;

type AluName = keyof typeof ALU_OPS;
type JmpName = keyof typeof JMP_OPS;

/** add64Imm(dst, imm), add64Reg(dst, src), add32Imm, add32Reg, ... for every ALU operation. */
type AluMethods = {
  [K in `${AluName}${'64' | '32'}${'Imm' | 'Reg'}`]: (dst: number, operand: number) => ProgramBuilder;
};
/** jeqImm(dst, imm, target), jeqReg(dst, src, target), jeq32Imm, jeq32Reg, ... for every condition. */
type JmpMethods = {
  [K in `${JmpName}${'' | '32'}${'Imm' | 'Reg'}`]: (dst: number, operand: number, target: Target) => ProgramBuilder;
};

export interface ProgramBuilder extends AluMethods, JmpMethods {}

export class ProgramBuilder {
  private readonly drafts: Draft[] = [];
  private readonly labels = new Map<string, number>();
  private pendingSymbol: string | undefined;
  private slots = 0;

  /** The pc the next instruction will have. */
  get pc(): number { return this.slots; }

  /** Names the pc of the next instruction (or the end of the program). */
  label(name: string): this {
    if (this.labels.has(name)) throw new BuilderError(`label '${name}' is defined twice`);
    this.labels.set(name, this.drafts.length);
    return this;
  }

  /** Starts a subprogram: a label that also becomes the next instruction's `symbol`. */
  subprog(name: string): this {
    this.label(name);
    this.pendingSymbol = name;
    return this;
  }

  /** Adds ready-made instructions. */
  emit(...insns: Instruction[]): this {
    for (const insn of insns) this.add(insn);
    return this;
  }

  // ---- ALU ----
  alu64Imm(op: AluOp, dst: number, imm: number, off = 0): this { return this.alu(Class.ALU64 | Source.K | op, dst, 0, off, imm); }
  alu64Reg(op: AluOp, dst: number, src: number, off = 0): this { return this.alu(Class.ALU64 | Source.X | op, dst, src, off, 0); }
  alu32Imm(op: AluOp, dst: number, imm: number, off = 0): this { return this.alu(Class.ALU | Source.K | op, dst, 0, off, imm); }
  alu32Reg(op: AluOp, dst: number, src: number, off = 0): this { return this.alu(Class.ALU | Source.X | op, dst, src, off, 0); }
  neg64(dst: number): this { return this.alu(Class.ALU64 | AluOp.NEG, dst, 0, 0, 0); }
  neg32(dst: number): this { return this.alu(Class.ALU | AluOp.NEG, dst, 0, 0, 0); }
  /** dst = (s8|s16|s32) src, sign-extended to 64 bits (v4). */
  movsx64(dst: number, src: number, bits: 8 | 16 | 32): this { return this.alu64Reg(AluOp.MOV, dst, src, bits); }
  /** dst = (s8|s16) src, sign-extended to 32 bits, then zero-extended (v4). */
  movsx32(dst: number, src: number, bits: 8 | 16): this { return this.alu32Reg(AluOp.MOV, dst, src, bits); }
  /** `dst = le16 dst`: convert to little-endian (truncates to the width). */
  le(dst: number, bits: 16 | 32 | 64): this { return this.alu(Class.ALU | Source.K | AluOp.END, dst, 0, 0, bits); }
  /** `dst = be16 dst`: convert to big-endian. */
  be(dst: number, bits: 16 | 32 | 64): this { return this.alu(Class.ALU | Source.X | AluOp.END, dst, 0, 0, bits); }
  /** `dst = bswap16 dst`: unconditional byte swap (v4). */
  bswap(dst: number, bits: 16 | 32 | 64): this { return this.alu(Class.ALU64 | Source.K | AluOp.END, dst, 0, 0, bits); }

  // ---- loads and stores ----
  /** dst = *(size *)(src + off) */
  ldx(size: Size, dst: number, src: number, off: number): this { return this.add(raw(Class.LDX | Mode.MEM | size, dst, src, off, 0)); }
  /** dst = *(s8|s16|s32 *)(src + off), sign-extended (v4). */
  ldxsx(size: Size, dst: number, src: number, off: number): this { return this.add(raw(Class.LDX | Mode.MEMSX | size, dst, src, off, 0)); }
  ldxb(dst: number, src: number, off: number): this { return this.ldx(Size.B, dst, src, off); }
  ldxh(dst: number, src: number, off: number): this { return this.ldx(Size.H, dst, src, off); }
  ldxw(dst: number, src: number, off: number): this { return this.ldx(Size.W, dst, src, off); }
  ldxdw(dst: number, src: number, off: number): this { return this.ldx(Size.DW, dst, src, off); }
  ldxsb(dst: number, src: number, off: number): this { return this.ldxsx(Size.B, dst, src, off); }
  ldxsh(dst: number, src: number, off: number): this { return this.ldxsx(Size.H, dst, src, off); }
  ldxsw(dst: number, src: number, off: number): this { return this.ldxsx(Size.W, dst, src, off); }
  /** *(size *)(dst + off) = imm */
  st(size: Size, dst: number, off: number, imm: number): this { return this.add(raw(Class.ST | Mode.MEM | size, dst, 0, off, imm)); }
  stb(dst: number, off: number, imm: number): this { return this.st(Size.B, dst, off, imm); }
  sth(dst: number, off: number, imm: number): this { return this.st(Size.H, dst, off, imm); }
  stw(dst: number, off: number, imm: number): this { return this.st(Size.W, dst, off, imm); }
  stdw(dst: number, off: number, imm: number): this { return this.st(Size.DW, dst, off, imm); }
  /** *(size *)(dst + off) = src */
  stx(size: Size, dst: number, src: number, off: number): this { return this.add(raw(Class.STX | Mode.MEM | size, dst, src, off, 0)); }
  stxb(dst: number, src: number, off: number): this { return this.stx(Size.B, dst, src, off); }
  stxh(dst: number, src: number, off: number): this { return this.stx(Size.H, dst, src, off); }
  stxw(dst: number, src: number, off: number): this { return this.stx(Size.W, dst, src, off); }
  stxdw(dst: number, src: number, off: number): this { return this.stx(Size.DW, dst, src, off); }

  // ---- atomics (size W or DW) ----
  /** `lock *(size *)(dst + off) op= src`; with `fetch`, src receives the old value. */
  atomic(size: Size, op: AtomicOp, dst: number, src: number, off: number, fetch = false): this {
    return this.add(raw(Class.STX | Mode.ATOMIC | size, dst, src, off, op | (fetch ? ATOMIC_FETCH : 0)));
  }
  /** src = xchg(*(size *)(dst + off), src) */
  xchg(size: Size, dst: number, src: number, off: number): this { return this.atomic(size, AtomicOp.XCHG, dst, src, off); }
  /** r0 = cmpxchg(*(size *)(dst + off), r0, src) */
  cmpxchg(size: Size, dst: number, src: number, off: number): this { return this.atomic(size, AtomicOp.CMPXCHG, dst, src, off); }

  // ---- lddw and legacy packet loads ----
  /** dst = a 64-bit constant (two slots). */
  lddw(dst: number, value: bigint | number): this { return this.add(lddw(dst, BigInt(value))); }
  ldMapFd(dst: number, fd: number): this { return this.pseudo(dst, PseudoLd.MAP_FD, fd, 0); }
  ldMapValue(dst: number, fd: number, off: number): this { return this.pseudo(dst, PseudoLd.MAP_VALUE, fd, off); }
  ldBtfId(dst: number, btfId: number): this { return this.pseudo(dst, PseudoLd.BTF_ID, btfId, 0); }
  ldMapIdx(dst: number, index: number): this { return this.pseudo(dst, PseudoLd.MAP_IDX, index, 0); }
  ldMapIdxValue(dst: number, index: number, off: number): this { return this.pseudo(dst, PseudoLd.MAP_IDX_VALUE, index, off); }
  /** dst = the address of a subprogram (BPF_PSEUDO_FUNC; offset counted from the next slot). */
  ldFunc(dst: number, target: Target): this {
    return this.add({ opcode: LDDW, dst, src: PseudoLd.FUNC, off: 0, imm: 0, imm2: 0 }, target, 'imm');
  }
  /** r0 = packet bytes at imm, big-endian (BPF_LD_ABS). */
  ldAbs(size: Size, imm: number): this { return this.add(raw(Class.LD | Mode.ABS | size, 0, 0, 0, imm)); }
  /** r0 = packet bytes at src + imm, big-endian (BPF_LD_IND). */
  ldInd(size: Size, src: number, imm: number): this { return this.add(raw(Class.LD | Mode.IND | size, 0, src, 0, imm)); }

  // ---- jumps, calls, exit ----
  jmpImm(op: JmpOp, dst: number, imm: number, target: Target): this { return this.add(raw(Class.JMP | Source.K | op, dst, 0, 0, imm), target, 'off'); }
  jmpReg(op: JmpOp, dst: number, src: number, target: Target): this { return this.add(raw(Class.JMP | Source.X | op, dst, src, 0, 0), target, 'off'); }
  jmp32Imm(op: JmpOp, dst: number, imm: number, target: Target): this { return this.add(raw(Class.JMP32 | Source.K | op, dst, 0, 0, imm), target, 'off'); }
  jmp32Reg(op: JmpOp, dst: number, src: number, target: Target): this { return this.add(raw(Class.JMP32 | Source.X | op, dst, src, 0, 0), target, 'off'); }
  /** goto (16-bit offset). */
  ja(target: Target): this { return this.add(raw(Class.JMP | JmpOp.JA, 0, 0, 0, 0), target, 'off'); }
  /** gotol: goto with a 32-bit offset (v4). */
  gotol(target: Target): this { return this.add(raw(Class.JMP32 | JmpOp.JA, 0, 0, 0, 0), target, 'imm'); }
  /** Calls a helper by id. */
  call(helper: number): this { return this.add(raw(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, helper)); }
  /** Calls a subprogram (BPF_PSEUDO_CALL). */
  callLocal(target: Target): this { return this.add(raw(Class.JMP | JmpOp.CALL, 0, PseudoCall.LOCAL, 0, 0), target, 'imm'); }
  /** Calls a kernel function by BTF id (BPF_PSEUDO_KFUNC_CALL). */
  callKfunc(btfId: number): this { return this.add(raw(Class.JMP | JmpOp.CALL, 0, PseudoCall.KFUNC, 0, btfId)); }
  /** Calls the address in a register (callx). */
  callx(reg: number): this { return this.add(raw(CALLX, reg, 0, 0, 0)); }
  exit(): this { return this.add(raw(EXIT, 0, 0, 0, 0)); }

  /** The program, labels resolved. The builder can go on being used afterwards. */
  build(): Instruction[] {
    return resolveLabels(this.drafts, this.labels, (problem, i) => {
      throw new BuilderError(`instruction ${i} (${disassemble(this.drafts[i]!.insn)}): ${labelMessage(problem)}`);
    });
  }

  /** The program's bytes (build() then encode()). */
  encode(): Uint8Array { return encode(this.build()); }

  private alu(opcode: number, dst: number, src: number, off: number, imm: number): this {
    return this.add(raw(opcode, dst, src, off, imm));
  }

  private pseudo(dst: number, kind: PseudoLd, imm: number, imm2: number): this {
    return this.add({ opcode: LDDW, dst, src: kind, off: 0, imm, imm2 });
  }

  private add(insn: Instruction, target?: Target, field?: 'off' | 'imm'): this {
    let draft: Draft = { insn };
    if (target !== undefined && field !== undefined) {
      if (typeof target === 'number') draft = { insn: { ...insn, [field]: target } };
      else draft = { insn, fixup: { label: target, field } };
    }
    const problem = checkFields(draft.insn) ?? encodingProblem(draft.insn);
    if (problem) throw new BuilderError(`instruction ${this.drafts.length} (opcode 0x${insn.opcode.toString(16).padStart(2, '0')}): ${problem}`);
    // 0x80000000..0xffffffff are accepted as 32-bit patterns and kept signed, as decode() does.
    if (draft.insn.imm > 0x7fffffff) draft.insn = { ...draft.insn, imm: draft.insn.imm | 0 };
    if (this.pendingSymbol !== undefined) {
      draft.insn = { ...draft.insn, symbol: this.pendingSymbol };
      this.pendingSymbol = undefined;
    }
    this.drafts.push(draft);
    this.slots += insn.opcode === LDDW ? 2 : 1;
    return this;
  }
}

const raw = (opcode: number, dst: number, src: number, off: number, imm: number): Instruction =>
  ({ opcode, dst, src, off, imm });

/** Field ranges the codec would only catch when writing bytes. */
function checkFields(insn: Instruction): string | undefined {
  const isInt = (v: number, bits: number) => Number.isInteger(v) && v >= -(2 ** (bits - 1)) && v < 2 ** (bits - 1);
  for (const r of [insn.dst, insn.src]) if (!Number.isInteger(r) || r < 0 || r > 15) return `register ${r} does not exist`;
  if (!isInt(insn.off, 16)) return `offset ${insn.off} does not fit 16 bits`;
  if (isInt(insn.imm, 32)) return undefined;
  if (!Number.isInteger(insn.imm) || insn.imm < 0 || insn.imm > 0xffffffff) return `immediate ${insn.imm} does not fit 32 bits`;
  // 0x80000000..0xffffffff: a 32-bit pattern, fine where the immediate is used as 32 bits,
  // misleading where the CPU sign-extends it to 64 (as the assembler also says).
  const cls = classOf(insn.opcode);
  const signExtended = cls === Class.ALU64 || cls === Class.JMP || (cls === Class.ST && sizeOf(insn.opcode) === Size.DW);
  return signExtended ? `immediate ${insn.imm} would be sign-extended to 64 bits; use lddw or a 32-bit operation` : undefined;
}

for (const [name, [op, off]] of Object.entries(ALU_OPS)) {
  const proto = ProgramBuilder.prototype as unknown as Record<string, (dst: number, x: number) => ProgramBuilder>;
  proto[`${name}64Imm`] = function (this: ProgramBuilder, dst, imm) { return this.alu64Imm(op, dst, imm, off); };
  proto[`${name}64Reg`] = function (this: ProgramBuilder, dst, src) { return this.alu64Reg(op, dst, src, off); };
  proto[`${name}32Imm`] = function (this: ProgramBuilder, dst, imm) { return this.alu32Imm(op, dst, imm, off); };
  proto[`${name}32Reg`] = function (this: ProgramBuilder, dst, src) { return this.alu32Reg(op, dst, src, off); };
}
for (const [name, op] of Object.entries(JMP_OPS)) {
  const proto = ProgramBuilder.prototype as unknown as Record<string, (dst: number, x: number, t: Target) => ProgramBuilder>;
  proto[`${name}Imm`] = function (this: ProgramBuilder, dst, imm, t) { return this.jmpImm(op, dst, imm, t); };
  proto[`${name}Reg`] = function (this: ProgramBuilder, dst, src, t) { return this.jmpReg(op, dst, src, t); };
  proto[`${name}32Imm`] = function (this: ProgramBuilder, dst, imm, t) { return this.jmp32Imm(op, dst, imm, t); };
  proto[`${name}32Reg`] = function (this: ProgramBuilder, dst, src, t) { return this.jmp32Reg(op, dst, src, t); };
}
