// The assembler beyond the one-line forms (golden.test.ts): labels, comments, pasted
// llvm-objdump output, listings, and the errors for text it cannot read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assemble, assembleOne } from '../asm.ts';
import { encode } from '../codec.ts';
import { listing } from '../listing.ts';
import { AsmError } from '../../errors.ts';
import { toHex } from './spec.ts';

const hexOf = (text: string) => toHex(encode(assemble(text)));

test('skips blank lines and comments in all three styles', () => {
  const program = assemble(`
    ; a comment
    # another
    // and another
    r0 = 1   ; trailing
    exit     // trailing
  `);
  assert.is(program.length, 2);
  assert.equal(program[0], { opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 1 });
});

test('resolves labels forwards and backwards, counting lddw as two slots', () => {
  const program = assemble(`
  top:
    r1 = 1 ll
    if r1 == 0 goto out
    goto top
  out: exit
  `);
  // pcs: 0 lddw (2 slots), 2 jeq, 3 goto, 4 exit. Offsets count from the next pc.
  assert.is(program[1]!.off, 4 - 3);
  assert.is(program[2]!.off, 0 - 4);
});

test('a label may stand at the end of the program', () => {
  const program = assemble('goto end\nr0 = 0\nend:');
  assert.is(program[0]!.off, 1);
});

test('calls, gotol and func() take labels', () => {
  const program = assemble(`
    call helper_like_name
    gotol far
    r2 = func(helper_like_name) ll
  far:
    exit
  helper_like_name:
    r0 = 0
    exit
  `);
  // pcs: 0 call, 1 gotol, 2 lddw (2 slots), 4 exit (far), 5 r0 = 0 (helper_like_name).
  assert.is(hexOf('call pc+4'), toHex(encode([program[0]!])));
  assert.equal([program[0]!.src, program[0]!.imm], [1, 4]); // local call: 0 + 1 + 4 = 5
  assert.equal([program[1]!.opcode, program[1]!.imm], [0x06, 2]); // gotol: 1 + 1 + 2 = 4
  assert.equal([program[2]!.src, program[2]!.imm], [4, 2]); // func: 2 + 1 + 2 = 5, as the kernel counts
});

test('numbers: decimal, hex, signed, and 32-bit patterns for w registers', () => {
  assert.is(hexOf('r1 = 0xff'), 'b7 01 00 00 ff 00 00 00');
  assert.is(hexOf('w1 = 0xffffffff'), 'b4 01 00 00 ff ff ff ff');
  assert.is(hexOf('r1 = -0x80000000'), 'b7 01 00 00 00 00 00 80');
  assert.is(hexOf('r1 = 0xffffffffffffffff ll'), '18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff');
  assert.is(hexOf('goto 3'), '05 00 03 00 00 00 00 00');
});

test('tolerates spacing that differs from llvm\'s', () => {
  assert.is(hexOf('r1+=5'), hexOf('r1 += 5'));
  assert.is(hexOf('r2 = *(u32*)(r1+4)'), hexOf('r2 = *(u32 *)(r1 + 4)'));
  assert.is(hexOf('  if   r1 s>   r2   goto   -1  '), hexOf('if r1 s> r2 goto -1'));
  assert.is(hexOf('r2 = *(u32 *)(r1)'), hexOf('r2 = *(u32 *)(r1 + 0)'));
});

test('reads llvm-objdump -d -r output pasted whole', () => {
  const pasted = [
    '',
    'prog.o:\tfile format elf64-bpf',
    '',
    'Disassembly of section xdp:',
    '',
    '0000000000000000 <xdp_prog>:',
    '       0:\tb7 00 00 00 02 00 00 00\tr0 = 2',
    '       1:\t61 12 04 00 00 00 00 00\tr2 = *(u32 *)(r1 + 4)',
    '       2:\t18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00\tr1 = 0 ll',
    '\t\t0000000000000010:  R_BPF_64_64\tcounters',
    '       4:\t15 02 01 00 00 00 00 00\tif r2 == 0 goto +1 <LBB0_2>',
    '       5:\tb7 00 00 00 01 00 00 00\tr0 = 1',
    '',
    '0000000000000030 <LBB0_2>:',
    '       6:\t95 00 00 00 00 00 00 00\texit',
  ].join('\n');
  const program = assemble(pasted);
  assert.is(toHex(encode(program)), [
    'b7 00 00 00 02 00 00 00', '61 12 04 00 00 00 00 00',
    '18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00', '15 02 01 00 00 00 00 00',
    'b7 00 00 00 01 00 00 00', '95 00 00 00 00 00 00 00'].join(' '));
  assert.is(program[2]!.reference, 'counters');
});

test('pasted bytes must agree with the text, and errors show what the bytes are', () => {
  // llvm 14 prints a local call (src 1) as `call -1`, which reads as a helper call.
  assert.throws(() => assemble('  3:\t85 10 00 00 ff ff ff ff\tcall -1'),
    (e: Error) => e instanceof AsmError && /line 1: the text assembles to 85 00 00 00 ff ff ff ff but the line's bytes are 85 10 00 00 ff ff ff ff, which is `call pc-1`/.test(e.message));
  // ... and a 32-bit fetch atomic as <unknown>.
  assert.throws(() => assemble('r0 = 0\n  7:\tc3 21 00 00 01 00 00 00\t<unknown>'),
    (e: Error) => e instanceof AsmError && /line 2: not an instruction .*<unknown>.*bytes are c3 21 00 00 01 00 00 00, which is `w2 = atomic_fetch_add\(\(u32 \*\)\(r1 \+ 0\), w2\)`/.test(e.message));
  assert.throws(() => assemble('  7:\tc3 54 00 00 00 00 00 00\tlock *(u32 *)(r4 + 0) += r5'),
    (e: Error) => e instanceof AsmError && /expected w5.*which is `lock \*\(u32 \*\)\(r4 \+ 0\) \+= w5`/.test(e.message));
});

test('a listing assembles back, labels and references included', () => {
  const text = `
    r0 = 0
    if r1 == 0 goto out
    r1 = map_fd(3) ll
    call sub
  out:
    exit
  sub:
    r0 = 1
    exit`;
  const program = assemble(text);
  const withRef = program.map((insn, i) => (i === 2 ? { ...insn, reference: 'my_map' } : insn));
  for (const bytes of [false, true]) {
    const again = assemble(listing(withRef, { bytes }));
    assert.equal(again, withRef);
  }
});

test('listing layout: pcs, label lines before targets, names after jumps', () => {
  const program = assemble('r0 = 0\nif r1 > 2 goto +2\nr0 = 1 ll\nexit\ncall pc-6\ngoto +0');
  const symbolised = program.map((insn, i) => (i === 0 ? { ...insn, symbol: 'main' } : insn));
  assert.is(listing(symbolised), [
    'main:',
    '   0: r0 = 0',
    '   1: if r1 > 2 goto +2 <LBB0_4>',
    '   2: r0 = 1 ll',
    '',
    'LBB0_4:',
    '   4: exit',
    '   5: call pc-6 <main>',
    '   6: goto +0 <LBB0_7>',
    '',
    'LBB0_7:',
    '',
  ].join('\n'));
  assert.is(listing(program.slice(0, 1), { bytes: true }), '       0:\tb7 00 00 00 00 00 00 00\tr0 = 0\n');
});

test('a jump into the middle of lddw gets no label', () => {
  const text = listing(assemble('goto +1\nr0 = 1 ll\nexit'));
  assert.is(text, '   0: goto +1\n   1: r0 = 1 ll\n   3: exit\n');
});

/** Each case: text, the line the error must name, and what the message must say. */
const errors: Array<[string, RegExp]> = [
  ['r11 = 1', /no register r11 \(r0-r10\)/],
  ['w1 += r2', /r2 is a 64-bit register name in a 32-bit operation \(expected w2\)/],
  ['r1 = w2', /w2 is a 32-bit register name where r2 was expected/],
  ['r1 = 0x80000000', /sign-extended to 64 bits; use lddw/],
  ['w1 = 0x100000000', /does not fit a 32-bit immediate/],
  ['r1 = 99999999999999999999 ll', /does not fit 64 bits/],
  ['goto +40000', /does not fit 16 bits/],
  ['r2 = *(u64 *)(r1 + 40000)', /does not fit 16 bits/],
  ['goto nowhere', /label 'nowhere' is not defined/],
  ['call bpf_map_lookup_elem', /label 'bpf_map_lookup_elem' is not defined \(`call name` calls a local label; helpers are called by number/],
  ['if r1 ~ r2 goto +1', /expected a conditional jump like `if r1 > r2 goto \+5`/],
  ['if r1 > r2', /expected a conditional jump/],
  ['r2 = *(s64 *)(r1 + 0)', /no sign-extending load of 64 bits/],
  ['r2 = *(u24 *)(r1 + 0)', /no access size of 24 bits/],
  ['r1 = le8 r1', /byte swaps are 16, 32 or 64 bits/],
  ['r1 = le16 r2', /in place: expected r1 = le16 r1/],
  ['w1 = le16 w1', /32-bit register name where r1 was expected/],
  ['r1 = -r2', /neg works in place/],
  ['w1 = (s32)w2', /sign-extending move into wN takes \(s8\), \(s16\)/],
  ['lock *(u16 *)(r1 + 0) += r2', /atomic operations are 32 or 64 bits/],
  ['lock *(u64 *)(r1 + 0) -= r2', /unknown atomic operation '-='/],
  ['lock *(u32 *)(r1 + 0) += r2', /64-bit register name in a 32-bit operation/],
  ['r3 = atomic_fetch_add((u64 *)(r1 + 0), r2)', /source register: expected r2 = /],
  ['r2 = atomic_fetch_nand((u64 *)(r1 + 0), r2)', /unknown atomic operation 'atomic_fetch_nand'/],
  ['r1 = cmpxchg_64(r1 + 0, r0, r2)', /cmpxchg compares with and returns in r0/],
  ['r1 = *(u8 *)skb[12]', /packet loads always load into r0/],
  ['r0 = *(u64 *)skb[12]', /packet loads are 8, 16 or 32 bits/],
  ['r0 = *(u8 *)skb[foo]', /expected a packet offset/],
  ['r1 = frob(3) ll', /unknown lddw kind 'frob' \(expected map_fd, map_value/],
  ['r1 = map_value(3) ll', /map_value\(\) takes two arguments/],
  ['r1 = func(3) ll', /expected func\(pc\+N\) or func\(label\)/],
  ['r1 = r2 + 1', /expected one of `r1 = r2`/],
  ['r1 ~= 2', /expected an ALU operation like `r1 \+= 5`/],
  ['*(u32 *)(r10 - 4) == 5', /expected a store like/],
  ['lock r1 += 2', /expected an atomic operation like/],
  ['call', /expected `call 1` \(helper\)/],
  ['frobnicate r1', /not an instruction: expected an ALU operation, load, store, jump, call or exit/],
  ['<unknown>', /llvm-objdump prints <unknown> for encodings it does not know/],
  ['r1 = map_fd(5, 1, 2) ll', /map_fd\(\) takes one argument/],
];

for (const [text, re] of errors) {
  test(`rejects \`${text}\``, () => {
    const source = `r0 = 0\n; comment\n${text}\nexit`;
    try {
      assemble(source);
      assert.unreachable('assembled');
    } catch (err) {
      assert.instance(err, AsmError);
      const e = err as AsmError;
      assert.is(e.line, 3);
      assert.is(e.text, text);
      assert.match(e.message, /^line 3: /);
      assert.match(e.message, re);
      assert.ok(e.message.endsWith(`: ${text}`), e.message);
    }
  });
}

test('rejects a label defined twice, naming the second definition', () => {
  try {
    assemble('a:\nr0 = 0\na:\nexit');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, AsmError);
    assert.is((err as AsmError).line, 3);
    assert.match((err as Error).message, /label 'a' is defined twice/);
  }
});

test('rejects a jump whose label is out of 16-bit reach, and says to use gotol', () => {
  const filler = 'r0 = 0\n'.repeat(40000);
  try {
    assemble(`if r1 == 0 goto far\n${filler}far:\nexit`);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, AsmError);
    assert.is((err as AsmError).line, 1);
    assert.match((err as Error).message, /label 'far' is 40000 slots away, which does not fit the 16-bit off \(use gotol/);
  }
  const program = assemble(`gotol far\n${filler}far:\nexit`);
  assert.is(program[0]!.imm, 40000);
});

test('assembleOne reads exactly one instruction', () => {
  assert.equal(assembleOne('exit'), { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 });
  assert.throws(() => assembleOne('exit\nexit'), /expected one instruction, found 2/);
});

test.run();
