// Every case of the semantics data files on the reference interpreter, one
// uvu test per case so a failure names its file, line and case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRaw } from '../../interp/raw.ts';
import { loadSemantics, runCase } from '../runner.ts';

const cases = loadSemantics();

test('the data files hold at least 200 cases', () => {
  assert.ok(cases.length >= 200, `only ${cases.length} cases`);
});

for (const c of cases) {
  test(`${c.file}:${c.line} ${c.name}`, async () => {
    const outcome = await runCase((program, memory) => runRaw(program, memory), c);
    assert.ok(outcome.ok, outcome.problem);
  });
}

test.run();
