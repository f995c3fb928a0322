// Errors of the x86-64 back end.
import { SluiceError } from '../errors.ts';

/** A program the JIT cannot compile, with the eBPF pc that caused it (-1: not tied to one). */
export class JitError extends SluiceError {
  constructor(message: string, readonly pc: number, options?: { cause?: unknown }) {
    super(pc >= 0 ? `jit: pc ${pc}: ${message}` : `jit: ${message}`, options);
  }
}
