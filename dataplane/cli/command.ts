// What every `sluice` subcommand file exports, and the argument helpers they share.
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadObjectSpec, type ObjectSpec } from '../../jit/object/load.ts';
import { SluiceError } from '../../jit/errors.ts';

export interface Command {
  /** The word after `sluice` (the file name in commands/). */
  readonly name: string;
  /** One line for `sluice --help`. */
  readonly summary: string;
  /** The full usage text for `sluice NAME --help`. */
  readonly usage: string;
  /** Runs the command; resolves to the process exit status. */
  run(argv: string[]): Promise<number>;
}

/** Bad command-line input: printed with the command's usage, exit status 2. */
export class UsageError extends SluiceError {}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with its errors turned into UsageErrors. */
export function parseOptions<O extends Options>(argv: string[], options: O, positionals: { min: number; max: number }) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
  const n = parsed.positionals.length;
  if (n < positionals.min) throw new UsageError(`expected at least ${positionals.min} argument(s), got ${n}`);
  if (n > positionals.max) throw new UsageError(`unexpected argument '${parsed.positionals[positionals.max]}'`);
  return parsed;
}

/** Parses a non-negative integer option, naming the option when it is not one. */
export function intOption(value: string | undefined, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) > max) throw new UsageError(`--${name} expects an integer from 0 to ${max}, got '${value}'`);
  return Number(value);
}

/** Reads and parses the object file a command was given; an unreadable file is an error naming it. */
export function readObjectSpec(file: string): ObjectSpec {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new SluiceError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  return loadObjectSpec(bytes, file);
}
