// Text -> instructions: the inverse of disassemble(). One instruction a line, in the
// syntax llvm-objdump prints (README.md has the grammar). Also accepted:
//   - blank lines and comments (`;`, `#`, `//` to the end of the line);
//   - labels, `name:` alone or before an instruction; jump targets, gotol, `call name`
//     (a local call) and `func(name)` may name one instead of giving a relative offset;
//   - lines pasted from `llvm-objdump -d [-r] [-S]`: the `  12:\t<hex bytes>\t` prefix and a
//     trailing `<LBB0_3>` are skipped, `0000000000000060 <LBB0_3>:` lines define labels,
//     file and section headers are skipped, and relocation lines set the previous
//     instruction's `reference`. The bytes must match the text: llvm 14 prints some
//     instructions ambiguously (`call -1` for a local call), and the error then says
//     what the bytes are.
// Immediates are decimal or 0x-hex. Every error is an AsmError with the line.
import { AsmError } from '../errors.ts';
import { Class, JmpOp } from './opcode.ts';
import type { Instruction } from './instruction.ts';
import { decode, encode, encodingProblem } from './codec.ts';
import { disassemble } from './disasm.ts';
import { type Draft, labelMessage, resolveLabels } from './labels.ts';
import { parseInstruction } from './parse-insn.ts';

/** Assembles a program. Throws AsmError naming the line (1-based) and its text. */
export function assemble(text: string): Instruction[] {
  const drafts: Draft[] = [];
  const lineOf: number[] = [];
  const bytesOf: Array<string | undefined> = [];
  const labels = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const n = i + 1;
    const fail = (msg: string): never => { throw new AsmError(msg, n, raw); };
    let line = stripComment(raw).trim();
    if (line === '' || FILE_HEADER.test(line) || SECTION_HEADER.test(line)) return;
    const reloc = RELOCATION.exec(line);
    if (reloc) {
      const last = drafts[drafts.length - 1];
      if (!last) fail('relocation before any instruction');
      else last.insn = { ...last.insn, reference: reloc[1]! };
      return;
    }
    const define = (name: string): void => {
      if (labels.has(name)) fail(`label '${name}' is defined twice (first before instruction ${labels.get(name)})`);
      labels.set(name, drafts.length);
    };
    const objdumpLabel = OBJDUMP_LABEL.exec(line);
    if (objdumpLabel) { define(objdumpLabel[1]!); return; }
    line = line.replace(PC_PREFIX, '');
    const hex = HEX_BYTES.exec(line)?.[0];
    if (hex !== undefined) line = line.slice(hex.length);
    line = line.trim();
    const bytes = hex?.trim().split(/\s+/).join(' ');
    const failHere = bytes === undefined ? fail : (msg: string): never => fail(`${msg} (the line's bytes are ${describeBytes(bytes)})`);
    const label = LABEL.exec(line);
    if (label) {
      define(label[1]!);
      line = line.slice(label[0].length).trim();
      if (line === '') return;
    }
    if (/^<[^<>]*>$/.test(line)) failHere(`not an instruction (llvm-objdump prints ${line} for encodings it does not know)`);
    line = line.replace(/\s*<[^<>]*>$/, '');
    drafts.push(parseInstruction(line, failHere));
    lineOf.push(n);
    bytesOf.push(bytes);
  });
  const program = resolveLabels(drafts, labels, (problem, index) => {
    const n = lineOf[index] ?? 0;
    const isCall = drafts[index]?.insn.opcode === (Class.JMP | JmpOp.CALL);
    const hint = isCall && problem.kind === 'undefined' ? ' (`call name` calls a local label; helpers are called by number, `call 1`)' : '';
    throw new AsmError(labelMessage(problem) + hint, n, lines[n - 1] ?? '');
  });
  program.forEach((insn, i) => {
    const problem = encodingProblem(insn);
    const n = lineOf[i] ?? 0;
    if (problem) throw new AsmError(`not a valid instruction: ${problem}`, n, lines[n - 1] ?? '');
    const bytes = bytesOf[i];
    if (bytes !== undefined) checkBytes(insn, bytes, n, lines[n - 1] ?? '');
  });
  return program;
}

/**
 * A pasted line's bytes must be what its text assembles to. They differ where llvm 14's
 * text is ambiguous (`call N` for local calls, 32-bit atomics): say what the bytes are.
 */
function checkBytes(insn: Instruction, hex: string, line: number, text: string): void {
  const { reference: _r, symbol: _s, ...fields } = insn;
  const ours = Array.from(encode([fields]), (b) => b.toString(16).padStart(2, '0')).join(' ');
  if (ours === hex) return;
  throw new AsmError(`the text assembles to ${ours} but the line's bytes are ${describeBytes(hex)}`, line, text);
}

/** `18 01 ...`, with what they decode to. */
function describeBytes(hex: string): string {
  try {
    const decoded = decode(Uint8Array.from(hex.split(' '), (h) => parseInt(h, 16)));
    if (decoded.length === 1) return `${hex}, which is \`${disassemble(decoded[0]!)}\``;
  } catch { /* not an instruction: the bytes alone */ }
  return `${hex}, which is not a valid instruction`;
}

/** Assembles exactly one instruction (no labels). */
export function assembleOne(text: string): Instruction {
  const program = assemble(text);
  if (program.length !== 1) throw new AsmError(`expected one instruction, found ${program.length}`, 1, text);
  return program[0]!;
}

const FILE_HEADER = /^\S.*:\s+file format /;
const SECTION_HEADER = /^Disassembly of section /;
const RELOCATION = /^[0-9a-f]+:\s+R_BPF_\w+\s+(\S+)$/;
const OBJDUMP_LABEL = /^[0-9a-f]+ <([^<>]+)>:$/;
const PC_PREFIX = /^\d+:\s*/;
const HEX_BYTES = /^(?:[0-9a-f]{2}[ \t]+){8}(?:(?:[0-9a-f]{2}[ \t]+){8})?/;
const LABEL = /^([A-Za-z_.$][\w.$]*):(?:\s|$)/;

function stripComment(line: string): string {
  const at = line.search(/;|#|\/\//);
  return at < 0 ? line : line.slice(0, at);
}

