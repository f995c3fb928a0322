// Constant blinding against the kernel: jit/fuzz's seeded random ALU/JMP programs (the ones
// the kernel verifier accepts) run as XDP programs through BPF_PROG_TEST_RUN and through the
// JIT with blindConstants on must leave the same registers and verdict (jit/fuzz/diff.ts).
// Root only (skips loudly). `SLUICE_FUZZ_SEED=N` replays one program.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requires } from '../../../scripts/testkit/skip.ts';
import { kernelAvailable } from '../../../scripts/testkit/kernel.ts';
import { type EngineRun, formatDisagreement, formatSummary, runDiff } from '../../fuzz/diff.ts';
import { frame } from '../../fuzz/frame.ts';
import { messageOf } from '../../errors.ts';
import { JitProgram } from '../../../dataplane/jit-program.ts';
import { FrameArena } from '../../../dataplane/frame-arena.ts';
import { hasNativeLibrary } from './native.ts';

const SEED = 20_261_205;

if (requires('the blinded JIT against the kernel', kernelAvailable(), hasNativeLibrary())) {
  test('the JIT with constant blinding agrees with the kernel on 1000 random programs', () => {
    const arena = new FrameArena(1);
    const blinded: EngineRun = (p) => {
      let program;
      try {
        program = JitProgram.compile(frame(p, 'kernel'), { blindConstants: true });
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
    try {
      const only = process.env['SLUICE_FUZZ_SEED'];
      const s = only ? runDiff({ count: 1, seed: Number(only), engine: blinded }) : runDiff({ count: 1000, seed: SEED, engine: blinded });
      const report = [formatSummary(s), ...s.disagreements.map((d) => formatDisagreement(d))].join('\n\n');
      assert.is(s.rejected, 0, report);
      assert.is(s.disagreed, 0, report);
      assert.is(s.agreed, only ? 1 : 1000, report);
    } finally {
      arena.free();
    }
  });
}

test.run();
