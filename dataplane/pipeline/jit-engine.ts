// The JIT engine: compile once, install W^X, then one FFI call per burst
// (sluice_burst_run brackets the burst as a worker read section for the maps).
import type { Program } from '../../jit/isa/instruction.ts';
import { JitProgram } from '../jit-program.ts';
import { burstRunBinding, helperBindings, shimSymbol } from '../ffi.ts';
import type { Engine } from './engine.ts';

export function jitEngine(program: Program): Engine {
  const helpers = helperBindings();
  const jit = JitProgram.compile(program, {
    helperAddress: (id) => { const at = helpers.address(id); return at === 0n ? undefined : at; },
    rewriteContext: false, // the pipeline rewrote ctx accesses already, for both engines
    redirectCommit: shimSymbol('sluice_redirect_commit'),
  });
  const run = burstRunBinding();
  return {
    kind: 'jit',
    entry: jit.entry,
    runBurst(arena, n) { run(jit.entry, arena.buffs, arena.verdicts, n); },
    free() { jit.free(); },
  };
}
