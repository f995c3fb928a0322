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
import { SluiceError } from '../../jit/errors.ts';
import { LinkType, openCapture, readCapture, createCaptureFile, type CaptureError, type CaptureWriter } from './capture.ts';

export const REPLAY_BURST = 256;

export interface ReplayOptions extends PacketMeta {
  /** Where the per-verdict captures go; nothing is written without it. */
  outDir?: string;
  /** Also write dropped and aborted frames (drop.pcap, aborted.pcap). Default false. */
  writeDrops?: boolean;
  /** Replay the capture this many times. Default 1. */
  loop?: number;
  /** Pace the replay (lab demos): 'timing' at the capture's own pace, or a rate in packets per second. Default: full speed. */
  pace?: 'timing' | { pps: number };
  /** Called after each burst with the running totals (progress display, draining ring buffers). */
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

/**
 * Replays a capture: a file path (streamed, never loaded whole) or a capture already
 * in memory (its bytes).
 */
export async function replay(prog: XdpProgram, source: string | Uint8Array, options: ReplayOptions = {}): Promise<ReplayStats> {
  const stats: ReplayStats = { packets: 0, bytes: 0, verdicts: XDP_ACTIONS.map(() => 0), other: 0, runNs: 0, wallNs: 0, outputs: {} };
  const writers = new Map<number, CaptureWriter>();
  const started = process.hrtime.bigint();
  if (options.outDir !== undefined) {
    try {
      mkdirSync(options.outDir, { recursive: true });
    } catch (err) {
      throw new SluiceError(`cannot use ${options.outDir} as the output directory: ${(err as Error).message}`, { cause: err });
    }
  }

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

  const writing = options.outDir !== undefined;
  const arena = prog.arenaFor(REPLAY_BURST);
  const frames = new FrameBurst(REPLAY_BURST);
  // The reader leaves each burst's frames in one buffer with their offsets and
  // lengths in typed arrays; the native fill copies them straight from there.
  const runRange = (start: number, end: number): void => {
    const n = end - start;
    arena.offs.set(frames.offset.subarray(start, end));
    arena.lens.set(frames.caplen.subarray(start, end));
    const t0 = process.hrtime.bigint();
    prog.runArena(arena, frames.bytes, n, options);
    stats.runNs += Number(process.hrtime.bigint() - t0);
    const counts = stats.verdicts;
    for (let i = 0; i < n; i++) {
      const f = start + i;
      const verdict = arena.verdict(i);
      stats.bytes += frames.caplen[f]!;
      if (verdict < counts.length) counts[verdict]!++;
      else stats.other++;
      const writer = writing ? writerFor(verdict) : undefined;
      if (writer) {
        const data = arena.packet(i);
        // A frame the capture truncated stays truncated: keep its wire length, grown or shrunk by the program.
        writer.write({ data, timestamp: frames.timestamp(f), origLen: frames.origLen[f]! + data.length - frames.caplen[f]! });
      }
    }
    stats.packets += n;
    options.onBurst?.(stats);
  };

  const pacer = options.pace === undefined ? undefined : new Pacer(options.pace);
  const runBurst = async (): Promise<void> => {
    for (let start = 0; start < frames.count;) {
      const due = pacer ? pacer.due(frames, start, stats.packets) : frames.count - start;
      if (due === 0) { await sleep(pacer!.waitMs); continue; }
      runRange(start, start + due);
      start += due;
    }
  };

  try {
    for (let pass = 0; pass < (options.loop ?? 1) && !stats.error; pass++) {
      const read = { onError: 'stop', linkType: LinkType.ETHERNET } as const;
      pacer?.restart();
      if (typeof source === 'string') {
        const stream = await openCapture(source, read);
        while (await stream.readBurst(frames) > 0) await runBurst();
        if (stream.error) stats.error = stream.error;
      } else {
        const reader = readCapture(source, read);
        while (reader.readBurst(frames) > 0) await runBurst();
        if (reader.error) stats.error = reader.error;
      }
    }
  } finally {
    for (const w of writers.values()) w.close();
    stats.wallNs = Number(process.hrtime.bigint() - started);
  }
  return stats;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Decides how many of a burst's next frames are due: by their capture timestamps, or by a packet rate. */
class Pacer {
  private startedAt = 0n;
  private firstStamp: bigint | undefined;
  private sentAtStart = 0;
  waitMs = 0;

  constructor(private readonly pace: 'timing' | { pps: number }) {}

  restart(): void {
    this.startedAt = 0n;
    this.firstStamp = undefined;
  }

  due(frames: FrameBurst, start: number, sent: number): number {
    const now = process.hrtime.bigint();
    if (this.startedAt === 0n) { this.startedAt = now; this.sentAtStart = sent; }
    const elapsed = now - this.startedAt;
    let due = 0;
    let nextAt = 0n;
    for (let f = start; f < frames.count; f++) {
      let at: bigint;
      if (this.pace === 'timing') {
        const ts = frames.timestamp(f);
        this.firstStamp ??= ts;
        at = ts - this.firstStamp;
      } else {
        at = BigInt(Math.round(((sent - this.sentAtStart + due) * 1e9) / this.pace.pps));
      }
      if (at > elapsed) { nextAt = at; break; }
      due++;
    }
    this.waitMs = due === 0 ? Math.max(1, Number((nextAt - elapsed) / 1_000_000n)) : 0;
    return due;
  }
}
