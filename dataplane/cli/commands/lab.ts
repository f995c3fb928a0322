// `sluice lab list` and `sluice lab check N [SOURCE.c|OBJ]`: the graded
// network labs of labs/ (dataplane/lab/ is the grader). Exit status of check:
// 0 only when every check passed, 1 otherwise, 2 for bad usage.
import { existsSync } from 'node:fs';
import { ENGINE_KINDS, type EngineKind } from '../../pipeline/engine.ts';
import { findLab, listLabs } from '../../lab/catalog.ts';
import { LabError } from '../../lab/errors.ts';
import { gradeLab } from '../../lab/grade.ts';
import { formatGrade, formatList, gradeJson } from '../../lab/report.ts';
import { type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, parseOptions } from '../command.ts';

const USAGE = `Usage: sluice lab list
       sluice lab check N [SOURCE.c|OBJ] [--engine jit|interp] [--json] [--no-live]

Graded XDP exercises (labs/). 'list' prints each lab: number, folder, difficulty
(* to *****), and what it teaches. 'check' grades a solution to lab N: with no
file, the lab's own starter.c (edit it in place); a .c file is built with clang
(clang -O2 -g -target bpf -mcpu=v3 …); any other file is read as a BPF object.
Each check is printed, passed or failed, with what explains a failure (clang's
error, the verifier's explanation, the packet or map diff), then a score such as
"7/9 checks, 78%". No root needed, except for the live part of the topology
labs, which is skipped (and said so) without it.
  --engine E   run the programs on jit (default) or interp
  --json       print the grade as JSON
  --no-live    skip the live checks of topology labs
Exit status: 0 every check passed, 1 some check failed, 2 bad usage (or clang missing).`;

const OPTIONS = { engine: { type: 'string' }, json: { type: 'boolean' }, 'no-live': { type: 'boolean' } } as const;

async function run(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseOptions(argv, OPTIONS, { min: 1, max: 3 });
  const [sub, ...rest] = positionals as [string, ...string[]];
  if (sub === 'list') {
    if (rest.length) throw new UsageError(`'lab list' takes no arguments, got '${rest[0]}'`);
    process.stdout.write(formatList(listLabs()));
    return EXIT_OK;
  }
  if (sub !== 'check') throw new UsageError(`unknown lab command '${sub}' (expected 'list' or 'check')`);
  const [which, file] = rest;
  if (which === undefined) throw new UsageError("'lab check' needs the lab's number: sluice lab check N [SOURCE.c|OBJ]");
  const engine = (o.engine ?? 'jit') as EngineKind;
  if (!ENGINE_KINDS.includes(engine)) throw new UsageError(`--engine expects one of ${ENGINE_KINDS.join(', ')}, got '${o.engine}'`);
  try {
    const lab = findLab(which);
    if (file !== undefined && !existsSync(file)) throw new UsageError(`no such file: ${file}`);
    const grade = await gradeLab(lab, file ?? lab.starter, { engine, live: !o['no-live'] });
    process.stdout.write(o.json ? `${JSON.stringify(gradeJson(grade))}\n` : formatGrade(grade));
    return grade.passed === grade.total && grade.total > 0 ? EXIT_OK : EXIT_FAILURE;
  } catch (err) {
    if (!(err instanceof LabError)) throw err;
    process.stderr.write(`sluice lab: ${err.message}\n`);
    return EXIT_USAGE;
  }
}

export const command: Command = { name: 'lab', summary: 'graded XDP lab exercises: list them, check a solution', usage: USAGE, run };
