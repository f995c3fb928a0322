// `sluice test OBJ SPEC…`: runs the packets a spec file describes through a
// program and checks verdicts, output packets and map contents. Exit status
// 0 when every case passes, 1 when one fails, 2 for a spec that cannot run.
import { writeFileSync } from 'node:fs';
import { ENGINE_KINDS, type EngineKind } from '../../pipeline/engine.ts';
import { formatResult, junitXml, loadSpec, resultJson, runSpec, SpecError, type SpecResult, type TestSpec } from '../../spec/index.ts';
import { type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, parseOptions } from '../command.ts';

const USAGE = `Usage: sluice test OBJ SPEC… [--prog NAME] [--engine jit|interp] [--junit FILE] [--json] [--verbose]

Runs each case of each SPEC (YAML or JSON; format in dataplane/spec/README.md) through
the program, in order, with map state carried from case to case (each SPEC starts
from a freshly loaded object). Prints each case, and under a failed one a diff:
field by field for packets, entry by entry for maps. No root needed.
  --prog NAME     the program (default: the spec's 'program', else the first XDP program)
  --engine E      jit (default) or interp
  --junit FILE    also write JUnit XML (one testsuite per SPEC) for CI systems
  --json          print the results as JSON instead of text
  --verbose       print the output bytes of failed cases too
Exit status: 0 all cases passed, 1 a case failed or could not run, 2 a bad spec or usage.`;

const OPTIONS = {
  prog: { type: 'string' }, engine: { type: 'string' }, junit: { type: 'string' }, json: { type: 'boolean' }, verbose: { type: 'boolean' },
} as const;

async function run(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseOptions(argv, OPTIONS, { min: 2, max: Number.MAX_SAFE_INTEGER });
  const engine = (o.engine ?? 'jit') as EngineKind;
  if (!ENGINE_KINDS.includes(engine)) throw new UsageError(`--engine expects one of ${ENGINE_KINDS.join(', ')}, got '${o.engine}'`);
  const [objectPath, ...specPaths] = positionals as [string, ...string[]];

  const results: SpecResult[] = [];
  try {
    // Every spec is read and checked before anything runs.
    const specs: TestSpec[] = specPaths.map(loadSpec);
    for (const spec of specs) {
      results.push(runSpec(spec, objectPath, { engine, ...(o.prog === undefined ? {} : { program: o.prog }) }));
    }
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    process.stderr.write(`sluice test: bad spec: ${err.message}\n`);
    return EXIT_USAGE;
  }

  if (o.json) {
    const total = (k: 'passed' | 'failed' | 'errors') => results.reduce((n, r) => n + r[k], 0);
    process.stdout.write(`${JSON.stringify({ object: objectPath, engine, passed: total('passed'), failed: total('failed'), errors: total('errors'), specs: results.map(resultJson) })}\n`);
  } else {
    const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
    process.stdout.write(results.map((r) => formatResult(r, { verbose: o.verbose ?? false, color })).join('\n'));
    if (results.length > 1) {
      const total = (k: 'passed' | 'failed' | 'errors') => results.reduce((n, r) => n + r[k], 0);
      const cases = results.reduce((n, r) => n + r.cases.length, 0);
      process.stdout.write(`\n${results.length} specs, ${cases} cases: ${total('passed')} passed, ${total('failed')} failed${total('errors') ? `, ${total('errors')} errors` : ''}\n`);
    }
  }
  if (o.junit !== undefined) writeFileSync(o.junit, junitXml(results));
  return results.every((r) => r.failed === 0 && r.errors === 0) ? EXIT_OK : EXIT_FAILURE;
}

export const command: Command = { name: 'test', summary: 'check a program against a spec of packets, verdicts and map contents', usage: USAGE, run };
