// DPDK throughput on net_null ports (no NIC, no hugepages): Mpps through
// `sluice run --dpdk` with one worker pinned to CPU 1 for examples/xdp_drop.o,
// xdp_tx.o and firewall.o, beside dpdk-testpmd's io forwarding on the same
// virtual ports with its forwarding lcore on CPU 1, in the same run, rounds
// interleaved (the machine is shared: compare within a round, not across runs).
//
// net_null hands out mbufs without writing their data, so the sluice runs fill
// every mbuf of the pool once with a real frame (--pool-fill: IPv4 TCP
// 10.0.0.1 → 10.0.0.2 port 80, which walks the firewall's whole rule chain to
// PASS_ALLOWED; PASS is counted and dropped with --pass-to none). Rates are
// frames received per second, both ports together, median of the per-second
// samples after the first.
//
// With --huge both sides run on 2 MB hugepages instead of --no-huge's 4 kB pages (reserving
// and mounting them for the run when the machine has none, and giving them back after): the
// deployment DPDK is made for, where the TLB no longer dominates a frame's cost.
//
// Usage: node --import tsx bench/dpdk.ts [--huge] [--seconds S] [--rounds N] [--cases REGEX] [--no-readme]   (root, DPDK)
// --cases runs only the cases whose names match (testpmd io always runs: it is the baseline) and
// implies --no-readme.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eth4 } from '../examples/test/frames.ts';
import { fmt, median, table, writeSection } from './lib/report.ts';
import { reserveHugepages } from '../scripts/testkit/hugepages.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SECONDS = opt('seconds', 5);
const ROUNDS = opt('rounds', 3);
const HUGE = args.includes('--huge');
const VDEVS = `${HUGE ? '' : '--no-huge '}-m 1024 --no-pci --vdev=net_null0 --vdev=net_null1`;
const HUGE_PAGES = 600; // 2 MB pages: 1024 MB for each side's -m, which run one at a time, and room to spare
// Both sides get a pool of this many mbufs (sluice sizes its own from the queues, ~4k: measured
// ~0.5 ns a frame faster here than 16k, so matching testpmd keeps the comparison like for like).
const MBUFS = 16384;
const FRAME = eth4({ src: '10.0.0.1', dst: '10.0.0.2' }, { kind: 'tcp', sport: 40000, dport: 80 }).toString('hex');

if (process.getuid?.() !== 0) { console.error('bench/dpdk.ts needs root'); process.exit(1); }
if (HUGE) process.on('exit', reserveHugepages(HUGE_PAGES));

/** Runs a command for `seconds` (then SIGINT) and collects its stdout; onLine sees each line as it arrives.
 *  When onLine returns true the clock restarts from that line (testpmd: count from when forwarding began,
 *  however long its start took on a loaded machine). */
function runFor(cmd: string, argv: string[], seconds: number, onLine?: (line: string, pid: number) => boolean | void,
  beforeStop?: (pid: number) => void): Promise<{ out: string; stoppedAt: bigint }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] }); // stdin stays open: testpmd exits on EOF
    let out = '', err = '', partial = '', stoppedAt = 0n;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      partial += d.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      if (onLine) for (const l of lines) if (onLine(l, child.pid!) === true) arm();
    });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    let stopAt: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(stopAt);
      stopAt = setTimeout(() => { beforeStop?.(child.pid!); stoppedAt = process.hrtime.bigint(); child.kill('SIGINT'); }, seconds * 1000);
    };
    arm();
    const killAt = setTimeout(() => child.kill('SIGKILL'), (seconds + 60) * 1000);
    child.on('exit', (code) => {
      clearTimeout(stopAt); clearTimeout(killAt);
      if (code !== 0 && code !== null && code !== 130) reject(new Error(`${cmd} exited ${code}: ${err.slice(-2000)}`));
      else resolve({ out, stoppedAt });
    });
  });
}

const steady = (samples: number[]): number => median(samples.slice(1));

/** CPU time (ns) a thread of `pid` named `comm` has run so far (/proc/…/schedstat), NaN if not found. */
function threadCpuNs(pid: number, comm: string): number {
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      if (readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim() === comm) return Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    }
  } catch { /* gone */ }
  return Number.NaN;
}

/** Wall rate, and rate per CPU-second of the forwarding thread (what the shared machine's other load does not change much). */
interface Rate { wall: number; perCpu: number }

/** testpmd's accumulated RX-packets over the time between its "Press enter to exit"
 *  line (line-buffered through stdbuf, timestamped as it arrives) and the SIGINT that stops it. */
async function testpmd(round: number, mode = 'io'): Promise<Rate> {
  const prefix = `sluice-bench-testpmd-${process.pid}-${mode}-${round}`;
  let startedAt = 0n, cpu0 = Number.NaN, cpu1 = Number.NaN;
  try {
    const { out, stoppedAt } = await runFor('stdbuf', ['-oL', 'dpdk-testpmd', '-l', '0-1', ...VDEVS.split(' '), `--file-prefix=${prefix}`, '--',
      `--total-num-mbufs=${MBUFS}`, `--forward-mode=${mode}`, '--auto-start'], SECONDS, (line, pid) => {
      if (!startedAt && /Start automatic packet forwarding|Press enter to exit/.test(line)) {
        startedAt = process.hrtime.bigint();
        cpu0 = threadCpuNs(pid, 'rte-worker-1');
        return true;
      }
      return false;
    }, (pid) => { cpu1 = threadCpuNs(pid, 'rte-worker-1'); });
    const total = /Accumulated forward statistics[\s\S]*?RX-packets:\s+(\d+)/.exec(out);
    if (!total || !startedAt || stoppedAt <= startedAt) throw new Error(`testpmd printed no forwarding statistics: ${out.slice(-600).replace(/\s+/g, ' ')}`);
    const packets = Number(total[1]);
    return { wall: packets / (Number(stoppedAt - startedAt) / 1e9) / 1e6, perCpu: packets / (cpu1 - cpu0) * 1e3 };
  } finally {
    rmSync(`/var/run/dpdk/${prefix}`, { recursive: true, force: true }); // testpmd leaves its runtime directory
  }
}

/**
 * A program that returns one verdict and touches nothing, built here with clang: the verdict's
 * own path through the loop (free as a burst, or transmit), apart from any program's work.
 */
function bareProgram(verdict: 'XDP_DROP' | 'XDP_TX'): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-bare-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const source = join(dir, 'bare.c'), object = join(dir, `bare_${verdict.toLowerCase()}.o`);
  writeFileSync(source, `#include <linux/bpf.h>\n__attribute__((section("xdp"), used)) int bare(struct xdp_md *ctx) { return ${verdict}; }\nchar _license[] __attribute__((section("license"), used)) = "GPL";\n`);
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', source, '-o', object]); // as scripts/build-examples.sh
  return object;
}
const BARE_DROP = bareProgram('XDP_DROP'), BARE_TX = bareProgram('XDP_TX');

async function sluice(object: string, round: number, workers = 1): Promise<Rate> {
  const cpus = workers === 1 ? '1' : '1,0';
  const cpuAt: { packets: number; cpu: number }[] = [];
  const workersCpu = (pid: number): number => Array.from({ length: workers }, (_, w) => threadCpuNs(pid, `sluice-w${w}`)).reduce((a, b) => a + b, 0);
  const path = object.startsWith('/') ? object : `${root}examples/${object}`;
  const { out } = await runFor(process.execPath, [`${root}dataplane/cli/bin.mjs`, 'run', path,
    '--dpdk', `-l 0 ${VDEVS} --file-prefix=sluice-bench-${process.pid}-${round}`, '--port', '0,1', '--pass-to', 'none',
    '--workers', String(workers), '--worker-cpus', cpus, '--mbufs', String(MBUFS), '--pool-fill', FRAME, '--stats', '1s', '--json', '--duration', String(SECONDS + 1)], SECONDS + 5, (line, pid) => {
    if (line.startsWith('{"event":"stats"')) cpuAt.push({ packets: (JSON.parse(line) as { totals: { rxPackets: number } }).totals.rxPackets, cpu: workersCpu(pid) });
  });
  const rates = out.split('\n').filter((l) => l.startsWith('{"event":"stats"'))
    .map((l) => (JSON.parse(l) as { rates: { rx_pps: number } }).rates.rx_pps);
  const a = cpuAt[1], b = cpuAt[cpuAt.length - 1];
  const perCpu = a && b && b.cpu > a.cpu ? (b.packets - a.packets) / (b.cpu - a.cpu) * 1e3 : Number.NaN;
  return { wall: steady(rates) / 1e6, perCpu };
}

const CASES = [
  // testpmd sometimes fails to start on the loaded machine (seen: no statistics at all): one more try.
  { name: 'dpdk-testpmd io forward', run: (r: number) => testpmd(r).catch(() => testpmd(r + 100)), target: undefined },
  // The loop's own cost: a 2-instruction program, its PASS counted and freed as a burst (--pass-to none).
  { name: 'sluice xdp_pass.o (loop + a bare program)', run: (r: number) => sluice('xdp_pass.o', r), target: undefined },
  { name: 'sluice xdp_drop.o', run: (r: number) => sluice('xdp_drop.o', r), target: 0.9 },
  { name: 'sluice xdp_tx.o', run: (r: number) => sluice('xdp_tx.o', r), target: 0.9 },
  { name: 'sluice firewall.o (PASS_ALLOWED path)', run: (r: number) => sluice('firewall.o', r), target: 0.6 },
  // Scaling needs a program whose workers share nothing: the firewall counts per CPU (xdp_drop.o's
  // shared counter would measure two cores bouncing one cache line).
  { name: 'sluice firewall.o, 2 workers', run: (r: number) => sluice('firewall.o', r, 2), target: undefined },
  // testpmd io never touches packet data; macswap does what xdp_tx does (swap the MACs) natively.
  { name: 'dpdk-testpmd macswap forward', run: (r: number) => testpmd(r, 'macswap').catch(() => testpmd(r + 100, 'macswap')), target: undefined },
  // The verdicts' own paths: `return XDP_DROP;` / `return XDP_TX;`, no counters, no data touched.
  { name: 'sluice bare XDP_DROP (return XDP_DROP)', run: (r: number) => sluice(BARE_DROP, r), target: 0.9 },
  { name: 'sluice bare XDP_TX (return XDP_TX)', run: (r: number) => sluice(BARE_TX, r), target: 0.9 },
];
const TWO_WORKERS = 5, MACSWAP = 6, XDP_TX = 3, PASS = 1, FIREWALL = 4;
const casesArg = args.indexOf('--cases');
const only = casesArg >= 0 ? new RegExp(args[casesArg + 1] ?? '') : undefined;
const selected = (i: number): boolean => i === 0 || !only || only.test(CASES[i]!.name);

const wall = CASES.map(() => [] as number[]), perCpu = CASES.map(() => [] as number[]);
const wallRatio = CASES.map(() => [] as number[]), cpuRatio = CASES.map(() => [] as number[]);
for (let round = 0; round < ROUNDS; round++) {
  const inRound: Rate[] = [];
  for (const [i, c] of CASES.entries()) {
    if (!selected(i)) { inRound.push({ wall: Number.NaN, perCpu: Number.NaN }); continue; }
    const r = await c.run(round).catch((err: unknown): Rate => {
      console.log(`round ${round + 1}: ${c.name} failed: ${(err as Error).message.slice(0, 1000)}`);
      return { wall: Number.NaN, perCpu: Number.NaN };
    });
    inRound.push(r);
    wall[i]!.push(r.wall); perCpu[i]!.push(r.perCpu);
    wallRatio[i]!.push(r.wall / inRound[0]!.wall); cpuRatio[i]!.push(r.perCpu / inRound[0]!.perCpu);
    console.log(`round ${round + 1}/${ROUNDS}  ${c.name.padEnd(40)} ${fmt(r.wall, 2)} Mpps (${fmt(100 * r.wall / inRound[0]!.wall, 0)} %)  ` +
      `${fmt(r.perCpu, 2)} Mpps per CPU-second (${fmt(100 * r.perCpu / inRound[0]!.perCpu, 0)} %)`);
  }
}

const finite = (xs: number[]): number[] => xs.filter(Number.isFinite);
const pct = (x: number): string => `${fmt(100 * x, 0)} %`;
const rows = CASES.map((c, i) => {
  const wr = median(finite(wallRatio[i]!)), cr = median(finite(cpuRatio[i]!));
  const verdict = c.target === undefined ? '' : `≥ ${c.target * 100} %: wall ${wr >= c.target ? 'met' : '**not met**'}, per CPU ${cr >= c.target ? 'met' : '**not met**'}`;
  const note = i === TWO_WORKERS ? `${fmt(median(finite(wall[TWO_WORKERS]!)) / median(finite(wall[FIREWALL]!)), 2)}× one worker (wall)`
    : i === MACSWAP ? `xdp_tx per CPU-second: ${pct(median(finite(perCpu[XDP_TX]!)) / median(finite(perCpu[MACSWAP]!)))} of this`
    : i === PASS ? 'no target: what the loop costs around a program that does nothing' : verdict;
  const mpps = median(finite(perCpu[i]!));
  return [c.name, fmt(median(finite(wall[i]!)), 2), i === 0 ? '100 %' : pct(wr), fmt(mpps, 2), fmt(1e3 / mpps, 1), i === 0 ? '100 %' : pct(cr), note];
});
const md = `### DPDK${HUGE ? ' on 2 MB hugepages' : ''}: sluice run --dpdk on two net_null ports, one worker on CPU 1, beside dpdk-testpmd io

${table(['case', 'Mpps (wall)', 'of testpmd', 'Mpps per CPU-second', 'ns per frame (CPU)', 'of testpmd', 'target'], rows)}

${ROUNDS} rounds of ${SECONDS} s per case, interleaved; rates are frames received per second over both
ports; "per CPU-second" divides the frames by the CPU time the forwarding thread(s) actually ran
(/proc/PID/task/TID/schedstat: testpmd's rte-worker-1, sluice's sluice-wN), which on a shared
machine is the fairer comparison: the wall rate mostly measures how much of CPU 1 each run got.
Ratios are medians of per-round ratios. testpmd: \`dpdk-testpmd -l 0-1 ${VDEVS} -- --total-num-mbufs=${MBUFS} --forward-mode=io\`.
sluice: \`sluice run OBJ --dpdk "-l 0 ${VDEVS}" --port 0,1 --pass-to none --worker-cpus 1 --mbufs ${MBUFS} --pool-fill <IPv4 TCP frame>\`.
The two-worker row pins workers to CPUs 1 and 0 on a 2-core machine, where Node's main thread and
EAL's threads share those cores: it says little about scaling on a machine with spare cores.

Like for like: both sides use the same net_null devices with their defaults (64-byte frames, no
\`copy\`: neither writes frame data per packet), pools of ${MBUFS} mbufs of 2176 bytes, a per-lcore
mempool cache (testpmd 250, sluice 256) and bursts of 32. sluice's --pool-fill writes a frame into
every mbuf once, before the run (net_null hands out mbufs without writing them). ${HUGE
  ? 'On hugepages the programs read the mbufs themselves'
  : 'On 4 kB pages the programs read xdp_buffs the loop builds'} (\`--context auto\`: drivers/dpdk/README.md,
"The program's context"). The bare rows are one-line programs built with clang for this run
(\`return XDP_DROP;\`, \`return XDP_TX;\`): the verdicts' own paths through the loop. Where a
frame's nanoseconds go, and why the TX target is out of reach on net_null:
drivers/dpdk/README.md, "Performance".`;
console.log(`\n${md}`);
if (!args.includes('--no-readme') && !only) writeSection(HUGE ? 'dpdk-huge' : 'dpdk', md);
