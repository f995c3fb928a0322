// What one engine made of one fuzz program, and when two of them agree.
import type { Instruction } from '../isa/instruction.ts';

/** The verdict and the packet afterwards, or the error that stopped the run. */
export type Outcome = { retval: number; packet: Uint8Array } | { error: string };

/** Runs an engine's variant of a fuzz program (frame(p, 'interp')) on a copy of the packet. */
export type EngineRun = (program: Instruction[], packet: Uint8Array) => Outcome;

/** Same verdict, same packet bytes; an error never agrees with anything. */
export function sameOutcome(a: Outcome, b: Outcome): boolean {
  if ('error' in a || 'error' in b) return false;
  return a.retval === b.retval && a.packet.length === b.packet.length && a.packet.every((v, i) => v === b.packet[i]);
}
