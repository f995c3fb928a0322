// One run of a program: the registers, the call frames, and the loop that
// executes instructions. The loop is a switch on the opcode byte with literal
// cases (V8 turns it into a jump table); each case is written out for its
// class, source and operation, so the untraced path allocates nothing but the
// bigints the arithmetic itself produces. Tracing steps one instruction at a
// time through the same loop and diffs the registers around it.
import { RunError } from '../errors.ts';
import type { Instruction } from '../isa/instruction.ts';
import { MAX_CALL_FRAMES, PseudoCall, PseudoLd, R10, REGISTER_COUNT } from '../isa/opcode.ts';
import { type Code, NOT_AN_INSTRUCTION } from './code.ts';
import { type FaultKind, VmError } from './errors.ts';
import { type Access, AccessFault, type Memory, hex } from './memory.ts';
import { div32, div64, mod32, mod64, s32, s64, signExtend, swap, toLittleEndian, u32 } from './ops.ts';
import { atomic } from './atomic.ts';

/** What a helper sees of the running program. */
export interface HelperContext {
  readonly memory: Memory;
  /** The pc of the call instruction. */
  readonly pc: number;
  /** The current call depth (0 in the main program). */
  readonly depth: number;
}

/** A helper function: gets r1-r5, returns r0. Throw a RunError (or anything) to stop the run. */
export type Helper = (ctx: HelperContext, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint | number;

/** Resolves the constant of an lddw whose src is not a plain imm64 (map references after relocation, ...). */
export type LddwResolver = (insn: Instruction, pc: number) => bigint | undefined;

export interface Change { readonly reg: number; readonly before: bigint; readonly after: bigint }

/** One executed instruction, as `step()` and `trace()` report it. */
export interface TraceEvent {
  readonly pc: number;
  readonly insn: Instruction;
  /** The instruction as text (the disassembly when a describer is available). */
  readonly text: string;
  /** Call depth when the instruction ran. */
  readonly depth: number;
  /** Registers whose value the instruction changed. */
  readonly changes: readonly Change[];
  /** Memory the instruction (or the helper it called) read or wrote, in order. */
  readonly accesses: readonly Access[];
  /** Set when this instruction ended the program: the value of r0. */
  readonly exit?: bigint;
}

export interface RunResult { readonly r0: bigint; readonly steps: number }

export interface Environment {
  readonly code: Code;
  readonly memory: Memory;
  /** helpers[pc]: the helper a call at pc reaches, resolved once at load. */
  readonly helperAt: readonly (Helper | undefined)[];
  readonly maxSteps: number;
  readonly describe: (insn: Instruction) => string;
  readonly resolveLddw?: LddwResolver;
}

const CALLEE_SAVED = 5; // r6-r9 and r10, per frame

export class Execution implements HelperContext {
  readonly regs = new BigUint64Array(REGISTER_COUNT);
  pc = 0;
  depth = 0;
  steps = 0;
  done = false;
  result: RunResult | undefined;
  private readonly returnPc = new Int32Array(MAX_CALL_FRAMES);
  private readonly saved = new BigUint64Array(MAX_CALL_FRAMES * CALLEE_SAVED);
  private readonly before = new BigUint64Array(REGISTER_COUNT);

  constructor(private readonly env: Environment, args: readonly bigint[]) {
    args.slice(0, 5).forEach((v, i) => { this.regs[i + 1] = v; });
    const frame = env.memory.stacks[0]!;
    frame.bytes.fill(0);
    this.regs[R10] = frame.end;
  }

  get memory(): Memory {
    return this.env.memory;
  }

  /** Runs to the end (or the step limit) and returns r0. */
  finish(): RunResult {
    while (!this.done) {
      const budget = this.env.maxSteps - this.steps;
      if (budget <= 0) {
        this.fail(new VmError('step-limit', `stopped after ${this.steps} instructions (the step limit)${this.where(this.pc)}`, this.pc));
      }
      this.exec(budget);
    }
    return this.result!;
  }

  /** Executes one instruction and reports what it did. */
  step(): TraceEvent {
    if (this.done) throw new Error('the program has already ended');
    if (this.steps >= this.env.maxSteps) this.finish(); // throws the step-limit error
    const { regs, before, env } = this;
    const pc = this.pc, depth = this.depth;
    before.set(regs);
    const accesses: Access[] = [];
    env.memory.log = accesses;
    try {
      this.exec(1);
    } finally {
      env.memory.log = null;
    }
    const changes: Change[] = [];
    for (let r = 0; r < REGISTER_COUNT; r++) {
      if (before[r] !== regs[r]) changes.push({ reg: r, before: before[r]!, after: regs[r]! });
    }
    const insn = env.code.insns[pc]!;
    const event: TraceEvent = { pc, insn, text: env.describe(insn), depth, changes, accesses };
    return this.done ? { ...event, exit: this.result!.r0 } : event;
  }

  private where(pc: number): string {
    const insn = this.env.code.insns[pc];
    return insn ? `, at \`${this.env.describe(insn)}\`` : '';
  }

  private fail(err: VmError): never {
    this.done = true;
    this.env.memory.endRun();
    throw err;
  }

  private fault(kind: FaultKind, message: string, pc: number): never {
    this.pc = pc;
    return this.fail(new VmError(kind, `${message}${this.where(pc)}`, pc));
  }

  /** Executes up to `budget` instructions; stops early when the program exits. */
  private exec(budget: number): void {
    const { ops, dst, src, off, offB, imm, k64, k32, kS, target } = this.env.code;
    const R = this.regs;
    const mem = this.env.memory;
    let pc = this.pc;
    let n = 0;
    try {
      while (n < budget) {
        n++;
        const d = dst[pc]!;
        switch (ops[pc]) {
          // ALU64: 64-bit results; K operands are imm sign-extended to 64 bits
          case 0x07: R[d] = R[d]! + (k64[pc]!); pc++; continue;
          case 0x0f: R[d] = R[d]! + (R[src[pc]!]!); pc++; continue;
          case 0x17: R[d] = R[d]! - (k64[pc]!); pc++; continue;
          case 0x1f: R[d] = R[d]! - (R[src[pc]!]!); pc++; continue;
          case 0x27: R[d] = R[d]! * (k64[pc]!); pc++; continue;
          case 0x2f: R[d] = R[d]! * (R[src[pc]!]!); pc++; continue;
          case 0x37: R[d] = div64(R[d]!, k64[pc]!, off[pc] === 1); pc++; continue;
          case 0x3f: R[d] = div64(R[d]!, R[src[pc]!]!, off[pc] === 1); pc++; continue;
          case 0x47: R[d] = R[d]! | (k64[pc]!); pc++; continue;
          case 0x4f: R[d] = R[d]! | (R[src[pc]!]!); pc++; continue;
          case 0x57: R[d] = R[d]! & (k64[pc]!); pc++; continue;
          case 0x5f: R[d] = R[d]! & (R[src[pc]!]!); pc++; continue;
          case 0x67: R[d] = R[d]! << (k64[pc]! & 63n); pc++; continue;
          case 0x6f: R[d] = R[d]! << (R[src[pc]!]! & 63n); pc++; continue;
          case 0x77: R[d] = R[d]! >> (k64[pc]! & 63n); pc++; continue;
          case 0x7f: R[d] = R[d]! >> (R[src[pc]!]! & 63n); pc++; continue;
          case 0x87: R[d] = -R[d]!; pc++; continue;
          case 0x97: R[d] = mod64(R[d]!, k64[pc]!, off[pc] === 1); pc++; continue;
          case 0x9f: R[d] = mod64(R[d]!, R[src[pc]!]!, off[pc] === 1); pc++; continue;
          case 0xa7: R[d] = R[d]! ^ (k64[pc]!); pc++; continue;
          case 0xaf: R[d] = R[d]! ^ (R[src[pc]!]!); pc++; continue;
          case 0xb7: R[d] = k64[pc]!; pc++; continue;
          case 0xbf: R[d] = off[pc] === 0 ? R[src[pc]!]! : signExtend(R[src[pc]!]!, off[pc]!); pc++; continue;
          case 0xc7: R[d] = s64(R[d]!) >> (k64[pc]! & 63n); pc++; continue;
          case 0xcf: R[d] = s64(R[d]!) >> (R[src[pc]!]! & 63n); pc++; continue;
          case 0xd7: R[d] = swap(R[d]!, imm[pc]!); pc++; continue; // bswap16/32/64
          // ALU: operate on the low 32 bits, zero-extend the result
          case 0x04: R[d] = u32(R[d]! + k32[pc]!); pc++; continue;
          case 0x0c: R[d] = u32(R[d]! + R[src[pc]!]!); pc++; continue;
          case 0x14: R[d] = u32(R[d]! - k32[pc]!); pc++; continue;
          case 0x1c: R[d] = u32(R[d]! - R[src[pc]!]!); pc++; continue;
          case 0x24: R[d] = u32(R[d]! * k32[pc]!); pc++; continue;
          case 0x2c: R[d] = u32(R[d]! * R[src[pc]!]!); pc++; continue;
          case 0x34: R[d] = div32(R[d]!, k32[pc]!, off[pc] === 1); pc++; continue;
          case 0x3c: R[d] = div32(R[d]!, R[src[pc]!]!, off[pc] === 1); pc++; continue;
          case 0x44: R[d] = u32(R[d]! | k32[pc]!); pc++; continue;
          case 0x4c: R[d] = u32(R[d]! | R[src[pc]!]!); pc++; continue;
          case 0x54: R[d] = u32(R[d]! & k32[pc]!); pc++; continue;
          case 0x5c: R[d] = u32(R[d]! & R[src[pc]!]!); pc++; continue;
          case 0x64: R[d] = u32(R[d]! << (k32[pc]! & 31n)); pc++; continue;
          case 0x6c: R[d] = u32(R[d]! << (R[src[pc]!]! & 31n)); pc++; continue;
          case 0x74: R[d] = u32(R[d]!) >> (k32[pc]! & 31n); pc++; continue;
          case 0x7c: R[d] = u32(R[d]!) >> (R[src[pc]!]! & 31n); pc++; continue;
          case 0x84: R[d] = u32(-R[d]!); pc++; continue;
          case 0x94: R[d] = mod32(R[d]!, k32[pc]!, off[pc] === 1); pc++; continue;
          case 0x9c: R[d] = mod32(R[d]!, R[src[pc]!]!, off[pc] === 1); pc++; continue;
          case 0xa4: R[d] = u32(R[d]! ^ k32[pc]!); pc++; continue;
          case 0xac: R[d] = u32(R[d]! ^ R[src[pc]!]!); pc++; continue;
          case 0xb4: R[d] = k32[pc]!; pc++; continue;
          case 0xbc: R[d] = u32(off[pc] === 0 ? R[src[pc]!]! : signExtend(R[src[pc]!]!, off[pc]!)); pc++; continue;
          case 0xc4: R[d] = u32(s32(R[d]!) >> (k32[pc]! & 31n)); pc++; continue;
          case 0xcc: R[d] = u32(s32(R[d]!) >> (R[src[pc]!]! & 31n)); pc++; continue;
          case 0xd4: R[d] = toLittleEndian(R[d]!, imm[pc]!); pc++; continue; // le16/32/64
          case 0xdc: R[d] = swap(R[d]!, imm[pc]!); pc++; continue; // be16/32/64
          // JMP: 64-bit comparisons
          case 0x05: pc = target[pc]!; continue;
          case 0x15: pc = R[d] === k64[pc] ? target[pc]! : pc + 1; continue;
          case 0x1d: pc = R[d] === R[src[pc]!] ? target[pc]! : pc + 1; continue;
          case 0x25: pc = R[d]! > k64[pc]! ? target[pc]! : pc + 1; continue;
          case 0x2d: pc = R[d]! > R[src[pc]!]! ? target[pc]! : pc + 1; continue;
          case 0x35: pc = R[d]! >= k64[pc]! ? target[pc]! : pc + 1; continue;
          case 0x3d: pc = R[d]! >= R[src[pc]!]! ? target[pc]! : pc + 1; continue;
          case 0x45: pc = (R[d]! & k64[pc]!) !== 0n ? target[pc]! : pc + 1; continue;
          case 0x4d: pc = (R[d]! & R[src[pc]!]!) !== 0n ? target[pc]! : pc + 1; continue;
          case 0x55: pc = R[d] !== k64[pc] ? target[pc]! : pc + 1; continue;
          case 0x5d: pc = R[d] !== R[src[pc]!] ? target[pc]! : pc + 1; continue;
          case 0x65: pc = s64(R[d]!) > kS[pc]! ? target[pc]! : pc + 1; continue;
          case 0x6d: pc = s64(R[d]!) > s64(R[src[pc]!]!) ? target[pc]! : pc + 1; continue;
          case 0x75: pc = s64(R[d]!) >= kS[pc]! ? target[pc]! : pc + 1; continue;
          case 0x7d: pc = s64(R[d]!) >= s64(R[src[pc]!]!) ? target[pc]! : pc + 1; continue;
          case 0xa5: pc = R[d]! < k64[pc]! ? target[pc]! : pc + 1; continue;
          case 0xad: pc = R[d]! < R[src[pc]!]! ? target[pc]! : pc + 1; continue;
          case 0xb5: pc = R[d]! <= k64[pc]! ? target[pc]! : pc + 1; continue;
          case 0xbd: pc = R[d]! <= R[src[pc]!]! ? target[pc]! : pc + 1; continue;
          case 0xc5: pc = s64(R[d]!) < kS[pc]! ? target[pc]! : pc + 1; continue;
          case 0xcd: pc = s64(R[d]!) < s64(R[src[pc]!]!) ? target[pc]! : pc + 1; continue;
          case 0xd5: pc = s64(R[d]!) <= kS[pc]! ? target[pc]! : pc + 1; continue;
          case 0xdd: pc = s64(R[d]!) <= s64(R[src[pc]!]!) ? target[pc]! : pc + 1; continue;
          // JMP32: comparisons of the low 32 bits
          case 0x06: pc = target[pc]!; continue; // gotol
          case 0x16: pc = u32(R[d]!) === k32[pc] ? target[pc]! : pc + 1; continue;
          case 0x1e: pc = u32(R[d]!) === u32(R[src[pc]!]!) ? target[pc]! : pc + 1; continue;
          case 0x26: pc = u32(R[d]!) > k32[pc]! ? target[pc]! : pc + 1; continue;
          case 0x2e: pc = u32(R[d]!) > u32(R[src[pc]!]!) ? target[pc]! : pc + 1; continue;
          case 0x36: pc = u32(R[d]!) >= k32[pc]! ? target[pc]! : pc + 1; continue;
          case 0x3e: pc = u32(R[d]!) >= u32(R[src[pc]!]!) ? target[pc]! : pc + 1; continue;
          case 0x46: pc = u32(R[d]! & k32[pc]!) !== 0n ? target[pc]! : pc + 1; continue;
          case 0x4e: pc = u32(R[d]! & R[src[pc]!]!) !== 0n ? target[pc]! : pc + 1; continue;
          case 0x56: pc = u32(R[d]!) !== k32[pc] ? target[pc]! : pc + 1; continue;
          case 0x5e: pc = u32(R[d]!) !== u32(R[src[pc]!]!) ? target[pc]! : pc + 1; continue;
          case 0x66: pc = s32(R[d]!) > kS[pc]! ? target[pc]! : pc + 1; continue;
          case 0x6e: pc = s32(R[d]!) > s32(R[src[pc]!]!) ? target[pc]! : pc + 1; continue;
          case 0x76: pc = s32(R[d]!) >= kS[pc]! ? target[pc]! : pc + 1; continue;
          case 0x7e: pc = s32(R[d]!) >= s32(R[src[pc]!]!) ? target[pc]! : pc + 1; continue;
          case 0xa6: pc = u32(R[d]!) < k32[pc]! ? target[pc]! : pc + 1; continue;
          case 0xae: pc = u32(R[d]!) < u32(R[src[pc]!]!) ? target[pc]! : pc + 1; continue;
          case 0xb6: pc = u32(R[d]!) <= k32[pc]! ? target[pc]! : pc + 1; continue;
          case 0xbe: pc = u32(R[d]!) <= u32(R[src[pc]!]!) ? target[pc]! : pc + 1; continue;
          case 0xc6: pc = s32(R[d]!) < kS[pc]! ? target[pc]! : pc + 1; continue;
          case 0xce: pc = s32(R[d]!) < s32(R[src[pc]!]!) ? target[pc]! : pc + 1; continue;
          case 0xd6: pc = s32(R[d]!) <= kS[pc]! ? target[pc]! : pc + 1; continue;
          case 0xde: pc = s32(R[d]!) <= s32(R[src[pc]!]!) ? target[pc]! : pc + 1; continue;
          // LDX: zero-extending (MEM) and sign-extending (MEMSX) loads
          case 0x61: R[d] = mem.load(BigInt.asUintN(64, R[src[pc]!]! + offB[pc]!), 4); pc++; continue;
          case 0x69: R[d] = mem.load(BigInt.asUintN(64, R[src[pc]!]! + offB[pc]!), 2); pc++; continue;
          case 0x71: R[d] = mem.load(BigInt.asUintN(64, R[src[pc]!]! + offB[pc]!), 1); pc++; continue;
          case 0x79: R[d] = mem.load(BigInt.asUintN(64, R[src[pc]!]! + offB[pc]!), 8); pc++; continue;
          case 0x81: R[d] = s32(mem.load(BigInt.asUintN(64, R[src[pc]!]! + offB[pc]!), 4)); pc++; continue;
          case 0x89: R[d] = BigInt.asIntN(16, mem.load(BigInt.asUintN(64, R[src[pc]!]! + offB[pc]!), 2)); pc++; continue;
          case 0x91: R[d] = BigInt.asIntN(8, mem.load(BigInt.asUintN(64, R[src[pc]!]! + offB[pc]!), 1)); pc++; continue;
          // ST: store the immediate; STX: store the src register
          case 0x62: mem.store(BigInt.asUintN(64, R[d]! + offB[pc]!), 4, k64[pc]!); pc++; continue;
          case 0x6a: mem.store(BigInt.asUintN(64, R[d]! + offB[pc]!), 2, k64[pc]!); pc++; continue;
          case 0x72: mem.store(BigInt.asUintN(64, R[d]! + offB[pc]!), 1, k64[pc]!); pc++; continue;
          case 0x7a: mem.store(BigInt.asUintN(64, R[d]! + offB[pc]!), 8, k64[pc]!); pc++; continue;
          case 0x63: mem.store(BigInt.asUintN(64, R[d]! + offB[pc]!), 4, R[src[pc]!]!); pc++; continue;
          case 0x6b: mem.store(BigInt.asUintN(64, R[d]! + offB[pc]!), 2, R[src[pc]!]!); pc++; continue;
          case 0x73: mem.store(BigInt.asUintN(64, R[d]! + offB[pc]!), 1, R[src[pc]!]!); pc++; continue;
          case 0x7b: mem.store(BigInt.asUintN(64, R[d]! + offB[pc]!), 8, R[src[pc]!]!); pc++; continue;
          case 0xc3: atomic(mem, R, src[pc]!, BigInt.asUintN(64, R[d]! + offB[pc]!), 4, imm[pc]!); pc++; continue;
          case 0xdb: atomic(mem, R, src[pc]!, BigInt.asUintN(64, R[d]! + offB[pc]!), 8, imm[pc]!); pc++; continue;
          case 0x18: R[d] = this.lddw(pc); pc += 2; continue;
          case 0x85: pc = this.call(pc); continue;
          case 0x8d: pc = this.callx(pc, R[d]!); continue;
          case 0x95:
            if (this.depth === 0) {
              this.done = true;
              this.result = { r0: R[0]!, steps: this.steps + n };
              this.env.memory.endRun();
              break;
            }
            pc = this.ret();
            continue;
          case 0x20: case 0x28: case 0x30: case 0x40: case 0x48: case 0x50:
            return this.fault('unsupported', 'legacy packet load (LD_ABS/LD_IND): the kernel rejects it in XDP programs', pc);
          default:
            this.badPc(pc);
        }
        break; // exit
      }
    } catch (err) {
      this.steps += n;
      if (err instanceof VmError) { this.done = true; throw err; }
      if (err instanceof AccessFault) this.fault('memory', err.message, pc);
      this.done = true;
      this.env.memory.endRun();
      throw err;
    }
    this.steps += n;
    this.pc = pc;
  }

  private badPc(pc: number): never {
    const { slots, ops } = this.env.code;
    if (pc === slots) this.fault('bad-jump', 'ran past the end of the program', pc);
    if (pc < 0 || pc > slots) this.fault('bad-jump', `jump to pc ${pc}, outside the program (${slots} slots)`, pc);
    if (ops[pc] === NOT_AN_INSTRUCTION) this.fault('bad-jump', 'jump into the middle of lddw', pc);
    this.fault('unsupported', `opcode 0x${ops[pc]!.toString(16)} cannot run`, pc);
  }

  private lddw(pc: number): bigint {
    const { code, resolveLddw } = this.env;
    const insn = code.insns[pc]!;
    if (insn.src === PseudoLd.IMM64) return code.k64[pc]!;
    if (insn.src === PseudoLd.FUNC) return BigInt(pc + 1 + insn.imm); // a subprogram's pc, for callx
    const resolved = resolveLddw?.(insn, pc);
    if (resolved !== undefined) return BigInt.asUintN(64, resolved);
    if (insn.src === PseudoLd.BTF_ID) this.fault('unsupported', `lddw of kernel variable BTF id ${insn.imm}`, pc);
    const what = insn.src === PseudoLd.MAP_FD || insn.src === PseudoLd.MAP_VALUE ? `map fd ${insn.imm}` : `map index ${insn.imm}`;
    return this.fault('unrelocated', `lddw of ${what} that was never relocated to an address`, pc);
  }

  private call(pc: number): number {
    const insn = this.env.code.insns[pc]!;
    if (insn.src === PseudoCall.LOCAL) return this.enter(pc, this.env.code.target[pc]!);
    if (insn.src === PseudoCall.KFUNC) this.fault('unsupported', `call of kernel function BTF id ${insn.imm}`, pc);
    const helper = this.env.helperAt[pc];
    if (helper === undefined) this.fault('helper', `unknown helper ${insn.imm}`, pc);
    const R = this.regs;
    this.pc = pc;
    let r0: bigint;
    try {
      const result = helper(this, R[1]!, R[2]!, R[3]!, R[4]!, R[5]!);
      r0 = typeof result === 'bigint' ? result : BigInt(result);
    } catch (err) {
      if (err instanceof VmError || err instanceof AccessFault) throw err;
      // A helper's own RunError already names the pc: keep its words, add the kind.
      const why = err instanceof RunError ? err.message.replace(/^pc -?\d+: /, '') : `helper ${insn.imm} failed: ${(err as Error)?.message ?? String(err)}`;
      return this.fail(new VmError('helper', `${why}${this.where(pc)}`, pc, { cause: err }));
    }
    R[0] = r0;
    return pc + 1;
  }

  private callx(pc: number, to: bigint): number {
    const { slots, ops } = this.env.code;
    if (to >= BigInt(slots) || ops[Number(to)] === NOT_AN_INSTRUCTION) {
      this.fault('bad-jump', `callx to ${hex(to)}, which is not the pc of an instruction`, pc);
    }
    return this.enter(pc, Number(to));
  }

  /** A local call: saves r6-r9 and r10, gives the callee a fresh zeroed frame. */
  private enter(pc: number, to: number): number {
    if (this.depth + 1 >= MAX_CALL_FRAMES) this.fault('call-depth', `call depth exceeds ${MAX_CALL_FRAMES} frames`, pc);
    const R = this.regs, at = this.depth * CALLEE_SAVED;
    this.saved.set(R.subarray(6, 11), at);
    this.returnPc[this.depth] = pc + 1;
    this.depth++;
    const frame = this.env.memory.stacks[this.depth]!;
    frame.bytes.fill(0);
    R[R10] = frame.end;
    return to;
  }

  private ret(): number {
    this.depth--;
    this.regs.set(this.saved.subarray(this.depth * CALLEE_SAVED, (this.depth + 1) * CALLEE_SAVED), 6);
    return this.returnPc[this.depth]!;
  }
}

