// The random program generator: reproducible, covers the whole ALU/JMP
// instruction set, and only emits what the verifier accepts (forward jumps that
// land on instructions, in-range immediate shifts, no division by an immediate
// zero, the context register left alone).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generate, PACKET_SIZE } from '../generate.ts';
import { frame, registersFrom } from '../frame.ts';
import { decode, encode } from '../../isa/codec.ts';
import { layout, type Instruction } from '../../isa/instruction.ts';
import { Rng } from '../prng.ts';

const SEEDS = Array.from({ length: 300 }, (_, i) => i * 7919 + 1);
const programs = SEEDS.map((s) => generate(s));

const ALU_OPS = { add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70, mod: 0x90, xor: 0xa0, mov: 0xb0, arsh: 0xc0 };
const CONDS = { jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70, jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0 };
const ALU32 = 0x04, ALU64 = 0x07, JMP = 0x05, JMP32 = 0x06, K = 0x00, X = 0x08;

/** A name for what an instruction is, including the variants that live in off and imm. */
function variant(insn: Instruction): string {
  const { opcode, off, imm } = insn;
  if (opcode === 0x18) return 'lddw';
  const cls = opcode & 7;
  if (cls !== ALU32 && cls !== ALU64) return opcode.toString(16);
  if ((opcode & 0xf0) === 0xd0) return `end:${opcode.toString(16)}:${imm}`;
  if ((opcode & 0xf0) === 0xb0 && (opcode & 0x08) && off !== 0) return `movsx:${opcode.toString(16)}:${off}`;
  if (((opcode & 0xf0) === 0x30 || (opcode & 0xf0) === 0x90) && off === 1) return `s:${opcode.toString(16)}`;
  return opcode.toString(16);
}

test('the same seed gives the same program and packet; other seeds give others', () => {
  for (const seed of [0, 1, 42, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
    const a = generate(seed), b = generate(seed);
    assert.equal(encode(a.body), encode(b.body));
    assert.equal(a.packet, b.packet);
    assert.is(a.ctxReg, b.ctxReg);
  }
  const distinct = new Set(programs.map((p) => Buffer.from(encode(p.body)).toString('hex')));
  assert.is(distinct.size, programs.length);
  // The high half of a seed matters too.
  assert.not.equal(encode(generate(5).body), encode(generate(5 + 2 ** 32).body));
});

test('the PRNG is uniform enough and never leaves its ranges', () => {
  const rng = new Rng(7);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 20000; i++) counts[rng.below(10)]++;
  for (const c of counts) assert.ok(c > 1800 && c < 2200, `bucket count ${c}`);
  for (let i = 0; i < 1000; i++) {
    const v = rng.between(-3, 3);
    assert.ok(v >= -3 && v <= 3);
  }
  assert.throws(() => new Rng(1.5), /safe integer/);
});

test('every ALU, ALU64, JMP and JMP32 operation appears in K and X forms over the seeds', () => {
  const seen = new Set(programs.flatMap((p) => p.body.map(variant)));
  const expected: string[] = ['lddw', '5', '6']; // lddw, ja, gotol
  for (const cls of [ALU32, ALU64]) {
    for (const op of Object.values(ALU_OPS)) for (const src of [K, X]) expected.push((cls | op | src).toString(16));
    expected.push((cls | 0x80).toString(16)); // neg
    for (const op of [0x30, 0x90]) for (const src of [K, X]) expected.push(`s:${(cls | op | src).toString(16)}`); // sdiv, smod
  }
  for (const cls of [JMP, JMP32]) for (const op of Object.values(CONDS)) for (const src of [K, X]) expected.push((cls | op | src).toString(16));
  for (const bits of [16, 32, 64]) expected.push(`end:d4:${bits}`, `end:dc:${bits}`, `end:d7:${bits}`); // le, be, bswap
  for (const off of [8, 16, 32]) expected.push(`movsx:bf:${off}`);
  for (const off of [8, 16]) expected.push(`movsx:bc:${off}`);
  const missing = expected.filter((v) => !seen.has(v));
  assert.equal(missing, [], `never generated: ${missing.join(' ')}`);
});

test('long bodies keep their jumps in range; impossible sizes are refused', () => {
  const p = generate(11, { minOps: 1000, maxOps: 1000 });
  assert.equal(decode(encode(p.body)), p.body);
  assert.throws(() => generate(1, { maxOps: 1001 }), /not within/);
  assert.throws(() => generate(1, { minOps: 5, maxOps: 4 }), /not within/);
  assert.is(generate(1, { minOps: 0, maxOps: 0 }).body.length, 9); // only the initialisation
});

test('without v4 no sdiv, smod, movsx, bswap or gotol appears', () => {
  for (let seed = 0; seed < 200; seed++) {
    for (const insn of generate(seed, { v4: false }).body) {
      const v = variant(insn);
      assert.ok(!v.startsWith('s:') && !v.startsWith('movsx') && !v.startsWith('end:d7') && insn.opcode !== 0x06, `seed ${seed}: ${v}`);
    }
  }
});

test('programs decode back to themselves, for both engines', () => {
  for (const p of programs) {
    for (const engine of ['kernel', 'interp'] as const) {
      const program = frame(p, engine);
      const bytes = encode(program);
      assert.equal(decode(bytes), program);
      assert.equal(encode(decode(bytes)), bytes);
    }
  }
});

test('jumps go forward and land on an instruction of the body or the epilogue start', () => {
  for (const p of programs) {
    const { pcOf, indexOf } = layout(p.body);
    const end = pcOf[p.body.length]!;
    p.body.forEach((insn, i) => {
      const cls = insn.opcode & 7;
      if (cls !== JMP && cls !== JMP32) return;
      const delta = insn.opcode === JMP32 ? insn.imm : insn.off;
      const target = pcOf[i]! + 1 + delta;
      assert.ok(delta >= 0, `seed ${p.seed} pc ${pcOf[i]}: backward jump`);
      assert.ok(target <= end && (target === end || indexOf[target]! >= 0), `seed ${p.seed} pc ${pcOf[i]}: bad target ${target}`);
    });
  }
});

test('what the verifier would refuse never appears', () => {
  for (const p of programs) {
    p.body.forEach((insn, i) => {
      const where = `seed ${p.seed} insn ${i}`;
      assert.ok(insn.dst !== p.ctxReg && (insn.opcode === 0x18 || insn.src !== p.ctxReg || (insn.opcode & 0x08) === 0), `${where}: touches the context register`);
      assert.ok(insn.dst !== 10 && (insn.opcode === 0x18 || insn.src !== 10), `${where}: r10`);
      const cls = insn.opcode & 7, op = insn.opcode & 0xf0, src = insn.opcode & 0x08;
      if ((cls === ALU32 || cls === ALU64) && src === K) {
        if (op === 0x30 || op === 0x90) assert.ok(insn.imm !== 0, `${where}: division by an immediate zero`);
        if (op === 0x60 || op === 0x70 || op === 0xc0) {
          assert.ok(insn.imm >= 0 && insn.imm < (cls === ALU64 ? 64 : 32), `${where}: shift by ${insn.imm}`);
        }
      }
    });
    // Every register the body uses is written by its first instructions, in order.
    assert.equal(p.body.slice(0, p.regs.length).map((i) => i.dst), [...p.regs]);
    assert.ok(p.ctxReg >= 6 && p.ctxReg <= 9);
    assert.is(p.regs.length, 9);
    assert.is(p.packet.length, PACKET_SIZE);
  }
});

test('the registers come back from the packet in the epilogue order', () => {
  const p = generate(3);
  const out = new Uint8Array(PACKET_SIZE);
  const view = new DataView(out.buffer);
  p.regs.forEach((r, i) => view.setBigUint64(8 * i, BigInt(r) * 0x0101010101010101n, true));
  const regs = registersFrom(p, out);
  for (const r of p.regs) assert.is(regs[r], BigInt(r) * 0x0101010101010101n);
  assert.is(regs[p.ctxReg], undefined);
});

test.run();
