// The interpreter's API: results, limits, errors, regions, helpers, lddw
// resolution. Instruction semantics are covered by jit/semantics' data files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assemble } from '../../isa/asm.ts';
import { DecodeError, RunError, SluiceError } from '../../errors.ts';
import { LDDW, PseudoLd, STACK_SIZE } from '../../isa/opcode.ts';
import type { Instruction } from '../../isa/instruction.ts';
import { Interpreter, type InterpreterOptions } from '../interpreter.ts';
import { VmError } from '../errors.ts';
import { HEAP_REGION_BASE, stackBase } from '../memory.ts';

const vmOf = (text: string, options: InterpreterOptions = {}) => new Interpreter(assemble(text), options);

function fault(fn: () => unknown): VmError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, VmError);
    assert.instance(err, RunError);
    return err as VmError;
  }
  throw new assert.Assertion({ message: 'expected a VmError', generated: false, operator: 'throws', actual: 'no error', expects: 'VmError' });
}

test('run returns r0 and the number of instructions executed', () => {
  const result = vmOf('r0 = 1\nr0 += 2\nr0 *= 3\nexit').run();
  assert.is(result.r0, 9n);
  assert.is(result.steps, 4);
});

test('steps count every executed instruction of a loop', () => {
  // 2 setup + 10 iterations of 3 + exit
  const result = vmOf('r0 = 0\nr1 = 10\nloop:\nr0 += 1\nr1 -= 1\nif r1 != 0 goto loop\nexit').run();
  assert.is(result.r0, 10n);
  assert.is(result.steps, 2 + 30 + 1);
});

test('the step limit stops a runaway loop', () => {
  const err = fault(() => vmOf('r0 = 0\nloop:\nr0 += 1\ngoto loop', { maxSteps: 1000 }).run());
  assert.is(err.kind, 'step-limit');
  assert.match(err.message, /1000 instructions/);
});

test('the interpreter can run again after a fault', () => {
  const vm = vmOf('r0 = *(u8 *)(r1 + 0)\nexit');
  assert.is(fault(() => vm.run()).kind, 'memory');
  assert.is(vm.run({ input: Uint8Array.of(7) }).r0, 7n);
});

test('a bad access names the pc, the instruction, the address and the size', () => {
  const vm = vmOf('r0 = 0\nr0 = *(u32 *)(r1 + 4)\nexit');
  const err = fault(() => vm.run({ input: Uint8Array.of(1, 2) }));
  assert.is(err.kind, 'memory');
  assert.is(err.pc, 1);
  assert.match(err.message, /^pc 1: read of 4 bytes at 0x/);
  assert.match(err.message, `0x${(HEAP_REGION_BASE + 4n).toString(16)}`);
  assert.match(err.message, '`r0 = *(u32 *)(r1 + 4)`');
  assert.match(err.message, "past the end of 'input'");
});

test('an access across a region end is refused even when it starts inside', () => {
  const err = fault(() => vmOf('r0 = *(u64 *)(r1 + 2)\nexit').run({ input: new Uint8Array(8) }));
  assert.match(err.message, /crosses the end of region 'input'/);
});

test('r10 points just past a 512-byte frame; r1/r2 describe the input', () => {
  const vm = vmOf('r0 = r10\nexit');
  assert.is(vm.run().r0, stackBase(0) + BigInt(STACK_SIZE));
  const input = new Uint8Array(5);
  const r = vmOf('r0 = r1\nr0 += r2\nexit').run({ input });
  assert.is(r.r0, HEAP_REGION_BASE + 5n);
});

test('read-only regions can be read but not written', () => {
  const vm = vmOf('r0 = *(u8 *)(r1 + 0)\n*(u8 *)(r1 + 0) = 1\nexit');
  const rodata = vm.memory.map(Uint8Array.of(42), { name: '.rodata', readonly: true });
  const err = fault(() => vm.run({ args: [rodata.start] }));
  assert.is(err.kind, 'memory');
  assert.is(err.pc, 1);
  assert.match(err.message, /write of 1 byte at .* into read-only region '\.rodata'/);
  assert.is(rodata.bytes[0], 42);
});

test('regions mapped between runs persist; regions of a run are dropped after it', () => {
  const vm = vmOf('r0 = *(u8 *)(r1 + 0)\nexit');
  const keep = vm.memory.map(Uint8Array.of(3));
  const before = vm.memory.list().length;
  assert.is(vm.run({ regions: [{ bytes: Uint8Array.of(9), name: 'tmp' }], args: (m) => [m[0]!.start] }).r0, 9n);
  assert.is(vm.memory.list().length, before);
  assert.is(vm.run({ args: [keep.start] }).r0, 3n);
});

test('a region can sit at a fixed address (native memory) and may not overlap another', () => {
  const vm = vmOf('r0 = *(u16 *)(r1 + 0)\nexit');
  const at = 0x5555_0000_1000n;
  const bytes = Uint8Array.of(0x34, 0x12);
  assert.is(vm.run({ regions: [{ bytes, at }], args: [at] }).r0, 0x1234n);
  vm.memory.map(new Uint8Array(16), { at: 0x6000n, name: 'a' });
  assert.throws(() => vm.memory.map(new Uint8Array(16), { at: 0x6008n, name: 'b' }), /overlaps 'a'/);
});

test('automatic placement steps over regions mapped at fixed addresses', () => {
  const vm = vmOf('exit');
  const fixed = vm.memory.map(new Uint8Array(0x30000), { at: HEAP_REGION_BASE + 0x20000n, name: 'fixed' });
  const a = vm.memory.map(new Uint8Array(0x10000));
  const b = vm.memory.map(new Uint8Array(0x10000));
  for (const r of [a, b]) assert.ok(r.end <= fixed.start || r.start >= fixed.end, 'no overlap');
  assert.ok(b.start >= a.end);
});

test('helpers read and write buffers through checked views', () => {
  const vm = vmOf('r1 = r10\nr1 += -16\nr2 = 16\ncall 1\nr0 = *(u64 *)(r10 - 8)\nexit', {
    helpers: { 1: (ctx, r1, r2) => { ctx.memory.bytesAt(r1, Number(r2), 'write').fill(1); return 0n; } },
  });
  assert.is(vm.run().r0, 0x0101010101010101n);
  const over = vmOf('r1 = r10\nr1 += -16\nr2 = 17\ncall 1\nexit', {
    helpers: { 1: (ctx, r1, r2) => { ctx.memory.bytesAt(r1, Number(r2)); return 0n; } },
  });
  assert.is(fault(() => over.run()).kind, 'memory');
});

test('a helper returning a non-integer is a helper error', () => {
  const err = fault(() => vmOf('call 1\nexit', { helpers: { 1: () => 0.5 } }).run());
  assert.is(err.kind, 'helper');
});

test('helpers get r1-r5 and the call pc, and their result lands in r0', () => {
  const seen: bigint[] = [];
  let pc = -1;
  const vm = vmOf('r1 = 1\nr2 = 2\nr3 = 3\nr4 = 4\nr5 = -1\ncall 7\nexit', {
    helpers: { 7: (ctx, a, b, c, d, e) => { pc = ctx.pc; seen.push(a, b, c, d, e); return 99n; } },
  });
  assert.is(vm.run().r0, 99n);
  assert.equal(seen, [1n, 2n, 3n, 4n, (1n << 64n) - 1n]);
  assert.is(pc, 5);
});

test('a helper can map a region at run time (a map value) and the program reads it', () => {
  const value = Uint8Array.of(0xef, 0xbe, 0xad, 0xde);
  const vm = vmOf('call 1\nif r0 == 0 goto +1\nr0 = *(u32 *)(r0 + 0)\nexit', {
    helpers: new Map([[1, (ctx) => ctx.memory.map(value, { name: 'map value' }).start]]),
  });
  const regions = vm.memory.list().length;
  assert.is(vm.run().r0, 0xdeadbeefn);
  assert.is(vm.memory.list().length, regions, 'the run-time region is gone after the run');
});

test('a helper that throws stops the run with a helper error; an unknown helper too', () => {
  const vm = vmOf('call 3\nexit', { helpers: { 3: () => { throw new Error('boom'); } } });
  const err = fault(() => vm.run());
  assert.is(err.kind, 'helper');
  assert.match(err.message, /pc 0: helper 3 failed: boom/);
  assert.is(fault(() => vmOf('call 4\nexit').run()).kind, 'helper');
  const own = fault(() => vmOf('r0 = 0\ncall 3\nexit', { helpers: { 3: (ctx) => { throw new RunError('map full', ctx.pc); } } }).run());
  assert.is(own.kind, 'helper');
  assert.match(own.message, /^pc 1: map full, at `call 3`$/);
});

test('a helper touching bad memory is a memory fault at the call', () => {
  const vm = vmOf('r1 = 16\ncall 2\nexit', { helpers: { 2: (ctx, r1) => ctx.memory.load(r1, 8) } });
  const err = fault(() => vm.run());
  assert.is(err.kind, 'memory');
  assert.is(err.pc, 1);
});

test('lddw map references need relocation or a resolver', () => {
  const program = [{ opcode: LDDW, dst: 0, src: PseudoLd.MAP_FD, off: 0, imm: 5, imm2: 0 }, ...assemble('exit')];
  const err = fault(() => new Interpreter(program).run());
  assert.is(err.kind, 'unrelocated');
  assert.match(err.message, /map fd 5/);
  const vm = new Interpreter(program, { resolveLddw: (insn) => BigInt(insn.imm) * 0x1000n });
  assert.is(vm.run().r0, 0x5000n);
});

test('invalid instructions are refused when the interpreter is built', () => {
  assert.throws(() => new Interpreter([{ opcode: 0xff, dst: 0, src: 0, off: 0, imm: 0 }]), (e: unknown) => e instanceof DecodeError);
});

test('an empty program faults instead of crashing', () => {
  assert.is(fault(() => new Interpreter([]).run()).kind, 'bad-jump');
});

test('callx to a pc that is not an instruction is a bad jump', () => {
  assert.is(fault(() => vmOf('r1 = 100\ncallx r1\nexit').run()).kind, 'bad-jump');
  assert.is(fault(() => vmOf('r1 = -1\ncallx r1\nexit').run()).kind, 'bad-jump');
});

test('each local call gets a fresh zeroed frame one stack slot up', () => {
  const vm = vmOf('*(u64 *)(r10 - 8) = -1\ncall f\nexit\nf:\nr0 = *(u64 *)(r10 - 8)\nr0 += r10\nexit');
  assert.is(vm.run().r0, stackBase(1) + BigInt(STACK_SIZE));
});

// Seeded random instruction streams: whatever they do, the interpreter ends
// with r0 or a SluiceError, never another exception and never a hang.
test('random programs never crash the process', () => {
  let seed = 12345;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
  const opcodes = [0x07, 0x0f, 0x17, 0x37, 0x3f, 0x97, 0x9f, 0xbf, 0xc7, 0xd7, 0x04, 0x34, 0x94, 0xbc, 0xdc, 0x87,
    0x05, 0x15, 0x2d, 0x6d, 0x16, 0xde, 0x06, 0x61, 0x79, 0x81, 0x62, 0x7b, 0xc3, 0xdb, 0x85, 0x8d, 0x95, 0x20];
  const atomics = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];
  const randomInsn = (): Instruction => {
    const opcode = opcodes[rand(opcodes.length)]!;
    const cls = opcode & 7, x = (opcode & 8) !== 0, op = opcode & 0xf0;
    let dst = rand(11), src = rand(11), off = rand(40) - 20, imm = rand(64) - 8;
    if (cls === 4 || cls === 7) {
      off = 0;
      if (op === 0xd0) { src = 0; imm = [16, 32, 64][rand(3)]!; } else if (op === 0x80) { src = 0; imm = 0; } else if (x) imm = 0; else src = 0;
    } else if (cls === 5 || cls === 6) {
      if (op === 0x80) { if (x) { src = 0; off = 0; imm = 0; } else { dst = 0; off = 0; src = rand(2); imm = src ? rand(20) - 10 : 5; } }
      else if (op === 0x90) { dst = 0; src = 0; off = 0; imm = 0; }
      else if (op === 0x00) { dst = 0; src = 0; if (cls === 6) off = 0; else imm = 0; }
      else if (x) imm = 0; else src = 0;
    } else if (cls === 1) imm = 0;
    else if (cls === 2) src = 0;
    else if (cls === 3) imm = (opcode & 0xe0) === 0xc0 ? atomics[rand(atomics.length)]! : 0;
    else { dst = 0; off = 0; src = 0; }
    return { opcode, dst, src, off, imm };
  };
  const outcomes = new Map<string, number>();
  for (let i = 0; i < 3000; i++) {
    const program = Array.from({ length: 16 }, randomInsn);
    const vm = new Interpreter(program, { maxSteps: 500, helpers: { 5: (_c, r1) => r1 } });
    let outcome = 'r0';
    try { vm.run({ input: new Uint8Array(16) }); } catch (err) {
      assert.instance(err, SluiceError, String(err));
      outcome = (err as VmError).kind;
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  console.log(`random programs: ${JSON.stringify([...outcomes])}`);
  // The generator must reach both endings, or the test proves little.
  assert.ok((outcomes.get('r0') ?? 0) > 100, `too few programs ran to exit: ${JSON.stringify([...outcomes])}`);
  assert.ok((outcomes.get('memory') ?? 0) > 100, `too few memory faults: ${JSON.stringify([...outcomes])}`);
});

test.run();
