// `sluice bench --driver afxdp`: the program on the AF_XDP driver
// (drivers/afxdp, startAfxdp) on a veth of a lab topology of namespaces
// (scripts/netns.sh, through drivers/afxdp/lab.ts), fed by the AF_PACKET
// generator drivers/afxdp/tools/blast.c from the client namespace. An AF_XDP
// socket binds to an interface of its own namespace, so the driver runs in a
// child process inside NAME-sluice (the lab's serve fixture, which calls
// startAfxdp) and its counters are read through it.
//
// The generator sends one 60-byte UDP frame over and over: the traffic spec
// does not reach the program here. On veth the generator's core also runs the
// receiving side (the veth's NAPI and AF_XDP's copy into the UMEM), so the
// rate measured is the generator's limit, not the program's or the driver's.
// The topology is removed on every path out, errors included.
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hasCommand } from '../../scripts/testkit/skip.ts';
import { Lab, type Served } from '../../drivers/afxdp/lab.ts';
import { blastAsync, buildBlast } from '../../drivers/afxdp/tools/blast.ts';
import type { DriverStats } from '../../drivers/driver.ts';
import { XDP_ACTIONS } from '../runtime.ts';
import { messageOf } from '../../jit/errors.ts';
import { BenchError } from './errors.ts';
import { spreadOf, tscHz, type Tick } from './measure.ts';
import type { BenchRun } from './results.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Why `--driver afxdp` cannot run here, or undefined when it can. */
export function afxdpUnavailable(): string | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'needs root (it builds network namespaces and attaches XDP programs)';
  if (!existsSync(`${root}build/libsluice_afxdp.so`)) return 'the AF_XDP driver is not built here (needs libxdp-dev libbpf-dev; npm run build:native)';
  for (const cmd of ['ip', 'ethtool', 'taskset', 'cc']) if (!hasCommand(cmd).ok) return `needs \`${cmd}\``;
  return undefined;
}

export interface AfxdpBenchOptions {
  durationS: number;
  warmupS: number;
  /** The driver's worker pinned to this CPU (negative: 1 when there are two or more CPUs, away from the generator on 0). */
  cpuBase: number;
  onTick?: (tick: Tick) => void;
}

/** The lab's name prefix for a process: `sxsb<pid % 100000>` (its namespaces are PREFIX-client, -sluice, -server). */
export const labName = (pid = process.pid): string => `sxsb${pid % 100000}`;

type Snap = DriverStats & { kernel: { rxDropped: number; rxRingFull: number } };

/** Runs `objectPath`'s first XDP program on the AF_XDP driver for durationS of generated traffic. */
export async function measureAfxdp(objectPath: string, object: string, program: string, o: AfxdpBenchOptions): Promise<BenchRun> {
  const why = afxdpUnavailable();
  if (why) throw new BenchError(`--driver afxdp: ${why}`);
  try { buildBlast(); } catch (err) { throw new BenchError(`--driver afxdp: compiling drivers/afxdp/tools/blast.c failed: ${messageOf(err)}`, { cause: err }); }
  const lab = Lab.up('sb');
  // Ctrl-C while measuring: the topology still goes (the driver child dies with its namespace's links).
  const onSignal = (): void => { try { lab.down(); } finally { process.exit(130); } };
  process.once('SIGINT', onSignal);
  let served: Served | undefined;
  try {
    const cpu = o.cpuBase >= 0 ? o.cpuBase : 1;
    served = await lab.serve(objectPath, ['cli0'], [], { cpus: [cpu] });
    const mac = lab.mac(lab.sluice, 'cli0');
    if (o.warmupS > 0) await blastAsync(lab.client, 'eth0', o.warmupS, mac);
    const first = await served.snapshot();
    const started = performance.now();
    const sending = blastAsync(lab.client, 'eth0', o.durationS, mac);
    let done = false;
    void sending.then(() => { done = true; }, () => { done = true; });
    const intervals: number[] = [];
    const step = Math.max(0.1, Math.min(1, o.durationS / 10)) * 1000;
    let prev = first.rxPackets, prevAt = started;
    while (!done) {
      await sleep(step);
      if (done) break;
      const snap = await served.snapshot(), now = performance.now();
      if (now > prevAt) {
        intervals.push((snap.rxPackets - prev) / ((now - prevAt) * 1e3));
        o.onTick?.({ packets: snap.rxPackets - first.rxPackets, mpps: intervals[intervals.length - 1]!, verdicts: {}, elapsedS: (now - started) / 1000 });
      }
      prev = snap.rxPackets; prevAt = now;
    }
    const sent = await sending;
    const last = await served.snapshot();
    const seconds = (performance.now() - started) / 1000;
    await served.stop();
    served = undefined;
    return result(objectPath, object, program, first, last as Snap, sent, o.durationS, seconds, intervals);
  } finally {
    served?.kill();
    process.removeListener('SIGINT', onSignal);
    lab.down();
  }
}

function result(path: string, object: string, program: string, first: Snap, last: Snap, sent: number, sendS: number, seconds: number,
  intervals: number[]): BenchRun {
  const packets = last.rxPackets - first.rxPackets;
  if (packets <= 0) throw new BenchError(`--driver afxdp: the program ran on no frames in ${sendS} s (the generator sent ${sent})`);
  // The rate over the generator's own sending time: frames arriving after it stops are the tail of the same window.
  const mpps = packets / sendS / 1e6;
  const verdicts: Record<string, number> = {};
  XDP_ACTIONS.forEach((v, i) => {
    const c = (last.verdicts[i] ?? 0) - (first.verdicts[i] ?? 0);
    if (c) verdicts[v] = c / sendS / 1e6;
  });
  if (last.otherVerdicts > first.otherVerdicts) verdicts.other = (last.otherVerdicts - first.otherVerdicts) / sendS / 1e6;
  const lost = last.kernel.rxDropped + last.kernel.rxRingFull - first.kernel.rxDropped - first.kernel.rxRingFull;
  const genMpps = sent / sendS / 1e6;
  const ns = 1e3 / mpps;
  return {
    object, program, engine: 'jit', driver: 'afxdp', workers: 1, seconds, packets, mpps, mppsPerWorker: [mpps],
    nsPerPacket: ns, meanNsPerPacket: ns, cyclesPerPacket: ns * tscHz() / 1e9, fillNsPerPacket: null,
    verdicts, intervals, spread: spreadOf(intervals), burstNs: null,
    split: { available: false, method: 'not measured on the AF_XDP driver (see the pcap driver run for the split)' },
    generator: { mpps: genMpps, sent, lostBeforeSocketMpps: lost / sendS / 1e6 },
    notes: [
      `driver afxdp on veth (${path}): the AF_XDP driver (copy mode) on cli0 of a scripts/netns.sh lab, fed by drivers/afxdp/tools/blast.c ` +
      `(one 60-byte UDP frame, AF_PACKET) from the client namespace; the traffic spec does not reach the program here`,
      `on veth the generator is the limit: it sent ${genMpps.toFixed(3)} Mpps and its core also runs the receiving side (veth NAPI, the copy into the UMEM), ` +
      `so ${mpps.toFixed(3)} Mpps measures the generator, not the program or the driver`,
      `ns per packet = wall time per packet of the one worker (receive, run, free), no per-burst timing; ` +
      `frames lost before the socket (fill ring empty, RX ring full): ${(lost / sendS / 1e6).toFixed(3)} Mpps`,
    ],
  };
}
