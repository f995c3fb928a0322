// The listing format pinned: every opcode and form, bytes <-> text, both directions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decode, encode } from '../codec.ts';
import { disassemble } from '../disasm.ts';
import { assemble } from '../asm.ts';
import { VALID_OPCODES, hexBytes, readGolden, toHex } from './spec.ts';

const golden = readGolden('forms.txt');

test('disassembles every golden instruction to its text', () => {
  for (const { line, hex, text } of golden) {
    const program = decode(hexBytes(hex));
    assert.is(program.length, 1, `forms.txt:${line}`);
    assert.is(disassemble(program[0]!), text, `forms.txt:${line}: ${hex}`);
  }
});

test('assembles every golden text to its bytes', () => {
  for (const { line, hex, text } of golden) {
    assert.is(toHex(encode(assemble(text))), hex, `forms.txt:${line}: ${text}`);
  }
});

test('the golden file covers every valid opcode', () => {
  const covered = new Set(golden.map((g) => hexBytes(g.hex)[0]!));
  const missing = [...VALID_OPCODES].filter((op) => !covered.has(op)).map((op) => `0x${op.toString(16)}`);
  assert.equal(missing, [], 'opcodes without a golden line');
  const extra = [...covered].filter((op) => !VALID_OPCODES.has(op));
  assert.equal(extra, [], 'golden lines with opcodes the RFC does not define');
});

test('the golden file covers every form that shares an opcode', () => {
  const texts = golden.map((g) => g.text).join('\n');
  // Forms selected by fields other than the opcode: offset (sdiv, smod, movsx), imm (atomics,
  // swap width), src (lddw kinds, call kinds).
  for (const re of [/ s\/= r/, / s\/= -?\d/, / s%= w/, /\(s8\)w/, /\(s16\)r/, /\(s32\)r/, /bswap16/, /be64/,
    /xchg_64/, /xchg32_32/, /cmpxchg_64/, /cmpxchg32_32/, /atomic_fetch_and\(\(u32/, /lock \*\(u64 \*\)\(r1 \+ 8\) \^=/,
    /map_fd/, /map_value/, /btf_id/, /func\(pc/, /map_idx\(/, /map_idx_value/, /call pc/, /call kfunc/, /callx/]) {
    assert.ok(re.test(texts), `no golden line matches ${re}`);
  }
});

test.run();
