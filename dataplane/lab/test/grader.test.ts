// The grader's pieces without clang or packets: lab.json validation, finding a
// lab, the score's rounding rules, and how a grade reads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findLab, listLabs, type Lab } from '../catalog.ts';
import { LabError } from '../errors.ts';
import { percentOf, type Grade } from '../grade.ts';
import { formatGrade, formatList, scoreLine } from '../report.ts';

const root = mkdtempSync(join(tmpdir(), 'sluice-lab-catalog-'));
const labDir = (slug: string, json: unknown) => {
  mkdirSync(join(root, slug), { recursive: true });
  writeFileSync(join(root, slug, 'lab.json'), typeof json === 'string' ? json : JSON.stringify(json));
};
const good = { title: 'T', difficulty: 2, summary: 's', specs: ['spec.yaml'] };

test('listLabs: folders NN-name with a lab.json, by number; other folders ignored', () => {
  labDir('02-second', good);
  labDir('01-first', { ...good, live: 'afxdp' });
  mkdirSync(join(root, 'solutions'), { recursive: true });
  mkdirSync(join(root, '03-no-json'), { recursive: true });
  const labs = listLabs(root);
  assert.equal(labs.map((l) => [l.number, l.slug]), [[1, '01-first'], [2, '02-second']]);
  assert.is(labs[0]!.live, 'afxdp');
  assert.is(labs[1]!.specs[0], join(root, '02-second', 'spec.yaml'));
  assert.is(labs[1]!.solution, join(root, 'solutions', '02-second.c'));
  assert.is(findLab('2', root).slug, '02-second');
  assert.is(findLab('02', root).slug, '02-second');
  assert.is(findLab('01-first', root).number, 1);
  assert.throws(() => findLab('7', root), (e: Error) => e instanceof LabError && e.message === "no lab '7': the labs are 1 (01-first), 2 (02-second)");
});

const bad: [unknown, string][] = [
  ['{ not json', '09-bad/lab.json: '],
  [{ ...good, difficulty: 6 }, "09-bad/lab.json: 'difficulty' must be an integer 1-5"],
  [{ ...good, difficulty: 2.5 }, "09-bad/lab.json: 'difficulty' must be an integer 1-5"],
  [{ ...good, specs: [] }, "09-bad/lab.json: 'specs' must list at least one spec file"],
  [{ ...good, title: 3 }, "09-bad/lab.json: 'title' must be a string"],
  [{ ...good, live: 'rdma' }, "09-bad/lab.json: 'live' must be 'afxdp' or 'dpdk'"],
];
for (const [json, message] of bad) {
  test(`a bad lab.json is a LabError naming the file: ${message}`, () => {
    labDir('09-bad', json);
    try {
      assert.throws(() => listLabs(root), (e: Error) => e instanceof LabError && e.message.startsWith(message));
    } finally {
      rmSync(join(root, '09-bad'), { recursive: true, force: true });
    }
  });
}

test('percentOf: rounded; 100 only when all passed, 0 only when none did', () => {
  assert.is(percentOf(7, 9), 78);      // 77.8
  assert.is(percentOf(1, 3), 33);
  assert.is(percentOf(199, 200), 99);  // 99.5 would round to 100
  assert.is(percentOf(1, 300), 1);     // 0.33 would round to 0
  assert.is(percentOf(0, 5), 0);
  assert.is(percentOf(5, 5), 100);
  assert.is(percentOf(0, 0), 0);
});

const lab: Lab = { number: 4, slug: '04-x', dir: '/l/04-x', title: 'Echo', difficulty: 2, summary: 'answer pings', specs: [], starter: '/l/04-x/starter.c', solution: '', readme: '/l/04-x/README.md' };

test('formatGrade: each check, details under failures, hints, the score line', () => {
  const g: Grade = {
    lab, input: '/l/04-x/starter.c', checks: [
      { name: 'build: clang compiles starter.c', status: 'passed', details: [] },
      { name: 'case 1: a ping', status: 'failed', details: ['verdict: expected TX, got PASS'] },
      { name: 'live: x', status: 'skipped', details: ['skipped: needs root'] },
    ], passed: 1, total: 2, skipped: 1, percent: 50, hints: ['read the README'],
  };
  const text = formatGrade(g);
  assert.match(text, /^Lab 4: Echo — grading \/l\/04-x\/starter\.c\n/);
  assert.match(text, /\n  ok   1 build: clang compiles starter\.c\n  FAIL 2 case 1: a ping\n {9}verdict: expected TX, got PASS\n  skip 3 live: x\n {9}skipped: needs root\n/);
  assert.match(text, /\nNext:\n  - read the README\n/);
  assert.ok(text.endsWith('\n1/2 checks, 50% (1 skipped)\n'), text);
  assert.is(scoreLine({ ...g, passed: 2, percent: 100, skipped: 0 }), '2/2 checks, 100%');
});

test('formatList: number, folder, difficulty as stars, title and summary; live labs say they need root', () => {
  const text = formatList([lab, { ...lab, number: 10, slug: '10-longer-name', difficulty: 5, live: 'dpdk' }]);
  assert.is(text, ' 4  04-x            **...  Echo: answer pings\n10  10-longer-name  *****  Echo: answer pings [live part needs root: DPDK]\n');
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
