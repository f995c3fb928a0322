// The sandbox (JitOptions.sandbox) and the guard (dataplane/shim/guard.c): raw programs
// whose accesses land anywhere agree with the interpreter — the same r0 and input bytes, or
// a memory fault at the same pc; hardware faults in unchecked code come back as reports,
// thousands of times, without harming the process; budgets, callx checks, frames.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Interpreter, VmError } from '../../interp/interpreter.ts';
import { echoHelper } from '../../interp/raw.ts';
import { disassemble } from '../../isa/disasm.ts';
import { assemble } from '../../isa/asm.ts';
import type { Instruction } from '../../isa/instruction.ts';
import { AluOp, AtomicOp, Class, JmpOp, Mode, Size, Source } from '../../isa/opcode.ts';
import { guardBindings } from '../../../dataplane/ffi.ts';
import { JitProgram } from '../../../dataplane/jit-program.ts';
import { compileRaw, describeFault, RawJitError, runRawJit } from '../../../dataplane/raw-jit.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { hasNativeLibrary } from './native.ts';

const I = (opcode: number, dst: number, src: number, off: number, imm: number): Instruction => ({ opcode, dst, src, off, imm });
const SIZES = [Size.B, Size.H, Size.W, Size.DW];
const BYTES = { [Size.B]: 1, [Size.H]: 2, [Size.W]: 4, [Size.DW]: 8 } as const;

function generator(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s % n; };
}

/**
 * Loads, stores and atomics through pointers into (and just around) the input and the stack:
 * r6 = input, r7 = somewhere in the stack, r8 = the input's end; offsets straddle every edge.
 */
function randomAccesses(seed: number): { program: Instruction[]; memory: Uint8Array } {
  const rnd = generator(seed);
  const memory = Uint8Array.from({ length: rnd(20) }, () => rnd(256));
  const depth = rnd(520); // r7 = r10 - depth
  const out: Instruction[] = [
    I(Class.ALU64 | AluOp.MOV | Source.X, 6, 1, 0, 0),
    I(Class.ALU64 | AluOp.MOV | Source.X, 7, 10, 0, 0),
    I(Class.ALU64 | AluOp.ADD | Source.K, 7, 0, 0, -depth),
    I(Class.ALU64 | AluOp.MOV | Source.X, 8, 1, 0, 0),
    I(Class.ALU64 | AluOp.ADD | Source.X, 8, 2, 0, 0),
    I(Class.ALU64 | AluOp.MOV | Source.K, 0, 0, 0, 0),
  ];
  for (let k = 0; k < 4; k++) {
    const base = [1, 6, 7, 8, 10][rnd(5)]!;
    const size = SIZES[rnd(4)]!;
    // Mostly inside, sometimes a few bytes over an edge.
    const off = base === 10 ? -1 - rnd(516) : base === 7 ? depth - 1 - rnd(516)
      : base === 8 ? -1 - rnd(memory.length + 3) : rnd(memory.length + 3) - 1;
    const kind = rnd(6);
    if (kind < 3) out.push(I(Class.LDX | Mode.MEM | size, 3, base, off, 0), I(Class.ALU64 | AluOp.ADD | Source.X, 0, 3, 0, 0));
    else if (kind === 3) out.push(I(Class.ST | Mode.MEM | size, base, 0, off, 0x5a5a5a5a));
    else if (kind === 4) out.push(I(Class.STX | Mode.MEM | size, base, 0, off, 0));
    else if (size === Size.W || size === Size.DW) out.push(I(Class.STX | Mode.ATOMIC | size, base, 0, off, AtomicOp.ADD));
    else out.push(I(Class.ALU64 | AluOp.ADD | Source.K, 6, 0, 0, rnd(5) - 2)); // move a pointer a little
  }
  out.push(I(Class.JMP | JmpOp.EXIT, 0, 0, 0, 0));
  return { program: out, memory };
}

type Result = { r0: bigint; memory: number[] } | { fault: string; pc: number };

function interpreted(program: Instruction[], memory: Uint8Array): Result {
  const input = memory.slice();
  try {
    const { r0 } = new Interpreter(program, { helpers: new Map([[5, echoHelper]]) }).run(input.length > 0 ? { input } : {});
    return { r0: BigInt.asUintN(64, r0), memory: [...input] };
  } catch (err) {
    if (err instanceof VmError) return { fault: err.kind, pc: err.pc };
    throw err;
  }
}

function jitted(program: Instruction[], memory: Uint8Array): Result {
  try {
    const r = runRawJit(program, memory);
    return { r0: r.r0, memory: [...r.memory] };
  } catch (err) {
    if (err instanceof RawJitError) return { fault: err.kind ?? '?', pc: err.pc };
    throw err;
  }
}

if (requires('the sandboxed JIT and the guard', hasNativeLibrary())) {
  test('600 random programs of wild accesses: the sandboxed JIT and the interpreter agree (r0 and bytes, or the faulting pc)', () => {
    let faults = 0;
    for (let seed = 1; seed <= 600; seed++) {
      const { program, memory } = randomAccesses(seed);
      const want = interpreted(program, memory);
      const got = jitted(program, memory);
      if ('fault' in want) faults++;
      assert.equal(got, want, `seed ${seed}, memory of ${memory.length} bytes:\n${program.map((p, i) => `${i}: ${disassemble(p)}`).join('\n')}`);
    }
    assert.ok(faults > 100 && faults < 550, `${faults} of 600 programs faulted: the generator should mix both`);
  });

  test('the guard reports hardware faults of unchecked JIT code with the pc, and the process goes on', () => {
    // No sandbox: plain function-entry code, the load really goes to the address.
    const wild = assemble('r1 = 0x4141414141410000 ll\nr0 = *(u64 *)(r1 + 8)\nexit');
    const p = JitProgram.compile(wild, { entry: 'function', rewriteContext: false });
    try {
      const guard = guardBindings();
      for (let i = 0; i < 2000; i++) {
        const { fault } = guard.call(p.entry, 0n, 0n, 0n);
        assert.ok(fault, 'no fault reported');
        assert.is(fault.signo, 11); // SIGSEGV (a non-canonical address: si_addr is 0 for a general protection fault)
        if (i === 0) {
          const err = describeFault(p, fault, 0);
          assert.is(err.pc, 2, err.message);
          assert.is(err.kind, 'memory');
          assert.match(err.message, /SIGSEGV/);
        }
      }
      const zero = JitProgram.compile(assemble('r1 = 0\n*(u32 *)(r1 + 16) = 7\nr0 = 1\nexit'), { entry: 'function', rewriteContext: false });
      const { fault } = guard.call(zero.entry, 0n, 0n, 0n);
      assert.is(fault?.addr, 16n); // a canonical address: the kernel says which
      assert.is(describeFault(zero, fault!, 0).pc, 1);
      zero.free();
      const plain = JitProgram.compile(assemble('r0 = r1\nr0 += r2\nexit'), { entry: 'function', rewriteContext: false });
      assert.equal(guard.call(plain.entry, 40n, 2n, 0n), { r0: 42n, fault: undefined });
      plain.free();
    } finally {
      p.free();
    }
  });

  test('the guard puts the previous handlers back: the process catches the same signals before and after', () => {
    // SigCgt: the signals this process has a handler for (Node catches SIGSEGV for WebAssembly, not SIGILL/SIGBUS/SIGFPE).
    const caught = (): string => /^SigCgt:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
    const before = caught();
    assert.ok(before !== '', 'no SigCgt line in /proc/self/status');
    const trap = JitProgram.compile(assemble('r1 = 0\nr0 = *(u64 *)(r1 + 0)\nexit'), { entry: 'function', rewriteContext: false });
    try {
      assert.ok(guardBindings().call(trap.entry, 0n, 0n, 0n).fault);
      assert.is(caught(), before);
      assert.throws(() => runRawJit(assemble('r1 = 0\nr0 = *(u64 *)(r1 + 0)\nexit'), new Uint8Array(0)), /pc 1: read of 8 bytes at 0x0/);
      assert.is(caught(), before);
      // A session keeps the handlers (SIGILL among them: bit 3) between calls, and puts the old ones back at its end.
      const guard = guardBindings();
      guard.begin();
      try {
        assert.is((BigInt(`0x${caught()}`) >> 3n) & 1n, 1n, 'SIGILL not caught inside a session');
        for (let i = 0; i < 100; i++) assert.is(guard.call(trap.entry, 0n, 0n, 0n).fault?.signo, 11);
      } finally {
        guard.end();
      }
      assert.is(caught(), before);
    } finally {
      trap.free();
    }
  });

  test('a runaway loop stops at the budget with a step-limit fault at the backward jump', () => {
    const loop = assemble('r0 = 0\nloop:\nr0 += 1\nif r0 != 0 goto loop\nexit');
    try {
      runRawJit(loop, new Uint8Array(0), { budget: 1000 });
      assert.unreachable('the loop returned');
    } catch (err) {
      assert.instance(err, RawJitError);
      assert.is((err as RawJitError).kind, 'step-limit');
      assert.is((err as RawJitError).pc, 2);
    }
    // Calls spend the budget too: 1 + 20 + 400 + 8,000 calls, no loop, f4 runs 20^3 times.
    const fan = (name: string, callee: string): string => `${name}:\n${Array(20).fill(`call ${callee}`).join('\n')}\nexit`;
    const calls = assemble(`call f1\nexit\n${fan('f1', 'f2')}\n${fan('f2', 'f3')}\n${fan('f3', 'f4')}\nf4:\nr0 += 1\nexit`);
    assert.is(runRawJit(calls, new Uint8Array(0), { budget: 9000 }).r0, 8000n);
    assert.throws(() => runRawJit(calls, new Uint8Array(0), { budget: 5000 }), /step limit/);
    // A loop within the budget runs to the end.
    assert.is(runRawJit(assemble('r0 = 0\nloop:\nr0 += 1\nif r0 < 999 goto loop\nexit'), new Uint8Array(0), { budget: 1000 }).r0, 999n);
  });

  test('callx only enters the program\'s own subprograms', () => {
    assert.is(runRawJit(assemble('r2 = func(f) ll\nr1 = 5\ncallx r2\nexit\nf:\nr0 = r1\nexit'), new Uint8Array(0)).r0, 5n);
    try {
      runRawJit(assemble('r2 = func(f) ll\nr2 += 1\ncallx r2\nexit\nf:\nr0 = r1\nexit'), new Uint8Array(0));
      assert.unreachable('a call into the middle of a subprogram ran');
    } catch (err) {
      assert.is((err as RawJitError).kind, 'callx');
      assert.is((err as RawJitError).pc, 3);
    }
  });

  test('frames: a subprogram reaches its caller\'s frame through a pointer, not below its own', () => {
    const ok = assemble('r1 = r10\nr1 += -8\n*(u64 *)(r10 - 8) = 0\ncall f\nr0 = *(u64 *)(r10 - 8)\nexit\nf:\n*(u64 *)(r1 + 0) = 77\nexit');
    assert.is(runRawJit(ok, new Uint8Array(0)).r0, 77n);
    assert.equal(interpreted(ok, new Uint8Array(0)), { r0: 77n, memory: [] });
    const below = assemble('call f\nexit\nf:\nr0 = *(u8 *)(r10 - 513)\nexit');
    assert.equal(jitted(below, new Uint8Array(0)), { fault: 'memory', pc: 2 });
    assert.equal(interpreted(below, new Uint8Array(0)), { fault: 'memory', pc: 2 });
  });

  test('the program\'s writes to its input come back; the input copy ends at a guard page', () => {
    const r = runRawJit(assemble('*(u16 *)(r1 + 1) = 0x3412\nr0 = r2\nexit'), Uint8Array.of(1, 2, 3, 4));
    assert.equal([...r.memory], [1, 0x12, 0x34, 4]);
    const guard = guardBindings();
    const sb = guard.sandboxCreate(new Uint8Array(100), 4096, 1n);
    try {
      const { address, length } = guard.sandboxInput(sb);
      assert.is(length, 100);
      assert.is(Number((address + 100n) % 4096n), 0);
    } finally {
      guard.sandboxFree(sb);
    }
  });

  test('blinded and sandboxed at once: distinctive constants stay out of the code, results stay right', () => {
    const program = assemble('r0 = 0x41414141\n*(u32 *)(r1 + 0) = 0x42424242\nr3 = *(u32 *)(r1 + 0)\nr0 += r3\nexit');
    const p = compileRaw(program, { blindConstants: true });
    const code = Buffer.from(p.jit.code);
    p.free();
    assert.is(code.indexOf(Buffer.from([0x41, 0x41, 0x41, 0x41])), -1);
    assert.is(code.indexOf(Buffer.from([0x42, 0x42, 0x42, 0x42])), -1);
    assert.is(runRawJit(program, new Uint8Array(4), { blindConstants: true }).r0, 0x41414141n + 0x42424242n);
  });
}

test.run();
