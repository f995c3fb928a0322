// `sluice vm exec` end to end: spawns the real executable with a program on
// stdin. Programs are hand-encoded from RFC 9669's byte layout (opcode, regs
// dst|src<<4, off little-endian 16, imm little-endian 32).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { command, parseHex } from '../commands/vm.ts';
import { UsageError } from '../command.ts';

const bin = fileURLToPath(new URL('../bin.mjs', import.meta.url));

function sluice(args: string[], stdin: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { input: stdin, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const EXIT = '95 00 00 00 00 00 00 00';

test('prints r0 in hex and exits 0', () => {
  const r = sluice(['vm', 'exec'], `b7 00 00 00 2a 00 00 00\n${EXIT}\n`); // r0 = 42
  assert.is(r.stderr, '');
  assert.is(r.stdout, '0x2a\n');
  assert.is(r.status, 0);
});

test('whitespace anywhere in the hex is ignored; lddw spans two slots', () => {
  const r = sluice(['vm', 'exec'], '1800 0000 8877 6655\n\t0000 0000 4433 2211 95\n000000 00000000');
  assert.is(r.stdout, '0x1122334455667788\n');
  assert.is(r.status, 0);
});

test('r1 points at a copy of MEMHEX and r2 is its length', () => {
  // r0 = *(u32 *)(r1 + 4); r0 += r2
  const r = sluice(['vm', 'exec', '01020304 05060708'], `61 10 04 00 00 00 00 00\n0f 20 00 00 00 00 00 00\n${EXIT}`);
  assert.is(r.stdout, '0x807060d\n'); // 0x08070605 + 8
  assert.is(r.status, 0);
});

test('without MEMHEX r1 and r2 are 0', () => {
  // r0 = r1; r0 |= r2
  const r = sluice(['vm', 'exec'], `bf 10 00 00 00 00 00 00\n4f 20 00 00 00 00 00 00\n${EXIT}`);
  assert.is(r.stdout, '0x0\n');
});

test('helper 5 returns its first argument', () => {
  // r1 = 0x1234; call 5
  const r = sluice(['vm', 'exec'], `b7 01 00 00 34 12 00 00\n85 00 00 00 05 00 00 00\n${EXIT}`);
  assert.is(r.stdout, '0x1234\n');
});

test('a run error prints the pc, the access and exits 1', () => {
  // r0 = *(u32 *)(r1 + 4) with two bytes of memory
  const r = sluice(['vm', 'exec', '0102'], `61 10 04 00 00 00 00 00\n${EXIT}`);
  assert.is(r.status, 1);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /pc 0: read of 4 bytes at 0x[0-9a-f]+ is outside every region/);
});

test('a runaway loop stops at the step limit and exits 1', () => {
  const r = sluice(['vm', 'exec'], '05 00 ff ff 00 00 00 00'); // goto -1
  assert.is(r.status, 1);
  assert.match(r.stderr, /step limit/);
});

test('malformed hex and undecodable programs exit 1 with a message', () => {
  let r = sluice(['vm', 'exec'], 'b7 00 00 00 2a 00 00 0');
  assert.is(r.status, 1);
  assert.match(r.stderr, /odd number of hex digits/);
  r = sluice(['vm', 'exec'], '');
  assert.is(r.status, 1);
  assert.match(r.stderr, /no instructions/);
  r = sluice(['vm', 'exec'], '18 00 00 00 00 00 00 00'); // lddw without its second slot
  assert.is(r.status, 1);
  assert.match(r.stderr, /pc 0: lddw without its second slot/);
});

test('hex parsing names the input and the bad digit', () => {
  assert.equal(Array.from(parseHex(' 0a\tFF\n10 ', 'x')), [0x0a, 0xff, 0x10]);
  assert.throws(() => parseHex('b7 0x', 'program on stdin'), /program on stdin: 'x' at digit 3 is not a hex digit/);
  assert.throws(() => parseHex('zz', 'MEMHEX'), /MEMHEX: 'z'/);
  assert.throws(() => parseHex('abc', 'MEMHEX'), /odd number of hex digits \(3\)/);
});

test('--engine jit and --engine interp give the same r0; --blind-constants is for the JIT', () => {
  // r0 = *(u32 *)(r1 + 0); r0 += 0x41414141
  const program = `61 10 00 00 00 00 00 00\n07 00 00 00 41 41 41 41\n${EXIT}`;
  for (const engine of [['--engine', 'jit'], ['--engine', 'interp'], ['--engine', 'jit', '--blind-constants']]) {
    const r = sluice(['vm', 'exec', '01000000', ...engine], program);
    assert.is(r.stdout, '0x41414142\n', engine.join(' '));
    assert.is(r.status, 0);
  }
  const r = sluice(['vm', 'exec', '--engine', 'interp', '--blind-constants'], EXIT);
  assert.is(r.status, 2);
  assert.match(r.stderr, /--blind-constants applies to the JIT engine only/);
});

test('bad usage is a UsageError (exit 2), found before stdin is read', async () => {
  const usage = async (argv: string[], re: RegExp) => {
    try {
      await command.run(argv);
      assert.unreachable('expected a UsageError');
    } catch (err) {
      assert.instance(err, UsageError);
      assert.match((err as Error).message, re);
    }
  };
  await usage([], /expected a subcommand: exec/);
  await usage(['run'], /unknown subcommand 'run'/);
  await usage(['exec', '--engine', 'fast'], /--engine expects one of interp, jit, got 'fast'/);
  await usage(['exec', '00', '11'], /unexpected argument '11'/);
  const r = sluice(['vm', 'exec', '--engine', 'fast'], EXIT);
  assert.is(r.status, 2);
});

test.run();
