// The pcap driver: frames from a capture run through a program in bursts, and
// each verdict is carried out on a capture file instead of a port:
//   PASS → pass.pcap, TX → tx.pcap, REDIRECT → redirect.pcap,
//   DROP and ABORTED → counted (and drop.pcap / aborted.pcap with writeDrops).
// Written frames are the bytes as the program left them, with the input's
// timestamps. The capture is streamed; a corrupt record ends the replay with
// the error in the result, and every frame before it is counted and written.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { XdpProgram, PacketMeta } from '../../dataplane/runtime.ts';
import { XDP_ACTIONS } from '../../dataplane/runtime.ts';
import { FrameBurst } from './burst.ts';
import { LinkType, openCapture, createCaptureFile, type CaptureError, type CaptureWriter } from './capture.ts';

export const REPLAY_BURST = 64;

export interface ReplayOptions extends PacketMeta {
  /** Where the per-verdict captures go; nothing is written without it. */
  outDir?: string;
  /** Also write dropped and aborted frames (drop.pcap, aborted.pcap). Default false. */
  writeDrops?: boolean;
  /** Replay the capture this many times. Default 1. */
  loop?: number;
  /** Called after each burst with the running totals (progress display). */
  onBurst?: (stats: ReplayStats) => void;
}

export interface ReplayStats {
  packets: number;
  bytes: number;
  /** Count per XDP action, indexed by retval (ABORTED, DROP, PASS, TX, REDIRECT); other values under 'other'. */
  verdicts: number[];
  other: number;
  /** Time spent running the program, ns (bursts only, not reading or writing captures). */
  runNs: number;
  /** Wall time of the whole replay, ns. */
  wallNs: number;
  /** Output files written, by verdict name. */
  outputs: Record<string, string>;
  /** Set when the capture turned out corrupt part-way: frames before it were processed. */
  error?: CaptureError;
}

const OUTPUT = ['aborted', 'drop', 'pass', 'tx', 'redirect'];

export async function replay(prog: XdpProgram, path: string, options: ReplayOptions = {}): Promise<ReplayStats> {
  const stats: ReplayStats = { packets: 0, bytes: 0, verdicts: XDP_ACTIONS.map(() => 0), other: 0, runNs: 0, wallNs: 0, outputs: {} };
  const writers = new Map<number, CaptureWriter>();
  const started = process.hrtime.bigint();
  if (options.outDir !== undefined) mkdirSync(options.outDir, { recursive: true });

  const writerFor = (verdict: number): CaptureWriter | undefined => {
    if (options.outDir === undefined || verdict > 4) return undefined;
    if (verdict <= 1 && !options.writeDrops) return undefined;
    let w = writers.get(verdict);
    if (!w) {
      const file = join(options.outDir, `${OUTPUT[verdict]}.pcap`);
      w = createCaptureFile(file, { resolution: 'ns' });
      writers.set(verdict, w);
      stats.outputs[OUTPUT[verdict]!] = file;
    }
    return w;
  };

  const arena = prog.arenaFor(REPLAY_BURST);
  const frames = new FrameBurst(REPLAY_BURST);
  // The reader leaves each burst's frames in one buffer with their offsets and
  // lengths in typed arrays; the native fill copies them straight from there.
  const runBurst = (): void => {
    const n = frames.count;
    arena.offs.set(frames.offset.subarray(0, n));
    arena.lens.set(frames.caplen.subarray(0, n));
    const t0 = process.hrtime.bigint();
    prog.runArena(arena, frames.bytes, n, options);
    stats.runNs += Number(process.hrtime.bigint() - t0);
    for (let i = 0; i < n; i++) {
      const verdict = arena.verdict(i);
      stats.bytes += frames.caplen[i]!;
      if (verdict < stats.verdicts.length) stats.verdicts[verdict]!++;
      else stats.other++;
      const writer = writerFor(verdict);
      if (writer) {
        const data = arena.packet(i);
        // A frame the capture truncated stays truncated: keep its wire length, grown or shrunk by the program.
        writer.write({ data, timestamp: frames.timestamp(i), origLen: frames.origLen[i]! + data.length - frames.caplen[i]! });
      }
    }
    stats.packets += n;
    options.onBurst?.(stats);
  };

  try {
    for (let pass = 0; pass < (options.loop ?? 1) && !stats.error; pass++) {
      const stream = await openCapture(path, { onError: 'stop', linkType: LinkType.ETHERNET });
      while (await stream.readBurst(frames) > 0) runBurst();
      if (stream.error) stats.error = stream.error;
    }
  } finally {
    for (const w of writers.values()) w.close();
    stats.wallNs = Number(process.hrtime.bigint() - started);
  }
  return stats;
}
