// A linked program as a listing with its C source interleaved, the way
// `llvm-objdump -S` prints an object: a `; <source line>` comment whenever the
// source line changes, a label before every function and jump target, the pc, the
// instruction's bytes (optional) and its text. Also the same as rows for --json.
import { encode } from '../isa/codec.ts';
import { disassemble, targetPc } from '../isa/disasm.ts';
import { layout } from '../isa/instruction.ts';
import type { ProgramSpec, SourceLine } from './spec.ts';

export interface ListingRow {
  readonly index: number;
  readonly pc: number;
  /** Where the instruction came from in the object: section and byte offset. */
  readonly section: string;
  readonly offset: number;
  /** The instruction's encoding, hex bytes separated by spaces. */
  readonly bytes: string;
  readonly text: string;
  /** The label that starts here (function name or LBB<f>_<pc>), if any. */
  readonly label?: string;
  /** The symbol the instruction still refers to (a map or global data section). */
  readonly reference?: string;
  readonly source?: SourceLine;
}

/** Labels: each function's name at its pc, then LBB<function>_<pc> for other jump targets. */
export function labelsOf(prog: ProgramSpec): Map<number, string> {
  const { pcOf } = layout(prog.instructions);
  const labels = new Map<number, string>();
  for (const f of prog.funcInfo) labels.set(f.pc, f.name);
  prog.instructions.forEach((insn, i) => { if (insn.symbol !== undefined && !labels.has(pcOf[i]!)) labels.set(pcOf[i]!, insn.symbol); });
  const starts = [...labels.keys()].sort((a, b) => a - b);
  const valid = new Set(pcOf);
  prog.instructions.forEach((insn, i) => {
    const t = targetPc(insn, pcOf[i]!);
    if (t === undefined || labels.has(t) || !valid.has(t)) return;
    const f = starts.filter((s) => s <= t).length - 1;
    labels.set(t, `LBB${Math.max(f, 0)}_${t}`);
  });
  return labels;
}

export function listingRows(prog: ProgramSpec): ListingRow[] {
  const { pcOf } = layout(prog.instructions);
  const labels = labelsOf(prog);
  return prog.instructions.map((insn, index) => {
    const pc = pcOf[index]!;
    const t = targetPc(insn, pc);
    const origin = prog.origins[index]!;
    const label = labels.get(pc);
    const source = prog.lines[index];
    return {
      index, pc, section: origin.section, offset: origin.offset,
      bytes: Array.from(encode([insn]), (b) => b.toString(16).padStart(2, '0')).join(' '),
      text: disassemble(insn, { label: t === undefined ? undefined : labels.get(t) }),
      ...(label !== undefined ? { label } : {}),
      ...(insn.reference !== undefined ? { reference: insn.reference } : {}),
      ...(source !== undefined ? { source } : {}),
    };
  });
}

export interface SourceListingOptions {
  /** Print each instruction's bytes. Default true, as llvm-objdump does. */
  readonly bytes?: boolean;
  /** Interleave source lines. Default true. */
  readonly source?: boolean;
}

/** The program's listing as text, ending with a newline. */
export function sourceListing(prog: ProgramSpec, opts: SourceListingOptions = {}): string {
  const withBytes = opts.bytes ?? true, withSource = opts.source ?? true;
  const out: string[] = [];
  let last: SourceLine | undefined;
  for (const row of listingRows(prog)) {
    if (row.label !== undefined) {
      if (out.length > 0) out.push('');
      out.push(`${row.label}:`);
    }
    const src = row.source;
    if (withSource && src !== undefined && (last === undefined || src.line !== last.line || src.file !== last.file)) {
      out.push(`; ${src.text.trimEnd() || `${src.file}:${src.line}`}`);
      last = src;
    }
    const at = String(row.pc).padStart(8);
    const insn = prog.instructions[row.index]!;
    const ref = row.reference === undefined ? '' : `\t; ${row.reference}${insn.imm2 ? `+${insn.imm2}` : ''}`;
    out.push(withBytes ? `${at}:\t${row.bytes}\t${row.text}${ref}` : `${at}:\t${row.text}${ref}`);
  }
  return out.map((l) => `${l}\n`).join('');
}
