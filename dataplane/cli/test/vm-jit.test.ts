// `sluice vm exec --engine jit` with programs that fault: the real executable is spawned,
// the fault must come back as exit status 1 and a message naming the eBPF pc — never a
// crash (a signal would show as status null). Programs are hand-encoded from RFC 9669's
// byte layout (opcode, regs dst|src<<4, off little-endian 16, imm little-endian 32).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requires } from '../../../scripts/testkit/skip.ts';
import { hasNativeLibrary } from '../../../jit/x86/test/native.ts';

const bin = fileURLToPath(new URL('../bin.mjs', import.meta.url));
const EXIT = '95 00 00 00 00 00 00 00';

function sluice(args: string[], stdin: string) {
  const r = spawnSync(process.execPath, [bin, 'vm', 'exec', '--engine', 'jit', ...args], { input: stdin, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function faults(args: string[], program: string, message: RegExp): void {
  const r = sluice(args, program);
  assert.is(r.signal, null, `the process died of ${r.signal}`);
  assert.is(r.stdout, '');
  assert.match(r.stderr, message);
  assert.is(r.status, 1, r.stderr);
}

if (requires('sluice vm exec --engine jit', hasNativeLibrary())) {
  test('a read through a wild pointer exits 1 naming the pc and the address', () => {
    // r1 = 0x4141414141 ll (pc 0-1); r0 = *(u64 *)(r1 + 0) (pc 2)
    faults([], `18 01 00 00 41 41 41 41 00 00 00 00 41 00 00 00\n79 10 00 00 00 00 00 00\n${EXIT}`,
      /^sluice vm: pc 2: read of 8 bytes at 0x4141414141 is outside every region/);
  });

  test('a write one byte past the input exits 1 naming the pc', () => {
    // r3 = 7 (pc 0); *(u8 *)(r1 + 3) = r3 (pc 1, fine); *(u32 *)(r1 + 1) = r3 (pc 2: bytes 1-4 of 4)
    faults(['01020304'], `b7 03 00 00 07 00 00 00\n73 31 03 00 00 00 00 00\n63 31 01 00 00 00 00 00\n${EXIT}`,
      /^sluice vm: pc 2: write of 4 bytes at 0x[0-9a-f]+ is outside every region/);
  });

  test('a store below the stack exits 1 naming the pc', () => {
    // r0 = 0; *(u64 *)(r10 - 520) = 0 (pc 1)
    faults([], `b7 00 00 00 00 00 00 00\n7a 0a f8 fd 00 00 00 00\n${EXIT}`, /^sluice vm: pc 1: write of 8 bytes at 0x[0-9a-f]+ is outside every region/);
  });

  test('an atomic add at the null pointer exits 1 naming the pc, blinded or not', () => {
    // r2 = 0; lock *(u64 *)(r2 + 8) += r2 (pc 1)
    for (const extra of [[], ['--blind-constants']]) {
      faults(extra, `b7 02 00 00 00 00 00 00\ndb 22 08 00 00 00 00 00\n${EXIT}`, /^sluice vm: pc 1: write of 8 bytes at 0x8 is outside every region/);
    }
  });

  test('an endless loop exits 1 at the step limit', () => {
    faults([], '05 00 ff ff 00 00 00 00', /^sluice vm: pc 0: step limit/); // goto -1
  });

  test('a program that does not fault still runs: helper 5, the input, r0 in hex', () => {
    // r6 = *(u16 *)(r1 + 0); r1 = r6; call 5; r0 += r6 (r6 survives calls)
    const r = sluice(['3412'], `69 16 00 00 00 00 00 00\nbf 61 00 00 00 00 00 00\n85 00 00 00 05 00 00 00\n0f 60 00 00 00 00 00 00\n${EXIT}`);
    assert.is(r.stderr, '');
    assert.is(r.stdout, '0x2468\n'); // 0x1234 twice
    assert.is(r.status, 0);
  });
}

test.run();
