// The data-file format and the runner: they must reject malformed files and
// report an engine that gets a value or an error kind wrong.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSemantics, SemanticsFormatError } from '../format.ts';
import { describeFailures, runCase, runSemantics, type Engine } from '../runner.ts';
import { runRaw } from '../../interp/raw.ts';

const interp: Engine = (program, memory) => runRaw(program, memory);

const TEXT = `# a comment
=== returns seven
r0 = 7
exit
=> 7

=== reads its memory
mem 01 02
mem 03 04
r0 = *(u32 *)(r1 + 0)
exit
=> 0x04030201

=== faults
r0 = *(u8 *)(r1 + 0)
exit
=> error memory

=== negative expectation
r0 = -2
exit
=> -2
`;

test('parses names, lines, memory and expectations', () => {
  const cases = parseSemantics(TEXT, 't.sem');
  assert.equal(cases.map((c) => [c.name, c.line]), [['returns seven', 2], ['reads its memory', 7], ['faults', 14], ['negative expectation', 19]]);
  assert.equal(Array.from(cases[1]!.memory), [1, 2, 3, 4]);
  assert.equal(cases[0]!.expect, { r0: 7n });
  assert.equal(cases[2]!.expect, { error: { kind: 'memory' } });
  assert.equal(cases[3]!.expect, { r0: (1n << 64n) - 2n });
});

test('malformed files name the file and line', () => {
  const bad = (text: string, re: RegExp) => assert.throws(() => parseSemantics(text, 'bad.sem'), (e: unknown) => e instanceof SemanticsFormatError && re.test(e.message));
  bad('r0 = 1\n', /bad\.sem:1: expected '=== name'/);
  bad('=== a\nr0 = 1\nexit\n', /bad\.sem:1: case 'a' has no '=>'/);
  bad('=== a\nexit\n=== b\nexit\n=> 0\n', /bad\.sem:3: case 'a'/);
  bad('=== a\nmem 0g\nexit\n=> 0\n', /bad\.sem:2: mem expects pairs/);
  bad('=== a\nmem 012\nexit\n=> 0\n', /bad\.sem:2: mem expects pairs/);
  bad('=== a\nexit\n=> maybe\n', /bad\.sem:3: expected '=> VALUE'/);
  bad('=== a\nexit\n=> 0x10000000000000000\n', /does not fit in 64 bits/);
  bad('=== a\nexit\nmem 00\n=> 0\n', /mem lines go before the program/);
});

test('the interpreter passes the sample cases', async () => {
  const outcomes = await runSemantics(interp, parseSemantics(TEXT, 't.sem'));
  assert.is(describeFailures(outcomes), '');
});

test('a wrong value, a missing error, or a wrong error kind fails', async () => {
  const cases = parseSemantics(TEXT, 't.sem');
  const off: Engine = (p, m) => runRaw(p, m) + 1n;
  assert.match((await runCase(off, cases[0]!)).problem ?? '', 'expected r0 = 0x7, got 0x8');
  const noFault: Engine = () => 0n;
  assert.match((await runCase(noFault, cases[2]!)).problem ?? '', "expected a 'memory' error, got r0 = 0x0");
  const wrongKind: Engine = () => { throw Object.assign(new Error('x'), { kind: 'helper' }); };
  assert.match((await runCase(wrongKind, cases[2]!)).problem ?? '', "expected a 'memory' error, got 'helper'");
  const kindless: Engine = async () => { throw new Error('trap'); };
  assert.ok((await runCase(kindless, cases[2]!)).ok, 'an error without a kind matches any expected error');
  assert.match((await runCase(kindless, cases[0]!)).problem ?? '', 'got an error: trap');
});

test('a program that does not assemble fails with the file line', async () => {
  const [c] = parseSemantics('\n=== a\nr0 = = 1\nexit\n=> 0\n', 'x.sem');
  const o = await runCase(interp, c!);
  assert.not.ok(o.ok);
  assert.match(o.problem ?? '', /does not assemble: line 3/);
});

test('each case gets a fresh copy of its memory', async () => {
  const [c] = parseSemantics('=== w\nmem 00\n*(u8 *)(r1 + 0) = 9\nr0 = 0\nexit\n=> 0\n');
  assert.ok((await runCase(interp, c!)).ok);
  assert.is(c!.memory[0], 0);
});

test.run();
