// The project's test command (`npm test`).
//
// uvu prints its summary per process on several lines; this wrapper runs every
// `*.test.ts` file in its own Node process (so a crash in native code fails one
// file, not the run), sums what each reported, adds the TypeScript typecheck as
// one more test, and ends with the single line CI reads: `N passed, N failed`.
//
// Usage: npm test [-- FILTER…]   (FILTER: substrings of test file paths)
// Env:   SLUICE_TEST_JOBS=N      (parallel files; default: number of CPUs)
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SKIP_DIRS = new Set(['node_modules', '.git', 'build', 'coverage']);

function findTests(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) findTests(join(dir, entry.name), out);
    } else if (entry.name.endsWith('.test.ts')) {
      out.push(join(dir, entry.name));
    }
  }
  return out;
}

interface Outcome { name: string; passed: number; failed: number; skipped: number; output: string; ms: number }

function run(cmd: string, args: string[], name: string): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('close', (code, signal) => {
      const ms = Date.now() - started;
      const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? 0);
      const passed = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? 0);
      // Loud skips: tests that need root or a system package print `SKIP: …`
      // (see scripts/testkit/skip.ts) and are never counted as passed.
      const loudSkips = output.split('\n').filter((l) => l.startsWith('SKIP: ')).length;
      const skipped = Number(/Skipped:\s+(\d+)/.exec(output)?.[1] ?? 0) + loudSkips;
      let failed = total - passed - Number(/Skipped:\s+(\d+)/.exec(output)?.[1] ?? 0);
      if (code !== 0 && failed === 0) failed = 1; // crashed, or failed outside a test
      if (signal) output += `\n[killed by ${signal}]`;
      resolve({ name, passed, failed, skipped, output, ms });
    });
  });
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const files = findTests(root)
    .map((f) => relative(root, f))
    .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
    .sort();
  const jobs: Array<() => Promise<Outcome>> = files.map((f) => () =>
    run(process.execPath, ['--import', 'tsx', f], f));
  if (filters.length === 0) {
    jobs.unshift(async () => {
      const o = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root], 'typecheck (tsc --noEmit)');
      // tsc prints nothing on success; count the typecheck as one test.
      return { ...o, passed: o.failed ? 0 : 1, failed: o.failed ? 1 : 0 };
    });
  }
  const width = Number(process.env.SLUICE_TEST_JOBS) || availableParallelism();
  const outcomes: Outcome[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const o = await job();
      outcomes.push(o);
      const mark = o.failed ? 'FAIL' : 'ok  ';
      const skip = o.skipped ? `, ${o.skipped} skipped` : '';
      console.log(`${mark} ${o.name}  (${o.passed} passed${skip}, ${(o.ms / 1000).toFixed(1)}s)`);
      for (const line of o.output.split('\n')) if (line.startsWith('SKIP: ')) console.log(`     ${line}`);
      if (o.failed) console.log(o.output.replace(/^/gm, '     | '));
    }
  }));
  const sum = (k: 'passed' | 'failed' | 'skipped') => outcomes.reduce((a, o) => a + o[k], 0);
  const failed = sum('failed');
  const skipped = sum('skipped');
  console.log(`\n${sum('passed')} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exitCode = failed ? 1 : 0;
}

await main();
