// Quick measurements of the JIT (a script, not a test): code size per instruction
// for the example programs, compile time for a 4,000-instruction program, and the
// burst entry's cost per packet for an XDP_DROP program; constant blinding's and the
// sandbox's cost in code size and time; the guard's cost per call (`sluice vm exec`).
//
//   node --import tsx jit/x86/measure.ts
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseElf } from '../elf/reader.ts';
import { decode } from '../isa/codec.ts';
import { assemble } from '../isa/asm.ts';
import { AluOp, Class, JmpOp, Mode, Size, Source } from '../isa/opcode.ts';
import type { Instruction } from '../isa/instruction.ts';
import { messageOf } from '../errors.ts';
import { jitCompile } from './compile.ts';
import { JitProgram } from '../../dataplane/jit-program.ts';
import { FrameArena } from '../../dataplane/frame-arena.ts';
import { guardBindings } from '../../dataplane/ffi.ts';
import { compileRaw } from '../../dataplane/raw-jit.ts';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../isa/opcode.ts';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
const FAKE_HELPER = 0x7f0000001000n; // compiled, never run

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log('Code size (the xdp section of each example; map lddws unrelocated, helpers at a fake address):');
console.log('  program               eBPF insns   x86 bytes   bytes/insn   compile ms');
for (const file of readdirSync(examples).filter((f) => f.endsWith('.o')).sort()) {
  const elf = parseElf(readFileSync(examples + file));
  const section = elf.sectionByName('xdp');
  if (!section) continue;
  const prog = decode(section.data.bytes);
  try {
    const opts = { helperAddress: () => FAKE_HELPER };
    for (let i = 0; i < 100; i++) jitCompile(prog, opts); // warm (V8 optimizes the JIT's own code)
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      bytes = jitCompile(prog, opts).code.length;
      times.push(performance.now() - t);
    }
    // The burst loop around the program is ~95 bytes; count the program alone.
    const body = jitCompile(prog, opts);
    const own = body.pcMap[body.pcMap.length - 1]! - body.pcMap[0]!;
    console.log(`  ${file.padEnd(22)}${String(prog.length).padStart(10)}${String(bytes).padStart(12)}${(own / prog.length).toFixed(2).padStart(13)}${median(times).toFixed(3).padStart(13)}`);
  } catch (err) {
    console.log(`  ${file.padEnd(22)} not compiled: ${messageOf(err)}`);
  }
}

/** A deterministic 4,000-instruction program: ALU on r0-r9 (imm and reg, 32 and 64-bit), stack traffic, forward branches. */
function synthetic(n: number): Instruction[] {
  let seed = 12345;
  const rnd = (k: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % k; };
  const out: Instruction[] = [];
  const ops = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.OR, AluOp.AND, AluOp.XOR, AluOp.LSH, AluOp.RSH, AluOp.ARSH, AluOp.MOV, AluOp.DIV, AluOp.MOD];
  for (let r = 0; r <= 9; r++) out.push({ opcode: Class.ALU64 | AluOp.MOV | Source.K, dst: r, src: 0, off: 0, imm: r * 7 + 1 });
  while (out.length < n - 1) {
    const kind = rnd(10);
    const dst = rnd(10), src = rnd(10);
    if (kind < 6) {
      const op = ops[rnd(ops.length)]!;
      const cls = rnd(2) ? Class.ALU64 : Class.ALU;
      out.push(rnd(2) ? { opcode: cls | op | Source.X, dst, src, off: 0, imm: 0 } : { opcode: cls | op | Source.K, dst, src: 0, off: 0, imm: rnd(1000) + 1 });
    } else if (kind < 7) {
      out.push({ opcode: Class.STX | Mode.MEM | Size.DW, dst: 10, src, off: -8 * (1 + rnd(64)), imm: 0 });
    } else if (kind < 8) {
      out.push({ opcode: Class.LDX | Mode.MEM | Size.DW, dst, src: 10, off: -8 * (1 + rnd(64)), imm: 0 });
    } else {
      const remaining = n - 2 - out.length;
      const off = Math.min(remaining, 1 + rnd(60));
      out.push({ opcode: (rnd(2) ? Class.JMP : Class.JMP32) | JmpOp.JGT | Source.X, dst, src, off, imm: 0 });
    }
  }
  out.push({ opcode: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, off: 0, imm: 0 });
  return out;
}

const big = synthetic(4000);
for (let i = 0; i < 10; i++) jitCompile(big);
const times: number[] = [];
let size = 0;
const cpuBefore = process.cpuUsage();
for (let i = 0; i < 30; i++) {
  const t = performance.now();
  size = jitCompile(big).code.length;
  times.push(performance.now() - t);
}
const cpu = process.cpuUsage(cpuBefore);
// CPU time is the steadier figure on a shared machine (wall time includes waiting for a core).
console.log(`\nCompile time, ${big.length} instructions (ALU/div/shift/stack/branches): wall median ${median(times).toFixed(2)} ms, ` +
  `min ${Math.min(...times).toFixed(2)} ms; CPU ${((cpu.user + cpu.system) / 1000 / 30).toFixed(2)} ms per compile; ` +
  `${size} bytes (${(size / big.length).toFixed(2)} bytes/insn); warm (first compiles not counted)`);

// The burst entry: XDP_DROP on bursts of 256 packets of 64 bytes.
const drop = JitProgram.compile(assemble('r0 = 1\nexit'));
for (const n of [0, 1, 32, 256, 4096]) {
  const arena = new FrameArena(Math.max(n, 1));
  arena.fill(Array.from({ length: n }, () => new Uint8Array(64)), {}, 0n);
  const rounds = n === 0 ? 200_000 : Math.max(2_000, Math.floor(2_000_000 / n));
  for (let i = 0; i < 1000; i++) drop.burst(arena.buffs, arena.verdicts, n);
  const samples: number[] = [];
  for (let s = 0; s < 9; s++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) drop.burst(arena.buffs, arena.verdicts, n);
    samples.push(Number(process.hrtime.bigint() - t) / rounds);
  }
  const perBurst = median(samples), best = Math.min(...samples);
  console.log(n === 0 ? `\nBurst entry, XDP_DROP (median / best of 9): ${perBurst.toFixed(1)} / ${best.toFixed(1)} ns per call with n = 0 (the FFI crossing)`
    : `  n = ${String(n).padStart(4)}: ${perBurst.toFixed(1)} / ${best.toFixed(1)} ns per burst, ${(perBurst / n).toFixed(2)} / ${(best / n).toFixed(2)} ns per packet (FFI included)`);
  arena.free();
}
drop.free();

// Constant blinding and the sandbox: code size of the synthetic program, and time per run of a
// loop doing stack and input traffic (plain function entry vs sandboxed, both under the guard).
{
  const plain = jitCompile(big, { entry: 'function' }).code.length;
  const blinded = jitCompile(big, { entry: 'function', blindConstants: true }).code.length;
  const boxed = jitCompile(big, { entry: 'function', sandbox: true }).code.length;
  console.log(`\nCode size, ${big.length} instructions: ${plain} bytes plain, ${blinded} blinded (${(blinded / plain).toFixed(2)}x), ${boxed} sandboxed (${(boxed / plain).toFixed(2)}x)`);
  // 100,000 iterations: 4 loads and 2 stores through r1 (input) and r6 (a stack pointer), not at constant r10 offsets.
  const loop = assemble(`r6 = r10\nr6 += -64\nr0 = 0\nr3 = 0\nloop:\nr4 = *(u32 *)(r1 + 0)\nr5 = *(u32 *)(r1 + 4)\n*(u64 *)(r6 + 8) = r4\nr4 = *(u64 *)(r6 + 8)\n` +
    `r0 += r4\nr0 += r5\n*(u32 *)(r1 + 8) = r0\nr5 = *(u32 *)(r1 + 8)\nr3 += 1\nif r3 < 100000 goto loop\nexit`);
  const guard = guardBindings();
  const input = new Uint8Array(16);
  const sb = guard.sandboxCreate(input, MAX_CALL_FRAMES * STACK_SIZE, 1n << 40n);
  const at = guard.sandboxInput(sb);
  const variants: [string, JitProgram][] = [
    ['plain', JitProgram.compile(loop, { entry: 'function', rewriteContext: false })],
    ['blinded', JitProgram.compile(loop, { entry: 'function', rewriteContext: false, blindConstants: true })],
    ['sandboxed', compileRaw(loop)],
  ];
  for (const [name, p] of variants) {
    const samples: number[] = [];
    for (let s = 0; s < 9; s++) {
      const t = process.hrtime.bigint();
      const r = guard.call(p.entry, at.address, BigInt(at.length), sb);
      if (r.fault) throw new Error(`${name}: fault ${r.fault.signo}`);
      samples.push(Number(process.hrtime.bigint() - t) / 100_000);
    }
    console.log(`  ${name.padEnd(10)} ${median(samples).toFixed(2)} ns per iteration (median of 9; 6 memory accesses, 10 instructions)`);
    p.free();
  }
  guard.sandboxFree(sb);
}

// The guard's own cost: n calls of an empty JIT'd function, direct vs under sluice_guard_call, timed in C.
{
  const empty = JitProgram.compile(assemble('r0 = 0\nexit'), { entry: 'function', rewriteContext: false });
  const guard = guardBindings();
  const n = 200_000;
  const direct: number[] = [], guarded: number[] = [], session: number[] = [];
  for (let s = 0; s < 9; s++) {
    direct.push(Number(guard.measure(empty.entry, n, 'direct')) / n);
    guarded.push(Number(guard.measure(empty.entry, n, 'guarded')) / n);
    session.push(Number(guard.measure(empty.entry, n, 'session')) / n);
  }
  console.log(`\nGuard, per call of an empty function (medians of 9 × ${n}; best in brackets): ` +
    `${median(guarded).toFixed(0)} ns guarded (4 sigaction + sigaltstack set and restored, sigsetjmp) [${Math.min(...guarded).toFixed(0)}], ` +
    `${median(session).toFixed(0)} ns inside a session (sigsetjmp only) [${Math.min(...session).toFixed(0)}], ${median(direct).toFixed(1)} ns direct [${Math.min(...direct).toFixed(1)}]`);
  empty.free();
}
