// Round trip over the whole encoding space: for every opcode byte, seeded random fields;
// every valid encoding must survive decode -> disassemble -> assemble -> encode byte for
// byte, and the opcodes that admit a valid encoding must be exactly RFC 9669's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decode, encode, encodingProblem } from '../codec.ts';
import { disassemble } from '../disasm.ts';
import { assemble } from '../asm.ts';
import { listing } from '../listing.ts';
import type { Instruction } from '../instruction.ts';
import { VALID_OPCODES, random, toHex } from './spec.ts';

const SEED = 0x5eed1;
const TRIES_PER_OPCODE = 600;

/** Random fields, biased towards the values that make encodings valid. */
function randomInstruction(opcode: number, rnd: () => number): Instruction {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (bits: number) => Math.floor(rnd() * 2 ** bits) - 2 ** (bits - 1);
  const reg = () => (rnd() < 0.95 ? Math.floor(rnd() * 11) : 11 + Math.floor(rnd() * 5));
  // Many forms need zero in reserved fields: each field is zero about half the time.
  const dst = rnd() < 0.4 ? 0 : reg();
  const src = rnd() < 0.5 ? 0 : rnd() < 0.5 ? Math.floor(rnd() * 7) : reg();
  const off = rnd() < 0.5 ? 0 : pick([1, 8, 16, 32, int(16), int(16), -1, -32768, 32767]);
  const imm = rnd() < 0.4 ? 0 : pick([1, 16, 32, 64, -1, int(32), int(32), int(8), -2147483648, 2147483647,
    0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 0xe0]);
  const insn: Instruction = { opcode, dst, src, off, imm };
  return opcode === 0x18 ? { ...insn, imm2: pick([0, 0, int(32), -1, -2147483648, 1]) } : insn;
}

function samples(): Map<number, Instruction[]> {
  const rnd = random(SEED);
  const valid = new Map<number, Instruction[]>();
  for (let opcode = 0; opcode < 256; opcode++) {
    for (let i = 0; i < TRIES_PER_OPCODE; i++) {
      const insn = randomInstruction(opcode, rnd);
      if (encodingProblem(insn) !== undefined) continue;
      const list = valid.get(opcode) ?? [];
      list.push(insn);
      valid.set(opcode, list);
    }
  }
  return valid;
}

const valid = samples();

test('the opcodes with valid encodings are exactly RFC 9669\'s', () => {
  assert.is(VALID_OPCODES.size, 126);
  const found = [...valid.keys()].sort((a, b) => a - b).map((op) => op.toString(16));
  const expected = [...VALID_OPCODES].sort((a, b) => a - b).map((op) => op.toString(16));
  assert.equal(found, expected);
});

test('decode -> disassemble -> assemble -> encode gives the same bytes', () => {
  let n = 0;
  for (const [opcode, list] of valid) {
    assert.ok(list.length >= 5, `only ${list.length} valid samples of opcode 0x${opcode.toString(16)}`);
    for (const insn of list) {
      const bytes = encode([insn]);
      const decoded = decode(bytes);
      const text = disassemble(decoded[0]!);
      let again: Uint8Array;
      try {
        again = encode(assemble(text));
      } catch (err) {
        throw new Error(`${toHex(bytes)} -> '${text}' does not assemble: ${(err as Error).message}`);
      }
      assert.is(toHex(again), toHex(bytes), `'${text}'`);
      n++;
    }
  }
  assert.ok(n > 10_000, `only ${n} round trips`);
  console.log(`  ${n} round trips over ${valid.size} opcodes`);
});

test('every valid encoding has its own text', () => {
  const seen = new Map<string, string>();
  for (const list of valid.values()) {
    for (const insn of list) {
      const text = disassemble(insn);
      const hex = toHex(encode([insn]));
      const before = seen.get(text);
      assert.ok(before === undefined || before === hex, `'${text}' is printed for ${before} and ${hex}`);
      seen.set(text, hex);
    }
  }
});

test('a listing of a random program assembles back to the program', () => {
  const rnd = random(SEED + 1);
  const all = [...valid.values()].flat();
  for (let round = 0; round < 20; round++) {
    const program = Array.from({ length: 200 }, () => all[Math.floor(rnd() * all.length)]!);
    const bytes = encode(program);
    for (const bytesToo of [false, true]) {
      const text = listing(program, { bytes: bytesToo });
      assert.is(toHex(encode(assemble(text))), toHex(bytes), `round ${round}`);
    }
  }
});

test.run();
