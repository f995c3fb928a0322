// ALU edge cases run natively. Expected values come from RFC 9669: division by
// zero gives 0 and modulo by zero leaves dst (32-bit: zero-extended), INT_MIN / -1
// is INT_MIN and % -1 is 0, shift counts are masked, 32-bit results zero-extend.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assemble } from '../../isa/asm.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { hasNativeLibrary, runWithMemory } from './native.ts';

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);
import { hostCpu } from '../../../dataplane/jit-program.ts';

// Shifts by register take two paths: legacy shl/shr/sar by cl, and BMI2's shlx/shrx/sarx.
const CPUS = hostCpu().bmi2 ? [{ bmi2: false }, { bmi2: true }] : [{ bmi2: false }];
let cpu = CPUS[0]!;
const run = (text: string): bigint => runWithMemory(assemble(text), new Uint8Array(0), { cpu }).r0;

const CASES: [string, string, bigint][] = [
  // division and modulo
  ['div64 by a zero register is 0', 'r0 = 7\nr2 = 0\nr0 /= r2\nexit', 0n],
  ['mod64 by a zero register leaves dst', 'r0 = -1 ll\nr2 = 0\nr0 %= r2\nexit', U64(-1n)],
  ['mod32 by a zero register zero-extends dst', 'r0 = 0x100000005 ll\nr2 = 0\nw0 %= w2\nexit', 5n],
  ['div32 by a zero register is 0', 'r0 = -1 ll\nw2 = 0\nw0 /= w2\nexit', 0n],
  ['div32 looks only at the low half of the divisor', 'r0 = 100\nr2 = 0x100000000 ll\nw0 /= w2\nexit', 0n],
  ['div by immediate 0', 'r0 = 9\nr0 /= 0\nexit', 0n],
  ['mod32 by immediate 0 zero-extends', 'r0 = 0x700000009 ll\nw0 %= 0\nexit', 9n],
  ['sdiv64 INT_MIN / -1 is INT_MIN', 'r0 = 0x8000000000000000 ll\nr2 = -1\nr0 s/= r2\nexit', 0x8000000000000000n],
  ['smod64 INT_MIN % -1 is 0', 'r0 = 0x8000000000000000 ll\nr2 = -1\nr0 s%= r2\nexit', 0n],
  ['sdiv32 INT_MIN / -1 is INT_MIN', 'w0 = -2147483648\nw2 = -1\nw0 s/= w2\nexit', 0x80000000n],
  ['smod32 INT_MIN % -1 is 0', 'w0 = -2147483648\nw2 = -1\nw0 s%= w2\nexit', 0n],
  ['sdiv64 by immediate -1 negates', 'r0 = 5\nr0 s/= -1\nexit', U64(-5n)],
  ['sdiv64 by zero is 0', 'r0 = -5\nr2 = 0\nr0 s/= r2\nexit', 0n],
  ['smod64 by zero leaves dst', 'r0 = -5\nr2 = 0\nr0 s%= r2\nexit', U64(-5n)],
  ['sdiv truncates toward zero', 'r0 = -7\nr2 = 2\nr0 s/= r2\nexit', U64(-3n)],
  ['smod takes the sign of the dividend', 'r0 = -7\nr0 s%= 2\nexit', U64(-1n)],
  ['sdiv32', 'w0 = -7\nw0 s/= 2\nexit', 0xfffffffdn],
  ['div64 unsigned', 'r0 = -1\nr0 /= 3\nexit', 0x5555555555555555n],
  ['div64 by a negative immediate: sign-extended, unsigned', 'r0 = -1\nr0 /= -2\nexit', 1n],
  ['div32 by a negative immediate: 0xfffffffe', 'w0 = -1\nw0 /= -2\nexit', 1n],
  ['div by a power of two', 'r0 = 1000\nr0 /= 8\nexit', 125n],
  ['mod by a power of two', 'r0 = 1003\nr0 %= 8\nexit', 3n],
  ['div with dst r3 (rdx) and src r0 (rax)', 'r3 = 100\nr0 = 7\nr3 /= r0\nr0 *= 1000\nr0 += r3\nexit', 7014n],
  ['mod with dst r0 and src r3', 'r0 = 100\nr3 = 7\nr0 %= r3\nr3 *= 1000\nr0 += r3\nexit', 7002n],
  ['div keeps r0 and r3 when they are neither dst nor src', 'r0 = 11\nr3 = 13\nr5 = 100\nr6 = 7\nr5 /= r6\nr0 *= 100\nr0 += r3\nr0 *= 100\nr0 += r5\nexit', 111314n],
  ['div of a register by itself', 'r3 = 9\nr3 /= r3\nr0 = r3\nexit', 1n],
  // shifts
  ['lsh64 masks the count to 6 bits', 'r0 = 1\nr1 = 65\nr0 <<= r1\nexit', 2n],
  ['lsh32 masks the count to 5 bits', 'w0 = 1\nw1 = 33\nw0 <<= w1\nexit', 2n],
  ['lsh64 by immediate masks', 'r0 = 1\nr0 <<= 64\nexit', 1n],
  ['shift with dst r4 (rcx)', 'r4 = 3\nr1 = 2\nr4 <<= r1\nr0 = r1\nr0 *= 100\nr0 += r4\nexit', 212n],
  ['shift by r4 keeps r4', 'r0 = 1\nr4 = 4\nr0 <<= r4\nr0 += r4\nexit', 20n],
  ['r4 <<= r4', 'r4 = 3\nr4 <<= r4\nr0 = r4\nexit', 24n],
  ['rsh64 is logical', 'r0 = -16\nr1 = 60\nr0 >>= r1\nexit', 15n],
  ['arsh64 keeps the sign', 'r0 = -16\nr0 s>>= 2\nexit', U64(-4n)],
  ['arsh32 keeps the 32-bit sign and zero-extends', 'w0 = -16\nw0 s>>= 2\nexit', 0xfffffffcn],
  ['32-bit shift by a zero register zero-extends', 'r0 = 0x100000001 ll\nr1 = 0\nw0 <<= w1\nexit', 1n],
  ['32-bit shift by immediate 0 zero-extends', 'r0 = 0x100000001 ll\nw0 <<= 0\nexit', 1n],
  ['32-bit shift by 32 (masked to 0) zero-extends', 'r0 = 0x100000001 ll\nw1 = 32\nw0 >>= w1\nexit', 1n],
  // byte swaps
  ['be16', 'r0 = 0x0102030405060708 ll\nr0 = be16 r0\nexit', 0x0807n],
  ['be32', 'r0 = 0x0102030405060708 ll\nr0 = be32 r0\nexit', 0x08070605n],
  ['be64', 'r0 = 0x0102030405060708 ll\nr0 = be64 r0\nexit', 0x0807060504030201n],
  ['le16', 'r0 = 0x0102030405060708 ll\nr0 = le16 r0\nexit', 0x0708n],
  ['le32', 'r0 = 0x0102030405060708 ll\nr0 = le32 r0\nexit', 0x05060708n],
  ['le64', 'r0 = 0x0102030405060708 ll\nr0 = le64 r0\nexit', 0x0102030405060708n],
  ['bswap16', 'r0 = 0x0102030405060708 ll\nr0 = bswap16 r0\nexit', 0x0807n],
  ['bswap32', 'r0 = 0x0102030405060708 ll\nr0 = bswap32 r0\nexit', 0x08070605n],
  ['bswap64 of a high register', 'r8 = 0x0102030405060708 ll\nr8 = bswap64 r8\nr0 = r8\nexit', 0x0807060504030201n],
  // sign extension and zero extension
  ['movsx8 to 64', 'r1 = 0x180\nr0 = (s8)r1\nexit', U64(-128n)],
  ['movsx16 to 64', 'r1 = 0x18000\nr0 = (s16)r1\nexit', U64(-32768n)],
  ['movsx32 to 64', 'r1 = 0x80000000 ll\nr0 = (s32)r1\nexit', U64(-2147483648n)],
  ['movsx8 to 32 zero-extends', 'r2 = 0xff\nw0 = (s8)w2\nexit', 0xffffffffn],
  ['mov32 of a register onto itself zero-extends', 'r0 = -1\nw0 = w0\nexit', 0xffffffffn],
  ['mov32 immediate -1', 'w0 = -1\nexit', 0xffffffffn],
  ['mov64 immediate -1', 'r0 = -1\nexit', U64(-1n)],
  ['add32 + 0 zero-extends', 'r0 = -1\nw0 += 0\nexit', 0xffffffffn],
  ['and32 with -1 zero-extends', 'r0 = -1\nw0 &= -1\nexit', 0xffffffffn],
  ['mul32 by 1 zero-extends', 'r0 = -1\nw0 *= 1\nexit', 0xffffffffn],
  ['mul64 immediate', 'r0 = 3\nr0 *= -2\nexit', U64(-6n)],
  ['mul64 register wraps', 'r0 = 0x100000001 ll\nr1 = 0x100000001 ll\nr0 *= r1\nexit', 0x200000001n],
  ['neg32', 'r0 = 1\nw0 = -w0\nexit', 0xffffffffn],
  ['and64 immediate sign-extends', 'r0 = -1\nr0 &= -2\nexit', U64(-2n)],
  ['or32 immediate', 'r0 = -1\nw0 |= 0x10\nexit', 0xffffffffn],
  ['xor64 register', 'r0 = 0xff00\nr1 = 0x0ff0\nr0 ^= r1\nexit', 0xf0f0n],
  ['sub64 immediate', 'r0 = 0\nr0 -= 1\nexit', U64(-1n)],
  // mov + add fused into one lea, except when a jump lands between them
  ['r2 = r10; r2 += -8 addresses the stack', 'r2 = r10\nr2 += -8\n*(u64 *)(r2 + 0) = 5\nr0 = *(u64 *)(r10 - 8)\nexit', 5n],
  ['mov; sub imm', 'r1 = 50\nr2 = r1\nr2 -= 8\nr0 = r2\nexit', 42n],
  ['a jump onto the add of a mov/add pair', 'r2 = 100\nr0 = 1\nif r0 == 1 goto +1\nr2 = r0\nr2 += 5\nr0 = r2\nexit', 105n],
  // jumps
  ['jmp32 compares the low halves only', 'r1 = 0x100000005 ll\nr0 = 0\nif w1 == 5 goto +1\nexit\nr0 = 1\nexit', 1n],
  ['jset64 immediate sign-extends', 'r1 = 0x8000000000000000 ll\nr0 = 0\nif r1 & -1 goto +1\nexit\nr0 = 1\nexit', 1n],
  ['signed jump', 'r1 = -1\nr0 = 0\nif r1 s< 0 goto +1\nexit\nr0 = 1\nexit', 1n],
  ['gotol', 'r0 = 1\ngotol +1\nr0 = 2\nexit', 1n],
  ['a backward loop', 'r0 = 0\nr1 = 10\nloop:\nr0 += r1\nr1 -= 1\nif r1 != 0 goto loop\nexit', 55n],
];

if (requires('ALU edge cases run natively', hasNativeLibrary())) {
  for (const [name, text, expected] of CASES) {
    test(name, () => {
      for (cpu of CPUS) assert.is(run(text), expected, `bmi2: ${cpu.bmi2}`);
    });
  }

  test('every register keeps its value around div, mod, shifts by register and byte swaps of others', () => {
    // r0-r9 get distinct values; r5 /= r6, r7 %= r8, r9 <<= r2, r6 = be16 r6 touch only their dst.
    const init = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((r) => `r${r} = ${(r + 1) * 1000 + r}`).join('\n');
    const sum = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((r) => `r0 += r${r}`).join('\n');
    const text = `${init}\nr5 /= r6\nr7 %= r8\nr9 <<= r2\nr3 s/= r4\n${sum}\nexit`;
    const v = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((r) => BigInt((r + 1) * 1000 + r));
    const after = [...v];
    after[5] = v[5]! / v[6]!;
    after[7] = v[7]! % v[8]!;
    after[9] = U64(v[9]! << (v[2]! & 63n));
    after[3] = v[3]! / v[4]!;
    for (cpu of CPUS) assert.is(run(text), U64(after.reduce((a, b) => a + b, 0n)), `bmi2: ${cpu.bmi2}`);
  });
}

test.run();
