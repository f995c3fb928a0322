// A whole program as text, laid out like `llvm-objdump -d -r`: one instruction a line
// after its pc, a label line (preceded by a blank line) before every function symbol
// and every jump target, the target's name after each jump, and a relocation line
// after each instruction that still refers to a symbol. assemble() reads it back.
import { type Instruction, type Program, layout } from './instruction.ts';
import { encode, encodingProblem } from './codec.ts';
import { disassemble, targetPc } from './disasm.ts';
import { CALL, LDDW } from './opcode.ts';

export interface ListingOptions {
  /**
   * Names of pcs. Default: each instruction's `symbol` names its pc, and every other
   * jump or call target gets an llvm-style `LBB<function>_<pc>` name.
   */
  labels?: ReadonlyMap<number, string>;
  /** Print each instruction's bytes between the pc and the text, as llvm-objdump does. Default false. */
  bytes?: boolean;
  /** Pc of the first instruction, for code that starts mid-section. Default 0. */
  basePc?: number;
}

/** The program's listing, one line per instruction, ending with a newline. */
export function listing(program: Program, opts: ListingOptions = {}): string {
  const base = opts.basePc ?? 0;
  const { pcOf } = layout(program);
  const labels = opts.labels ?? defaultLabels(program, pcOf);
  const end = pcOf[program.length] ?? 0;
  const pcWidth = opts.bytes ? 8 : Math.max(4, String(base + end).length);
  const lines: string[] = [];
  const labelLine = (pc: number): void => {
    const name = labels.get(pc);
    if (name === undefined) return;
    if (lines.length > 0) lines.push('');
    lines.push(`${name}:`);
  };
  program.forEach((insn, i) => {
    const pc = pcOf[i] ?? 0;
    labelLine(pc);
    const target = targetPc(insn, pc);
    const text = disassemble(insn, { label: target === undefined ? undefined : labels.get(target) });
    const at = String(base + pc).padStart(pcWidth);
    lines.push(opts.bytes ? `${at}:\t${hexOf(insn)}\t${text}` : `${at}: ${text}`);
    if (insn.reference !== undefined) lines.push(relocationLine(insn, base + pc));
  });
  labelLine(end);
  return lines.map((l) => `${l}\n`).join('');
}

/** Function symbols by their pc, then `LBB<f>_<pc>` for other targets (f counts functions). */
function defaultLabels(program: Program, pcOf: readonly number[]): Map<number, string> {
  const labels = new Map<number, string>();
  const starts = new Set(pcOf);
  program.forEach((insn, i) => { if (insn.symbol !== undefined) labels.set(pcOf[i] ?? 0, insn.symbol); });
  const functionStarts = Array.from(labels.keys()).sort((a, b) => a - b);
  program.forEach((insn, i) => {
    const target = targetPc(insn, pcOf[i] ?? 0);
    if (target === undefined || labels.has(target) || !starts.has(target)) return;
    const f = functionStarts.filter((s) => s <= target).length - 1;
    labels.set(target, `LBB${Math.max(f, 0)}_${target}`);
  });
  return labels;
}

function hexOf(insn: Instruction): string {
  if (encodingProblem(insn) !== undefined) return '?? '.repeat(8).trimEnd();
  return Array.from(encode([insn]), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** llvm-objdump -r's line: byte offset, relocation type, symbol. */
function relocationLine(insn: Instruction, pc: number): string {
  const type = insn.opcode === LDDW ? 'R_BPF_64_64' : insn.opcode === CALL ? 'R_BPF_64_32' : 'R_BPF_64_ABS64';
  return `\t\t${(pc * 8).toString(16).padStart(16, '0')}:  ${type}\t${insn.reference}`;
}
