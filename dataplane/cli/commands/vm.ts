// `sluice vm exec [MEMHEX] [--engine interp|jit] [--blind-constants]`: runs a raw
// eBPF program read as hex text from stdin. r1 points at a copy of MEMHEX's bytes
// (0 without MEMHEX), r2 is their length, helper 5 returns its first argument;
// prints r0 as 0x-hex. Decode, load and run errors print and exit 1.
//
// The JIT runs raw programs sandboxed and guarded (dataplane/raw-jit.ts): no
// verifier vouches for them, so every access is bounds-checked and any fault is
// reported with its eBPF pc; the process never crashes, whatever the program.
import { existsSync } from 'node:fs';
import { decode } from '../../../jit/isa/codec.ts';
import { runRaw } from '../../../jit/interp/raw.ts';
import { SluiceError } from '../../../jit/errors.ts';
import { LIBRARY_PATH } from '../../ffi.ts';
import { runRawJit } from '../../raw-jit.ts';
import { type Command, EXIT_OK, UsageError, parseOptions } from '../command.ts';

const ENGINES = ['interp', 'jit'] as const;
type EngineName = (typeof ENGINES)[number];

/** The engine used without --engine: the fastest safe one that exists (the sandboxed JIT needs build/libsluice.so). */
export const DEFAULT_ENGINE: EngineName = existsSync(LIBRARY_PATH) ? 'jit' : 'interp';

/** Hex text that is not pairs of hex digits. */
export class HexError extends SluiceError {}

/** Parses pairs of hex digits, whitespace anywhere ignored. `what` names the input in errors. */
export function parseHex(text: string, what: string): Uint8Array {
  const digits = text.replace(/\s+/g, '');
  const bad = /[^0-9a-fA-F]/.exec(digits);
  if (bad) throw new HexError(`${what}: '${bad[0]}' at digit ${bad.index} is not a hex digit`);
  if (digits.length % 2 !== 0) throw new HexError(`${what}: odd number of hex digits (${digits.length})`);
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function exec(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, { engine: { type: 'string' }, 'blind-constants': { type: 'boolean' } }, { min: 0, max: 1 });
  const engine = (values.engine ?? DEFAULT_ENGINE) as EngineName;
  if (!ENGINES.includes(engine)) throw new UsageError(`--engine expects one of ${ENGINES.join(', ')}, got '${engine}'`);
  const blindConstants = values['blind-constants'] === true;
  if (blindConstants && engine !== 'jit') throw new UsageError('--blind-constants applies to the JIT engine only');
  const memory = positionals[0] === undefined ? new Uint8Array(0) : parseHex(positionals[0], 'MEMHEX');
  const bytes = parseHex(await readStdin(), 'program on stdin');
  if (bytes.length === 0) throw new HexError('program on stdin: no instructions');
  const program = decode(bytes);
  const r0 = engine === 'jit' ? runRawJit(program, memory, { blindConstants }).r0 : runRaw(program, memory);
  process.stdout.write(`0x${r0.toString(16)}\n`);
  return EXIT_OK;
}

export const command: Command = {
  name: 'vm',
  summary: 'run a raw eBPF program (hex on stdin) and print r0',
  usage: [
    'Usage: sluice vm exec [MEMHEX] [--engine interp|jit] [--blind-constants]',
    '',
    'Reads a raw eBPF program from stdin as hex text (pairs of hex digits, whitespace',
    'ignored) and runs it with r1 = a pointer to a copy of MEMHEX\'s bytes (0 when absent)',
    'and r2 = their length. Helper 5 returns its first argument. Prints r0 in hex.',
    '',
    'Options:',
    `  --engine interp|jit   the engine (default: ${DEFAULT_ENGINE}, the fastest safe one here); the JIT`,
    '                        runs the program sandboxed: every memory access is checked, a fault',
    '                        is reported with its eBPF pc; 10,000,000 backward jumps and calls at most',
    '  --blind-constants     JIT: no immediate of the program appears in the native code (as the',
    '                        kernel does for untrusted loaders)',
    '',
    'Exit status: 0 with r0 printed; 1 on a decode, load or run error; 2 on bad usage.',
    '',
    'Example: echo "b7 00 00 00 2a 00 00 00 95 00 00 00 00 00 00 00" | sluice vm exec',
  ].join('\n'),
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === undefined) throw new UsageError('expected a subcommand: exec');
    if (sub !== 'exec') throw new UsageError(`unknown subcommand '${sub}' (expected: exec)`);
    return exec(rest);
  },
};
