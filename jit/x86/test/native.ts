// Shared by the execution tests: run JIT'd code natively through libsluice.so.
import { existsSync } from 'node:fs';
import koffi from 'koffi';
import { JitProgram } from '../../../dataplane/jit-program.ts';
import { FrameArena } from '../../../dataplane/frame-arena.ts';
import { LIBRARY_PATH } from '../../../dataplane/ffi.ts';
import type { Instruction } from '../../isa/instruction.ts';
import { AluOp, Class, JmpOp, Source } from '../../isa/opcode.ts';
import type { Requirement } from '../../../scripts/testkit/skip.ts';
import type { JitOptions } from '../compile.ts';

export const hasNativeLibrary = (): Requirement =>
  ({ ok: existsSync(LIBRARY_PATH), why: 'needs build/libsluice.so (`npm run build:native`)' });

let identity: JitProgram | undefined;
/** A native function returning its first argument: the semantics files' helper 5, JIT'd itself. */
export function identityHelper(): bigint {
  identity ??= JitProgram.compile([
    { opcode: Class.ALU64 | AluOp.MOV | Source.X, dst: 0, src: 1, off: 0, imm: 0 },
    { opcode: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, off: 0, imm: 0 },
  ], { entry: 'function', rewriteContext: false });
  return identity.entry;
}

/** Runs a program as a function with r1 = a native copy of `memory` (0 when empty), r2 = its length; returns r0 and the memory after. */
export function runWithMemory(program: Instruction[], memory: Uint8Array, opts: JitOptions = {}): { r0: bigint; memory: Uint8Array } {
  const p = JitProgram.compile(program, {
    entry: 'function', rewriteContext: false, helperAddress: (id) => (id === 5 ? identityHelper() : undefined), ...opts,
  });
  const size = Math.max(memory.length, 1);
  const mem = koffi.alloc('uint8_t', size) as bigint;
  try {
    const view = new Uint8Array(koffi.view(mem, size) as ArrayBuffer);
    view.set(memory);
    const r0 = p.call(memory.length === 0 ? 0n : mem, BigInt(memory.length));
    return { r0, memory: view.slice(0, memory.length) };
  } finally {
    koffi.free(mem);
    p.free();
  }
}

/** Runs a program through the burst entry on packets; returns each verdict and the packets after. */
export function runBurst(program: Instruction[], packets: Uint8Array[], opts: JitOptions = {}, meta: { ifindex?: number; rxQueue?: number } = {}):
  { verdicts: number[]; packets: Uint8Array[] } {
  const p = JitProgram.compile(program, opts);
  const arena = new FrameArena(packets.length);
  try {
    arena.fill(packets, meta, 0n);
    p.burst(arena.buffs, arena.verdicts, packets.length);
    return { verdicts: packets.map((_, i) => arena.verdict(i)), packets: packets.map((_, i) => arena.packet(i).slice()) };
  } finally {
    arena.free();
    p.free();
  }
}
