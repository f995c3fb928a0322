// The assembly corpus through sluice's verifier: every unsafe program refused with
// its expected reason, every safe one accepted; strict-mode cases refused only in
// strict mode.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verify, VerifierError } from '../verify.ts';
import { caseProgram, SAFE, UNSAFE, type Case } from './corpus.ts';

function run(c: Case, strict: boolean): { ok: true } | { ok: false; message: string } {
  const { program, maps } = caseProgram(c);
  try {
    verify(program, maps, { strict, insnLimit: c.insnLimit });
    return { ok: true };
  } catch (err) {
    if (!(err instanceof VerifierError)) throw err;
    return { ok: false, message: err.message };
  }
}

test('the corpus has at least 60 unsafe programs and a safe set', () => {
  assert.ok(UNSAFE.length >= 60, `${UNSAFE.length} unsafe cases`);
  assert.ok(SAFE.length >= 30, `${SAFE.length} safe cases`);
});

for (const c of UNSAFE) {
  test(`unsafe: ${c.name}`, () => {
    const r = run(c, true);
    assert.ok(!r.ok, 'accepted in strict mode');
    if (!r.ok) assert.ok(r.message.includes(c.error!), `expected "${c.error}" in:\n${r.message}`);
    const d = run(c, false);
    if (c.strict) assert.ok(d.ok, `default mode should accept: ${!d.ok ? d.message : ''}`);
    else {
      assert.ok(!d.ok, 'accepted in default mode');
      if (!d.ok) assert.ok(d.message.includes(c.error!), `expected "${c.error}" in:\n${d.message}`);
    }
  });
}

for (const c of SAFE) {
  test(`safe: ${c.name}`, () => {
    const r = run(c, false);
    assert.ok(r.ok, !r.ok ? r.message : '');
  });
}

test.run();
