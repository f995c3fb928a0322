// Lab 10's live part: the student's program on a DPDK virtual port — a
// net_pcap device that receives the lab's input.pcap and transmits into a
// capture file — through `sluice run --dpdk`. What it transmits must be exactly
// the VLAN 100 frames of the input, untagged, in order; the verdict counts must
// match what the lab's rules give each input frame (worked out here from the
// frames' bytes, not from a run).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCaptureFile } from '../../drivers/pcap/reader.ts';
import { dpdkAvailable } from '../../drivers/dpdk/cli.ts';
import type { Lab } from './catalog.ts';
import type { Check } from './grade.ts';
import { LiveRun } from './live-run.ts';

const VID = 100;

export const DPDK_LIVE_CHECKS = [
  'live: sluice run puts your program on a DPDK net_pcap port and stops cleanly',
  `live: the port transmitted exactly the VLAN ${VID} frames, untagged, in input order`,
  'live: the verdict counts match the lab rules (TX, DROP, PASS)',
] as const;

export function dpdkUnavailable(): string | undefined {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (DPDK EAL)');
  const why = dpdkAvailable();
  if (why) missing.push(why);
  return missing.length ? `needs ${missing.join('; ')}` : undefined;
}

type Verdict = 'TX' | 'DROP' | 'PASS';

/** The lab's rules, applied to one input frame: its verdict and, for TX, the frame sent. */
export function expectedFor(frame: Uint8Array): { verdict: Verdict; out?: Uint8Array } {
  if (frame.length < 14) return { verdict: 'PASS' };
  const type = (frame[12]! << 8) | frame[13]!;
  if (type === 0x88a8) return { verdict: 'DROP' };
  if (type !== 0x8100) return { verdict: 'PASS' };
  if (frame.length < 18) return { verdict: 'DROP' };
  const vid = ((frame[14]! << 8) | frame[15]!) & 0x0fff;
  if (vid !== VID) return { verdict: 'DROP' };
  const out = new Uint8Array(frame.length - 4);
  out.set(frame.subarray(0, 12), 0);
  out.set(frame.subarray(16), 12);
  return { verdict: 'TX', out };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const result = (i: number, ok: boolean, details: string[]): Check => ({ name: DPDK_LIVE_CHECKS[i]!, status: ok ? 'passed' : 'failed', details });

export async function dpdkLiveChecks(lab: Lab, object: string): Promise<Check[]> {
  const why = dpdkUnavailable();
  if (why) return DPDK_LIVE_CHECKS.map((name) => ({ name, status: 'skipped', details: [`skipped: ${why}; the lab is graded on its spec checks`] }));

  const input = join(lab.dir, 'input.pcap');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-lab10-'));
  try {
    const out = join(dir, 'out.pcap');
    const mapFile = join(dir, 'vlan.json');
    writeFileSync(mapFile, JSON.stringify({ maps: { vlan_cfg: [{ key: '00000000', value: hex(new Uint8Array(new Uint32Array([VID]).buffer)) }] } }));
    const prefix = `sluice-lab10-${process.pid}`;
    const eal = `--no-huge -m 256 --no-pci -l 0 --file-prefix=${prefix} --vdev=net_pcap0,rx_pcap=${input},tx_pcap=${out}`;
    const run = new LiveRun([], [object, '--dpdk', eal, '--port', '0', '--pass-to', 'none', '--map-in', mapFile, '--duration', '1.5']);
    const { status, totals } = await run.done();
    const started = status === 0 && totals !== undefined;
    if (!started) {
      const err = [`sluice run exited with status ${status}: ${run.stderr().split('\n').slice(-3).join(' / ') || 'no message'}`];
      return DPDK_LIVE_CHECKS.map((_, i) => result(i, false, i === 0 ? err : ['not run: the program did not run on the port']));
    }

    const frames = [...readCaptureFile(input)].map((r) => r.data);
    const expected = frames.map(expectedFor);
    const want = expected.flatMap((e) => (e.out ? [hex(e.out)] : []));
    const sent = existsSync(out) && readFileSync(out).length > 24 ? [...readCaptureFile(out)].map((r) => hex(r.data)) : [];
    const frameDiff: string[] = [];
    for (let i = 0; i < Math.max(want.length, sent.length); i++) {
      if (want[i] !== sent[i]) frameDiff.push(`frame ${i + 1} sent: expected ${want[i] ?? 'none'}, got ${sent[i] ?? 'none'}`);
    }
    const count = (v: Verdict) => expected.filter((e) => e.verdict === v).length;
    const got = { TX: totals.verdicts[3] ?? 0, DROP: totals.verdicts[1] ?? 0, PASS: totals.verdicts[2] ?? 0 };
    const verdictsOk = got.TX === count('TX') && got.DROP === count('DROP') && got.PASS === count('PASS');
    return [
      result(0, true, []),
      result(1, frameDiff.length === 0, [`${want.length} frame(s) expected, ${sent.length} sent`, ...frameDiff.slice(0, 4)]),
      result(2, verdictsOk, [`expected TX ${count('TX')}, DROP ${count('DROP')}, PASS ${count('PASS')}; counted TX ${got.TX}, DROP ${got.DROP}, PASS ${got.PASS} (of ${totals.rxPackets} received)`]),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
