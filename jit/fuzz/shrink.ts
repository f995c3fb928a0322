// Narrowing a disagreement down to one instruction: run every prefix of the
// body (jumps past the cut retargeted to it, so each prefix is still a valid,
// loop-free program) in the kernel and in the engine; the shortest prefix that
// disagrees ends with the instruction whose result differs.
import { kernelRun } from '../../scripts/testkit/kernel.ts';
import { encode } from '../isa/codec.ts';
import { type Instruction, layout } from '../isa/instruction.ts';
import { Class, JmpOp } from '../isa/opcode.ts';
import type { FuzzProgram } from './generate.ts';
import { frame } from './frame.ts';
import { type EngineRun, type Outcome, sameOutcome } from './outcome.ts';

/** The body cut after `length` instructions, jumps beyond the cut landing on it. */
export function prefix(p: FuzzProgram, length: number): FuzzProgram {
  const { pcOf } = layout(p.body);
  const end = pcOf[length]!;
  const body = p.body.slice(0, length).map((insn, i): Instruction => {
    const cls = insn.opcode & 0x07;
    if (cls !== Class.JMP && cls !== Class.JMP32) return insn;
    const gotol = insn.opcode === (Class.JMP32 | JmpOp.JA);
    const delta = gotol ? insn.imm : insn.off;
    const target = pcOf[i]! + 1 + delta;
    if (target <= end) return insn;
    const clamped = end - pcOf[i]! - 1;
    return gotol ? { ...insn, imm: clamped } : { ...insn, off: clamped };
  });
  return { ...p, body };
}

/** The shortest body prefix on which the kernel and the engine disagree, and what each made of it. */
export interface Narrowed { length: number; kernel: Outcome; engine: Outcome }

export function shrink(p: FuzzProgram, engine: EngineRun): Narrowed | undefined {
  const prefixes = Array.from({ length: p.body.length }, (_, i) => prefix(p, i + 1));
  const results = kernelRun(prefixes.map((q) => ({ insns: encode(frame(q, 'kernel')), packet: p.packet })));
  for (let i = 0; i < prefixes.length; i++) {
    const k = results[i]!;
    if (!k.ran) continue; // a prefix the verifier refuses says nothing
    const kernel: Outcome = { retval: k.retval, packet: k.dataOut };
    const mine = engine(prefixes[i]!);
    if (!sameOutcome(kernel, mine)) return { length: i + 1, kernel, engine: mine };
  }
  return undefined;
}
