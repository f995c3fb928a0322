// Soundness of the number domain: for random sets of concrete values, every
// operation's abstract result contains every concrete result (64- and 32-bit,
// and the narrowing a comparison applies to the values that satisfy it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../fuzz/prng.ts';
import { JmpOp } from '../../isa/opcode.ts';
import * as S from '../scalar.ts';
import { decide, narrow } from '../branch.ts';

const U64 = (1n << 64n) - 1n;
const u = (x: bigint): bigint => BigInt.asUintN(64, x);
const s = (x: bigint): bigint => BigInt.asIntN(64, x);
const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
const EDGES = [0n, 1n, 2n, 7n, 8n, 0x7fn, 0x80n, 0xffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, (1n << 63n) - 1n, 1n << 63n, U64, U64 - 1n];

function value(rng: Rng): bigint {
  switch (rng.below(4)) {
    case 0: return rng.pick(EDGES);
    case 1: return BigInt(rng.below(300));
    case 2: return u(BigInt(rng.i32()));
    default: return rng.u64();
  }
}

/** The best abstraction of a set of values (known bits, ranges). */
function abstract(xs: bigint[]): S.Scalar {
  const and = xs.reduce((a, b) => a & b), or = xs.reduce((a, b) => a | b);
  const umin = xs.reduce((a, b) => (a < b ? a : b)), umax = xs.reduce((a, b) => (a > b ? a : b));
  const ss = xs.map(s), l = xs.map((x) => s32(x));
  return S.make(and, or & ~and, umin, umax, ss.reduce((a, b) => (a < b ? a : b)), ss.reduce((a, b) => (a > b ? a : b)),
    l.reduce((a, b) => (a < b ? a : b)), l.reduce((a, b) => (a > b ? a : b)));
}

function contains(a: S.Scalar, x: bigint): boolean {
  return a.umin <= x && x <= a.umax && a.smin <= s(x) && s(x) <= a.smax && a.s32min <= s32(x) && s32(x) <= a.s32max &&
    (x & ~a.mask) === a.value;
}

const OPS: [string, (a: S.Scalar, b: S.Scalar) => S.Scalar, (x: bigint, y: bigint) => bigint][] = [
  ['add', S.add, (x, y) => u(x + y)],
  ['sub', S.sub, (x, y) => u(x - y)],
  ['mul', S.mul, (x, y) => u(x * y)],
  ['and', S.and, (x, y) => x & y],
  ['or', S.or, (x, y) => x | y],
  ['xor', S.xor, (x, y) => x ^ y],
  ['div', S.div, (x, y) => (y === 0n ? 0n : x / y)],
  ['mod', S.mod, (x, y) => (y === 0n ? x : x % y)],
];

test('binary operations contain every concrete result', () => {
  const rng = new Rng(99);
  for (let n = 0; n < 4000; n++) {
    const xs = Array.from({ length: rng.between(1, 3) }, () => value(rng));
    const ys = Array.from({ length: rng.between(1, 3) }, () => value(rng));
    const [name, op, conc] = rng.pick(OPS);
    const r = op(abstract(xs), abstract(ys));
    for (const x of xs) for (const y of ys) {
      assert.ok(contains(r, conc(x, y)), `${name}(${x}, ${y}) = ${conc(x, y)} not in ${S.show(r)} (${xs} / ${ys})`);
    }
  }
});

test('shifts, truncation, sign extension and byte swaps contain every concrete result', () => {
  const rng = new Rng(5);
  for (let n = 0; n < 3000; n++) {
    const xs = Array.from({ length: rng.between(1, 3) }, () => value(rng));
    const a = abstract(xs);
    const k = rng.below(64);
    const checks: [string, S.Scalar, (x: bigint) => bigint][] = [
      ['lsh', S.lsh(a, k), (x) => u(x << BigInt(k))],
      ['rsh', S.rsh(a, k), (x) => x >> BigInt(k)],
      ['arsh', S.arsh(a, k), (x) => u(s(x) >> BigInt(k))],
      ['trunc32', S.trunc32(a), (x) => x & 0xffffffffn],
      ['sext32', S.sext(a, 32), (x) => u(BigInt.asIntN(32, x))],
      ['sext16', S.sext(a, 16), (x) => u(BigInt.asIntN(16, x))],
      ['sext8', S.sext(a, 8), (x) => u(BigInt.asIntN(8, x))],
      ['neg', S.neg(a), (x) => u(-x)],
      ['trunc16', S.truncTo(a, 16), (x) => x & 0xffffn],
    ];
    for (const [name, r, conc] of checks) for (const x of xs) assert.ok(contains(r, conc(x)), `${name}(${x}) = ${conc(x)} not in ${S.show(r)} (from ${xs})`);
  }
});

const CONDS: [number, (x: bigint, y: bigint) => boolean][] = [
  [JmpOp.JEQ, (x, y) => x === y], [JmpOp.JNE, (x, y) => x !== y],
  [JmpOp.JGT, (x, y) => x > y], [JmpOp.JGE, (x, y) => x >= y], [JmpOp.JLT, (x, y) => x < y], [JmpOp.JLE, (x, y) => x <= y],
  [JmpOp.JSGT, (x, y) => s(x) > s(y)], [JmpOp.JSGE, (x, y) => s(x) >= s(y)], [JmpOp.JSLT, (x, y) => s(x) < s(y)], [JmpOp.JSLE, (x, y) => s(x) <= s(y)],
  [JmpOp.JSET, (x, y) => (x & y) !== 0n], [-1, (x, y) => (x & y) === 0n],
];

test('comparisons: decided outcomes are right, narrowing keeps every satisfying pair', () => {
  const rng = new Rng(17);
  for (let n = 0; n < 4000; n++) {
    const xs = Array.from({ length: rng.between(1, 3) }, () => value(rng));
    const ys = rng.chance(0.5) ? [value(rng)] : Array.from({ length: rng.between(1, 3) }, () => value(rng));
    const [op, holds] = rng.pick(CONDS);
    const a = abstract(xs), b = abstract(ys);
    const known = decide(a, b, op);
    const [na, nb] = narrow(a, b, op);
    for (const x of xs) for (const y of ys) {
      const h = holds(x, y);
      if (known !== undefined) assert.is(h, known, `op ${op} on ${x}, ${y} decided ${known}`);
      if (h) assert.ok(contains(na, x) && contains(nb, y), `op ${op}: ${x}, ${y} satisfy it but narrowing gave ${S.show(na)} / ${S.show(nb)}`);
    }
  }
});

test.run();
