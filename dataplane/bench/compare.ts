// `sluice bench compare A.json B.json`: B against A, run by run (matched by
// object, program, engine and workers), on the program-time rate. A change is
// called a regression (or an improvement) only beyond the noise the two runs
// measured themselves: the larger of their spreads ((max - min) / median of
// their interval rates), and never below NOISE_FLOOR, because a shared
// machine wobbles by a few percent even when both runs look steady.
import { BenchError } from './errors.ts';
import { programMpps, runKey, type BenchResults, type BenchRun } from './results.ts';
import { validate } from './validate.ts';

export const NOISE_FLOOR = 0.05;

export interface Comparison {
  key: string;
  before: number;
  after: number;
  /** after / before (program-time Mpps: higher is better). */
  ratio: number;
  /** The relative change the runs' own noise allows. */
  noise: number;
  verdict: 'regression' | 'improvement' | 'within noise';
}

export function parseResults(text: string, name: string): BenchResults {
  let value: unknown;
  try { value = JSON.parse(text); } catch (err) { throw new BenchError(`${name}: not JSON (${(err as Error).message})`); }
  const problems = validate(value);
  if (problems.length) throw new BenchError(`${name}: not sluice bench results: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`);
  return value as BenchResults;
}

export function compareRuns(a: BenchRun, b: BenchRun): Comparison {
  const before = programMpps(a), after = programMpps(b);
  const ratio = before > 0 ? after / before : NaN;
  const noise = Math.max(a.spread, b.spread, NOISE_FLOOR);
  const verdict = ratio < 1 - noise ? 'regression' : ratio > 1 + noise ? 'improvement' : 'within noise';
  return { key: runKey(a), before, after, ratio, noise, verdict };
}

export function compareResults(a: BenchResults, b: BenchResults): { rows: Comparison[]; onlyA: string[]; onlyB: string[] } {
  const bByKey = new Map(b.runs.map((r) => [runKey(r), r]));
  const aKeys = new Set(a.runs.map(runKey));
  const rows: Comparison[] = [];
  for (const r of a.runs) { const other = bByKey.get(runKey(r)); if (other) rows.push(compareRuns(r, other)); }
  return { rows, onlyA: [...aKeys].filter((k) => !bByKey.has(k)), onlyB: b.runs.map(runKey).filter((k) => !aKeys.has(k)) };
}

export function formatComparison(c: ReturnType<typeof compareResults>, names: [string, string]): string {
  const lines = [`${names[1]} against ${names[0]} (program-time Mpps; noise = the larger spread of the two runs, at least ${NOISE_FLOOR * 100}%)`, ''];
  const w = Math.max(10, ...c.rows.map((r) => r.key.length));
  lines.push(`${'run'.padEnd(w)}  ${'before'.padStart(8)}  ${'after'.padStart(8)}  ${'ratio'.padStart(6)}  ${'noise'.padStart(6)}  verdict`);
  for (const r of c.rows) {
    const flag = r.verdict === 'regression' ? 'REGRESSION' : r.verdict;
    lines.push(`${r.key.padEnd(w)}  ${r.before.toFixed(2).padStart(8)}  ${r.after.toFixed(2).padStart(8)}  ${r.ratio.toFixed(3).padStart(6)}  ${(`±${(r.noise * 100).toFixed(1)}%`).padStart(6)}  ${flag}`);
  }
  for (const k of c.onlyA) lines.push(`${k}: only in ${names[0]}`);
  for (const k of c.onlyB) lines.push(`${k}: only in ${names[1]}`);
  const n = c.rows.filter((r) => r.verdict === 'regression').length;
  lines.push('', n ? `${n} regression(s) beyond the measured noise` : 'no regression beyond the measured noise');
  return lines.join('\n');
}
