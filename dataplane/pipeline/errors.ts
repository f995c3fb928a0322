// Errors of the load pipeline. Each step names itself and what it was working on,
// and keeps what it caught as `cause`, so a failure reads top-down:
// "load firewall.o: relocate xdp_fw: lddw at pc 12 refers to map 'blocked', which the object does not define".
import { SluiceError } from '../../jit/errors.ts';

export type Step = 'read' | 'parse' | 'create maps' | 'relocate' | 'verify' | 'jit' | 'install' | 'run';

export class PipelineError extends SluiceError {
  constructor(readonly step: Step, subject: string, message: string, options?: { cause?: unknown }) {
    super(`${step}${subject ? ` ${subject}` : ''}: ${message}`, options);
  }
}

/** Runs one step, wrapping anything it throws in a PipelineError that names the step. */
export function step<T>(name: Step, subject: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PipelineError) throw err;
    // Errors that already name the step and subject (the verifier's do) are not prefixed twice.
    const prefix = `${name}${subject ? ` ${subject}` : ''}: `;
    const message = err instanceof Error ? err.message : String(err);
    throw new PipelineError(name, subject, message.startsWith(prefix) ? message.slice(prefix.length) : message, { cause: err });
  }
}
