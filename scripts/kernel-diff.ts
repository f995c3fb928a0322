// The full kernel differential run (issue 2, section 4): N seeded random
// ALU/JMP programs through the Linux kernel (BPF_PROG_TEST_RUN) and the
// reference interpreter, every register compared. Root only.
//
//   node --import tsx scripts/kernel-diff.ts --count 10000 --seed 1 [--no-v4] [--keep 5]
//
// Prints every disagreement in full (seed, listing, both register files), then
// the summary: programs generated, accepted by the kernel, agreed, disagreed,
// and the kernel's first rejection reasons. Exits 1 on any disagreement or
// rejection, 2 on bad arguments or when the kernel cannot be used.
import { parseArgs } from 'node:util';
import { kernelAvailable } from './testkit/kernel.ts';
import { formatDisagreement, formatSummary, runDiff } from '../jit/fuzz/diff.ts';

const USAGE = 'usage: scripts/kernel-diff.ts [--count N] [--seed S] [--no-v4] [--keep K] [--no-shrink]';

function intArg(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    console.error(`--${name} expects a non-negative integer, got '${value}'\n${USAGE}`);
    process.exit(2);
  }
  return Number(value);
}

function main(): number {
  let args;
  try {
    args = parseArgs({
      options: {
        count: { type: 'string' }, seed: { type: 'string' }, keep: { type: 'string' },
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
  const kernel = kernelAvailable();
  if (!kernel.ok) {
    console.error(`kernel-diff: cannot use the kernel: ${kernel.why}`);
    return 2;
  }
  console.log(`kernel-diff: ${count} programs, seeds ${seed}..${seed + count - 1}${args['no-v4'] ? ', ISA v3 only' : ''}`);
  const summary = runDiff({
    count, seed, keep, fuzz: { v4: !args['no-v4'] }, shrink: !args['no-shrink'],
    progress: (done) => { if (process.stderr.isTTY) process.stderr.write(`\r${done}/${count}`); },
  });
  if (process.stderr.isTTY) process.stderr.write('\r');
  for (const d of summary.disagreements) console.log(`${formatDisagreement(d)}\n`);
  console.log(formatSummary(summary));
  return summary.disagreed > 0 || summary.rejected > 0 ? 1 : 0;
}

process.exitCode = main();
