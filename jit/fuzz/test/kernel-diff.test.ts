// The differential test against the Linux kernel (issue 2, section 4): seeded
// random ALU/JMP programs run as XDP programs through BPF_PROG_TEST_RUN and in
// the reference interpreter must leave the same registers and verdict. A CI-sized
// sample; scripts/kernel-diff.ts runs the full 10,000. Root only (skips loudly).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requires } from '../../../scripts/testkit/skip.ts';
import { kernelAvailable } from '../../../scripts/testkit/kernel.ts';
import { type DiffSummary, type EngineRun, formatDisagreement, formatSummary, interpreterRun, runDiff } from '../diff.ts';
import { Class, AluOp, Source } from '../../isa/opcode.ts';

const SEED = 20_261_127;

function report(s: DiffSummary): string {
  return [formatSummary(s), ...s.disagreements.map((d) => formatDisagreement(d))].join('\n\n');
}

if (requires('kernel differential test', kernelAvailable())) {
  test('the interpreter agrees with the kernel on 1000 random programs', () => {
    const s = runDiff({ count: 1000, seed: SEED });
    assert.is(s.generated, 1000);
    assert.is(s.rejected, 0, report(s));
    assert.is(s.disagreed, 0, report(s));
    assert.is(s.agreed, 1000);
  });

  test('... and on 300 programs limited to ISA v3', () => {
    const s = runDiff({ count: 300, seed: SEED + 1_000_000, fuzz: { v4: false } });
    assert.is(s.rejected, 0, report(s));
    assert.is(s.disagreed, 0, report(s));
  });

  test('a wrong engine is caught, and each disagreement is narrowed to the wrong instruction', () => {
    // xor64 with an immediate flips one more bit than it should: always a different result.
    const XOR64_K = Class.ALU64 | Source.K | AluOp.XOR;
    const mutant: EngineRun = (p) =>
      interpreterRun({ ...p, body: p.body.map((i) => (i.opcode === XOR64_K ? { ...i, imm: i.imm ^ 1 } : i)) });
    const s = runDiff({ count: 40, seed: SEED, engine: mutant, keep: 40 });
    assert.ok(s.disagreed > 0, 'the mutant engine was never caught');
    assert.is(s.agreed + s.disagreed, 40);
    for (const d of s.disagreements) {
      assert.ok(d.narrowed !== undefined, `seed ${d.program.seed}: no disagreeing prefix found`);
      assert.is(d.program.body[d.narrowed.length - 1]?.opcode, XOR64_K, `seed ${d.program.seed}: narrowed to the wrong instruction`);
      const text = formatDisagreement(d);
      assert.match(text, `seed ${d.program.seed}`);
      assert.match(text, '<-- differs');
    }
  });
}

test.run();
