// Peephole fusions (peephole.ts) and the liveness they rest on (liveness.ts): when each
// pattern fires and when it must not, then seeded random programs built from the patterns'
// pieces (right and subtly wrong) run by the JIT and by the interpreter, which must agree.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Interpreter } from '../../interp/interpreter.ts';
import { echoHelper } from '../../interp/raw.ts';
import { assemble } from '../../isa/asm.ts';
import { disassemble } from '../../isa/disasm.ts';
import { layout, type Instruction, type Program } from '../../isa/instruction.ts';
import { findFunctions, findJumpTargets } from '../analysis.ts';
import { liveness } from '../liveness.ts';
import { findFusion, planFusions, type Fusion } from '../peephole.ts';
import { provenance } from '../provenance.ts';
import { Class, classOf } from '../../isa/opcode.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { hasNativeLibrary, runWithMemory } from './native.ts';

const asm = (text: string): Instruction[] => [...assemble(text)];

function context(prog: Program) {
  const { pcOf, indexOf } = layout(prog);
  const slots = pcOf[prog.length]!;
  const functions = findFunctions(prog, pcOf, slots);
  const jumpTargets = findJumpTargets(prog, pcOf, slots);
  const { before } = provenance(prog, pcOf, indexOf, functions);
  return { prog, pcOf, indexOf, functions, jumpTargets, liveOut: liveness(prog, pcOf, indexOf, functions).liveOut, end: slots, before, slots: new Map<number, number>() };
}
const fusionAt = (text: string, i = 0): Fusion | undefined => findFusion(context(asm(text)), i);

/** The fusions the compiler would make, as compile.ts plans them. */
function plan(prog: Program): Map<number, Fusion> {
  const ctx = context(prog);
  return planFusions(ctx, 0, ctx.indexOf, ctx.slots, new Map());
}

test('liveness: a register is live until its last read, dead once overwritten, and r0 is read by exit', () => {
  const { liveOut } = context(asm(`
    r2 = 1
    r3 = r2
    r2 = 5
    if r3 > 4 goto +1
    r0 = r2
    exit`));
  assert.ok(liveOut[0]! & (1 << 2), 'r2 = 1 is read by the copy');
  assert.ok(liveOut[1]! & (1 << 3), 'r3 is read by the branch');
  assert.is(liveOut[1]! & (1 << 2), 0, 'r2 is overwritten at pc 2 before any read');
  assert.ok(liveOut[3]! & (1 << 2), 'both successors of the branch: r0 = r2 reads r2');
  assert.is(liveOut[4], 1, 'after r0 = r2 only r0 is live (exit reads it)');
});

test('liveness: calls read r1-r5 and clobber r0-r5; loops reach a fixed point', () => {
  const { liveOut } = context(asm(`
    r6 = 0
    r1 = 7
    call 5
    r6 += r0
    if r6 < 100 goto -4
    r0 = r6
    exit`));
  assert.ok(liveOut[1]! & (1 << 1), 'r1 reaches the call');
  assert.ok(liveOut[0]! & (1 << 6), 'r6 read around the loop');
  assert.is(liveOut[2]! & (1 << 1), 0, 'r1 is dead after the call: the loop sets it again first');
  assert.ok(liveOut[2]! & 1, 'r0 (the result) is live after the call');
  assert.is(liveOut[5], 1, 'after r0 = r6 only r0 is live');
});

test('liveness: a call into the program\'s own code reads every register (the JIT passes them all through)', () => {
  const { liveOut } = context(asm(`
    r6 = 7
    r0 = 40
    call f
    exit
f:
    r0 += r6
    exit`));
  assert.ok(liveOut[0]! & (1 << 6), 'r6 reaches the callee');
  assert.ok(liveOut[1]! & 1, 'so does r0');
});

const BE16 = `
    r4 = *(u8 *)(r1 + 13)
    r2 = *(u8 *)(r1 + 12)
    w2 <<= 8
    w2 |= w4`;

test('load: big-endian 16-bit from two byte loads, when the other register is dead', () => {
  const f = fusionAt(`${BE16}\n r0 = 1\n r0 += r2\n exit`);
  assert.is(f?.kind, 'load');
  assert.is(f?.count, 4);
  assert.is(fusionAt(`${BE16}\n r0 = r2\n r0 += r4\n exit`), undefined, 'r4 is read afterwards: its byte must stay');
  assert.is(fusionAt(`${BE16}\n if r2 > 3 goto +1\n r0 = r2\n exit`)?.count, 4, 'a branch after the run is fine');
});

test('load: no fusion across a jump target, a store, or a base written before a later load', () => {
  assert.is(fusionAt(`
    r4 = *(u8 *)(r1 + 13)
    if r4 > 3 goto +0
    r2 = *(u8 *)(r1 + 12)
    w2 <<= 8
    w2 |= w4
    r0 = r2
    exit`)?.count, undefined);
  assert.is(fusionAt(`
    r4 = *(u8 *)(r1 + 13)
    *(u8 *)(r1 + 12) = 7
    r2 = *(u8 *)(r1 + 12)
    w2 <<= 8
    w2 |= w4
    r0 = r2
    exit`), undefined);
  assert.is(fusionAt(`
    r4 = *(u8 *)(r1 + 13)
    r1 += 0
    r2 = *(u8 *)(r1 + 12)
    w2 <<= 8
    w2 |= w4
    r0 = r2
    exit`), undefined);
});

test('load: a 32-bit big-endian value as clang writes it for ports, and a little-endian one', () => {
  const be32 = fusionAt(`
    r0 = *(u8 *)(r5 + 0)
    w0 <<= 24
    r3 = *(u8 *)(r5 + 1)
    w3 <<= 16
    w3 |= w0
    r0 = *(u8 *)(r5 + 2)
    w0 <<= 8
    w3 |= w0
    r0 = *(u8 *)(r5 + 3)
    w3 |= w0
    r0 = 1
    r0 += r3
    exit`);
  assert.is(be32?.count, 10);
  const le32 = fusionAt(`
    r2 = *(u16 *)(r1 + 6)
    r2 <<= 16
    r3 = *(u16 *)(r1 + 4)
    r2 |= r3
    r0 = 1
    r0 += r2
    exit`);
  assert.is(le32?.count, 4);
  assert.is(fusionAt(`
    r2 = *(u8 *)(r1 + 6)
    r2 <<= 8
    r3 = *(u8 *)(r1 + 4)
    r2 |= r3
    r0 = r2
    exit`), undefined, 'bytes 4 and 6 are not consecutive');
});

// Each result completes in the other site's base register, at the run's last instruction.
const CROSSED_BASES = `
    r6 = r1
    r6 += 4
    r2 = *(u8 *)(r6 + 0)
    r3 = *(u8 *)(r6 + 1)
    r4 = *(u8 *)(r1 + 0)
    r5 = *(u8 *)(r1 + 1)
    w3 <<= 8
    w5 <<= 8
    r6 = r4
    w6 |= w5
    r1 = r2
    w1 |= w3
    if r1 == 7 goto +0
    r0 = r1
    r0 <<= 16
    r0 |= r6
    exit`;

test('load: two results, each written into the other one\'s base register', () => {
  assert.is(fusionAt(CROSSED_BASES, 2)?.count, 10, 'the run covers both values and the moves into r1 and r6');
  if (!hasNativeLibrary().ok) return;
  const input = Uint8Array.from([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
  // r1 = bytes 4..5 little-endian, r6 = bytes 0..1: r0 = 0x6655 << 16 | 0x2211.
  assert.is(runWithMemory(asm(CROSSED_BASES), input).r0, 0x66552211n);
});

test('rotate: shifts that add up to the width, with and without a folded multiply', () => {
  const plain = fusionAt(`
    w5 = w4
    w5 >>= 19
    w4 <<= 13
    w4 |= w5
    r0 = r4
    exit`);
  assert.is(plain?.kind, 'rotate');
  assert.is(plain?.count, 4);
  const folded = fusionAt(`
    w5 = w4
    w5 *= 380141568
    w4 *= -862048943
    w4 >>= 17
    w4 |= w5
    r0 = r4
    exit`);
  assert.is(folded?.count, 5, '0xcc9e2d51 << 15 is 380141568 modulo 2^32');
  assert.is(fusionAt(`
    w5 = w4
    w5 *= 380141569
    w4 *= -862048943
    w4 >>= 17
    w4 |= w5
    r0 = r4
    exit`), undefined, 'multipliers that disagree');
  assert.is(fusionAt(`
    w5 = w4
    w5 >>= 18
    w4 <<= 13
    w4 |= w5
    r0 = r4
    exit`), undefined, '13 + 18 is not 32');
  assert.is(fusionAt(`
    w5 = w4
    w5 >>= 19
    w4 <<= 13
    w4 |= w5
    r0 = r4
    r0 += r5
    exit`), undefined, 'r5 is read afterwards');
  assert.is(fusionAt(`
    r5 = r4
    r5 >>= 40
    r4 <<= 24
    r4 |= r5
    r0 = r4
    exit`)?.count, 4, '64-bit');
});

test('scaled add: x * 3, 5 or 9 (plus a constant) is one lea; other factors are not', () => {
  assert.is(fusionAt('w4 *= 5\n w4 += -430675100\n r0 = r4\n exit')?.count, 2);
  assert.is(fusionAt('r4 *= 9\n r0 = r4\n exit')?.count, 1);
  assert.is(fusionAt('r4 *= 7\n r0 = r4\n exit'), undefined);
});

test('store runs: a MAC-sized copy and a value written out byte by byte fuse; overlap and aliasing stop them', () => {
  const copy = fusionAt(`
    r2 = *(u8 *)(r1 + 8)
    *(u8 *)(r1 + 2) = r2
    r2 = *(u8 *)(r1 + 9)
    *(u8 *)(r1 + 3) = r2
    r2 = *(u8 *)(r1 + 6)
    *(u8 *)(r1 + 0) = r2
    r2 = *(u8 *)(r1 + 7)
    *(u8 *)(r1 + 1) = r2
    r0 = 3
    exit`);
  assert.is(copy?.kind, 'store');
  assert.is(copy?.count, 8);
  const spelled = fusionAt(`
    r2 = *(u32 *)(r10 - 8)
    w3 = w2
    w3 >>= 16
    *(u8 *)(r1 + 8) = r3
    w3 = w2
    w3 >>= 24
    *(u8 *)(r1 + 9) = r3
    *(u8 *)(r1 + 6) = r2
    w2 >>= 8
    *(u8 *)(r1 + 7) = r2
    r0 = 3
    exit`);
  assert.is(spelled?.count, 10);
  assert.is(fusionAt(`
    r2 = *(u8 *)(r1 + 8)
    *(u8 *)(r1 + 9) = r2
    r2 = *(u8 *)(r1 + 9)
    *(u8 *)(r1 + 10) = r2
    r0 = 3
    exit`)?.count ?? 2, 2, 'the second load reads the byte the first store wrote: the run stops there');
  assert.is(fusionAt(`
    r2 = *(u8 *)(r1 + 8)
    *(u8 *)(r6 + 2) = r2
    r2 = *(u8 *)(r1 + 9)
    *(u8 *)(r6 + 3) = r2
    r0 = 3
    exit`), undefined, 'a load through r1 after a store through r6: they may alias');
});

test('store merging: adjacent stack stores from registers and immediates become one store; gaps, overlaps, jumps and other bases do not', () => {
  // clang's port_key {u8 proto, u8 pad, u16 port}: proto and pad in one u16 store, then the port.
  const key = fusionAt('*(u16 *)(r10 - 8) = r8\n*(u16 *)(r10 - 6) = r6\nr0 = *(u32 *)(r10 - 8)\nexit');
  assert.is(key?.kind, 'merge');
  assert.is(key?.count, 2);
  // Four bytes in any order, one an immediate; and two words into 8 bytes.
  assert.is(fusionAt('*(u8 *)(r10 - 2) = r3\n*(u8 *)(r10 - 4) = r2\n*(u8 *)(r10 - 1) = 7\n*(u8 *)(r10 - 3) = r4\nexit')?.count, 4);
  assert.is(fusionAt('*(u32 *)(r10 - 12) = r2\n*(u32 *)(r10 - 16) = r3\nexit')?.count, 2);
  // The longest run that covers 2, 4 or 8 bytes: three bytes do not, the fourth completes it.
  assert.is(fusionAt('*(u8 *)(r10 - 4) = r2\n*(u8 *)(r10 - 3) = r3\n*(u8 *)(r10 - 2) = r4\nexit')?.count, 2);
  assert.is(fusionAt('*(u16 *)(r10 - 8) = r2\n*(u16 *)(r10 - 5) = r3\nexit'), undefined, 'a gap');
  assert.is(fusionAt('*(u16 *)(r10 - 8) = r2\n*(u16 *)(r10 - 7) = r3\nexit'), undefined, 'an overlap');
  assert.is(fusionAt('*(u16 *)(r10 - 8) = r2\n*(u16 *)(r10 - 6) = r3\nexit'.replace('r10 - 8', 'r1 + 0').replace('r10 - 6', 'r1 + 2')), undefined, 'not the stack');
  assert.is(fusionAt('*(u16 *)(r10 - 8) = r2\n*(u32 *)(r10 - 6) = r3\nexit'), undefined, '6 bytes');
  assert.is(fusionAt('if r2 > 3 goto +1\n*(u16 *)(r10 - 8) = r2\n*(u16 *)(r10 - 6) = r3\nexit', 1), undefined, 'a jump lands on the second store');
});

if (requires('JIT execution of merged stores', hasNativeLibrary())) {
  test('store merging: the merged store writes what the stores did (byte registers, zero extension, immediates, 8 bytes)', () => {
    const cases = [
      // the values carry bits above the stored width, which must not leak into the neighbours
      'r8 = 0x1234abcd\nr6 = -1\n*(u16 *)(r10 - 8) = r8\n*(u16 *)(r10 - 6) = r6\nr0 = *(u32 *)(r10 - 8)\nexit',
      'r2 = 0x1ff\nr3 = 0x2fe\nr4 = -3\n*(u8 *)(r10 - 2) = r3\n*(u8 *)(r10 - 4) = r2\n*(u8 *)(r10 - 1) = -2\n*(u8 *)(r10 - 3) = r4\nr0 = *(u32 *)(r10 - 4)\nexit',
      'r1 = 0x89abcdef01234567 ll\nr5 = 0x76543210fedcba98 ll\n*(u32 *)(r10 - 12) = r1\n*(u32 *)(r10 - 16) = r5\nr0 = *(u64 *)(r10 - 16)\nexit',
      '*(u16 *)(r10 - 6) = -1\n*(u16 *)(r10 - 8) = 0x1234\nr0 = *(u32 *)(r10 - 8)\nexit',
      '*(u32 *)(r10 - 4) = -1\n*(u32 *)(r10 - 8) = 5\nr0 = *(u64 *)(r10 - 8)\nexit',
      // r1 and r5 are sil/dil-class byte registers in the System V map: movzx needs REX for them
      'r1 = 0x1c1\nr2 = 0x2c2\n*(u8 *)(r10 - 1) = r1\n*(u8 *)(r10 - 2) = r2\nr0 = *(u16 *)(r10 - 2)\nexit',
    ];
    for (const text of cases) {
      const program = asm(text);
      assert.ok([...plan(program).values()].some((f) => f.kind === 'merge'), `merges: ${text}`);
      const expected = BigInt.asUintN(64, new Interpreter(program).run({ input: new Uint8Array(0) }).r0);
      assert.is(runWithMemory(program, new Uint8Array(0)).r0, expected, text);
    }
  });
}

// --- random programs from the patterns' pieces -------------------------------------------

function generator(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s % n; };
}

/** Text of a random program over a 64-byte input at r1 (and r6, up to 8 bytes further): loads, byte shifts, ors, rotates, multiplies. */
function randomProgram(seed: number): string {
  const rnd = generator(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
  const regs = [0, 2, 3, 4, 5, 8, 9]; // r7 keeps the input's address for good
  const lines = ['r6 = r1', 'r7 = r1', 'r0 = 0', ...regs.slice(1).map((r) => `r${r} = ${rnd(1000)}`), ...[8, 16, 24, 32, 40, 48, 56, 64].map((o) => `*(u64 *)(r10 - ${o}) = 0`)];
  const w = (): string => (rnd(2) ? 'w' : 'r');
  for (let k = 0; k < 40; k++) {
    const a = pick(regs), b = pick(regs), base = rnd(5) === 0 ? 6 : 1, off = rnd(base === 6 ? 44 : 56);
    switch (rnd(21)) {
      case 0: case 1: lines.push(`r${a} = *(${pick(['u8', 'u8', 'u16', 'u32'])} *)(r${base} + ${off})`); break;
      case 2: lines.push(`${w()}${a} <<= ${pick([8, 16, 24, 8, 3])}`); break;
      case 3: lines.push(`${w()}${a} >>= ${pick([8, 16, 24, 5])}`); break;
      case 4: lines.push(`${w()}${a} |= ${w()}${b}`.replace(/^(w\d+ \|= )r/, '$1w').replace(/^(r\d+ \|= )w/, '$1r')); break;
      case 5: { // a big-endian assembly of 2 or 4 bytes, sometimes with an off-by-one byte
        const n = pick([2, 4]), skew = rnd(6) === 0 ? 1 : 0;
        lines.push(`r${a} = *(u8 *)(r${base} + ${off})`, `w${a} <<= ${8 * (n - 1)}`);
        if (base === 6 && rnd(3) === 0) lines.push('r6 += 1'); // the next bytes come from a moved base
        for (let j = 1; j < n; j++) {
          lines.push(`r${b} = *(u8 *)(r${base} + ${off + j + (j === n - 1 ? skew : 0)})`);
          if (j < n - 1) lines.push(`w${b} <<= ${8 * (n - 1 - j)}`);
          lines.push(`w${a} |= w${b}`);
        }
        break;
      }
      case 6: { // rotate, with a multiply folded in half the time, sometimes with a wrong count
        const s = 1 + rnd(31), wrong = rnd(6) === 0 ? 1 : 0, c = rnd(2) ? 1 + rnd(0x7ffffff) : 0;
        if (a === b) break;
        lines.push(`w${b} = w${a}`);
        if (c) lines.push(`w${b} *= ${Number(BigInt.asIntN(32, BigInt(c) << BigInt(s)))}`, `w${a} *= ${c}`);
        else lines.push(`w${b} <<= ${s}`);
        lines.push(`w${a} >>= ${32 - s + wrong}`, rnd(2) ? `w${a} |= w${b}` : `w${b} |= w${a}`);
        break;
      }
      case 7: lines.push(`${w()}${a} *= ${pick([3, 5, 9, 7])}`, ...(rnd(2) ? [`${w()}${a} += ${rnd(2000) - 1000}`] : [])); break;
      case 8: lines.push(`if r${a} > ${rnd(1 << 16)} goto +${1 + rnd(3)}`); break;
      case 9: lines.push('r6 = r1', `r6 += ${1 + rnd(4)}`); break; // r6 stays within 8 bytes of r1
      case 10: lines.push(`*(${pick(['u32', 'u64'])} *)(r10 - ${pick([8, 16, 24, 32])}) = r${a}`); break; // a spill...
      case 11: lines.push(`r${a} = *(${pick(['u32', 'u64'])} *)(r10 - ${pick([8, 16, 24, 32])})`); break; // ...and a reload
      case 12: lines.push(`*(u8 *)(r1 + ${rnd(56)}) = r${a}`); break; // memory changes under bytes already loaded
      case 13: lines.push('call 5', 'r1 = r7', 'r0 = 0', 'r2 = 2', 'r3 = 3', 'r4 = 4', 'r5 = 5'); break; // r1-r5 are undefined after a call
      case 14: case 15: lines.push(...splitAssembly(rnd, base, off)); break;
      case 16: lines.push(...byteCopy(rnd)); break;
      case 17: case 18: lines.push(...byteStores(rnd, a, b)); break;
      case 19: case 20: lines.push(...stackPieces(rnd, regs)); break;
    }
  }
  // Only some registers reach r0: the rest are dead, which is what lets runs fuse.
  for (const r of regs.slice(1)) if (rnd(3) === 0) lines.push(`r0 *= 31`, `r0 += r${r}`);
  lines.push('exit');
  // A jump past the end lands on the fold; keep every offset inside the program.
  return lines.map((l, i) => l.replace(/goto \+(\d+)/, (_, n) => `goto +${Math.min(Number(n), lines.length - 2 - i)}`)).join('\n');
}

/**
 * clang's shape: bytes loaded into separate registers, some spilled to the stack, then other work
 * (or a store over one of those bytes, or over a spill), then reloaded, shifted and or'ed big-endian.
 */
function splitAssembly(rnd: (n: number) => number, base: number, off: number): string[] {
  const n = rnd(2) ? 4 : 2;
  const regs = [0, 2, 3, 4, 5, 8, 9].sort(() => rnd(3) - 1).slice(0, n);
  const out: string[] = [];
  const spilled = new Map<number, number>();
  regs.forEach((r, j) => {
    out.push(`r${r} = *(u8 *)(r${base} + ${off + j})`);
    if (rnd(3) === 0) { const slot = 8 * (1 + spilled.size); spilled.set(j, slot); out.push(`*(u32 *)(r10 - ${slot}) = r${r}`); }
  });
  switch (rnd(5)) {
    case 0: out.push(`*(u8 *)(r${base} + ${off + rnd(n)}) = r${regs[0]}`); break; // memory under the loaded bytes changes
    case 1: if (spilled.size) out.push(`*(u8 *)(r10 - ${[...spilled.values()][0]! - rnd(4)}) = 7`); break; // a spill partly overwritten
    case 2: out.push(`if r${regs[0]} > 100 goto +1`, 'r6 = r7'); break; // another block in between
    case 3: out.push(`*(u32 *)(r10 - 40) = 9`); break; // a store to the stack elsewhere
  }
  regs.forEach((r, j) => {
    const slot = spilled.get(j);
    if (slot !== undefined) out.push(`r${r} = *(u32 *)(r10 - ${slot})`);
    if (j < n - 1) out.push(`w${r} <<= ${8 * (n - 1 - j)}`);
  });
  for (const r of regs.slice(1)) out.push(`w${regs[0]} |= w${r}`);
  return out;
}

/** memcpy as clang writes it for a few bytes: byte loads and stores, in any order, the ranges maybe overlapping. */
function byteCopy(rnd: (n: number) => number): string[] {
  const n = 2 + rnd(7), from = rnd(56 - n), to = rnd(56 - n), t = [0, 2, 3, 4, 5, 8, 9][rnd(7)]!;
  const order = Array.from({ length: n }, (_, j) => j).sort(() => rnd(3) - 1);
  const via = rnd(4) === 0 ? 6 : 1; // sometimes the stores go through another pointer into the same bytes
  return order.flatMap((j) => [`r${t} = *(u8 *)(r1 + ${from + j})`, `*(u8 *)(r${via} + ${to + j}) = r${t}`]);
}

/**
 * A key built on the stack field by field (registers and immediates, 1 to 4 bytes each, in any
 * order), sometimes with a gap, an overlap or a branch over one store, then read back whole or
 * in part into r0's fold.
 */
function stackPieces(rnd: (n: number) => number, regs: readonly number[]): string[] {
  const total = [2, 4, 8][rnd(3)]!, lo = -8 * (5 + rnd(3)); // below the slots the other pieces use (all zeroed first)
  const sizes: number[] = [];
  for (let left = total; left > 0;) {
    const fits = [1, 2, 4].filter((x) => x <= left && x < total);
    const size = fits[rnd(fits.length)]!;
    sizes.push(size);
    left -= size;
  }
  let at = lo;
  const stores = sizes.map((size) => { const off = at; at += size; return { off, size }; }).sort(() => rnd(3) - 1);
  const out = stores.map(({ off, size }) => {
    const wrong = rnd(8) === 0 ? (rnd(2) ? 1 : -1) : 0; // a gap or an overlap
    const value = rnd(3) === 0 ? String(rnd(2) ? -rnd(200) : rnd(70000)) : `r${regs[rnd(regs.length)]}`;
    return `*(u${8 * size} *)(r10 - ${-(off + wrong)}) = ${value}`;
  });
  if (rnd(6) === 0 && out.length > 1) out.splice(1, 0, `if r0 > ${rnd(1000)} goto +1`); // a jump lands on a store
  const t = regs[1 + rnd(regs.length - 1)]!;
  const read = [total, total / 2, 1].filter((x) => Number.isInteger(x))[rnd(3)]!;
  out.push(`r${t} = *(u${8 * Math.max(1, read)} *)(r10 - ${-(lo + (read < total ? rnd(total - read + 1) : 0))})`, 'r0 *= 31', `r0 += r${t}`);
  return out;
}

/** A register (or a reloaded spill) written out byte by byte, or in halves, in any order. */
function byteStores(rnd: (n: number) => number, v: number, t: number): string[] {
  if (v === t) return [];
  const out = rnd(2) ? [`r${v} = *(${rnd(2) ? 'u64' : 'u32'} *)(r10 - ${8 * (1 + rnd(4))})`] : [];
  const n = [2, 4, 8][rnd(3)]!, to = rnd(56 - n), step = rnd(3) === 0 ? 2 : 1;
  const order = Array.from({ length: n / step }, (_, j) => j * step).sort(() => rnd(3) - 1);
  for (const j of order) {
    const size = step === 2 ? 'u16' : 'u8';
    if (j === 0) out.push(`*(${size} *)(r1 + ${to}) = r${v}`);
    else out.push(`r${t} = r${v}`, `r${t} >>= ${8 * j}`, `*(${size} *)(r1 + ${to + j}) = r${t}`);
  }
  return out;
}

if (requires('JIT execution of fused runs', hasNativeLibrary())) {
  test('400 random programs of loads, shifts, ors, rotates and multiplies: the JIT and the interpreter agree', () => {
    const only = process.env['SLUICE_FUZZ_SEED'];
    const seeds = only ? [Number(only)] : Array.from({ length: 400 }, (_, i) => 5000 + i);
    const fired: Record<string, number> = {};
    let crossBlock = 0;
    for (const seed of seeds) {
      const program = asm(randomProgram(seed));
      for (const [i, f] of plan(program)) {
        fired[f.kind] = (fired[f.kind] ?? 0) + 1;
        if (f.kind === 'load' && ((f.slots?.length ?? 0) > 0 || classOf(program[i]!.opcode) !== Class.LDX)) crossBlock++;
      }
      const rnd = generator(seed * 7 + 1);
      const input = Uint8Array.from({ length: 64 }, () => rnd(256));
      const after = input.slice(); // the interpreter writes its input in place
      const expected = BigInt.asUintN(64, new Interpreter(program, { helpers: new Map([[5, echoHelper]]) }).run({ input: after }).r0);
      const jit = runWithMemory(program, input);
      const got = jit.r0;
      if (got !== expected || !jit.memory.every((b, k) => b === after[k])) {
        const at = jit.memory.findIndex((b, k) => b !== after[k]);
        if (at >= 0) assert.unreachable(`seed ${seed} (SLUICE_FUZZ_SEED=${seed}): memory differs from byte ${at}: interpreter ${after[at]}, JIT ${jit.memory[at]}\n` +
          program.map((insn, i) => `${String(i).padStart(4)}: ${disassemble(insn)}`).join('\n'));
        assert.unreachable(`seed ${seed} (SLUICE_FUZZ_SEED=${seed}): interpreter r0 = 0x${expected.toString(16)}, JIT r0 = 0x${got.toString(16)}\n` +
          program.map((insn, i) => `${String(i).padStart(4)}: ${disassemble(insn)}`).join('\n'));
      }
    }
    // The programs must exercise every fusion, or agreeing proves little.
    for (const kind of ['load', 'rotate', 'scaled-add', 'store', 'merge']) assert.ok((fired[kind] ?? 0) >= 20, `${kind} fired ${fired[kind] ?? 0} times`);
    assert.ok(crossBlock >= 20, `only ${crossBlock} fused runs started from bytes loaded before them`);
  });
}

test.run();
