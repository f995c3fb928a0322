// Label resolution shared by the assembler and the program builder: instructions
// are drafted with a symbolic target, and once the whole program is known each
// target becomes a pc-relative offset (`off` for jumps, `imm` for gotol, local
// calls and lddw of a function), counted from the slot after the instruction.
import type { Instruction } from './instruction.ts';
import { width } from './instruction.ts';

/** Where an instruction's target goes once its label is known. */
export interface Fixup {
  readonly label: string;
  /** `off` (16 bits: conditional jumps and goto) or `imm` (32 bits). */
  readonly field: 'off' | 'imm';
}

export interface Draft {
  insn: Instruction;
  fixup?: Fixup;
}

export type LabelProblem =
  | { kind: 'undefined'; label: string }
  | { kind: 'range'; label: string; offset: number; field: 'off' | 'imm' };

/**
 * Resolves every fixup. `labels` maps a name to the index (in `drafts`) of the
 * instruction it stands before; an index equal to drafts.length means the end.
 * `fail` is called for the first problem and must throw.
 */
export function resolveLabels(
  drafts: readonly Draft[],
  labels: ReadonlyMap<string, number>,
  fail: (problem: LabelProblem, index: number) => never,
): Instruction[] {
  const pcOf: number[] = [];
  let pc = 0;
  for (const d of drafts) { pcOf.push(pc); pc += width(d.insn); }
  pcOf.push(pc);
  return drafts.map((d, i) => {
    if (!d.fixup) return d.insn;
    const { label, field } = d.fixup;
    const target = labels.get(label);
    if (target === undefined) return fail({ kind: 'undefined', label }, i);
    const offset = (pcOf[target] ?? 0) - ((pcOf[i] ?? 0) + 1);
    const fits = field === 'off' ? offset >= -0x8000 && offset <= 0x7fff : offset >= -(2 ** 31) && offset < 2 ** 31;
    if (!fits) return fail({ kind: 'range', label, offset, field }, i);
    return { ...d.insn, [field]: offset };
  });
}

/** A message for a label problem, the same from the assembler and the builder. */
export function labelMessage(p: LabelProblem): string {
  if (p.kind === 'undefined') return `label '${p.label}' is not defined`;
  const bits = p.field === 'off' ? 16 : 32;
  return `label '${p.label}' is ${p.offset} slots away, which does not fit the ${bits}-bit ${p.field}` +
    (p.field === 'off' ? ' (use gotol for long jumps)' : '');
}
