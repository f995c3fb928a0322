// `sluice bench --driver dpdk`: the program on the DPDK driver's own run loop
// (drivers/dpdk: C worker pthreads polling ports), on two net_null virtual
// ports — no NIC, no hugepages. net_null hands out mbufs without writing
// them, so every mbuf of the pool is filled once with one frame of the trace
// (the driver's poolFill): the traffic spec's mix and flows do not reach the
// program here, only its first frame. The rate is frames received per second
// from the driver's counters; there is no per-burst timing inside the DPDK
// loop, so ns per packet is wall time per packet per worker (receive, run, free).
// DPDK's EAL starts once per process: one such run per `sluice bench`.
import { setTimeout as sleep } from 'node:timers/promises';
import { DpdkDriver } from '../../drivers/dpdk/driver.ts';
import { dpdkBuilt } from '../../drivers/dpdk/native.ts';
import { XDP_ACTIONS, type XdpProgram } from '../runtime.ts';
import { BenchError } from './errors.ts';
import { median, spreadOf, tscHz, type Tick } from './measure.ts';
import type { BenchRun } from './results.ts';
import type { Trace } from './traffic.ts';

export const DPDK_EAL = ['--no-huge', '-m', '1024', '--no-pci', '--vdev=net_null0', '--vdev=net_null1'];

export function dpdkUnavailable(): string | undefined {
  if (!dpdkBuilt()) return 'the DPDK driver is not built here (needs libdpdk-dev; npm run build:native)';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the DPDK driver needs root here';
  return undefined;
}

export interface DpdkBenchOptions {
  workers: number;
  durationS: number;
  warmupS: number;
  /** Pin worker i to CPU cpuBase + i; negative: not pinned. */
  cpuBase: number;
  onTick?: (tick: Tick) => void;
}

export async function measureDpdk(object: string, prog: XdpProgram, trace: Trace, o: DpdkBenchOptions): Promise<BenchRun> {
  const why = dpdkUnavailable();
  if (why) throw new BenchError(`--driver dpdk: ${why}`);
  const frame = trace.src.slice(trace.offs[0]!, trace.offs[0]! + trace.lens[0]!);
  const driver = DpdkDriver.start(prog, {
    eal: ['-l', '0', ...DPDK_EAL], ports: [0, 1], workers: o.workers, passTo: 'none', poolFill: frame,
    workerCpus: o.cpuBase >= 0 ? Array.from({ length: o.workers }, (_, i) => o.cpuBase + i) : undefined,
  });
  const intervals: number[] = [];
  let first, last, started = 0, ended = 0;
  try {
    await sleep(o.warmupS * 1000);
    first = driver.workerStats();
    started = performance.now();
    const step = Math.max(0.1, Math.min(1, o.durationS / 10)) * 1000;
    let prev = first.reduce((a, s) => a + s.rxPackets, 0), prevAt = started;
    while (performance.now() - started < o.durationS * 1000) {
      await sleep(Math.min(step, o.durationS * 1000 - (performance.now() - started)));
      const now = performance.now(), rx = driver.workerStats().reduce((a, s) => a + s.rxPackets, 0);
      if (now > prevAt) {
        intervals.push((rx - prev) / ((now - prevAt) * 1e3));
        o.onTick?.({ packets: rx, mpps: intervals[intervals.length - 1]!, verdicts: {}, elapsedS: (now - started) / 1000 });
      }
      prev = rx; prevAt = now;
    }
    last = driver.workerStats();
    ended = performance.now();
  } finally {
    await driver.stop();
  }
  const seconds = (ended - started) / 1000;
  const perWorker = last.map((s, w) => (s.rxPackets - first[w]!.rxPackets) / seconds / 1e6);
  const packets = last.reduce((a, s, w) => a + s.rxPackets - first[w]!.rxPackets, 0);
  const mpps = perWorker.reduce((a, b) => a + b, 0);
  const verdicts: Record<string, number> = {};
  XDP_ACTIONS.forEach((v, i) => {
    const c = last.reduce((a, s, w) => a + s.verdicts[i]! - first[w]!.verdicts[i]!, 0);
    if (c) verdicts[v] = c / seconds / 1e6;
  });
  const ns = perWorker.length ? 1e3 / median(perWorker) : NaN;
  return {
    object, program: prog.name, engine: 'jit', driver: 'dpdk', workers: o.workers, seconds, packets, mpps, mppsPerWorker: perWorker,
    nsPerPacket: ns, meanNsPerPacket: ns, cyclesPerPacket: ns * tscHz() / 1e9, fillNsPerPacket: null,
    verdicts, intervals, spread: spreadOf(intervals), burstNs: null,
    split: { available: false, method: 'not measured on the DPDK loop (see the pcap driver run for the split)' },
    notes: [`driver dpdk: two net_null ports, every mbuf holding the trace's first frame (${frame.length} bytes); PASS counted and dropped; ns per packet = wall time per packet per worker (receive, run, free), no per-burst timing`],
  };
}
