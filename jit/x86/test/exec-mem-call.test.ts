// Memory, atomics and calls run natively. r1 points to the case's memory (RFC 9669
// semantics: atomics are read-modify-write on the memory; fetch forms return the old
// value in src — r0 for cmpxchg — zero-extended for 32-bit; r6-r9 and each frame's
// stack survive calls).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assemble } from '../../isa/asm.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { JitError } from '../errors.ts';
import { jitCompile } from '../compile.ts';
import { hasNativeLibrary, runBurst, runWithMemory } from './native.ts';
import { execBindings } from '../../../dataplane/ffi.ts';

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const le64 = (...vs: bigint[]): Uint8Array => {
  const b = new Uint8Array(8 * vs.length);
  vs.forEach((v, i) => new DataView(b.buffer).setBigUint64(8 * i, U64(v), true));
  return b;
};
const word = (mem: Uint8Array, i: number): bigint => new DataView(mem.buffer, mem.byteOffset).getBigUint64(8 * i, true);

function run(text: string, memory: Uint8Array = new Uint8Array(0)): { r0: bigint; memory: Uint8Array } {
  return runWithMemory(assemble(text), memory);
}

if (requires('memory, atomics and calls run natively', hasNativeLibrary())) {
  test('loads: zero- and sign-extending, every size', () => {
    const mem = Uint8Array.from([0x80, 0xff, 0xfe, 0xff, 0x01, 0x02, 0x03, 0x84]);
    assert.is(run('r0 = *(u8 *)(r1 + 0)\nexit', mem).r0, 0x80n);
    assert.is(run('r0 = *(u16 *)(r1 + 0)\nexit', mem).r0, 0xff80n);
    assert.is(run('r0 = *(u32 *)(r1 + 0)\nexit', mem).r0, 0xfffeff80n);
    assert.is(run('r0 = *(u64 *)(r1 + 0)\nexit', mem).r0, 0x84030201fffeff80n);
    assert.is(run('r0 = *(s8 *)(r1 + 0)\nexit', mem).r0, U64(-128n));
    assert.is(run('r0 = *(s16 *)(r1 + 0)\nexit', mem).r0, U64(-128n));
    assert.is(run('r0 = *(s32 *)(r1 + 4)\nexit', mem).r0, U64(-0x7bfcfdffn));
  });

  test('stores of registers and immediates, every size, through r2 (sil) and r1', () => {
    const { memory } = run('r2 = 0x1122334455667788 ll\n*(u8 *)(r1 + 0) = r2\n*(u16 *)(r1 + 2) = r2\n*(u32 *)(r1 + 4) = r2\n' +
      '*(u64 *)(r1 + 8) = r2\n*(u8 *)(r1 + 16) = -1\n*(u16 *)(r1 + 18) = 0x1234\n*(u32 *)(r1 + 20) = -2\n*(u64 *)(r1 + 24) = -3\nr0 = 0\nexit', new Uint8Array(32));
    assert.equal([...memory.subarray(0, 8)], [0x88, 0, 0x88, 0x77, 0x88, 0x77, 0x66, 0x55]);
    assert.is(word(memory, 1), 0x1122334455667788n);
    assert.equal([...memory.subarray(16, 24)], [0xff, 0, 0x34, 0x12, 0xfe, 0xff, 0xff, 0xff]);
    assert.is(word(memory, 3), U64(-3n));
  });

  test('the stack: r10 - 512 to r10 is usable', () => {
    assert.is(run('r1 = 7\n*(u64 *)(r10 - 512) = r1\n*(u64 *)(r10 - 8) = 5\nr0 = *(u64 *)(r10 - 512)\nr2 = *(u64 *)(r10 - 8)\nr0 += r2\nexit').r0, 12n);
  });

  test('atomic add without and with fetch', () => {
    const a = run('r2 = 5\nlock *(u64 *)(r1 + 0) += r2\nr0 = *(u64 *)(r1 + 0)\nexit', le64(10n));
    assert.is(a.r0, 15n);
    const b = run('r2 = 5\nr2 = atomic_fetch_add((u64 *)(r1 + 0), r2)\nr0 = *(u64 *)(r1 + 0)\nr0 *= 100\nr0 += r2\nexit', le64(10n));
    assert.is(b.r0, 1510n);
    const c = run('r2 = -1 ll\nw2 = atomic_fetch_add((u32 *)(r1 + 0), w2)\nr0 = r2\nexit', le64(0x1_0000_0010n));
    assert.is(c.r0, 0x10n, '32-bit fetch zero-extends src');
    assert.is(word(c.memory, 0), 0x1_0000_000fn, 'a 32-bit atomic touches 4 bytes only');
  });

  test('atomic or/and/xor without fetch', () => {
    const m = run('r2 = 0xf0\nlock *(u64 *)(r1 + 0) |= r2\nr2 = 0x3c\nlock *(u64 *)(r1 + 8) &= r2\nr2 = 0xff\nlock *(u32 *)(r1 + 16) ^= w2\nr0 = 0\nexit',
      le64(0x0fn, 0x0fn, 0xf0fn)).memory;
    assert.is(word(m, 0), 0xffn);
    assert.is(word(m, 1), 0x0cn);
    assert.is(word(m, 2), 0xff0n);
  });

  for (const [name, op, f] of [['or', '|', (a: bigint, b: bigint) => a | b], ['and', '&', (a: bigint, b: bigint) => a & b], ['xor', '^', (a: bigint, b: bigint) => a ^ b]] as const) {
    test(`atomic fetch_${name} (cmpxchg loop) returns the old value and keeps r0`, () => {
      const old = 0x123456789abcdef0n, operand = 0x0ff00ff00ff00ff0n;
      const r = run(`r0 = 77\nr2 = ${operand} ll\nr2 = atomic_fetch_${name}((u64 *)(r1 + 0), r2)\n*(u64 *)(r1 + 8) = r2\n*(u64 *)(r1 + 16) = r0\nr0 = 0\nexit`, le64(old, 0n, 0n));
      assert.is(word(r.memory, 0), f(old, operand), `memory ${op}=`);
      assert.is(word(r.memory, 1), old, 'the fetched value');
      assert.is(word(r.memory, 2), 77n, 'r0 survives the cmpxchg loop');
      const w = run(`r2 = ${operand} ll\nw2 = atomic_fetch_${name}((u32 *)(r1 + 0), w2)\nr0 = r2\nexit`, le64(old));
      assert.is(w.r0, old & 0xffffffffn, '32-bit: the old low word, zero-extended');
      assert.is(word(w.memory, 0), (old & ~0xffffffffn) | (f(old, operand) & 0xffffffffn));
    });
  }

  test('fetch forms with r0 as src and as the address', () => {
    const a = run('r0 = 0xff\nr0 = atomic_fetch_xor((u64 *)(r1 + 0), r0)\nexit', le64(0x0fn));
    assert.is(a.r0, 0x0fn);
    assert.is(word(a.memory, 0), 0xf0n);
    const b = run('r0 = r1\nr2 = 0x3\nr2 = atomic_fetch_and((u64 *)(r0 + 8), r2)\nr0 = r2\nexit', le64(0n, 0x6n));
    assert.is(b.r0, 6n);
    assert.is(word(b.memory, 1), 2n);
  });

  test('xchg', () => {
    const r = run('r2 = 9\nr2 = xchg_64(r1 + 0, r2)\nr0 = r2\nexit', le64(4n));
    assert.is(r.r0, 4n);
    assert.is(word(r.memory, 0), 9n);
    const w = run('r2 = -1\nw2 = xchg32_32(r1 + 0, w2)\nr0 = r2\nexit', le64(0x5_0000_0004n));
    assert.is(w.r0, 4n, 'zero-extended');
    assert.is(word(w.memory, 0), 0x5_ffff_ffffn);
  });

  test('cmpxchg: success stores, failure does not; r0 gets the old value', () => {
    const ok = run('r0 = 4\nr2 = 9\nr0 = cmpxchg_64(r1 + 0, r0, r2)\nexit', le64(4n));
    assert.is(ok.r0, 4n);
    assert.is(word(ok.memory, 0), 9n);
    const no = run('r0 = 5\nr2 = 9\nr0 = cmpxchg_64(r1 + 0, r0, r2)\nexit', le64(4n));
    assert.is(no.r0, 4n);
    assert.is(word(no.memory, 0), 4n);
    const w = run('r0 = 0xffffffff0000000a ll\nr2 = 9\nw0 = cmpxchg32_32(r1 + 0, w0, w2)\nexit', le64(10n));
    assert.is(w.r0, 10n, 'a successful 32-bit cmpxchg zero-extends r0');
    assert.is(word(w.memory, 0), 9n);
  });

  test('helper calls: arguments in r1-r5, result in r0, r6-r9 preserved', () => {
    assert.is(run('r6 = 1\nr7 = 2\nr8 = 3\nr9 = 4\nr1 = 40\ncall 5\nr0 += r6\nr0 += r7\nr0 += r8\nr0 += r9\nexit').r0, 50n);
  });

  test('helpers are called with the stack 16-byte aligned (System V), from the main program and from subprograms', () => {
    // A native "helper" returning rsp % 16 at its entry: 8 when the caller had rsp aligned before `call`.
    const exec = execBindings();
    const code = Uint8Array.from([0x48, 0x89, 0xe0, 0x83, 0xe0, 0x0f, 0xc3]); // mov rax, rsp; and eax, 15; ret
    const probe = exec.install(code);
    try {
      const opts = { helperAddress: (id: number) => (id === 7 ? probe : undefined) };
      assert.is(runWithMemory(assemble('call 7\nexit'), new Uint8Array(0), opts).r0, 8n);
      assert.is(runWithMemory(assemble('call f\nexit\nf:\ncall g\nexit\ng:\ncall 7\nexit'), new Uint8Array(0), opts).r0, 8n);
      const burst = runBurst(assemble('call f\nexit\nf:\ncall 7\nexit'), [new Uint8Array(20)], opts);
      assert.equal(burst.verdicts, [8]);
      assert.equal(runBurst(assemble('call 7\nexit'), [new Uint8Array(20)], opts).verdicts, [8]);
    } finally {
      exec.free(probe, code.length);
    }
  });

  test('a subprogram is a System V function: a native helper can call it back (as bpf_loop does)', () => {
    // helper 8 (r1 = callback, r2 = argument): sub rsp, 8; mov rax, rdi; mov rdi, rsi; call rax; add rsp, 8; ret
    const exec = execBindings();
    const code = Uint8Array.from([0x48, 0x83, 0xec, 0x08, 0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7, 0xff, 0xd0, 0x48, 0x83, 0xc4, 0x08, 0xc3]);
    const caller = exec.install(code);
    try {
      const opts = { helperAddress: (id: number) => (id === 8 ? caller : undefined) };
      const text = 'r6 = 3\n*(u64 *)(r10 - 8) = 100\nr1 = func(cb) ll\nr2 = 20\ncall 8\nr0 += r6\nr1 = *(u64 *)(r10 - 8)\nr0 += r1\nexit\n' +
        'cb:\nr6 = 1000\n*(u64 *)(r10 - 8) = 7\nr0 = r1\nr0 *= 2\nexit';
      assert.is(runWithMemory(assemble(text), new Uint8Array(0), opts).r0, 40n + 3n + 100n);
    } finally {
      exec.free(caller, code.length);
    }
  });

  test('bpf-to-bpf calls: own stack frames, r6-r9 preserved, nested', () => {
    const text = `
      r6 = 1
      *(u64 *)(r10 - 8) = 5
      r1 = 10
      call double
      r0 += r6
      r1 = *(u64 *)(r10 - 8)
      r0 += r1
      exit
    double:
      r6 = 100
      *(u64 *)(r10 - 8) = 9
      call twice
      r0 = *(u64 *)(r10 - 8)
      r0 *= 0
      r0 += r1
      r0 += r1
      exit
    twice:
      *(u64 *)(r10 - 8) = 11
      r1 = r1
      r0 = 0
      exit`;
    assert.is(run(text).r0, 10n + 10n + 1n + 5n);
  });

  test('a subprogram passes a pointer to its frame down; r10 differs per frame', () => {
    const text = `
      r1 = r10
      call f
      r0 -= r10
      exit
    f:
      r0 = r10
      r0 -= r1
      r0 += r10
      exit`;
    // f returns 2 * f.r10 - main.r10; main subtracts main.r10: r0 = 2 * (f.r10 - main.r10).
    const r0 = BigInt.asIntN(64, run(text).r0);
    assert.ok(r0 !== 0n, 'the callee has a frame of its own');
    assert.is(r0 % 2n, 0n);
    assert.ok(-r0 / 2n >= 512n, 'the callee frame lies below the caller frame');
  });

  test('callx through an lddw of a function', () => {
    assert.is(run('r6 = 3\nr2 = func(f) ll\nr1 = 20\ncallx r2\nr0 += r6\nexit\nf:\nr0 = r1\nr0 += 1\nexit').r0, 24n);
  });

  test('compile errors: unknown helper, tail call, recursion, deep calls, bad jump, unrelocated map', () => {
    const fails = (text: string, pattern: RegExp, entry: 'burst' | 'function' = 'burst'): void => {
      assert.throws(() => jitCompile(assemble(text), { rewriteContext: false, entry }), (e: Error) => e instanceof JitError && pattern.test(e.message), text);
    };
    fails('call 99\nexit', /pc 0: unknown helper 99/);
    fails('r0 = 0\ncall 12\nexit', /pc 1: tail calls are supported from the main program of a burst entry only/, 'function');
    fails('call f\nexit\nf:\ncall 12\nexit', /pc 2: tail calls are supported from the main program/);
    fails('call f\nexit\nf:\ncall f\nexit', /recursive call/);
    const deep = Array.from({ length: 9 }, (_, i) => `f${i}:\ncall f${i + 1}\nexit`).join('\n');
    fails(`call f0\nexit\n${deep}\nf9:\nr0 = 0\nexit`, /call chain of \d+ frames/);
    fails('call f\nexit\nf:\nif r1 == 0 goto -3\nexit', /jump to pc 0, outside its function/);
    fails('r1 = map_fd(3) ll\nexit', /must be relocated/);
    fails('r0 = 0', /falls through/);
    fails('r0 = 0\nr10 += 8\nexit', /pc 1: r10 \(the frame pointer\) is read-only/);
    fails('r0 = 0\nr10 = atomic_fetch_add((u64 *)(r1 + 0), r10)\nexit', /pc 1: r10 \(the frame pointer\) is read-only/);
  });
}

test.run();
