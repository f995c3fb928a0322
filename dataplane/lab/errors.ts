// The grader's own errors: a lab that does not exist, a lab folder that is
// malformed, a compiler that is not installed.
import { SluiceError } from '../../jit/errors.ts';

export class LabError extends SluiceError {}
