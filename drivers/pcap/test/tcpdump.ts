// Running tcpdump over a file and reading back what it printed, to check our
// captures and packets against an independent implementation (libpcap's
// readers, tcpdump's dissectors and checksum checks).
import { execFileSync } from 'node:child_process';

export interface DumpedFrame {
  /** The timestamp as tcpdump printed it with -tt (seconds.fraction). */
  time: string;
  /** The first line tcpdump printed for the frame, and any continuation lines (-v). */
  text: string;
  /** The frame's bytes from -xx, as hex. */
  hex: string;
}

/** `tcpdump -r FILE -n -tt -xx --time-stamp-precision=nano [extra]`, split into frames. */
export function tcpdumpFrames(file: string, extra: string[] = []): DumpedFrame[] {
  const out = execFileSync('tcpdump', ['-r', file, '-n', '-tt', '-xx', '--time-stamp-precision=nano', ...extra], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20,
  });
  const frames: DumpedFrame[] = [];
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const hexLine = /^\s+0x([0-9a-f]{4}):\s+([0-9a-f ]+)$/.exec(line);
    if (hexLine) {
      // With -v some dissectors print hex of their own; the -xx dump of the
      // frame comes last, so a dump restarting at 0x0000 replaces what came before.
      const f = frames[frames.length - 1]!;
      if (hexLine[1] === '0000') f.hex = '';
      f.hex += hexLine[2]!.replace(/ /g, '');
      continue;
    }
    if (/^\s/.test(line)) { frames[frames.length - 1]!.text += `\n${line}`; continue; }
    frames.push({ time: line.split(' ')[0]!, text: line, hex: '' });
  }
  return frames;
}

/** tcpdump's rendering of a nanosecond timestamp with -tt at nanosecond precision. */
export function tcpdumpTime(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
}
