// A seeded fuzzer for the verifier's soundness: random packet-parsing programs
// (bounds checks of every form at random offsets, packet and stack accesses at
// random offsets and sizes, variable offsets from packet bytes). Whatever the
// verifier accepts must run in the reference interpreter on random packets
// without a memory fault; a program is replayed with its seed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../fuzz/prng.ts';
import { assemble } from '../../isa/asm.ts';
import { Interpreter, VmError, type Region } from '../../interp/interpreter.ts';
import { programTypeOf } from '../../object/prog-types.ts';
import type { ProgramSpec } from '../../object/spec.ts';
import { verify, VerifierError } from '../verify.ts';
import { rewriteContextLoads } from '../ctx-facts.ts';

const SIZES = ['u8', 'u16', 'u32', 'u64'] as const;
const CONDS = ['>', '>=', '<', '<='] as const;

const addr = (reg: string, off: number): string => `(${reg} ${off < 0 ? '-' : '+'} ${Math.abs(off)})`;

/** One random program as assembly: r2 = data, r3 = data_end throughout; r4, r5, r7, r8, r9, r0 are scratch. */
function program(seed: number): string {
  const rng = new Rng(seed);
  const lines = ['r6 = r1', 'r2 = *(u32 *)(r6 + 0)', 'r3 = *(u32 *)(r6 + 4)', 'r5 = r2', 'r7 = 0', 'r8 = 0', 'r0 = 0'];
  const steps = rng.between(3, 12);
  for (let i = 0; i < steps; i++) {
    const k = rng.between(0, 48);
    const base = rng.chance(0.7) ? 'r2' : 'r5';
    switch (rng.below(8)) {
      case 0: case 1: { // a bounds check in one of clang's forms
        const cond = rng.pick(CONDS);
        lines.push(`r4 = ${base}`, `r4 += ${k}`);
        const swapped = rng.chance(0.5);
        const [a, b] = swapped ? ['r3', 'r4'] : ['r4', 'r3'];
        // Jump to `out` on the side where the packet may be too short, per the condition.
        const shortWhenTaken = (cond === '>' || cond === '>=') !== swapped;
        if (rng.chance(0.85)) {
          lines.push(shortWhenTaken ? `if ${a} ${cond} ${b} goto out` : `if ${a} ${cond} ${b} goto +1`, ...(shortWhenTaken ? [] : ['goto out']));
        } else {
          lines.push(`if ${a} ${cond} ${b} goto out`); // sometimes the wrong way round
        }
        break;
      }
      case 2: case 3:
        lines.push(`r${rng.pick([0, 7, 8, 9])} = *(${rng.pick(SIZES)} *)${addr(base, k - rng.below(3))}`);
        break;
      case 4:
        lines.push(`*(${rng.pick(SIZES)} *)${addr(base, k)} = ${rng.between(-5, 300)}`);
        break;
      case 5: // a variable offset from a packet byte, masked or not
        lines.push(`r9 = *(u8 *)(r2 + 0)`);
        if (rng.chance(0.8)) lines.push(`r9 &= ${rng.pick([1, 3, 7, 15, 31, 63])}`);
        lines.push('r5 = r2', 'r5 += r9');
        break;
      case 6: { // the stack, mostly in range and aligned
        const size = rng.pick(SIZES);
        const bytes = { u8: 1, u16: 2, u32: 4, u64: 8 }[size];
        const off = -bytes * rng.between(0, 520 / bytes) - (rng.chance(0.05) ? 1 : 0);
        lines.push(rng.chance(0.5) ? `*(${size} *)${addr('r10', off)} = r7` : `r8 = *(${size} *)${addr('r10', off)}`);
        break;
      }
      case 7:
        lines.push(`r7 += ${rng.between(-3, 3)}`, `r7 &= 63`);
        break;
    }
  }
  lines.push('r0 = 2', 'exit', 'out:', 'r0 = 1', 'exit');
  return lines.join('\n');
}

function spec(asm: string): ProgramSpec {
  const insns = assemble(asm);
  return {
    name: 'fuzz', section: 'xdp', sectionOffset: 0, type: programTypeOf('xdp')!, instructions: insns,
    origins: insns.map(() => ({ section: 'xdp', offset: 0 })), lines: insns.map(() => undefined), funcInfo: [],
  };
}

/** Runs the program on a packet, with a sluice_xdp_buff as ctx (data, data_end, data_meta as u64 at 0/8/16). */
function run(interp: Interpreter, packet: Uint8Array): void {
  const ctx = new Uint8Array(56);
  interp.run({
    input: packet,
    regions: [{ bytes: ctx, name: 'ctx' }],
    args: (mapped) => {
      const [pkt, c] = [mapped[0]!, mapped[1]!];
      c.view.setBigUint64(0, pkt.start, true);
      c.view.setBigUint64(8, pkt.end, true);
      c.view.setBigUint64(16, pkt.start, true);
      return [c.start];
    },
  });
}

test('every program the verifier accepts runs without a memory fault on random packets', () => {
  const COUNT = 1200, SEED = 7000;
  let accepted = 0, rejected = 0;
  const faults: string[] = [];
  for (let seed = SEED; seed < SEED + COUNT; seed++) {
    const asm = program(seed);
    const p = spec(asm);
    let facts;
    try {
      facts = verify(p, []).facts;
    } catch (err) {
      if (!(err instanceof VerifierError)) throw new Error(`seed ${seed}: verifier crashed: ${(err as Error).stack}\n${asm}`);
      rejected++;
      continue;
    }
    accepted++;
    const interp = new Interpreter(rewriteContextLoads(p.instructions, facts), { maxSteps: 10_000 });
    const rng = new Rng(seed ^ 0x5eed);
    // Every length the checks can tell apart (the kernel refuses frames under 14 bytes).
    for (let len = 14; len <= 60; len++) {
      const packet = rng.bytes(len);
      try {
        run(interp, packet);
      } catch (err) {
        if (err instanceof VmError && err.kind === 'memory') faults.push(`seed ${seed}, packet of ${packet.length} bytes: ${err.message}\n${asm}`);
        else throw err;
      }
    }
  }
  assert.equal(faults.slice(0, 3), []);
  // Both verdicts must be common, or the fuzzer tests nothing.
  assert.ok(accepted > COUNT / 10, `only ${accepted} accepted`);
  assert.ok(rejected > COUNT / 10, `only ${rejected} rejected`);
});


test('random instruction streams never crash the verifier: accepted, or a VerifierError', async () => {
  const { decode } = await import('../../isa/codec.ts');
  const { generate } = await import('../../fuzz/generate.ts');
  const { frame } = await import('../../fuzz/frame.ts');
  const crashes: string[] = [];
  let accepted = 0;
  const check = (seed: number, insns: readonly import('../../isa/instruction.ts').Instruction[]): void => {
    const p = { ...spec('r0 = 0\nexit'), instructions: insns, lines: insns.map(() => undefined), origins: insns.map(() => ({ section: 'xdp', offset: 0 })) };
    try {
      verify(p, [], { insnLimit: 20_000 });
      accepted++;
    } catch (err) {
      if (!(err instanceof VerifierError)) crashes.push(`seed ${seed}: ${(err as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
    }
  };
  for (let seed = 1; seed <= 300; seed++) {
    // Raw bytes: mostly invalid encodings.
    const rng = new Rng(seed);
    const bytes = rng.bytes(8 * rng.between(1, 40));
    let insns;
    try { insns = decode(bytes); } catch { insns = undefined; }
    if (insns) check(seed, insns);
    // The differential fuzzer's ALU/jump programs (valid, with their kernel frame).
    check(seed, frame(generate(seed), 'kernel'));
    // Mutations of a corpus-like program: random single-field changes.
    const base = spec(program(seed)).instructions.slice();
    const i = rng.below(base.length);
    const insn = base[i]!;
    base[i] = rng.pick([
      { ...insn, off: rng.i32() & 0x7fff },
      { ...insn, imm: rng.i32() },
      { ...insn, dst: rng.below(11) },
      { ...insn, src: rng.below(11) },
    ]);
    check(seed, base);
  }
  assert.equal(crashes.slice(0, 5), []);
  assert.ok(accepted > 50, `${accepted} accepted`);
});


/** Random programs around an array map lookup: NULL checks (or not), indexes from ctx bounded (or not), accesses at random offsets. */
function mapProgram(seed: number, valueSize: number): string {
  const rng = new Rng(seed);
  const lines = ['r6 = r1', `*(u32 *)(r10 - 4) = ${rng.below(6)}`, 'r2 = r10', 'r2 += -4', 'r1 = map_fd(0) ll', 'call 1'];
  // The NULL check: either way round, sometimes the wrong way round, sometimes missing.
  if (rng.chance(0.85)) lines.push(rng.pick(['if r0 == 0 goto out', 'if r0 != 0 goto +1\ngoto out', 'if r0 != 0 goto out']));
  const steps = rng.between(1, 6);
  for (let i = 0; i < steps; i++) {
    const off = rng.between(-2, valueSize + 2);
    switch (rng.below(4)) {
      case 0: lines.push(`r8 = *(${rng.pick(SIZES)} *)${addr('r0', off)}`); break;
      case 1: lines.push(`*(${rng.pick(SIZES)} *)${addr('r0', off)} = ${rng.between(0, 9)}`); break;
      case 2: { // an index from the context (rx_queue_index), bounded or masked or neither
        lines.push('r7 = *(u32 *)(r6 + 16)');
        const k = rng.between(0, valueSize + 2);
        switch (rng.below(3)) {
          case 0: lines.push(`if r7 > ${k} goto out`); break;
          case 1: lines.push(`r7 &= ${rng.pick([1, 3, 7, 15, 31])}`); break;
          default: break;
        }
        lines.push('r0 += r7');
        break;
      }
      case 3: lines.push(`r1 = 1`, `lock *(u64 *)${addr('r0', 8 * rng.between(0, valueSize / 8))} += r1`); break;
    }
  }
  lines.push('r0 = 2', 'exit', 'out:', 'r0 = 1', 'exit');
  return lines.join('\n');
}

test('every map program the verifier accepts runs without a memory fault', async () => {
  const { mapSpec } = await import('./corpus-kit.ts');
  const { MapType } = await import('../../object/map-types.ts');
  const COUNT = 600, SEED = 900;
  let accepted = 0, rejected = 0;
  const faults: string[] = [];
  for (let seed = SEED; seed < SEED + COUNT; seed++) {
    const valueSize = 8 * (1 + (seed % 3));
    const asm = mapProgram(seed, valueSize);
    const insns = assemble(asm).map((i) => (i.src === 1 && i.opcode === 0x18 ? { ...i, reference: 'arr' } : i));
    const p = { ...spec('r0 = 0\nexit'), instructions: insns, lines: insns.map(() => undefined), origins: insns.map(() => ({ section: 'xdp', offset: 0 })) };
    const map = mapSpec('arr', { type: MapType.ARRAY, keySize: 4, valueSize, maxEntries: 4 });
    let facts;
    try {
      facts = verify(p, [map]).facts;
    } catch (err) {
      if (!(err instanceof VerifierError)) throw new Error(`seed ${seed}: verifier crashed: ${(err as Error).stack}\n${asm}`);
      rejected++;
      continue;
    }
    accepted++;
    const values: Region[] = [];
    const interp: Interpreter = new Interpreter(rewriteContextLoads(insns, facts), {
      maxSteps: 10_000,
      resolveLddw: () => 0x5eedn,
      helpers: {
        1: (ctx, _map, keyAddr): bigint => {
          const key = Number(ctx.memory.load(keyAddr, 4));
          return key < 4 ? values[key]!.start : 0n;
        },
      },
    });
    for (let i = 0; i < 4; i++) values.push(interp.memory.map(new Uint8Array(valueSize), { name: `value ${i}` }));
    for (const queue of [0, 1, 3, 7, 8, 15, 16, 24, 31, 1000, 0xffffffff]) {
      const ctx = new Uint8Array(56);
      try {
        interp.run({
          input: new Uint8Array(64),
          regions: [{ bytes: ctx, name: 'ctx' }],
          args: (mapped) => {
            const [pkt, c] = [mapped[0]!, mapped[1]!];
            c.view.setBigUint64(0, pkt.start, true);
            c.view.setBigUint64(8, pkt.end, true);
            c.view.setUint32(44, queue >>> 0, true); // rx_queue_index
            return [c.start];
          },
        });
      } catch (err) {
        if (err instanceof VmError && err.kind === 'memory') faults.push(`seed ${seed}, rx_queue_index ${queue}: ${err.message}\n${asm}`);
        else throw err;
      }
    }
  }
  assert.equal(faults.slice(0, 3), []);
  assert.ok(accepted > COUNT / 10, `only ${accepted} accepted`);
  assert.ok(rejected > COUNT / 10, `only ${rejected} rejected`);
});

test.run();
