// Hand-made results for the report, schema and compare tests: no timing involved,
// every figure chosen here so the tests can derive what they expect from it.
import { RESULTS_SCHEMA_ID, type BenchResults, type BenchRun } from '../results.ts';

export function fakeRun(over: Partial<BenchRun> & Pick<BenchRun, 'object' | 'program' | 'engine' | 'workers' | 'nsPerPacket'>): BenchRun {
  const mpps = 1e3 / over.nsPerPacket;
  return {
    seconds: 1, packets: Math.round(mpps * 1e6), mpps: mpps * over.workers, mppsPerWorker: Array(over.workers).fill(mpps),
    meanNsPerPacket: over.nsPerPacket, cyclesPerPacket: over.nsPerPacket * 2.5, fillNsPerPacket: over.engine === 'jit' ? 5 : null,
    verdicts: { DROP: mpps }, intervals: [mpps * 0.99, mpps, mpps * 1.01], spread: 0.02,
    burstNs: over.engine === 'jit' ? { p50: over.nsPerPacket, p90: over.nsPerPacket * 1.1, p99: over.nsPerPacket * 1.5, min: over.nsPerPacket * 0.9,
      max: over.nsPerPacket * 3, edges: [0.9, 1, 1.1, 1.2, 1.5].map((k) => k * over.nsPerPacket), counts: [10, 60, 20, 10] } : null,
    split: over.engine === 'jit' ? { available: true, method: 'fixture', program: 0.6, helpers: 0.4, helperCallsPerPacket: 1, helperNsPerPacket: over.nsPerPacket * 0.4 }
      : { available: false, method: 'fixture: not available' },
    notes: [],
    ...over,
  };
}

export function fakeResults(runs: BenchRun[]): BenchResults {
  return {
    schema: RESULTS_SCHEMA_ID, startedAt: '2026-11-27T00:00:00.000Z',
    machine: { cpu: 'Test CPU', cores: 2, kernel: '6.18', node: 'v20', sluice: '0.1.0', tscHz: 2.5e9, hostname: 'test' },
    options: { objects: ['a.o', 'b.o'], traffic: 'size=60', driver: 'pcap', engines: ['jit', 'interp'], workers: 2, durationS: 1, warmupS: 0.1, burst: 256, profile: true, argv: [] },
    runs, kernel: { available: true, reason: 'fixture' },
  };
}

/** Two programs; jit at 1 and 2 workers, interp and kernel at one. */
export function sampleResults(): BenchResults {
  const runs: BenchRun[] = [];
  for (const [object, program, ns] of [['a.o', 'xdp_a', 5], ['b.o', 'xdp_b', 20]] as const) {
    runs.push(fakeRun({ object, program, engine: 'jit', workers: 1, nsPerPacket: ns }));
    runs.push(fakeRun({ object, program, engine: 'jit', workers: 2, nsPerPacket: ns * 1.05 }));
    runs.push(fakeRun({ object, program, engine: 'interp', workers: 1, nsPerPacket: ns * 400 }));
    runs.push(fakeRun({ object, program, engine: 'kernel', workers: 1, nsPerPacket: ns * 2 }));
  }
  return fakeResults(runs);
}
