// The traffic generator blast.c, compiled on demand into build/afxdp-blast and
// run inside a lab namespace: shared by bench/afxdp.ts and `sluice bench
// --driver afxdp` (dataplane/bench/afxdp.ts).
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
export const BLAST = `${root}build/afxdp-blast`;

/** Compiles tools/blast.c with cc into build/afxdp-blast; returns its path. Throws with cc's output when it fails. */
export function buildBlast(): string {
  mkdirSync(`${root}build`, { recursive: true });
  execFileSync('cc', ['-O2', '-o', BLAST, `${root}drivers/afxdp/tools/blast.c`], { stdio: 'pipe' });
  return BLAST;
}

/**
 * Sends 60-byte UDP frames to `dstMac` out of `iface` in namespace `ns` for `seconds`, on CPU `cpu`
 * (taskset); returns the number of frames the generator sent.
 */
export function blast(ns: string, iface: string, seconds: number, dstMac: string, cpu = 0): number {
  return sentOf(execFileSync('ip', blastArgs(ns, iface, seconds, dstMac, cpu), { encoding: 'utf8', stdio: 'pipe', timeout: (seconds + 10) * 1000 }));
}

/** blast() without blocking the event loop (the caller polls counters meanwhile). */
export function blastAsync(ns: string, iface: string, seconds: number, dstMac: string, cpu = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('ip', blastArgs(ns, iface, seconds, dstMac, cpu), { encoding: 'utf8', timeout: (seconds + 10) * 1000 }, (err, out, errOut) => {
      if (err) reject(new Error(`blast failed: ${err.message}${errOut ? `\n${errOut}` : ''}`));
      else { try { resolve(sentOf(out)); } catch (e) { reject(e); } }
    });
  });
}

const blastArgs = (ns: string, iface: string, seconds: number, dstMac: string, cpu: number): string[] =>
  ['netns', 'exec', ns, 'taskset', '-c', String(cpu), BLAST, iface, String(seconds), dstMac];

function sentOf(out: string): number {
  const sent = Number(out.trim());
  if (!out.trim() || !Number.isInteger(sent)) throw new Error(`blast printed '${out.trim()}', not a frame count`);
  return sent;
}
