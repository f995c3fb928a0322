// Map errors: a definition the kernel would refuse, a key or value of the
// wrong size, and an operation that failed with a kernel errno.
import { constants } from 'node:os';
import { SluiceError } from '../jit/errors.ts';

export class MapError extends SluiceError {}

const NAMES = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name] as [number, string]),
);
NAMES.set(95, 'EOPNOTSUPP');
NAMES.set(524, 'ENOTSUPP');

/** 'ENOENT' for 2 (or -2). */
export function errnoName(errno: number): string {
  return NAMES.get(Math.abs(errno)) ?? `errno ${Math.abs(errno)}`;
}

/** An operation refused with a kernel errno (negative, as the helpers return it). */
export class MapOpError extends MapError {
  readonly code: string;
  constructor(readonly map: string, readonly op: string, readonly errno: number) {
    super(`map '${map}': ${op} failed: -${errnoName(errno)}`);
    this.code = errnoName(errno);
  }
}
