// The example programs through `sluice bench`'s own machinery (issue 11 section 3):
// the JIT on one and two workers, the interpreter, and the kernel's test run as
// root, on synthetic traffic with 1,000 flows of Zipf popularity. Rewrites
// bench/README.md's "programs" section and its charts (bench/charts/programs-*.svg);
// the whole report (HTML, PNG, results.json) goes to --report DIR when given.
//
//   node --import tsx bench/programs.ts [--duration S] [--report DIR] [--no-write]
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReport } from '../dataplane/bench/report.ts';
import { programMpps } from '../dataplane/bench/results.ts';
import { runSession } from '../dataplane/bench/session.ts';
import { buildTrace, parseTrafficSpec } from '../dataplane/bench/traffic.ts';
import { classifyObject } from './native/native.ts';
import { fmt, table, writeSection } from './lib/report.ts';

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
const DURATION = Number(opt('duration') ?? 2);
const TRAFFIC = 'size=64,mix=udp:60+tcp:40,flows=1k,dist=zipf:1.1';
const here = fileURLToPath(new URL('.', import.meta.url));
const objects = ['xdp_drop', 'xdp_tx', 'firewall', 'lb', 'router'].map((n) => `${here}../examples/${n}.o`).concat(classifyObject());

const trace = buildTrace(parseTrafficSpec(TRAFFIC));
const results = await runSession(trace, {
  objects, engines: ['jit', 'interp'], workers: 2, scaling: true, durationS: DURATION, warmupS: 0.3, interpDurationS: 0.5,
  burst: 256, profile: true, kernel: true, kernelRepeat: 200_000, cpuBase: -1, argv,
  onStart: (what) => console.log(`  ${what} ...`),
});

const dir = opt('report') ?? mkdtempSync(join(tmpdir(), 'sluice-bench-programs-'));
const files = writeReport(dir, results, { png: opt('report') !== undefined });
if (opt('report')) console.log(`report: ${files.html}`);

const rows = results.runs.map((r) => [
  `${r.object}:${r.program}`, r.engine, String(r.workers), fmt(r.mpps, 2), fmt(programMpps(r), 2), fmt(r.nsPerPacket, 2),
  r.cyclesPerPacket === null ? '–' : fmt(r.cyclesPerPacket, 0),
  Object.entries(r.verdicts).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', '),
  r.split.available ? `${fmt((r.split.helpers ?? 0) * 100, 0)}% (${fmt(r.split.helperCallsPerPacket ?? 0, 1)} calls)` : '–',
]);
const charts = files.svgs.map((svg) => {
  const name = svg.replace(/^.*\//, '').replace(/\.svg$/, '');
  if (!argv.includes('--no-write')) copyFileSync(svg, `${here}charts/programs-${name}.svg`);
  return `![${name}](charts/programs-${name}.svg)`;
});
if (!opt('report')) rmSync(dir, { recursive: true, force: true });

const markdown = `### Example programs through \`sluice bench\` (bench/programs.ts), ${DURATION} s per run

Traffic \`${TRAFFIC}\` (${trace.count.toLocaleString('en-US')} frames); pcap driver; bursts of 256. Kernel: ${results.kernel.available ? 'BPF_PROG_TEST_RUN, repeat 200,000, 16 frames of the trace' : `not measured (${results.kernel.reason})`}.

${table(['object:program', 'engine', 'workers', 'Mpps (loop)', 'Mpps (program time)', 'ns/pkt', 'TSC cycles/pkt', 'verdicts (Mpps)', 'helpers and maps'], rows)}

"Loop" counts filling each burst as a receive would (copying frames) plus running it, over wall time, on a
2-core machine shared with other work; "program time" is the burst entry alone (median burst). The helper
share comes from a separate run with helper calls through counting trampolines (\`sluice bench\`'s profiling
mode). The same run as a report: \`sluice bench examples/*.o --engine both --workers 2 --traffic '${TRAFFIC}' --report DIR\`.

Two workers need both cores to themselves (the main thread and the other work here share them), so "loop" on
two workers varies from run to run far more than one worker does; what says whether the workers get in each
other's way is ns/pkt (program time): a worker that shares no written cache line with the other costs the
same per packet on two workers as on one. The firewall did not until per-CPU values were stored CPU-major
(maps/README.md, "Concurrency"): its two counters per packet shared one line between the workers, and its
ns/pkt went from ~27 on one worker to 43–187 on two; now ~20 on both.

${charts.join('\n')}`;
console.log(markdown);
if (!argv.includes('--no-write')) writeSection('programs', markdown);
