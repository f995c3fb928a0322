// Runs the semantics data files on any engine. An engine is one function:
//
//   (program: Instruction[], memory: Uint8Array) => bigint | Promise<bigint>
//
// It must run the program with r1 = a pointer to the memory (or 0 when the
// memory is empty) and r2 = its length, provide helper 5 returning its first
// argument, and return r0 — or throw when the program fails. When the thrown
// value has a string `kind` (as the interpreter's VmError does), it must equal
// the kind a case expects; errors without a kind match any expected error.
// The engine may write to `memory` (it is a fresh copy for every case).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assemble } from '../isa/asm.ts';
import type { Instruction } from '../isa/instruction.ts';
import { messageOf } from '../errors.ts';
import { parseSemantics, type SemanticsCase } from './format.ts';

export type Engine = (program: Instruction[], memory: Uint8Array) => bigint | Promise<bigint>;

export interface Outcome {
  readonly case: SemanticsCase;
  readonly ok: boolean;
  /** What went wrong, when !ok. */
  readonly problem?: string;
}

/** The folder of the data files that ship with sluice. */
export const SEMANTICS_DIR = fileURLToPath(new URL('./data/', import.meta.url));

/** Every case of every *.sem file in `dir`, files in name order. */
export function loadSemantics(dir = SEMANTICS_DIR): SemanticsCase[] {
  return readdirSync(dir).filter((f) => f.endsWith('.sem')).sort()
    .flatMap((f) => parseSemantics(readFileSync(`${dir}/${f}`, 'utf8'), f));
}

const show = (v: bigint): string => `0x${v.toString(16)}`;

/** Runs one case: assembles it, runs it on the engine, compares with the expectation. */
export async function runCase(engine: Engine, c: SemanticsCase): Promise<Outcome> {
  let program: Instruction[];
  try {
    program = assemble(c.source);
  } catch (err) {
    return { case: c, ok: false, problem: `does not assemble: ${messageOf(err)}` };
  }
  let r0: bigint;
  try {
    r0 = BigInt.asUintN(64, await engine(program, c.memory.slice()));
  } catch (err) {
    if (!c.expect.error) return { case: c, ok: false, problem: `expected r0 = ${show(c.expect.r0!)}, got an error: ${messageOf(err)}` };
    const kind = (err as { kind?: unknown } | null)?.kind;
    const want = c.expect.error.kind;
    if (want !== undefined && typeof kind === 'string' && kind !== want) {
      return { case: c, ok: false, problem: `expected a '${want}' error, got '${kind}': ${messageOf(err)}` };
    }
    return { case: c, ok: true };
  }
  if (c.expect.error) {
    const what = c.expect.error.kind ? `a '${c.expect.error.kind}' error` : 'an error';
    return { case: c, ok: false, problem: `expected ${what}, got r0 = ${show(r0)}` };
  }
  if (r0 !== c.expect.r0) return { case: c, ok: false, problem: `expected r0 = ${show(c.expect.r0!)}, got ${show(r0)}` };
  return { case: c, ok: true };
}

/** Runs every case (default: the shipped data files) on the engine, one after another. */
export async function runSemantics(engine: Engine, cases: readonly SemanticsCase[] = loadSemantics()): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const c of cases) out.push(await runCase(engine, c));
  return out;
}

/** One line per failed case: `file:line name: problem`. */
export function describeFailures(outcomes: readonly Outcome[]): string {
  return outcomes.filter((o) => !o.ok).map((o) => `${o.case.file}:${o.case.line} ${o.case.name}: ${o.problem}`).join('\n');
}
