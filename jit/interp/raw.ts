// The "raw program" convention shared by `sluice vm exec` and the semantics
// data files: r1 = a pointer to a copy of the given bytes (0 when there are
// none), r2 = their length, and one helper, id 5, that returns its first
// argument. Any engine that follows it can be compared with the interpreter.
import type { Program } from '../isa/instruction.ts';
import type { Helper } from './execution.ts';
import { Interpreter, type InterpreterOptions } from './interpreter.ts';

/** Helper 5 of the raw convention: r0 = r1. */
export const ECHO_HELPER_ID = 5;
export const echoHelper: Helper = (_ctx, r1) => r1;

/** Runs a program under the raw convention on the interpreter; resolves to r0. */
export function runRaw(program: Program, memory: Uint8Array, options: Omit<InterpreterOptions, 'helpers'> = {}): bigint {
  const vm = new Interpreter(program, { ...options, helpers: new Map([[ECHO_HELPER_ID, echoHelper]]) });
  // A copy, so the caller's bytes are never changed; no bytes means no region and r1 = 0.
  return vm.run(memory.length > 0 ? { input: memory.slice() } : {}).r0;
}
