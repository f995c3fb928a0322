// Constant blinding (JitOptions.blindConstants), the defence the kernel applies to
// programs from untrusted loaders: a program's immediates are chosen by its author,
// and JIT'd code that carries them verbatim lets an attacker plant byte sequences of
// their choice in executable memory (JIT spraying). With blinding, every user-chosen
// immediate is emitted as `reg = imm ^ rnd; reg ^= rnd` with a fresh random `rnd` per
// instruction, and the operation then takes the register instead of an immediate.
//
// The kernel does this on the eBPF (rewriting each instruction to use its hidden
// register AX before its JIT runs); sluice does it in the x86 emitters, which know
// which scratch register is free at that point (emit-alu/emit-jmp/emit-mem: TMP1 for
// operands, TMP2 for shift counts, whose by-register path borrows TMP1 for rcx, and the
// destination itself for moves and lddw). What is blinded, as in the kernel: ALU/ALU64
// with an immediate (including shifts, mul, div, mod), conditional JMP/JMP32 with an
// immediate, ST of an immediate and lddw's 64-bit immediate. Jump offsets, memory
// offsets, byte-swap widths and helper ids are not immediates an author can spray.
import { webcrypto } from 'node:crypto';
import { Alu as Alu_, type Asm } from './encoder.ts';
import type { X } from './regs.ts';

const Alu = Alu_;

/** A source of non-zero random 32-bit values (a pool refilled from the system CSPRNG). */
export function randomSource(): () => number {
  const pool = new Int32Array(256);
  let at = pool.length;
  return () => {
    for (;;) {
      if (at === pool.length) { webcrypto.getRandomValues(pool); at = 0; }
      const v = pool[at++]!;
      if (v !== 0) return v; // 0 would leave the constant as it is
    }
  };
}

/**
 * reg = imm as the operation sees it: the 32-bit pattern zero-extended (!w) or sign-extended
 * to 64 bits (w), without `imm` appearing in the code. Both halves are sign-extended simm32s,
 * and sext(a) ^ sext(b) = sext(a ^ b), so the 64-bit result is exactly sext(imm).
 */
export function loadBlinded(a: Asm, reg: X, imm: number, w: boolean, rnd: () => number): void {
  let r = rnd();
  while (r === (imm | 0)) r = rnd(); // the mask itself must not be the constant
  a.movRI(reg, (imm ^ r) | 0, w);
  a.aluRI(Alu.XOR, reg, r, w);
}

/** reg = a 64-bit constant (lddw), blinded with a random 64-bit value held in `scratch`. */
export function loadBlinded64(a: Asm, reg: X, value: bigint, scratch: X, rnd: () => number): void {
  let r = 0n;
  while (r === 0n || r === BigInt.asUintN(64, value)) r = (BigInt(rnd() >>> 0) << 32n) | BigInt(rnd() >>> 0);
  a.movabs(reg, BigInt.asUintN(64, value) ^ r);
  a.movabs(scratch, r);
  a.aluRR(Alu.XOR, reg, scratch, true);
}
