// What one engine made of one fuzz program, and when two of them agree.
import type { FuzzProgram } from './generate.ts';

/** The verdict and the packet afterwards, or the error that stopped the run. */
export type Outcome = { retval: number; packet: Uint8Array } | { error: string };

/**
 * Runs a fuzz program in an engine, on a copy of its packet. The engine picks the
 * variant it can run (frame(p, 'interp') for the interpreter, frame(p, 'kernel')
 * for anything that rewrites xdp_md accesses as the kernel does).
 */
export type EngineRun = (p: FuzzProgram) => Outcome;

/** Same verdict, same packet bytes; an error never agrees with anything. */
export function sameOutcome(a: Outcome, b: Outcome): boolean {
  if ('error' in a || 'error' in b) return false;
  return a.retval === b.retval && a.packet.length === b.packet.length && a.packet.every((v, i) => v === b.packet[i]);
}
