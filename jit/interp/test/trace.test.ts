// step() and trace(): each executed instruction with its pc, its text, the
// registers it changed and the memory it touched. Also the speed of the
// untraced path, printed for the record.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assemble } from '../../isa/asm.ts';
import { STACK_SIZE } from '../../isa/opcode.ts';
import { Interpreter } from '../interpreter.ts';
import { VmError } from '../errors.ts';
import { stackBase } from '../memory.ts';

const top = stackBase(0) + BigInt(STACK_SIZE);

test('trace reports pc, text, changed registers and memory accesses', () => {
  const vm = new Interpreter(assemble('r1 = 5\n*(u64 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 8)\nexit'));
  const { r0, steps, events } = vm.trace();
  assert.is(r0, 5n);
  assert.is(steps, 4);
  assert.equal(events.map((e) => e.pc), [0, 1, 2, 3]);
  assert.equal(events.map((e) => e.text), ['r1 = 5', '*(u64 *)(r10 - 8) = r1', 'r0 = *(u32 *)(r10 - 8)', 'exit']);
  assert.equal(events[0]!.changes, [{ reg: 1, before: 0n, after: 5n }]);
  assert.equal(events[0]!.accesses, []);
  assert.equal(events[1]!.changes, []);
  assert.equal(events[1]!.accesses, [{ kind: 'write', address: top - 8n, size: 8, value: 5n }]);
  assert.equal(events[2]!.changes, [{ reg: 0, before: 0n, after: 5n }]);
  assert.equal(events[2]!.accesses, [{ kind: 'read', address: top - 8n, size: 4, value: 5n }]);
  assert.is(events[3]!.exit, 5n);
  assert.is(events[2]!.exit, undefined);
});

test('lddw counts as one step at its pc; the next instruction is two slots on', () => {
  const { events } = new Interpreter(assemble('r0 = 0x100000000 ll\nr0 += 1\nexit')).trace();
  assert.equal(events.map((e) => e.pc), [0, 2, 3]);
  assert.equal(events[0]!.changes, [{ reg: 0, before: 0n, after: 0x100000000n }]);
});

test('step() runs one instruction at a time; local calls show in depth and r10', () => {
  const vm = new Interpreter(assemble('r6 = 1\ncall f\nexit\nf:\nr6 = 2\nexit'));
  const ex = vm.start();
  const seen = [];
  while (!ex.done) seen.push(ex.step());
  assert.equal(seen.map((e) => [e.pc, e.depth]), [[0, 0], [1, 0], [3, 1], [4, 1], [2, 0]]);
  const call = seen[1]!;
  assert.equal(call.changes, [{ reg: 10, before: top, after: stackBase(1) + BigInt(STACK_SIZE) }]);
  const ret = seen[3]!;
  assert.equal(ret.changes.map((c) => [c.reg, c.before, c.after]), [[6, 2n, 1n], [10, stackBase(1) + BigInt(STACK_SIZE), top]]);
  assert.is(ex.result?.r0, 0n);
  assert.throws(() => ex.step(), /already ended/);
});

test('a helper call traces the memory the helper touched', () => {
  const vm = new Interpreter(assemble('r1 = r10\nr1 += -8\ncall 9\nexit'), {
    helpers: { 9: (ctx, r1) => { ctx.memory.store(r1, 8, 77n); return 1n; } },
  });
  const { events } = vm.trace();
  assert.equal(events[2]!.accesses, [{ kind: 'write', address: top - 8n, size: 8, value: 77n }]);
  assert.equal(events[2]!.changes, [{ reg: 0, before: 0n, after: 1n }]);
});

test('a fault during trace keeps the events before it', () => {
  const vm = new Interpreter(assemble('r0 = 1\nr0 = *(u8 *)(r0 + 0)\nexit'));
  try {
    vm.trace();
    assert.unreachable('should fault');
  } catch (err) {
    assert.instance(err, VmError);
    const events = (err as VmError & { events: unknown[] }).events;
    assert.is(events.length, 1);
  }
});

test('trace honours the step limit', () => {
  const vm = new Interpreter(assemble('goto -1'), { maxSteps: 10 });
  assert.throws(() => vm.trace(), (e: unknown) => e instanceof VmError && e.kind === 'step-limit');
});

test('speed of the untraced path (printed)', () => {
  const vm = new Interpreter(assemble('r0 = 0\nr1 = 300000\nloop:\nr0 += r1\nr2 = r0\nr2 &= 0xff\nr1 -= 1\nif r1 != 0 goto loop\nexit'));
  vm.run(); // warm up
  const runs = 3;
  let best = Infinity;
  let steps = 0;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    steps = vm.run().steps;
    best = Math.min(best, Number(process.hrtime.bigint() - t) / steps);
  }
  console.log(`interpreter: ${best.toFixed(1)} ns per instruction (ALU/JMP loop, ${steps} instructions, best of ${runs})`);
  assert.ok(best < 1000, `${best} ns per instruction`);
});

test.run();
