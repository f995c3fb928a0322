// Every semantics data file (jit/semantics/data) through the JIT. Cases that expect a
// run-time fault are left out: JIT'd code does not check memory accesses at run time
// (the verifier proves them safe before anything runs), so those are the interpreter's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeFailures, loadSemantics, runSemantics } from '../../semantics/runner.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { hasNativeLibrary, runWithMemory } from './native.ts';

if (requires('semantics files through the JIT', hasNativeLibrary())) {
  test('every semantics case gives the expected r0 when JIT-compiled', async () => {
    const cases = loadSemantics().filter((c) => c.expect.error === undefined);
    assert.ok(cases.length > 0, 'no semantics cases found');
    const outcomes = await runSemantics((program, memory) => runWithMemory(program, memory).r0, cases);
    const failures = describeFailures(outcomes);
    assert.is(failures, '', `${outcomes.filter((o) => !o.ok).length} of ${outcomes.length} cases failed`);
  });
}

test.run();
