// ProgramBuilder: each method's instruction (checked against text written from the RFC),
// label resolution, and the errors for bad labels and unencodable instructions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProgramBuilder, BuilderError } from '../builder.ts';
import { disassemble } from '../disasm.ts';
import { assemble } from '../asm.ts';
import { encode } from '../codec.ts';
import { AluOp, AtomicOp, JmpOp, Size, R0, R1, R2, R3, R10 } from '../opcode.ts';
import { toHex } from './spec.ts';

const one = (f: (b: ProgramBuilder) => ProgramBuilder): string => {
  const program = f(new ProgramBuilder()).build();
  assert.is(program.length, 1);
  return disassemble(program[0]!);
};

const forms: Array<[string, (b: ProgramBuilder) => ProgramBuilder]> = [
  ['r0 = 0', (b) => b.mov64Imm(R0, 0)],
  ['r0 = r1', (b) => b.mov64Reg(R0, R1)],
  ['w0 = -1', (b) => b.mov32Imm(R0, 0xffffffff)],
  ['w0 = w1', (b) => b.mov32Reg(R0, R1)],
  ['r1 += 5', (b) => b.add64Imm(R1, 5)],
  ['w1 -= w2', (b) => b.sub32Reg(R1, R2)],
  ['r1 *= r2', (b) => b.mul64Reg(R1, R2)],
  ['r1 /= 3', (b) => b.div64Imm(R1, 3)],
  ['r1 s/= r2', (b) => b.sdiv64Reg(R1, R2)],
  ['w1 s%= 3', (b) => b.smod32Imm(R1, 3)],
  ['r1 %= r2', (b) => b.mod64Reg(R1, R2)],
  ['r1 |= 1', (b) => b.or64Imm(R1, 1)],
  ['w1 &= 255', (b) => b.and32Imm(R1, 255)],
  ['r1 <<= 3', (b) => b.lsh64Imm(R1, 3)],
  ['w1 >>= w3', (b) => b.rsh32Reg(R1, R3)],
  ['r1 s>>= 63', (b) => b.arsh64Imm(R1, 63)],
  ['r1 ^= r2', (b) => b.xor64Reg(R1, R2)],
  ['r1 ^= -1', (b) => b.alu64Imm(AluOp.XOR, R1, -1)],
  ['r1 = -r1', (b) => b.neg64(R1)],
  ['w1 = -w1', (b) => b.neg32(R1)],
  ['r1 = (s32)r2', (b) => b.movsx64(R1, R2, 32)],
  ['w1 = (s8)w2', (b) => b.movsx32(R1, R2, 8)],
  ['r1 = le16 r1', (b) => b.le(R1, 16)],
  ['r1 = be64 r1', (b) => b.be(R1, 64)],
  ['r1 = bswap32 r1', (b) => b.bswap(R1, 32)],
  ['r2 = *(u8 *)(r1 + 14)', (b) => b.ldxb(R2, R1, 14)],
  ['r2 = *(u16 *)(r1 + 12)', (b) => b.ldxh(R2, R1, 12)],
  ['r2 = *(u32 *)(r1 + 4)', (b) => b.ldxw(R2, R1, 4)],
  ['r2 = *(u64 *)(r10 - 8)', (b) => b.ldxdw(R2, R10, -8)],
  ['r2 = *(s8 *)(r1 + 0)', (b) => b.ldxsb(R2, R1, 0)],
  ['r2 = *(s16 *)(r1 + 0)', (b) => b.ldxsh(R2, R1, 0)],
  ['r2 = *(s32 *)(r1 + 0)', (b) => b.ldxsw(R2, R1, 0)],
  ['*(u8 *)(r10 - 1) = 7', (b) => b.stb(R10, -1, 7)],
  ['*(u16 *)(r10 - 2) = 7', (b) => b.sth(R10, -2, 7)],
  ['*(u32 *)(r10 - 4) = 7', (b) => b.stw(R10, -4, 7)],
  ['*(u64 *)(r10 - 8) = 7', (b) => b.stdw(R10, -8, 7)],
  ['*(u8 *)(r10 - 1) = r1', (b) => b.stxb(R10, R1, -1)],
  ['*(u16 *)(r10 - 2) = r1', (b) => b.stxh(R10, R1, -2)],
  ['*(u32 *)(r10 - 4) = r1', (b) => b.stxw(R10, R1, -4)],
  ['*(u64 *)(r10 - 8) = r1', (b) => b.stxdw(R10, R1, -8)],
  ['lock *(u64 *)(r1 + 0) += r2', (b) => b.atomic(Size.DW, AtomicOp.ADD, R1, R2, 0)],
  ['w2 = atomic_fetch_or((u32 *)(r1 + 4), w2)', (b) => b.atomic(Size.W, AtomicOp.OR, R1, R2, 4, true)],
  ['r2 = xchg_64(r1 + 0, r2)', (b) => b.xchg(Size.DW, R1, R2, 0)],
  ['w0 = cmpxchg32_32(r1 + 0, w0, w2)', (b) => b.cmpxchg(Size.W, R1, R2, 0)],
  ['r0 = *(u16 *)skb[12]', (b) => b.ldAbs(Size.H, 12)],
  ['r0 = *(u32 *)skb[r1 + 4]', (b) => b.ldInd(Size.W, R1, 4)],
  ['r1 = -1 ll', (b) => b.lddw(R1, -1n)],
  ['r1 = 4886718345 ll', (b) => b.lddw(R1, 0x123456789)],
  ['r1 = map_fd(4) ll', (b) => b.ldMapFd(R1, 4)],
  ['r1 = map_value(4, 16) ll', (b) => b.ldMapValue(R1, 4, 16)],
  ['r1 = btf_id(9) ll', (b) => b.ldBtfId(R1, 9)],
  ['r1 = map_idx(2) ll', (b) => b.ldMapIdx(R1, 2)],
  ['r1 = map_idx_value(2, 4) ll', (b) => b.ldMapIdxValue(R1, 2, 4)],
  ['r1 = func(pc+3) ll', (b) => b.ldFunc(R1, 3)],
  ['if r1 == 0 goto +1', (b) => b.jeqImm(R1, 0, 1)],
  ['if r1 s> r2 goto -2', (b) => b.jsgtReg(R1, R2, -2)],
  ['if w1 < 7 goto +0', (b) => b.jlt32Imm(R1, 7, 0)],
  ['if w1 & w2 goto +3', (b) => b.jset32Reg(R1, R2, 3)],
  ['if r1 s<= -1 goto +1', (b) => b.jmpImm(JmpOp.JSLE, R1, -1, 1)],
  ['goto +4', (b) => b.ja(4)],
  ['gotol +100000', (b) => b.gotol(100000)],
  ['call 12', (b) => b.call(12)],
  ['call pc+2', (b) => b.callLocal(2)],
  ['call kfunc 77', (b) => b.callKfunc(77)],
  ['callx r3', (b) => b.callx(R3)],
  ['exit', (b) => b.exit()],
];

for (const [text, f] of forms) {
  test(`builds \`${text}\``, () => {
    assert.is(one(f), text);
  });
}

test('the example program: labels resolved at build time', () => {
  const program = new ProgramBuilder()
    .mov64Imm(R0, 0)
    .jeqImm(R1, 0, 'out')
    .lddw(R2, 1n << 40n)
    .add64Reg(R0, R1)
    .label('out')
    .exit()
    .build();
  // jeq at pc 1 to pc 5 (lddw is two slots): off = 5 - 2 = 3
  assert.is(toHex(new ProgramBuilder().emit(...program).encode()), toHex(encode(program)));
  assert.is(toHex(encode(program)), [
    'b7 00 00 00 00 00 00 00', '15 01 03 00 00 00 00 00',
    '18 02 00 00 00 00 00 00 00 00 00 00 00 01 00 00',
    '0f 10 00 00 00 00 00 00', '95 00 00 00 00 00 00 00'].join(' '));
});

test('subprog() names the next instruction and is a call target', () => {
  const b = new ProgramBuilder().callLocal('f').ldFunc(R1, 'f').exit();
  assert.is(b.pc, 4);
  const program = b.subprog('f').mov64Imm(R0, 1).exit().build();
  assert.is(program[0]!.imm, 3); // 0 + 1 + 3 = 4
  assert.is(program[1]!.imm, 2); // lddw at 1, counted from the next slot as the kernel does: 1 + 1 + 2 = 4
  assert.is(program[3]!.symbol, 'f');
});

test('the same program from the builder and the assembler', () => {
  const built = new ProgramBuilder()
    .label('top').ldxw(R2, R1, 0).jgtReg(R2, R3, 'top').gotol('top').callLocal('top').exit().build();
  const assembled = assemble('top:\nr2 = *(u32 *)(r1 + 0)\nif r2 > r3 goto top\ngotol top\ncall top\nexit');
  assert.equal(built, assembled);
});

const throwsBuilder = (f: () => unknown, re: RegExp): void => {
  try {
    f();
    assert.unreachable('did not throw');
  } catch (err) {
    assert.instance(err, BuilderError);
    assert.match((err as Error).message, re);
  }
};

test('an undefined label is reported by build(), with the instruction', () => {
  throwsBuilder(() => new ProgramBuilder().jeqImm(R1, 0, 'nowhere').exit().build(),
    /instruction 0 \(if r1 == 0 goto \+0\): label 'nowhere' is not defined/);
});

test('a label defined twice is reported at once', () => {
  throwsBuilder(() => new ProgramBuilder().label('a').exit().label('a'), /label 'a' is defined twice/);
});

test('a label out of 16-bit reach is reported; gotol reaches it', () => {
  const far = (jump: (b: ProgramBuilder) => ProgramBuilder) => {
    const b = jump(new ProgramBuilder());
    for (let i = 0; i < 33000; i++) b.mov64Imm(R0, 0);
    return b.label('far').exit().build();
  };
  throwsBuilder(() => far((b) => b.ja('far')), /label 'far' is 33000 slots away, which does not fit the 16-bit off/);
  assert.is(far((b) => b.gotol('far'))[0]!.imm, 33000);
});

test('instructions that cannot be encoded are reported by the call that adds them', () => {
  throwsBuilder(() => new ProgramBuilder().mov64Imm(11, 0), /instruction 0 .*r11 does not exist/);
  throwsBuilder(() => new ProgramBuilder().exit().ja(40000), /instruction 1 .*offset 40000 does not fit 16 bits/);
  throwsBuilder(() => new ProgramBuilder().mov64Imm(R0, 2 ** 32), /immediate 4294967296 does not fit 32 bits/);
  throwsBuilder(() => new ProgramBuilder().le(R1, 8 as 16), /byte swap of 8 bits/);
  throwsBuilder(() => new ProgramBuilder().ldxsx(Size.DW, R1, R2, 0), /sign-extending load of 8 bytes/);
  throwsBuilder(() => new ProgramBuilder().atomic(Size.H, AtomicOp.ADD, R1, R2, 0), /atomic operation on 1 or 2 bytes/);
  throwsBuilder(() => new ProgramBuilder().mov64Imm(R0, 1.5), /immediate 1.5 does not fit/);
  throwsBuilder(() => new ProgramBuilder().mov64Imm(R0, 0x80000000), /would be sign-extended to 64 bits; use lddw/);
  throwsBuilder(() => new ProgramBuilder().jeqImm(R0, 0xffffffff, 0), /would be sign-extended/);
  assert.is(new ProgramBuilder().jeq32Imm(R0, 0xffffffff, 0).build()[0]!.imm, -1);
  assert.is(new ProgramBuilder().stw(R10, -4, 0xffffffff).build()[0]!.imm, -1);
});

test.run();
