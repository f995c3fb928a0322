// Measuring one program over a trace: the JIT on N native worker threads
// (dataplane/shim/bench_loop.c), the interpreter on the main thread, and the
// kernel's BPF_PROG_TEST_RUN (repeat) on the same object and frames.
import { setTimeout as sleep } from 'node:timers/promises';
import { benchBindings, BENCH_STATS, shimSymbol } from '../ffi.ts';
import { JitProgram } from '../jit-program.ts';
import { XDP_ACTIONS, type XdpObject, type XdpProgram } from '../runtime.ts';
import { kernelAvailable } from '../../scripts/testkit/kernel.ts';
import { kernelRunObject } from '../../scripts/testkit/kernel-object.ts';
import { CALL } from '../../jit/isa/opcode.ts';
import { BenchError } from './errors.ts';

const BPF_FUNC_TAIL_CALL = 12;
import type { BenchRun, Distribution, TimeSplit } from './results.ts';
import { sampleFrames, type Trace } from './traffic.ts';

export interface MeasureOptions {
  workers: number;
  /** Seconds measured after the warm-up. */
  durationS: number;
  warmupS: number;
  /** Packets per burst (the burst entry's n). Default 256. */
  burst: number;
  /** Also run once with helper calls through counting trampolines for the time split. */
  profile: boolean;
  /** Called about every interval with the rate so far (the live line). */
  onTick?: (tick: Tick) => void;
  /** Pin worker i to CPU cpuBase + i; negative: no pinning. */
  cpuBase?: number;
}

/** packets so far; mpps over the last interval; verdict counts so far (their shares split the rate). */
export interface Tick { packets: number; mpps: number; verdicts: Record<string, number>; elapsedS: number }

const STAT = Object.fromEntries(BENCH_STATS.map((s, i) => [s, i])) as Record<(typeof BENCH_STATS)[number], number>;
const NSTAT = BENCH_STATS.length;
const VERDICT_NAMES = [...XDP_ACTIONS, 'v5', 'v6', 'other'];
const SAMPLE_CAP = 65536;

let tsc: number | undefined;
/** TSC ticks per second (calibrated once, 50 ms). */
export function tscHz(): number {
  tsc ??= benchBindings().tscHz(50);
  return tsc;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const spreadOf = (xs: readonly number[]): number => {
  if (xs.length < 2) return 0;
  const m = median(xs);
  return m > 0 ? (Math.max(...xs) - Math.min(...xs)) / m : 0;
};

/** Percentiles and a histogram of ns-per-packet values. */
export function distribution(values: readonly number[], bins = 24): Distribution | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  const lo = s[0]!, hi = Math.max(q(0.99), lo * 1.0001 + 1e-9);
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * width);
  const counts = new Array<number>(bins).fill(0);
  for (const v of s) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), min: lo, max: s[s.length - 1]!, edges, counts };
}

/** A ring of `bursts` writes (oldest overwritten) in the order they were written. */
function chronological(ring: Uint32Array, bursts: number): number[] {
  const cap = ring.length;
  if (bursts <= cap) return Array.from(ring.subarray(0, bursts));
  const at = bursts % cap;
  return [...ring.subarray(at), ...ring.subarray(0, at)];
}

/** Medians of `k` consecutive chunks (fewer when there are fewer values). */
function chunkMedians(values: readonly number[], k: number): number[] {
  const size = Math.ceil(values.length / k);
  const out: number[] = [];
  for (let i = 0; size > 0 && i < values.length; i += size) out.push(median(values.slice(i, i + size)));
  return out;
}

interface NativeRun { stats: BigUint64Array; samples: Uint32Array }

/** Runs a burst entry on worker threads for the duration; polls for the live line. */
async function runNative(entry: bigint, trace: Trace, o: MeasureOptions): Promise<NativeRun> {
  const b = benchBindings();
  const samples = new Uint32Array(o.workers * SAMPLE_CAP);
  const h = b.start(entry, o.workers, trace.src, trace.offs, trace.lens, trace.count, o.burst,
    BigInt(Math.round(o.durationS * 1e9)), BigInt(Math.round(o.warmupS * 1e9)), samples, SAMPLE_CAP, o.cpuBase ?? -1);
  if (h === 0n) throw new BenchError(`could not start ${o.workers} worker thread(s) (out of memory, or a burst of ${o.burst} is over 4096)`);
  const stats = new BigUint64Array(o.workers * NSTAT);
  const sum = (name: (typeof BENCH_STATS)[number]) => {
    let t = 0;
    for (let w = 0; w < o.workers; w++) t += Number(stats[w * NSTAT + STAT[name]]!);
    return t;
  };
  const step = Math.max(0.1, Math.min(1, o.durationS / 10));
  let lastPackets = 0, lastNs = 0;
  try {
    const started = Date.now();
    for (;;) {
      await sleep(step * 1000);
      b.poll(h, stats);
      const done = Array.from({ length: o.workers }, (_, w) => stats[w * NSTAT + STAT.done]!).every((d) => d !== 0n);
      const packets = sum('packets');
      const ns = Math.max(...Array.from({ length: o.workers }, (_, w) => Number(stats[w * NSTAT + STAT.ns]!)));
      // The live line shows the last interval's rate, as xdp-bench does.
      if (o.onTick && ns > lastNs) {
        const verdicts: Record<string, number> = {};
        VERDICT_NAMES.forEach((v) => { const c = sum(v as (typeof BENCH_STATS)[number]); if (c) verdicts[v] = c; });
        o.onTick({ packets, mpps: (packets - lastPackets) / (ns - lastNs) * 1e3, verdicts, elapsedS: ns / 1e9 });
      }
      lastPackets = packets; lastNs = ns;
      if (done) break;
      if (Date.now() - started > (o.durationS + o.warmupS) * 1000 + 30_000) { b.stop(h); }
    }
  } finally {
    b.join(h);
  }
  if (Array.from({ length: o.workers }, (_, w) => stats[w * NSTAT + STAT.done]!).some((d) => d === 2n)) {
    throw new BenchError('a worker could not allocate its burst arena');
  }
  return { stats, samples };
}

function verdictRates(count: (v: string) => number, seconds: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of VERDICT_NAMES) { const c = count(v); if (c) out[v] = c / seconds / 1e6; }
  return out;
}

/** The JIT on `workers` threads; with `profile`, a second shorter run with counting trampolines for the time split. */
export async function measureJit(object: string, prog: XdpProgram, trace: Trace, o: MeasureOptions): Promise<BenchRun> {
  const entry = prog.engine.entry;
  if (entry === undefined) throw new BenchError(`${prog.name}: the JIT engine has no burst entry`);
  const hz = tscHz();
  const { stats, samples } = await runNative(entry, trace, o);
  const per = (w: number, name: (typeof BENCH_STATS)[number]) => Number(stats[w * NSTAT + STAT[name]]!);
  const ws = Array.from({ length: o.workers }, (_, w) => w);
  const packets = ws.reduce((a, w) => a + per(w, 'packets'), 0);
  const runCycles = ws.reduce((a, w) => a + per(w, 'runCycles'), 0);
  const fillCycles = ws.reduce((a, w) => a + per(w, 'fillCycles'), 0);
  const seconds = Math.max(...ws.map((w) => per(w, 'ns'))) / 1e9;
  const mppsPerWorker = ws.map((w) => per(w, 'packets') / (per(w, 'ns') || 1) * 1e3);
  // Per-burst samples (a ring per worker): oldest first, as ns per packet.
  const perWorker = ws.map((w) => chronological(samples.subarray(w * SAMPLE_CAP, (w + 1) * SAMPLE_CAP), per(w, 'bursts')).map((c) => c / hz * 1e9 / o.burst));
  const burstNs = perWorker.flat();
  // The median burst is the program's speed on a shared machine; the mean also counts the times the thread lost its core.
  const nsPerPacket = median(burstNs);
  const chunks = chunkMedians(perWorker[0] ?? [], 10).map((ns) => 1e3 / ns * o.workers);
  const split = o.profile ? await profileSplit(prog, trace, o, nsPerPacket) : { available: false, method: 'not measured (profiling off: --no-profile)' };
  return {
    object, program: prog.name, engine: 'jit', workers: o.workers, seconds, packets,
    mpps: mppsPerWorker.reduce((a, b) => a + b, 0), mppsPerWorker,
    nsPerPacket, cyclesPerPacket: nsPerPacket * hz / 1e9, meanNsPerPacket: packets ? runCycles / packets / hz * 1e9 : NaN,
    fillNsPerPacket: packets ? fillCycles / packets / hz * 1e9 : null,
    verdicts: verdictRates((v) => ws.reduce((a, w) => a + per(w, v as (typeof BENCH_STATS)[number]), 0), seconds),
    intervals: chunks, spread: spreadOf(chunks), burstNs: distribution(burstNs), split, notes: [],
  };
}

/**
 * The split between the program's own code and its helper/map calls: the same
 * instructions compiled again with every helper call pointed at a counting
 * trampoline (rdtsc before and after the real helper), run on one worker.
 * The cost of an empty rdtsc pair is taken off each call's time and off the total.
 */
async function profileSplit(prog: XdpProgram, trace: Trace, o: MeasureOptions, nsPerPacket: number): Promise<TimeSplit> {
  const b = benchBindings();
  const method = 'helper calls routed through counting trampolines (rdtsc around each call, minus an empty rdtsc pair), one worker, a separate run';
  let jit: JitProgram;
  try {
    jit = JitProgram.compile(prog.instructions, {
      helperAddress: (id) => { const at = b.trampoline(id); return at === 0n ? undefined : at; },
      rewriteContext: false,
      redirectCommit: shimSymbol('sluice_redirect_commit'),
    });
  } catch (err) {
    return { available: false, method: `not available: compiling with trampolines failed (${(err as Error).message})` };
  }
  try {
    const run = await runNative(jit.entry, trace, { ...o, workers: 1, durationS: Math.min(1, Math.max(0.2, o.durationS / 3)), warmupS: 0.1, onTick: undefined });
    const s = run.stats;
    const packets = Number(s[STAT.packets]!), calls = Number(s[STAT.helperCalls]!);
    const pair = b.rdtscCost();
    const helperCycles = Math.max(0, Number(s[STAT.helperCycles]!) - calls * pair);
    // Each call adds roughly two rdtsc reads (one pair) on top of an uninstrumented call.
    const total = Math.max(1, Number(s[STAT.runCycles]!) - calls * pair);
    const helpers = Math.min(1, helperCycles / total);
    // Programs reached by tail calls were compiled on their own, with the real helpers: their calls are not counted.
    const tailCalls = prog.instructions.some((i) => i.opcode === CALL && i.src === 0 && i.imm === BPF_FUNC_TAIL_CALL);
    return {
      available: true, method: tailCalls ? `${method}; the programs it tail-calls are not instrumented, so their helper calls count as program code` : method,
      program: 1 - helpers, helpers,
      helperCallsPerPacket: packets ? calls / packets : 0,
      helperNsPerPacket: helpers * nsPerPacket,
    };
  } finally {
    jit.free();
  }
}

/** The interpreter, one worker on the main thread, one burst at a time (per-burst times from hrtime). */
export async function measureInterp(object: string, prog: XdpProgram, trace: Trace, o: MeasureOptions): Promise<BenchRun> {
  const n = o.burst;
  const arena = prog.arenaFor(n);
  let pos = 0;
  const next = () => {
    for (let i = 0; i < n; i++) { arena.offs[i] = trace.offs[pos]!; arena.lens[i] = trace.lens[pos]!; pos = pos + 1 === trace.count ? 0 : pos + 1; }
  };
  const warmEnd = performance.now() + o.warmupS * 1000;
  while (performance.now() < warmEnd) { next(); prog.runArena(arena, trace.src, n); }
  const counts = new Array<number>(VERDICT_NAMES.length).fill(0);
  const burstNs: number[] = [];
  const intervals: number[] = [];
  let packets = 0, runNs = 0, intervalPackets = 0, intervalNs = 0;
  const step = Math.max(0.1, o.durationS / 10) * 1000;
  const start = performance.now();
  let mark = start;
  while (performance.now() - start < o.durationS * 1000) {
    next();
    const t0 = process.hrtime.bigint();
    prog.runArena(arena, trace.src, n);
    const ns = Number(process.hrtime.bigint() - t0);
    for (let i = 0; i < n; i++) { const v = arena.verdict(i); counts[v < 7 ? v : 7]!++; }
    packets += n; runNs += ns; intervalPackets += n; intervalNs += ns;
    if (burstNs.length < SAMPLE_CAP) burstNs.push(ns / n);
    const now = performance.now();
    if (now - mark >= step) {
      intervals.push(intervalPackets / intervalNs * 1e3);
      const verdicts: Record<string, number> = {};
      VERDICT_NAMES.forEach((v, i) => { if (counts[i]) verdicts[v] = counts[i]!; });
      o.onTick?.({ packets, mpps: intervalPackets / ((now - mark) * 1e6) * 1e3, verdicts, elapsedS: (now - start) / 1000 });
      intervalPackets = intervalNs = 0; mark = now;
      await sleep(0); // let the event loop breathe (signals, the live line)
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const mpps = packets / seconds / 1e6;
  const nsPerPacket = median(burstNs);
  return {
    object, program: prog.name, engine: 'interp', workers: 1, seconds, packets, mpps, mppsPerWorker: [mpps],
    nsPerPacket, meanNsPerPacket: runNs / packets, cyclesPerPacket: nsPerPacket * tscHz() / 1e9, fillNsPerPacket: null,
    verdicts: verdictRates((v) => counts[VERDICT_NAMES.indexOf(v)]!, seconds),
    intervals, spread: spreadOf(intervals), burstNs: distribution(burstNs),
    split: { available: false, method: 'not available for the interpreter (helper calls are TypeScript there; the split would describe the interpreter, not the program)' },
    notes: ['interpreter: one worker on the main thread; burst filled and run per FFI call, times include the fill'],
  };
}

/** Whether the kernel column can be measured here, and why not. */
export function kernelStatus(): { available: boolean; reason: string } {
  const k = kernelAvailable();
  return { available: k.ok, reason: k.ok ? 'BPF_PROG_TEST_RUN available' : k.why };
}

/**
 * The kernel's BPF_PROG_TEST_RUN with `repeat` on the same object: up to 16
 * frames sampled evenly from the trace, one request each, `rounds` times
 * (the rounds give the spread). Each frame's verdict is weighted equally.
 */
export function measureKernel(object: XdpObject, objectName: string, prog: XdpProgram, trace: Trace, repeat: number, rounds = 3): BenchRun {
  const frames = sampleFrames(trace, 16);
  const intervals: number[] = [];
  const verdictCount = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    const run = kernelRunObject(object.spec, prog.name, frames, [], [], repeat);
    const ns = run.frames.reduce((a, f) => a + f.durationNs, 0) / run.frames.length;
    intervals.push(1e3 / ns);
    if (r === 0) for (const f of run.frames) { const v = XDP_ACTIONS[f.retval] ?? 'other'; verdictCount.set(v, (verdictCount.get(v) ?? 0) + 1); }
  }
  const nsPerPacket = 1e3 / median(intervals);
  const mpps = 1e3 / nsPerPacket;
  const verdicts: Record<string, number> = {};
  for (const [v, c] of verdictCount) verdicts[v] = mpps * c / frames.length;
  return {
    object: objectName, program: prog.name, engine: 'kernel', workers: 1,
    seconds: nsPerPacket * repeat * frames.length * rounds / 1e9, packets: repeat * frames.length * rounds,
    mpps, mppsPerWorker: [mpps], nsPerPacket, meanNsPerPacket: nsPerPacket, cyclesPerPacket: nsPerPacket * tscHz() / 1e9, fillNsPerPacket: null,
    verdicts, intervals, spread: spreadOf(intervals), burstNs: null,
    split: { available: false, method: 'not available for the kernel (its test run reports one duration)' },
    notes: [`kernel: BPF_PROG_TEST_RUN, repeat ${repeat}, ${frames.length} frames sampled from the trace, median of ${rounds} rounds; its loop has no fill step (the frame stays in place)`],
  };
}
