// Grading one lab: build (C) → read the object → the verifier on each program
// the lab's specs run → every case of every spec (dataplane/spec's runner) →
// the live checks of topology labs. Each becomes a check, passed or failed,
// with what explains a failure: clang's error, the verifier's explanation, or
// the spec's diff. The number of checks a lab has does not depend on how far a
// submission gets, so scores compare: a step that fails marks the checks after
// it "not run" and failed.
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { messageOf } from '../../jit/errors.ts';
import { loadObjectSpec, type ObjectSpec } from '../../jit/object/load.ts';
import { ProgType } from '../../jit/object/prog-types.ts';
import { verify, VerifierError } from '../../jit/verifier/verify.ts';
import type { EngineKind } from '../pipeline/engine.ts';
import { loadSpec, runSpec, type TestSpec } from '../spec/index.ts';
import { buildC } from './build.ts';
import type { Lab } from './catalog.ts';
import { liveChecks } from './live.ts';

export interface Check {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  /** Why it failed (or was skipped): clang's diagnostics, the verifier's explanation, a diff. */
  details: string[];
}

export interface Grade {
  lab: Lab;
  /** What was graded: the C source or the object given. */
  input: string;
  /** The object graded (built from the source when C was given). */
  object?: string;
  checks: Check[];
  passed: number;
  /** Checks that count: passed + failed (skipped ones do not). */
  total: number;
  skipped: number;
  /** Whole percent of `total` that passed (0 when total is 0). */
  percent: number;
  /** What to do next, when something failed. */
  hints: string[];
}

export interface GradeOptions {
  /** Engine for the spec runs: 'jit' (default) or 'interp'. */
  engine?: EngineKind;
  /** Where a C source is built (default: <tmp>/sluice-lab/<lab slug>, kept so the hint's trace command works). */
  buildDir?: string;
  /** Run the live checks of topology labs when they can run (default true). */
  live?: boolean;
}

interface SpecPlan { spec: TestSpec; program: string | undefined }

const notRun = (name: string, why: string): Check => ({ name, status: 'failed', details: [`not run: ${why}`] });

/** Grades `input` (a .c source, or an object) against `lab`; default input: the lab's starter.c. */
export async function gradeLab(lab: Lab, input: string = lab.starter, options: GradeOptions = {}): Promise<Grade> {
  const checks: Check[] = [];
  const hints: string[] = [];
  // The specs are the lab's own files: a bad one is the lab's bug, and throws.
  const plans: SpecPlan[] = lab.specs.map((file) => { const spec = loadSpec(file); return { spec, program: spec.program }; });
  const programs = [...new Set(plans.map((p) => p.program ?? '(the first XDP program)'))];
  const caseName = (p: SpecPlan, i: number) => `${plans.length > 1 ? `${p.spec.name}: ` : ''}case ${i + 1}: ${p.spec.cases[i]!.name}`;
  const allCases = () => plans.flatMap((p) => p.spec.cases.map((_, i) => caseName(p, i)));
  const finish = (object?: string): Grade => summarise(lab, input, object, checks, hints);

  // 1. Build.
  let object = input;
  if (input.endsWith('.c')) {
    const dir = buildDirFor(lab, options.buildDir);
    const built = buildC(input, dir);
    object = built.object;
    if (!built.ok) {
      checks.push({ name: `build: clang compiles ${basename(input)}`, status: 'failed', details: built.diagnostics.split('\n') });
      for (const p of programs) checks.push(notRun(`verifier accepts ${p}`, 'the source did not compile'));
      for (const n of allCases()) checks.push(notRun(n, 'the source did not compile'));
      hints.push(`Fix the first error clang reports (file:line:column), then run the check again.`);
      return finish();
    }
    checks.push({ name: `build: clang compiles ${basename(input)}`, status: 'passed', details: built.diagnostics ? built.diagnostics.split('\n') : [] });
  }

  // 2. The object.
  let objSpec: ObjectSpec;
  try {
    objSpec = loadObjectSpec(readFileSync(object), basename(object));
  } catch (err) {
    checks.push({ name: `object: ${basename(object)} reads as a BPF object`, status: 'failed', details: [messageOf(err)] });
    for (const p of programs) checks.push(notRun(`verifier accepts ${p}`, 'the object could not be read'));
    for (const n of allCases()) checks.push(notRun(n, 'the object could not be read'));
    return finish(object);
  }

  // 3. The verifier, on each program the specs run.
  const rejected = new Map<string, string>();
  const xdp = objSpec.programs.filter((p) => p.type.type === ProgType.XDP);
  for (const name of programs) {
    const checkName = `verifier accepts ${name}`;
    const prog = name.startsWith('(') ? xdp[0] : objSpec.programs.find((p) => p.name === name);
    if (!prog) {
      const why = `the object has no program named '${name}' (its XDP programs: ${xdp.map((p) => p.name).join(', ') || 'none'}); keep the starter's function names`;
      checks.push({ name: checkName, status: 'failed', details: [why] });
      rejected.set(name, why);
      continue;
    }
    try {
      verify(prog, objSpec.maps);
      checks.push({ name: checkName, status: 'passed', details: [] });
    } catch (err) {
      const details = err instanceof VerifierError ? verifierDetails(err) : [`the verifier could not check it: ${messageOf(err)}`];
      checks.push({ name: checkName, status: 'failed', details });
      rejected.set(name, `${name} was rejected by the verifier (see above)`);
    }
  }
  if (rejected.size > 0) {
    hints.push('The verifier must accept a program before it runs: it proves every packet and map access safe. Read its explanation above (the instruction, your C line, and the facts it lacked) and add the check it asks for.');
  }

  // 4. The specs' cases.
  let firstFailed: { spec: SpecPlan; index: number } | undefined;
  for (const plan of plans) {
    const key = plan.program ?? '(the first XDP program)';
    const refusal = rejected.get(key);
    if (refusal) {
      plan.spec.cases.forEach((_, i) => checks.push(notRun(caseName(plan, i), refusal)));
      continue;
    }
    try {
      const result = runSpec(plan.spec, object, { engine: options.engine ?? 'jit' });
      for (const c of result.cases) {
        const details = c.error ? [c.error] : c.failures.flatMap((f) => [f.message, ...f.details.map((d) => `  ${d}`)]);
        checks.push({ name: caseName(plan, c.index), status: c.status === 'passed' ? 'passed' : 'failed', details });
        if (c.status !== 'passed' && !firstFailed) firstFailed = { spec: plan, index: c.index };
      }
    } catch (err) {
      // A map the spec fills is missing or has another size: the starter's declarations were changed.
      plan.spec.cases.forEach((_, i) => checks.push(notRun(caseName(plan, i), messageOf(err))));
      hints.push("Keep the starter's map names, key and value types: the grader fills and reads them by name.");
    }
  }
  if (firstFailed) hints.push(...traceHint(lab, firstFailed.spec.spec, firstFailed.index, object));

  // 5. Live checks (topology labs).
  if (lab.live) {
    const live = await liveChecks(lab, object, { run: options.live ?? true });
    checks.push(...live);
    if (live.some((c) => c.status === 'failed')) {
      hints.push(`Run the live setup by hand and watch it: ${relative(process.cwd(), join(lab.dir, 'topology.sh')) || 'topology.sh'} (its README section "Run it by hand").`);
    }
  }

  if (checks.some((c) => c.status === 'failed')) hints.push(`Background and hints: ${relative(process.cwd(), lab.readme) || lab.readme}`);
  return finish(object);
}

/** The given folder, else <tmp>/sluice-lab/<slug> (stable, so hints can name the object), else a fresh one (another user owns it). */
function buildDirFor(lab: Lab, given: string | undefined): string {
  if (given !== undefined) { mkdirSync(given, { recursive: true }); return given; }
  const stable = join(tmpdir(), 'sluice-lab', lab.slug);
  try {
    mkdirSync(stable, { recursive: true });
    accessSync(stable, constants.W_OK);
    return stable;
  } catch {
    return mkdtempSync(join(tmpdir(), `sluice-lab-${lab.slug}-`));
  }
}

function verifierDetails(err: VerifierError): string[] {
  const lines = [err.reason];
  if (err.source) lines.push(`at ${err.source.file}:${err.source.line}: ${err.source.text.trim()}`);
  if (err.insnText) lines.push(`instruction (pc ${err.pc}): ${err.insnText}`);
  return lines;
}

/** `sluice trace` on the first failed case, when it came from a capture. */
function traceHint(lab: Lab, spec: TestSpec, index: number, object: string): string[] {
  const c = spec.cases[index]!;
  const prog = spec.program ? ` --prog ${spec.program}` : '';
  const rel = (p: string) => { const r = relative(process.cwd(), p); return r && !r.startsWith('..') ? r : p; };
  if (c.packet.origin.kind === 'pcap') {
    return [`See the first failing packet go through your program, instruction by instruction: sluice trace ${rel(object)}${prog} --pcap ${rel(resolve(dirname(spec.file), c.packet.origin.file))} --frame ${c.packet.origin.index + 1}`];
  }
  return [`See the first failing packet go through your program: sluice trace ${rel(object)}${prog} --packet ${Buffer.from(c.packet.bytes).toString('hex')}`];
}

/** Rounded, but 100 only when everything passed and 0 only when nothing did. */
export function percentOf(passed: number, total: number): number {
  if (total === 0 || passed === 0) return 0;
  if (passed >= total) return 100;
  return Math.min(99, Math.max(1, Math.round((passed * 100) / total)));
}

function summarise(lab: Lab, input: string, object: string | undefined, checks: Check[], hints: string[]): Grade {
  const passed = checks.filter((c) => c.status === 'passed').length;
  const skipped = checks.filter((c) => c.status === 'skipped').length;
  const total = checks.length - skipped;
  return {
    lab, input, ...(object ? { object } : {}), checks, passed, total, skipped,
    percent: percentOf(passed, total), hints,
  };
}
