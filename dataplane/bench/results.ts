// The shape of `sluice bench` results: what measure.ts produces, what the JSON
// file holds (schema.json describes it, validate.ts checks it), what the report
// draws and what compare reads.

export const RESULTS_SCHEMA_ID = 'sluice-bench-results/1';

export interface Distribution {
  /** Nanoseconds per packet within one burst (burst time / burst size), over the sampled bursts. */
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
  /** Linear bins from edges[i] to edges[i+1] (ns per packet); the last bin also holds everything above. */
  edges: number[];
  counts: number[];
}

export interface TimeSplit {
  /** False when the split could not be measured (the interpreter, the kernel); `method` then says why. */
  available: boolean;
  method: string;
  /** Share of the burst entry's time spent in the program's own code (incl. the burst loop), 0..1. */
  program?: number;
  /** Share spent in helper and map calls, 0..1. */
  helpers?: number;
  helperCallsPerPacket?: number;
  helperNsPerPacket?: number;
}

export interface BenchRun {
  /** Object file name and program name. */
  object: string;
  program: string;
  engine: 'jit' | 'interp' | 'kernel';
  /** The driver whose loop ran it when not the pcap driver's (absent: pcap). */
  driver?: 'dpdk' | 'afxdp';
  workers: number;
  /** Seconds measured (after the warm-up). */
  seconds: number;
  packets: number;
  /** Packets per second over the whole loop (filling bursts as a driver would, plus running them), in millions. */
  mpps: number;
  mppsPerWorker: number[];
  /** Time in the burst entry (the program and its loop) per packet, median over bursts; the program-time rate is 1e3 / this. */
  nsPerPacket: number;
  /** The same as a mean over the whole run: includes the times the thread lost its core (a shared machine). */
  meanNsPerPacket: number;
  /** TSC cycles per packet in the burst entry (see machine.tscHz), null where not measured. */
  cyclesPerPacket: number | null;
  /** Time per packet filling the burst (copying the frame behind its headroom, setting the xdp_buff). */
  fillNsPerPacket: number | null;
  /** Mpps per XDP action (ABORTED, DROP, PASS, TX, REDIRECT, other). */
  verdicts: Record<string, number>;
  /** Program-time Mpps per measurement interval: the run's own noise. */
  intervals: number[];
  /** (max - min) / median of intervals: the spread compare uses as noise. */
  spread: number;
  burstNs: Distribution | null;
  split: TimeSplit;
  /** The traffic generator's side, where a driver is fed by one (afxdp on veth): what it sent, and what the kernel lost before the socket. */
  generator?: { mpps: number; sent: number; lostBeforeSocketMpps: number };
  /** Anything the reader must know (skips, fallbacks). */
  notes: string[];
}

export interface Machine {
  cpu: string;
  cores: number;
  kernel: string;
  node: string;
  sluice: string;
  /** TSC ticks per second, calibrated against CLOCK_MONOTONIC; cycles in results are TSC cycles. */
  tscHz: number;
  hostname: string;
}

export interface BenchResults {
  schema: typeof RESULTS_SCHEMA_ID;
  startedAt: string;
  machine: Machine;
  options: {
    objects: string[];
    traffic: string;
    driver: 'pcap' | 'dpdk' | 'afxdp';
    engines: string[];
    workers: number;
    durationS: number;
    warmupS: number;
    burst: number;
    profile: boolean;
    argv: string[];
  };
  runs: BenchRun[];
  /** Why the kernel column is absent, when it is. */
  kernel: { available: boolean; reason: string };
}

/** The key two runs are matched by in compare. */
export const runKey = (r: Pick<BenchRun, 'object' | 'program' | 'engine' | 'workers' | 'driver'>): string =>
  `${r.object}:${r.program} ${r.engine}${r.driver ? `/${r.driver}` : ''} ×${r.workers}`;

/** Program-time Mpps: 1e3 / ns per packet. */
export const programMpps = (r: BenchRun): number => (r.nsPerPacket > 0 ? 1e3 / r.nsPerPacket : 0);
