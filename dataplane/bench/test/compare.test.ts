import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareResults, compareRuns, formatComparison, NOISE_FLOOR, parseResults } from '../compare.ts';
import { fakeResults, fakeRun, sampleResults } from './fixtures.ts';

const base = { object: 'fw.o', program: 'xdp_fw', engine: 'jit' as const, workers: 1 };

test('a 20% drop in rate is a regression; a 2% drop is within noise', () => {
  const a = fakeRun({ ...base, nsPerPacket: 10, spread: 0.03 });
  // 20% fewer packets per second: ns per packet 10 / 0.8.
  assert.is(compareRuns(a, fakeRun({ ...base, nsPerPacket: 10 / 0.8, spread: 0.03 })).verdict, 'regression');
  assert.is(compareRuns(a, fakeRun({ ...base, nsPerPacket: 10 / 0.98, spread: 0.03 })).verdict, 'within noise');
  assert.is(compareRuns(a, fakeRun({ ...base, nsPerPacket: 10 / 1.2, spread: 0.03 })).verdict, 'improvement');
});

test('the noise is the larger spread of the two runs, never below the floor', () => {
  const a = fakeRun({ ...base, nsPerPacket: 10, spread: 0.01 });
  assert.is(compareRuns(a, fakeRun({ ...base, nsPerPacket: 10, spread: 0.3 })).noise, 0.3);
  assert.is(compareRuns(a, fakeRun({ ...base, nsPerPacket: 10, spread: 0 })).noise, NOISE_FLOOR);
  // A 20% drop measured by a run that wobbled by 30% is not called a regression.
  assert.is(compareRuns(a, fakeRun({ ...base, nsPerPacket: 10 / 0.8, spread: 0.3 })).verdict, 'within noise');
});

test('whole results: runs matched by object, program, engine and workers; the text flags regressions', () => {
  const a = sampleResults();
  const b = sampleResults();
  const slow = b.runs.find((r) => r.program === 'xdp_b' && r.engine === 'jit' && r.workers === 1)!;
  slow.nsPerPacket *= 1.25;
  b.runs.push(fakeRun({ ...base, nsPerPacket: 3 }));
  const c = compareResults(a, b);
  assert.is(c.rows.length, a.runs.length);
  assert.equal(c.rows.filter((r) => r.verdict === 'regression').map((r) => r.key), ['b.o:xdp_b jit ×1']);
  assert.equal(c.onlyB, ['fw.o:xdp_fw jit ×1']);
  const text = formatComparison(c, ['A.json', 'B.json']);
  assert.match(text, /b\.o:xdp_b jit ×1 .* REGRESSION/);
  assert.match(text, /1 regression\(s\)/);
});

test('files that are not results are refused with where they are wrong', () => {
  assert.throws(() => parseResults('{', 'x.json'), /x\.json: not JSON/);
  const bad = fakeResults([]) as unknown as Record<string, unknown>;
  delete bad.machine;
  assert.throws(() => parseResults(JSON.stringify(bad), 'y.json'), /y\.json: .*missing 'machine'/);
});

test.run();
