// The semantics data files (*.sem): many cases per file, each a program in the
// assembler's listing syntax with its input memory and its expected result.
//
//   # comment (between cases; inside a program the assembler's own comments work)
//   === name of the case
//   mem 01 02 03 04          optional, repeatable: input bytes in hex (whitespace ignored)
//   r0 = 1                   the program, one instruction a line, labels allowed
//   exit
//   => 0x1                   expected r0: 0x-hex, or decimal (negative = its 64-bit pattern)
//
// or, for a program that must stop with an error:
//
//   => error memory          `error` with an optional kind (see FaultKind in jit/interp/errors.ts)
//
// A case ends at its `=>` line.
import { SluiceError } from '../errors.ts';

export interface Expectation {
  /** The expected r0, as an unsigned 64-bit value. */
  readonly r0?: bigint;
  /** Set when the program must fail; the kind, when given, must match the error's `kind`. */
  readonly error?: { readonly kind?: string };
}

export interface SemanticsCase {
  readonly file: string;
  /** The line of the `===` header. */
  readonly line: number;
  readonly name: string;
  /** The program text, for the assembler. */
  readonly source: string;
  /** The input memory (empty when the case gives none). */
  readonly memory: Uint8Array;
  readonly expect: Expectation;
}

/** A data file that does not follow the format. */
export class SemanticsFormatError extends SluiceError {
  constructor(message: string, readonly file: string, readonly line: number) {
    super(`${file}:${line}: ${message}`);
  }
}

const HEADER = /^===\s*(.*)$/;
const MEM = /^mem\b(.*)$/;
const EXPECT = /^=>\s*(.*)$/;

export function parseSemantics(text: string, file = '<text>'): SemanticsCase[] {
  const cases: SemanticsCase[] = [];
  let current: { line: number; name: string; source: string[]; mem: string; sourceStart: number } | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    const fail: (msg: string) => never = (msg) => { throw new SemanticsFormatError(msg, file, n); };
    const header = HEADER.exec(line);
    if (header) {
      if (current) fail(`case '${current.name}' (line ${current.line}) has no '=>' line`);
      const name = header[1]!.trim();
      if (name === '') fail('a case needs a name after ===');
      current = { line: n, name, source: [], mem: '', sourceStart: n + 1 };
      return;
    }
    if (!current) {
      if (line === '' || line.startsWith('#')) return;
      fail(`expected '=== name' to start a case, got: ${line}`);
    }
    const mem = MEM.exec(line);
    if (mem) {
      if (current.source.some((l) => l.trim() !== '')) fail('mem lines go before the program');
      const hex = mem[1]!.replace(/\s+/g, '');
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) fail(`mem expects pairs of hex digits, got: ${mem[1]!.trim()}`);
      current.mem += hex;
      current.source.push(''); // keep line numbers of the program aligned with the file
      return;
    }
    const expect = EXPECT.exec(line);
    if (expect) {
      cases.push({
        file, line: current.line, name: current.name,
        // Blank lines stand in for the header and mem lines, so assembler errors name file lines.
        source: '\n'.repeat(current.sourceStart - 1) + current.source.join('\n'),
        memory: Uint8Array.from(current.mem.match(/../g) ?? [], (h) => parseInt(h, 16)),
        expect: parseExpectation(expect[1]!.trim(), fail),
      });
      current = undefined;
      return;
    }
    current.source.push(raw);
  });
  if (current) throw new SemanticsFormatError(`case '${current.name}' has no '=>' line`, file, current.line);
  return cases;
}

function parseExpectation(text: string, fail: (msg: string) => never): Expectation {
  const error = /^error(?:\s+([a-z-]+))?$/.exec(text);
  if (error) return { error: error[1] === undefined ? {} : { kind: error[1] } };
  if (/^-?\d+$/.test(text) || /^0x[0-9a-fA-F]+$/.test(text)) {
    const v = BigInt(text);
    if (v < -(1n << 63n) || v >= 1n << 64n) fail(`expected value ${text} does not fit in 64 bits`);
    return { r0: BigInt.asUintN(64, v) };
  }
  return fail(`expected '=> VALUE' or '=> error [kind]', got: => ${text}`);
}
