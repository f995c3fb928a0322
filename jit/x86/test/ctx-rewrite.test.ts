// The context rewrite pass: which loads go through the ctx pointer, and what they become
// (dataplane/shim/xdp.h: data/data_end/data_meta are u64 at 0/8/16, ingress_ifindex,
// rx_queue_index, egress_ifindex are u32 at 40/44/48).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assemble } from '../../isa/asm.ts';
import { Class, Mode, Size } from '../../isa/opcode.ts';
import type { Instruction } from '../../isa/instruction.ts';
import { rewriteContextAccess } from '../ctx-rewrite.ts';
import { JitError } from '../errors.ts';

const LDX_DW = Class.LDX | Mode.MEM | Size.DW;
const LDX_W = Class.LDX | Mode.MEM | Size.W;
const loads = (prog: Instruction[]): [number, number][] =>
  prog.filter((i) => (i.opcode & 7) === Class.LDX).map((i) => [i.opcode, i.off]);

test('xdp_md field loads through r1 become xdp_buff loads', () => {
  const out = rewriteContextAccess(assemble(`
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = *(u32 *)(r1 + 8)
    r5 = *(u32 *)(r1 + 12)
    r6 = *(u32 *)(r1 + 16)
    r7 = *(u32 *)(r1 + 20)
    r0 = 2
    exit`));
  assert.equal(loads(out), [[LDX_DW, 0], [LDX_DW, 8], [LDX_DW, 16], [LDX_W, 40], [LDX_W, 44], [LDX_W, 48]]);
});

test('copies and stack spills carry the ctx pointer; other loads stay', () => {
  const out = rewriteContextAccess(assemble(`
    r6 = r1
    *(u64 *)(r10 - 16) = r6
    r1 = 0
    r7 = *(u64 *)(r10 - 16)
    r2 = *(u32 *)(r7 + 4)
    r3 = *(u32 *)(r2 + 4)
    r0 = 2
    exit`));
  assert.equal(loads(out), [[LDX_DW, -16], [LDX_DW, 8], [LDX_W, 4]]);
});

test('arithmetic, calls and overwritten spill slots end the ctx pointer', () => {
  const out = rewriteContextAccess(assemble(`
    *(u64 *)(r10 - 8) = r1
    *(u32 *)(r10 - 4) = 0
    r2 = *(u64 *)(r10 - 8)
    r2 = *(u32 *)(r2 + 4)
    r6 = r1
    r6 += 0
    r3 = *(u32 *)(r6 + 4)
    call 5
    r4 = *(u32 *)(r1 + 4)
    r0 = 2
    exit`));
  assert.equal(loads(out), [[LDX_DW, -8], [LDX_W, 4], [LDX_W, 4], [LDX_W, 4]]);
});

test('a subprogram called with ctx in r1 gets its loads rewritten', () => {
  const out = rewriteContextAccess(assemble(`
    call f
    exit
  f:
    r0 = *(u32 *)(r1 + 12)
    exit`));
  assert.equal(loads(out), [[LDX_W, 40]]);
});

test('ctx on every path through a join stays ctx', () => {
  const out = rewriteContextAccess(assemble(`
    r6 = r1
    if r2 == 0 goto +1
    r6 = r1
    r0 = *(u32 *)(r6 + 0)
    exit`));
  assert.equal(loads(out), [[LDX_DW, 0]]);
});

const fails = (text: string, pattern: RegExp): void => {
  assert.throws(() => rewriteContextAccess(assemble(text)), (e: Error) => e instanceof JitError && pattern.test(e.message), text);
};

test('errors: mixed paths, writes into ctx, bad offsets and sizes', () => {
  fails('r6 = r10\nif r2 == 0 goto +1\nr6 = r1\nr0 = *(u32 *)(r6 + 0)\nexit', /pc 3: r6 holds the context pointer on some paths/);
  fails('*(u32 *)(r1 + 0) = 1\nexit', /pc 0: write into the context/);
  fails('r0 = *(u64 *)(r1 + 0)\nexit', /invalid access to xdp_md: 8 bytes at offset 0/);
  fails('r0 = *(u32 *)(r1 + 24)\nexit', /invalid access to xdp_md: 4 bytes at offset 24/);
  fails('r0 = *(u16 *)(r1 + 12)\nexit', /invalid access to xdp_md: 2 bytes at offset 12/);
});

test.run();
