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
import type { FrameArena } from '../../dataplane/frame-arena.ts';
import { CaptureError, LinkType, linkTypeName, openCapture, createCaptureFile, type CaptureRecord, type CaptureWriter } from './capture.ts';

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

/** Copies a burst's frames into one buffer, with arena.offs/lens pointing at them. */
function gather(burst: readonly CaptureRecord[], arena: FrameArena): Uint8Array {
  const out = new Uint8Array(burst.reduce((a, r) => a + r.data.length, 0));
  let at = 0;
  burst.forEach((r, i) => {
    out.set(r.data, at);
    arena.offs[i] = at;
    arena.lens[i] = r.data.length;
    at += r.data.length;
  });
  return out;
}

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
  const runBurst = (burst: CaptureRecord[]): void => {
    const n = burst.length;
    const t0 = process.hrtime.bigint();
    // The reader's records are views into the chunk it read: when a burst's frames share
    // one buffer, the native fill copies them straight from it (no per-frame JS copy).
    const shared = burst[0]!.data.buffer;
    if (burst.every((r) => r.data.buffer === shared)) {
      for (let i = 0; i < n; i++) { arena.offs[i] = burst[i]!.data.byteOffset; arena.lens[i] = burst[i]!.data.length; }
      prog.runArena(arena, new Uint8Array(shared), n, options);
    } else {
      prog.runArena(arena, gather(burst, arena), n, options);
    }
    stats.runNs += Number(process.hrtime.bigint() - t0);
    for (let i = 0; i < n; i++) {
      const rec = burst[i]!;
      const verdict = arena.verdict(i);
      stats.bytes += rec.data.length;
      if (verdict < stats.verdicts.length) stats.verdicts[verdict]!++;
      else stats.other++;
      const writer = writerFor(verdict);
      if (writer) {
        const data = arena.packet(i);
        // A frame the capture truncated stays truncated: keep its wire length, grown or shrunk by the program.
        writer.write({ data, timestamp: rec.timestamp, origLen: rec.origLen + data.length - rec.data.length });
      }
    }
    stats.packets += n;
    options.onBurst?.(stats);
  };

  try {
    for (let pass = 0; pass < (options.loop ?? 1) && !stats.error; pass++) {
      const stream = await openCapture(path, { onError: 'stop' });
      for await (const batch of stream.batches()) {
        for (let at = 0; at < batch.length; at += REPLAY_BURST) {
          const burst = batch.slice(at, at + REPLAY_BURST);
          const foreign = burst.find((r) => r.linkType !== LinkType.ETHERNET);
          if (foreign) {
            throw new CaptureError(`link type ${linkTypeName(foreign.linkType)} is not Ethernet; XDP programs see Ethernet frames`, foreign.frame, foreign.offset);
          }
          runBurst(burst);
        }
      }
      if (stream.error) stats.error = stream.error;
    }
  } finally {
    for (const w of writers.values()) w.close();
    stats.wallNs = Number(process.hrtime.bigint() - started);
  }
  return stats;
}
