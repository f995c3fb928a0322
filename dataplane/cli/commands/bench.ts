// `sluice bench`: how fast an XDP program runs, per packet and per core, and
// where the time goes (dataplane/bench/ does the work); `sluice bench compare`
// puts two runs' JSON side by side and flags regressions beyond their noise.
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { readCaptureFile } from '../../../drivers/pcap/reader.ts';
import { compareResults, formatComparison, parseResults } from '../../bench/compare.ts';
import { afxdpUnavailable } from '../../bench/afxdp.ts';
import { dpdkUnavailable } from '../../bench/dpdk.ts';
import { BenchError } from '../../bench/errors.ts';
import { writeReport } from '../../bench/report.ts';
import { programMpps, type BenchResults, type BenchRun } from '../../bench/results.ts';
import { runSession } from '../../bench/session.ts';
import { buildTrace, parseTrafficSpec, traceOf, type Trace } from '../../bench/traffic.ts';
import { type Command, EXIT_FAILURE, EXIT_OK, UsageError, intOption, parseOptions } from '../command.ts';

const USAGE = `Usage: sluice bench OBJ... [--prog NAME] [--pcap IN | --traffic SPEC] [--driver pcap|dpdk|afxdp]
                   [--engine jit|interp|both] [--workers N] [--duration S] [--warmup S] [--burst N]
                   [--no-scaling] [--no-profile] [--no-kernel] [--kernel-repeat N] [--pin CPU]
                   [--json] [--report DIR]
       sluice bench compare A.json B.json

Runs an XDP program over frames for a given time, after a warm-up, and reports Mpps per
worker and in total, ns and TSC cycles per packet, verdict rates, and the split between the
program's own code and its helper/map calls. With root, the kernel's BPF_PROG_TEST_RUN
(repeat) on the same object and frames is measured beside it.
  --prog NAME        the program (default: each object's first XDP program)
  --pcap IN          frames from a capture (pcap or pcapng), in order, looped
  --traffic SPEC     synthetic frames (default size=64,mix=udp:100,flows=1,dist=uniform), e.g.
                     size=64+1500,mix=udp:70+tcp:25+icmp:5,flows=1k,dist=zipf:1.1
                     keys: size (bytes, 64 = 60 + FCS), mix (udp, tcp, icmp, udp6, tcp6 with weights),
                     flows (1, 1k, 1m, N), dist (uniform | zipf[:s]), frames (trace length)
  --driver D         pcap (default: bursts filled from memory, as replay does) or dpdk (the
                     DPDK driver's loop on two net_null ports, root; every mbuf holds the
                     trace's first frame) or afxdp (root: the AF_XDP driver on a veth of a
                     namespace lab, fed by a generator; on veth the generator is the limit;
                     one object, one worker, the object's first program, its own 60-byte frame)
  --engine E         jit (default), interp, or both side by side
  --workers N        worker threads (JIT; default 1); each count from 1 to N is measured
                     for the scaling chart unless --no-scaling
  --duration S       seconds measured per run (default 3; the interpreter at most 2)
  --warmup S         seconds run before measuring (default 0.5)
  --burst N          packets per burst entry call (default 256, at most 4096)
  --no-profile       skip the profiling run (helper calls through counting trampolines)
  --no-kernel        skip the kernel's test run even as root
  --kernel-repeat N  the kernel test run's repeat per frame (default 200000)
  --pin CPU          pin worker i to CPU CPU+i
  --json             print the results as JSON (schema: dataplane/bench/schema.json)
  --report DIR       write DIR/index.html (SVG charts), DIR/charts/*.svg and *.png,
                     DIR/results.json and DIR/schema.json`;

const OPTIONS = {
  prog: { type: 'string' }, pcap: { type: 'string' }, traffic: { type: 'string' }, driver: { type: 'string' },
  engine: { type: 'string' }, workers: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' },
  burst: { type: 'string' }, 'no-scaling': { type: 'boolean' }, 'no-profile': { type: 'boolean' }, 'no-kernel': { type: 'boolean' },
  'kernel-repeat': { type: 'string' }, pin: { type: 'string' }, json: { type: 'boolean' }, report: { type: 'string' },
} as const;

function seconds(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const v = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(v >= 0) || v > 3600) throw new UsageError(`--${name} expects seconds from 0 to 3600, got '${value}'`);
  return v;
}

/** 12345678 -> "12,345,678" (xdp-bench style). */
const thousands = (v: number): string => Math.round(v).toLocaleString('en-US');

function liveLine(what: string, mpps: number, verdicts: Record<string, number>, elapsed: number, packets: number): string {
  const rate = mpps * 1e6;
  const total = Object.values(verdicts).reduce((a, b) => a + b, 0) || 1;
  const parts = Object.entries(verdicts).map(([v, c]) => `${v} ${thousands(rate * c / total)}/s`);
  return `${what.padEnd(28)} rx ${thousands(rate).padStart(13)} pkt/s  ${parts.join('  ')}  (${elapsed.toFixed(1)} s, ${thousands(packets)} pkts)`;
}

const f = (v: number | null, d = 2): string => (v === null || !Number.isFinite(v) ? '–' : v.toFixed(d));

const DRIVER_LINE = {
  pcap: 'driver pcap (frames copied into bursts as a receive would)',
  dpdk: 'driver dpdk (net_null ports, one frame in every mbuf; ns/pkt = wall time per packet per worker)',
  afxdp: 'driver afxdp (AF_XDP copy mode on a veth of a namespace lab; ns/pkt = wall time per packet)',
} as const;

/** The generator's rate beside the driver's, said plainly: on veth it is the limit. */
function generatorLines(r: BenchResults): string {
  return r.runs.filter((x) => x.generator).map((x) => `\n${x.program} on afxdp: the generator sent ${f(x.generator!.mpps, 3)} Mpps, the program ran on ${f(x.mpps, 3)} Mpps ` +
    `(${f(x.generator!.lostBeforeSocketMpps, 3)} Mpps lost before the socket). On veth the generator is the limit: its core also runs the receiving side, ` +
    'so this is not the driver\'s or the program\'s ceiling.').join('');
}

export function summary(r: BenchResults): string {
  const rows: string[][] = [['program', 'engine', 'workers', 'Mpps loop', 'Mpps/worker', 'Mpps prog', 'ns/pkt', 'cycles/pkt', 'verdicts (Mpps)', 'helpers']];
  for (const x of r.runs) {
    rows.push([x.program, x.driver ? `${x.engine}/${x.driver}` : x.engine, String(x.workers), f(x.mpps), x.mppsPerWorker.map((m) => f(m)).join('/'), f(programMpps(x)), f(x.nsPerPacket),
      f(x.cyclesPerPacket, 0), Object.entries(x.verdicts).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(' '),
      x.split.available ? `${((x.split.helpers ?? 0) * 100).toFixed(0)}% (${f(x.split.helperCallsPerPacket ?? 0, 1)}/pkt, ${f(x.split.helperNsPerPacket ?? 0)} ns)` : 'n/a']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  // Side by side: each program's single-worker JIT run against its kernel test run and its interpreter run.
  const sides: string[] = [];
  for (const jit of r.runs.filter((x) => x.engine === 'jit' && x.workers === Math.min(...r.runs.filter((y) => y.engine === 'jit' && y.program === x.program && y.object === x.object).map((y) => y.workers)))) {
    const same = (engine: string) => r.runs.find((x) => x.engine === engine && x.program === jit.program && x.object === jit.object);
    const parts = [["the kernel's test run", same('kernel')], ['the interpreter', same('interp')]].filter(([, x]) => x)
      .map(([name, x]) => {
        const r = (x as BenchRun).nsPerPacket / jit.nsPerPacket;
        return r >= 1 ? `${f(r, 1)}× faster than ${name as string}` : `${f(1 / r, 1)}× slower than ${name as string}`;
      });
    if (parts.length) sides.push(`${jit.program}: the JIT${jit.driver ? ` on ${jit.driver}` : ''} runs ${parts.join(', ')} (ns per packet${jit.driver ? `; the ${jit.driver} figure is its whole loop` : ', program time'})`);
  }
  const lines = rows.map((row) => row.map((c, i) => (i < 2 || i === 8 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  const m = r.machine;
  const kernel = r.kernel.available && !r.kernel.reason.startsWith('the kernel test run failed') ? '' : `\nkernel column: ${r.kernel.available ? 'missing in part' : 'not measured'} — ${r.kernel.reason}`;
  const splitMethods = [...new Set(r.runs.filter((x) => x.split.available).map((x) => x.split.method))];
  return `${lines.join('\n')}
${sides.length ? `\n${sides.join('\n')}\n` : ''}
traffic: ${r.options.driver === 'afxdp' ? 'the generator\'s 60-byte UDP frame (blast.c) for the afxdp run' : r.options.traffic}; ${DRIVER_LINE[r.options.driver]}${r.options.driver === 'afxdp' ? '' : `; bursts of ${r.options.burst}`}
${r.options.driver === 'pcap' ? 'Mpps loop = filling + running bursts over wall time; Mpps prog and ns/pkt = the burst entry alone, median burst.' : 'Mpps = frames received per second from the driver\'s counters; the kernel row is its test run.'}${generatorLines(r)}
cycles: TSC cycles from rdtsc (TSC ${(m.tscHz / 1e9).toFixed(3)} GHz, calibrated against CLOCK_MONOTONIC), not core cycles.
helpers: ${splitMethods.length ? splitMethods.join('; ') : 'not measured'}${kernel}`;
}

async function runBench(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseOptions(argv, OPTIONS, { min: 1, max: 64 });
  const driver = o.driver ?? 'pcap';
  if (driver !== 'pcap' && driver !== 'dpdk' && driver !== 'afxdp') throw new UsageError(`--driver expects pcap, dpdk or afxdp, got '${driver}'`);
  const engineArg = o.engine ?? 'jit';
  const engines: ('jit' | 'interp')[] | undefined = engineArg === 'both' ? ['jit', 'interp']
    : engineArg === 'jit' || engineArg === 'interp' ? [engineArg] : undefined;
  if (!engines) throw new UsageError(`--engine expects jit, interp or both, got '${engineArg}'`);
  if (o.pcap !== undefined && o.traffic !== undefined) throw new UsageError('give --pcap or --traffic, not both');
  if (driver === 'dpdk') {
    if (engineArg !== 'jit') throw new UsageError('--driver dpdk runs the JIT only (--engine jit)');
    if (positionals.length > 1) throw new UsageError('--driver dpdk takes one object: DPDK starts once per process');
    const why = dpdkUnavailable();
    if (why) throw new UsageError(`--driver dpdk: ${why}; bench/dpdk.ts compares the DPDK driver with dpdk-testpmd`);
  }
  if (driver === 'afxdp') {
    if (engineArg !== 'jit') throw new UsageError('--driver afxdp runs the JIT only (--engine jit)');
    if (positionals.length > 1) throw new UsageError('--driver afxdp takes one object: each run builds its own namespace lab');
    if (o.prog !== undefined) throw new UsageError("--driver afxdp runs the object's first XDP program (--prog is not supported there)");
    if (o.pcap !== undefined || o.traffic !== undefined) throw new UsageError('--driver afxdp sends its generator\'s own 60-byte UDP frame: --pcap and --traffic do not apply');
    if (o.workers !== undefined && o.workers !== '1') throw new UsageError('--driver afxdp measures one worker (--workers 1): the generator fills one queue');
    // Not a usage problem: the same command works as root. Exit 1 with the reason.
    const why = afxdpUnavailable();
    if (why) throw new BenchError(`--driver afxdp: ${why}; bench/afxdp.ts compares the AF_XDP driver with the kernel's own XDP`);
  }
  const workers = intOption(o.workers, 'workers', 1, 256);
  if (workers < 1) throw new UsageError('--workers must be at least 1');
  if (engineArg === 'interp' && workers > 1) throw new UsageError('--workers above 1 needs the JIT: the interpreter runs on the main thread');
  const burst = intOption(o.burst, 'burst', 256, 4096);
  if (burst < 1) throw new UsageError('--burst must be at least 1');
  const durationS = seconds(o.duration, 'duration', 3);
  if (durationS <= 0) throw new UsageError('--duration must be above 0');
  const warmupS = seconds(o.warmup, 'warmup', 0.5);
  const kernelRepeat = intOption(o['kernel-repeat'], 'kernel-repeat', 200_000, 100_000_000);
  const pin = o.pin === undefined ? -1 : intOption(o.pin, 'pin', 0, 4095);
  if (pin >= 0 && pin + workers > cpus().length) {
    throw new UsageError(`--pin ${pin} with ${workers} worker(s) needs CPUs ${pin}..${pin + workers - 1}; this machine has CPUs 0..${cpus().length - 1}`);
  }
  for (const p of positionals) if (!existsSync(p)) throw new UsageError(`no such object file: ${p}`);
  if (o.pcap !== undefined && !existsSync(o.pcap)) throw new UsageError(`no such capture: ${o.pcap}`);

  let trace: Trace;
  if (o.pcap !== undefined) {
    trace = traceOf(readCaptureFile(o.pcap).all().map((r) => r.data), `capture ${o.pcap}`);
  } else {
    try { trace = buildTrace(parseTrafficSpec(o.traffic ?? '')); } catch (err) {
      if (err instanceof BenchError) throw new UsageError(err.message);
      throw err;
    }
  }
  const tty = process.stdout.isTTY && !o.json;
  if (!o.json) {
    console.log(`sluice bench: ${trace.count.toLocaleString('en-US')} frames (${trace.description}; mean ${trace.meanSize.toFixed(0)} bytes` +
      `${Number.isFinite(trace.distinctFlows) ? `, ${trace.distinctFlows.toLocaleString('en-US')} distinct flow${trace.distinctFlows === 1 ? '' : 's'}` : ''}), driver ${driver}, ` +
      `${durationS} s per run after ${warmupS} s of warm-up`);
  }
  const results = await runSession(trace, {
    objects: positionals, driver, prog: o.prog, engines, workers, scaling: !o['no-scaling'], durationS, warmupS,
    interpDurationS: 2, burst, profile: !o['no-profile'], kernel: !o['no-kernel'], kernelRepeat, cpuBase: pin, argv,
    onStart: (what) => { if (!o.json && !tty) console.log(`  running ${what} ...`); },
    onTick: tty ? (what, t) => process.stdout.write(`\r\x1b[K${liveLine(what, t.mpps, t.verdicts, t.elapsedS, t.packets)}`) : undefined,
    onRun: (run: BenchRun) => {
      if (o.json) return;
      if (tty) process.stdout.write('\r\x1b[K');
      console.log(`  ${run.program} ${run.engine} ×${run.workers}: ${f(run.mpps)} Mpps loop, ${f(programMpps(run))} Mpps program time, ${f(run.nsPerPacket)} ns/pkt`);
    },
  });
  if (o.report !== undefined) {
    const files = writeReport(o.report, results);
    if (!o.json) {
      console.log(`report: ${files.html} (results ${files.json}, schema ${files.schema}, ${files.svgs.length} SVG and ${files.pngs.length} PNG charts)`);
      if (files.pngProblem) console.log(`report: ${files.pngProblem}`);
    }
  }
  if (o.json) console.log(JSON.stringify(results, null, 2));
  else console.log(`\n${summary(results)}`);
  return EXIT_OK;
}

function runCompare(argv: string[]): number {
  const { positionals } = parseOptions(argv, {}, { min: 2, max: 2 });
  const [a, b] = positionals as [string, string];
  for (const p of [a, b]) if (!existsSync(p)) throw new UsageError(`no such results file: ${p}`);
  const c = compareResults(parseResults(readFileSync(a, 'utf8'), a), parseResults(readFileSync(b, 'utf8'), b));
  console.log(formatComparison(c, [a, b]));
  return c.rows.some((r) => r.verdict === 'regression') ? EXIT_FAILURE : EXIT_OK;
}

export const command: Command = {
  name: 'bench',
  summary: 'throughput of an XDP program: Mpps per worker, ns/packet, helper split, kernel beside it; compare runs',
  usage: USAGE,
  async run(argv) {
    if (argv[0] === 'compare') return runCompare(argv.slice(1));
    return runBench(argv);
  },
};
