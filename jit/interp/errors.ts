// The interpreter's run-time errors: RunErrors (jit/errors.ts) with a `kind`,
// so tests and engines can tell a memory fault from a call-depth overflow
// without matching message text.
import { RunError } from '../errors.ts';

export type FaultKind =
  | 'memory' // access outside any region, across a region's end, or a write to a read-only region
  | 'call-depth' // more than MAX_CALL_FRAMES nested calls
  | 'step-limit' // the run executed more instructions than maxSteps
  | 'bad-jump' // control reached a pc that is not the start of an instruction
  | 'helper' // unknown helper id, or a helper that failed
  | 'unsupported' // legacy packet loads, kfunc calls, lddw kinds the interpreter cannot resolve
  | 'unrelocated'; // lddw of a map fd/index that the loader did not relocate

export class VmError extends RunError {
  constructor(readonly kind: FaultKind, message: string, pc: number, options?: { cause?: unknown }) {
    super(message, pc, options);
  }
}
