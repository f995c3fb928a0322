// `sluice test` as a library (labs' graders, other test runners):
//
//   const spec = loadSpec('examples/specs/router.yaml');        // SpecError on a bad spec
//   const result = runSpec(spec, 'examples/router.o', { engine: 'jit' });
//   process.stdout.write(formatResult(result));                 // diffs under failed cases
//   writeFileSync('junit.xml', junitXml([result]));
export { SpecError, type Where } from './errors.ts';
export type { TestSpec, TestCase, Expectation, FieldCheck, MapCheck, MapWrite, PacketInput } from './format.ts';
export { loadSpec, parseSpec } from './parse.ts';
export { parseSpecText, readSpecFile } from './source.ts';
export { bindSpec } from './bind.ts';
export { runSpec, type RunSpecOptions, type SpecResult, type CaseResult } from './runner.ts';
export type { CaseFailure, FailureKind } from './checks.ts';
export { formatResult, summary, resultJson, caseJson, junitXml } from './report.ts';
