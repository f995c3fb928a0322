// `sluice bench`'s own error: bad traffic specs, results that do not validate,
// runs that cannot start. Bad command-line input is a UsageError instead.
import { SluiceError } from '../../jit/errors.ts';

export class BenchError extends SluiceError {}
