import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadSchema, validate } from '../validate.ts';
import { sampleResults } from './fixtures.ts';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

test('hand-made results validate against schema.json', () => {
  assert.equal(validate(clone(sampleResults())), []);
});

test('the schema names itself as the results do', () => {
  const schema = loadSchema();
  assert.is(schema.$id, sampleResults().schema);
});

test('each kind of problem is found, with its JSON path', () => {
  const r = clone(sampleResults()) as unknown as { runs: Record<string, unknown>[]; machine: Record<string, unknown>; schema: string; extra?: number };
  r.runs[0]!.engine = 'gcc';
  r.runs[1]!.packets = 1.5;
  r.runs[2]!.mpps = null; // a NaN written by JSON.stringify
  delete r.machine.cpu;
  r.extra = 1;
  r.schema = 'other/1';
  const problems = validate(r);
  const expected = [/^\$\.runs\[0\]\.engine: "gcc" is not one of/, /^\$\.runs\[1\]\.packets: expected integer/, /^\$\.runs\[2\]\.mpps: expected number, got null/,
    /^\$\.machine: missing 'cpu'/, /^\$: unexpected property 'extra'/, /^\$\.schema: expected "sluice-bench-results\/1"/];
  for (const e of expected) assert.ok(problems.some((p) => e.test(p)), `${e} in ${problems.join('\n')}`);
  assert.is(problems.length, expected.length);
});

test('nullable fields take null, and nested distributions are checked', () => {
  const r = clone(sampleResults());
  r.runs[0]!.burstNs = null;
  r.runs[0]!.cyclesPerPacket = null;
  assert.equal(validate(r), []);
  (r.runs[1]!.burstNs!.counts as unknown[])[0] = -1;
  assert.equal(validate(r), ['$.runs[1].burstNs.counts[0]: -1 is below the minimum 0']);
});

test.run();
