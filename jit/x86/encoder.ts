// Instruction forms, layered: bytes (CodeBuffer) → prefixes, REX, ModRM/SIB and
// displacement (encode()) → one method per x86-64 instruction form used by the
// emitters. Operand sizes: `w` true is 64-bit, false is 32-bit (which on x86-64
// zero-extends the destination register for free).
import { CodeBuffer, type Label } from './code-buffer.ts';
import { X as X_ } from './regs.ts';

// Imports copied into locals: under tsx every use of an imported binding is a getter
// call, which the per-instruction paths of the JIT feel (compile time).
const X = X_;
type X = X_;

/** A memory operand [base + index*scale + disp]. */
export interface Mem { base: X; index?: X; scale?: 1 | 2 | 4 | 8; disp: number }
export type Operand = X | Mem;

/** The group-1 ALU operations: their /digit in 81/83 and opcode op*8+1 in the r/m,reg form. */
export enum Alu { ADD = 0, OR = 1, AND = 4, SUB = 5, XOR = 6, CMP = 7 }
/** The group-2 shift and rotate operations: their /digit in C1/D1/D3. */
export enum Shift { ROL = 0, ROR = 1, SHL = 4, SHR = 5, SAR = 7 }

export const fitsInt8 = (v: number): boolean => v >= -128 && v <= 127;
export const fitsInt32 = (v: bigint): boolean => v >= -0x80000000n && v <= 0x7fffffffn;

const isMem = (o: Operand): o is Mem => typeof o === 'object';

interface Form {
  /** REX.W: 64-bit operand size. */
  w?: boolean;
  /** Legacy prefixes before REX (0x66 operand size, 0xF0 lock). */
  prefixes?: readonly number[];
  /** Byte registers 4-7 mean spl/bpl/sil/dil only with a REX prefix (ah..bh without). */
  byteRegs?: boolean;
  /** The opcode bytes. */
  op: readonly number[];
  /** ModRM.reg: a register or an opcode extension /digit. */
  reg: number;
  rm: Operand;
}

export class Asm extends CodeBuffer {
  /** The CPU has BMI2 (shlx/shrx/sarx): set from JitOptions.cpu. */
  bmi2 = false;
  /** Constant blinding (JitOptions.blindConstants): a source of non-zero random values, or undefined when off (blind.ts). */
  blind: (() => number) | undefined = undefined;

  /** Emits prefixes, REX, opcode, ModRM, SIB and displacement. */
  encode(f: Form): void {
    for (const p of f.prefixes ?? []) this.byte(p);
    const rm = f.rm;
    const b = isMem(rm) ? rm.base : rm;
    const x = isMem(rm) ? (rm.index ?? 0) : 0;
    let rex = (f.w ? 8 : 0) | ((f.reg & 8) >> 1) | ((x & 8) >> 2) | ((b & 8) >> 3);
    const byteRegNeedsRex = f.byteRegs === true && ((f.reg >= 4 && f.reg <= 7) || (!isMem(rm) && rm >= 4 && rm <= 7));
    if (rex !== 0 || byteRegNeedsRex) this.byte(0x40 | rex);
    this.bytes(...f.op);
    const reg = (f.reg & 7) << 3;
    if (!isMem(rm)) {
      this.byte(0xc0 | reg | (rm & 7));
      return;
    }
    const disp = rm.disp | 0;
    const mod = disp === 0 && (b & 7) !== 5 ? 0 : fitsInt8(disp) ? 1 : 2;
    if (rm.index !== undefined || (b & 7) === 4) {
      const index = rm.index ?? 4; // 4 in SIB.index: no index
      const scale = { 1: 0, 2: 1, 4: 2, 8: 3 }[rm.scale ?? 1];
      this.byte((mod << 6) | reg | 4);
      this.byte((scale << 6) | ((index & 7) << 3) | (b & 7));
    } else {
      this.byte((mod << 6) | reg | (b & 7));
    }
    if (mod === 1) this.imm8(disp);
    else if (mod === 2) this.imm32(disp);
  }

  // --- moves ---------------------------------------------------------------

  /** mov dst, src (32-bit: zero-extends dst; mov r32, r32 of a register onto itself is the zero-extension idiom). */
  movRR(dst: X, src: X, w: boolean): void {
    this.encode({ w, op: [0x89], reg: src, rm: dst });
  }

  /** dst = constant, in the shortest form that yields the 64-bit pattern `value` (w) or the low 32 bits zero-extended (!w). */
  movRI(dst: X, value: bigint | number, w: boolean): void {
    if (typeof value === 'number' && Number.isSafeInteger(value)) { // the common case, without BigInt arithmetic
      if (!w || (value >= 0 && value <= 0xffffffff)) return this.movR32(dst, value >>> 0);
      if (value >= -0x80000000 && value < 0) return this.movR64Simm32(dst, value);
    }
    let v = BigInt.asUintN(64, BigInt(value));
    if (!w) v &= 0xffffffffn;
    if (v <= 0xffffffffn) this.movR32(dst, Number(v));
    else if (fitsInt32(BigInt.asIntN(64, v))) this.movR64Simm32(dst, Number(BigInt.asIntN(64, v)));
    else this.movabs(dst, v);
  }

  /** dst = a 32-bit constant, zero-extended: xor r32, r32 for zero (the shortest form), else mov r32, imm32. */
  private movR32(dst: X, v: number): void {
    if (v === 0) return this.aluRR(Alu.XOR, dst, dst, false);
    if (dst & 8) this.byte(0x41);
    this.byte(0xb8 | (dst & 7));
    this.imm32(v);
  }

  /** mov r64, simm32 (sign-extended). */
  private movR64Simm32(dst: X, v: number): void {
    this.encode({ w: true, op: [0xc7], reg: 0, rm: dst });
    this.imm32(v);
  }

  /** mov r64, imm64 (10 bytes): for absolute addresses. */
  movabs(dst: X, value: bigint): void {
    this.byte(0x48 | ((dst & 8) >> 3));
    this.byte(0xb8 | (dst & 7));
    this.imm64(value);
  }

  /** Load of 1, 2, 4 or 8 bytes into a register: zero-extending, or sign-extending to 64 bits. */
  load(size: 1 | 2 | 4 | 8, dst: X, mem: Mem, signed = false): void {
    if (size === 8) return this.encode({ w: true, op: [0x8b], reg: dst, rm: mem });
    if (size === 4) {
      if (signed) this.encode({ w: true, op: [0x63], reg: dst, rm: mem }); // movsxd
      else this.encode({ op: [0x8b], reg: dst, rm: mem });
      return;
    }
    const op = (size === 1 ? 0xb6 : 0xb7) | (signed ? 0x08 : 0);
    this.encode({ w: signed, op: [0x0f, op], reg: dst, rm: mem }); // movzx r32 / movsx r64
  }

  /**
   * mov dst32, fs:[disp32]: a 32-bit load at an absolute offset from the thread pointer (the %fs
   * base), zero-extended: a thread-local variable of initial-exec TLS. The segment prefix 0x64
   * comes before REX; ModRM mod=00 rm=100 with SIB base=101 index=100 is [disp32] with no base
   * and no index (rm=101 alone would be rip-relative).
   */
  loadFs32(dst: X, disp: number): void {
    this.byte(0x64);
    if (dst & 8) this.byte(0x44); // REX.R
    this.bytes(0x8b, ((dst & 7) << 3) | 4, 0x25);
    this.imm32(disp);
  }

  /** Store of the low 1, 2, 4 or 8 bytes of a register. */
  store(size: 1 | 2 | 4 | 8, mem: Mem, src: X): void {
    if (size === 1) this.encode({ byteRegs: true, op: [0x88], reg: src, rm: mem });
    else if (size === 2) this.encode({ prefixes: [0x66], op: [0x89], reg: src, rm: mem });
    else this.encode({ w: size === 8, op: [0x89], reg: src, rm: mem });
  }

  /** Store of an immediate; 8 bytes store the sign-extended 32-bit immediate. */
  storeImm(size: 1 | 2 | 4 | 8, mem: Mem, imm: number): void {
    if (size === 1) { this.encode({ op: [0xc6], reg: 0, rm: mem }); this.imm8(imm); return; }
    if (size === 2) { this.encode({ prefixes: [0x66], op: [0xc7], reg: 0, rm: mem }); this.imm16(imm); return; }
    this.encode({ w: size === 8, op: [0xc7], reg: 0, rm: mem });
    this.imm32(imm);
  }

  /** movzx r32, r8 / r16 (upper bits of the 64-bit register cleared too). */
  movzxRR(dst: X, src: X, from: 1 | 2): void {
    this.encode({ byteRegs: from === 1, op: [0x0f, from === 1 ? 0xb6 : 0xb7], reg: dst, rm: src });
  }

  /** movsx dst, src8/src16/src32 into a 32-bit (w false, zero-extended above) or 64-bit register. */
  movsxRR(dst: X, src: X, from: 1 | 2 | 4, w: boolean): void {
    if (from === 4) this.encode({ w: true, op: [0x63], reg: dst, rm: src });
    else this.encode({ w, byteRegs: from === 1, op: [0x0f, from === 1 ? 0xbe : 0xbf], reg: dst, rm: src });
  }

  /** lea dst, [mem]; 32-bit (w false) keeps the low half of the address and zero-extends, like any 32-bit op. */
  lea(dst: X, mem: Mem, w = true): void {
    this.encode({ w, op: [0x8d], reg: dst, rm: mem });
  }

  /** lea dst, [rip + label]: the absolute address of a label in the installed code. */
  leaLabel(dst: X, label: Label): void {
    this.rel32([0x48 | ((dst & 8) >> 1), 0x8d, ((dst & 7) << 3) | 5], label);
  }

  // --- arithmetic -----------------------------------------------------------

  /** op dst, src (add/or/and/sub/xor/cmp). */
  aluRR(op: Alu, dst: X, src: X, w: boolean): void {
    this.encode({ w, op: [op * 8 + 1], reg: src, rm: dst });
  }

  /** op dst, imm (sign-extended imm8 when it fits, else imm32). */
  aluRI(op: Alu, dst: Operand, imm: number, w: boolean): void {
    if (fitsInt8(imm)) { this.encode({ w, op: [0x83], reg: op, rm: dst }); this.imm8(imm); }
    else { this.encode({ w, op: [0x81], reg: op, rm: dst }); this.imm32(imm); }
  }

  /** op [mem], src, optionally with the lock prefix. */
  aluMR(op: Alu, mem: Mem, src: X, w: boolean, lock = false): void {
    this.encode({ w, prefixes: lock ? [0xf0] : [], op: [op * 8 + 1], reg: src, rm: mem });
  }

  /** op dst, [mem] (e.g. add r, [rsp+8], cmp r, [rsp+16]). */
  aluRM(op: Alu, dst: X, mem: Mem, w: boolean): void {
    this.encode({ w, op: [op * 8 + 3], reg: dst, rm: mem });
  }

  testRR(a: X, b: X, w: boolean): void {
    this.encode({ w, op: [0x85], reg: b, rm: a });
  }

  testRI(a: X, imm: number, w: boolean): void {
    this.encode({ w, op: [0xf7], reg: 0, rm: a });
    this.imm32(imm);
  }

  /** Shift or rotate by an immediate count (the count is already masked by the caller). */
  shiftRI(op: Shift, dst: X, count: number, w: boolean): void {
    if (count === 1) this.encode({ w, op: [0xd1], reg: op, rm: dst });
    else { this.encode({ w, op: [0xc1], reg: op, rm: dst }); this.imm8(count); }
  }

  /** Shift or rotate by cl (the hardware masks the count to 5 or 6 bits, as eBPF wants). */
  shiftRCL(op: Shift, dst: X, w: boolean): void {
    this.encode({ w, op: [0xd3], reg: op, rm: dst });
  }

  /** BMI2 shlx/shrx/sarx dst, src, count: any count register, masked like shl; flags untouched. */
  shiftX(op: Shift.SHL | Shift.SHR | Shift.SAR, dst: X, src: X, count: X, w: boolean): void {
    const pp = op === Shift.SHL ? 1 : op === Shift.SAR ? 2 : 3; // 66, F3, F2
    this.byte(0xc4); // three-byte VEX: R, X, B inverted, map 0F38
    this.byte((((dst & 8) ^ 8) << 4) | 0x40 | (((src & 8) ^ 8) << 2) | 0x02);
    this.byte((w ? 0x80 : 0) | (((~count) & 15) << 3) | pp); // W, vvvv = ~count, L = 0
    this.byte(0xf7);
    this.byte(0xc0 | ((dst & 7) << 3) | (src & 7));
  }

  /** rol/ror of the low 16 bits by an immediate (66 C1 /op ib). */
  shift16RI(op: Shift, dst: X, count: number): void {
    this.encode({ prefixes: [0x66], op: [0xc1], reg: op, rm: dst });
    this.imm8(count);
  }

  /** imul dst, src: the low half of the product, the same for signed and unsigned. */
  imulRR(dst: X, src: X, w: boolean): void {
    this.encode({ w, op: [0x0f, 0xaf], reg: dst, rm: src });
  }

  /** imul dst, src, imm. */
  imulRRI(dst: X, src: X, imm: number, w: boolean): void {
    if (fitsInt8(imm)) { this.encode({ w, op: [0x6b], reg: dst, rm: src }); this.imm8(imm); }
    else { this.encode({ w, op: [0x69], reg: dst, rm: src }); this.imm32(imm); }
  }

  /** mul src: the unsigned full product rdx:rax = rax * src (edx:eax for 32-bit); src may be rdx itself (read before written). */
  mulR(src: X, w: boolean): void {
    this.encode({ w, op: [0xf7], reg: 4, rm: src });
  }

  /** div / idiv rdx:rax (or edx:eax) by src. */
  divR(src: X, w: boolean, signed: boolean): void {
    this.encode({ w, op: [0xf7], reg: signed ? 7 : 6, rm: src });
  }

  negR(dst: X, w: boolean): void {
    this.encode({ w, op: [0xf7], reg: 3, rm: dst });
  }

  /** inc of a register or of memory (32-bit memory when !w). */
  incR(dst: Operand, w: boolean): void {
    this.encode({ w, op: [0xff], reg: 0, rm: dst });
  }

  /** Sign-extends rax into rdx (cqo) or eax into edx (cdq). */
  signExtendAx(w: boolean): void {
    if (w) this.byte(0x48);
    this.byte(0x99);
  }

  bswap(dst: X, w: boolean): void {
    const rex = (w ? 8 : 0) | ((dst & 8) >> 3);
    if (rex) this.byte(0x40 | rex);
    this.bytes(0x0f, 0xc8 | (dst & 7));
  }

  // --- atomics --------------------------------------------------------------

  /** lock xadd [mem], src: src receives the old value. */
  lockXadd(mem: Mem, src: X, w: boolean): void {
    this.encode({ w, prefixes: [0xf0], op: [0x0f, 0xc1], reg: src, rm: mem });
  }

  /** lock cmpxchg [mem], src: compares with rax/eax; rax/eax receives the old value. */
  lockCmpxchg(mem: Mem, src: X, w: boolean): void {
    this.encode({ w, prefixes: [0xf0], op: [0x0f, 0xb1], reg: src, rm: mem });
  }

  /** xchg [mem], src (locked by the hardware whenever memory is an operand). */
  xchgMR(mem: Mem, src: X, w: boolean): void {
    this.encode({ w, op: [0x87], reg: src, rm: mem });
  }

  /** prefetcht0 [mem]: start loading a cache line we will read soon. */
  prefetch(mem: Mem): void {
    this.encode({ op: [0x0f, 0x18], reg: 1, rm: mem });
  }

  // --- control flow ---------------------------------------------------------

  callR(target: X): void {
    this.encode({ op: [0xff], reg: 2, rm: target });
  }

  callLabel(label: Label): void {
    this.rel32([0xe8], label);
  }

  /** jmp to the address in a register or in memory (FF /4). */
  jmpIndirect(target: Operand): void {
    this.encode({ op: [0xff], reg: 4, rm: target });
  }

  ret(): void { this.byte(0xc3); }

  /** ud2: the undefined instruction, a guaranteed SIGILL (the sandbox's traps). */
  ud2(): void { this.bytes(0x0f, 0x0b); }

  push(r: X): void {
    if (r & 8) this.byte(0x41);
    this.byte(0x50 | (r & 7));
  }

  pop(r: X): void {
    if (r & 8) this.byte(0x41);
    this.byte(0x58 | (r & 7));
  }
}
