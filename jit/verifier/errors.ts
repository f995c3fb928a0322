// The verifier's refusal: where (pc, instruction, source line) and why, in one
// sentence that names the register facts a person needs to fix the program.
import { SluiceError } from '../errors.ts';
import type { SourceLine } from '../object/spec.ts';

export class VerifierError extends SluiceError {
  constructor(
    /** The reason alone, e.g. "reads 1 byte at packet offset 23, but ...". */
    readonly reason: string,
    readonly pc: number,
    /** The instruction's text ('' when the error is not tied to one). */
    readonly insnText: string,
    readonly source: SourceLine | undefined,
    readonly program: string,
    /** The state log up to the error, when asked for. */
    readonly log?: string,
  ) {
    const where = source ? `\n  ${source.file}:${source.line}  ${source.text.trim()}` : '';
    const insn = insnText ? `  ${insnText}` : '';
    super(`verify${program ? ` ${program}` : ''}: pc ${pc}: ${reason}\n${insn}${where}`);
  }
}
