// The full kernel differential run (issue 2, section 4): N seeded random
// ALU/JMP programs through the Linux kernel (BPF_PROG_TEST_RUN) and the
// reference interpreter (or the x86-64 JIT), every register compared. Root only.
//
//   node --import tsx scripts/kernel-diff.ts --count 10000 --seed 1 [--engine interp|jit] [--no-v4] [--keep 5]
//
// The JIT runs the kernel's variant of each program (it rewrites the xdp_md
// loads as the verifier does) on a native xdp_buff, one packet per burst.
//
// Prints every disagreement in full (seed, listing, both register files), then
// the summary: programs generated, accepted by the kernel, agreed, disagreed,
// and the kernel's first rejection reasons. Exits 1 on any disagreement or
// rejection, 2 on bad arguments or when the kernel cannot be used.
import { parseArgs } from 'node:util';
import { kernelAvailable } from './testkit/kernel.ts';
import { type EngineRun, formatDisagreement, formatSummary, interpreterRun, runDiff } from '../jit/fuzz/diff.ts';
import { frame } from '../jit/fuzz/frame.ts';
import { messageOf } from '../jit/errors.ts';

const USAGE = 'usage: scripts/kernel-diff.ts [--count N] [--seed S] [--engine interp|jit] [--no-v4] [--keep K] [--no-shrink]';

/** The x86-64 JIT as an engine (loaded only when asked for: it needs the native build). */
async function jitEngine(): Promise<EngineRun> {
  const { JitProgram } = await import('../dataplane/jit-program.ts');
  const { FrameArena } = await import('../dataplane/frame-arena.ts');
  const arena = new FrameArena(1);
  return (p) => {
    let program;
    try {
      program = JitProgram.compile(frame(p, 'kernel'));
    } catch (err) {
      return { error: `jit: ${messageOf(err)}` };
    }
    try {
      arena.fill([p.packet], {}, 0n);
      program.burst(arena.buffs, arena.verdicts, 1);
      return { retval: arena.verdict(0), packet: arena.packet(0).slice() };
    } finally {
      program.free();
    }
  };
}

function intArg(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    console.error(`--${name} expects a non-negative integer, got '${value}'\n${USAGE}`);
    process.exit(2);
  }
  return Number(value);
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        count: { type: 'string' }, seed: { type: 'string' }, keep: { type: 'string' }, engine: { type: 'string' },
        'no-v4': { type: 'boolean' }, 'no-shrink': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const count = intArg(args.count, 'count', 10_000);
  const seed = intArg(args.seed, 'seed', 1);
  const keep = intArg(args.keep, 'keep', 5);
  const engineName = args.engine ?? 'interp';
  if (engineName !== 'interp' && engineName !== 'jit') {
    console.error(`--engine expects interp or jit, got '${engineName}'\n${USAGE}`);
    return 2;
  }
  const kernel = kernelAvailable();
  if (!kernel.ok) {
    console.error(`kernel-diff: cannot use the kernel: ${kernel.why}`);
    return 2;
  }
  let engine: EngineRun = interpreterRun;
  if (engineName === 'jit') {
    try {
      engine = await jitEngine();
    } catch (err) {
      console.error(`kernel-diff: cannot use the JIT: ${messageOf(err)}`);
      return 2;
    }
  }
  console.log(`kernel-diff: ${count} programs, seeds ${seed}..${seed + count - 1}, kernel vs ${engineName}${args['no-v4'] ? ', ISA v3 only' : ''}`);
  const summary = runDiff({
    count, seed, keep, engine, fuzz: { v4: !args['no-v4'] }, shrink: !args['no-shrink'],
    progress: (done) => { if (process.stderr.isTTY) process.stderr.write(`\r${done}/${count}`); },
  });
  if (process.stderr.isTTY) process.stderr.write('\r');
  for (const d of summary.disagreements) console.log(`${formatDisagreement(d, engineName)}\n`);
  console.log(formatSummary(summary));
  return summary.disagreed > 0 || summary.rejected > 0 ? 1 : 0;
}

process.exitCode = await main();
