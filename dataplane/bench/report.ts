// `sluice bench --report DIR`: one self-contained HTML page (inline SVG charts,
// inline style and a small self-check script, no network), the same charts as
// SVG and PNG files (rendered by headless Chromium's --screenshot when it is
// installed), the raw results as results.json and the schema they follow.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { allCharts, esc, type Chart } from './charts.ts';
import { programMpps, type BenchResults } from './results.ts';
import { SCHEMA_PATH } from './validate.ts';

export interface ReportFiles { html: string; json: string; schema: string; svgs: string[]; pngs: string[]; pngProblem?: string }

const f2 = (v: number | null | undefined, d = 2): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));

function runsTable(r: BenchResults): string {
  const head = ['object:program', 'engine', 'workers', 'Mpps (loop)', 'Mpps (program time)', 'ns/pkt (median burst)', 'TSC cycles/pkt', 'fill ns/pkt', 'verdicts (Mpps)', 'helpers share', 'spread'];
  const rows = r.runs.map((x) => [
    `${x.object}:${x.program}`, x.engine, String(x.workers), f2(x.mpps), f2(programMpps(x)), f2(x.nsPerPacket), f2(x.cyclesPerPacket, 1), f2(x.fillNsPerPacket),
    Object.entries(x.verdicts).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', '),
    x.split.available ? `${((x.split.helpers ?? 0) * 100).toFixed(0)}% (${f2(x.split.helperCallsPerPacket, 1)} calls/pkt)` : 'n/a',
    `±${(x.spread * 50).toFixed(1)}%`,
  ]);
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** The page's self-check: counts, per chart and series, the drawn shapes with a non-empty box, into #render-check. */
const SELF_CHECK = `addEventListener('load', () => {
  const out = {};
  for (const svg of document.querySelectorAll('svg.chart')) {
    const series = {};
    for (const g of svg.querySelectorAll('g.series')) {
      let drawn = 0;
      for (const el of g.querySelectorAll('rect, polyline, circle, line')) { const b = el.getBBox(); if (b.width > 0 || b.height > 0) drawn++; }
      series[g.dataset.series] = drawn;
    }
    out[svg.dataset.chart] = series;
  }
  document.getElementById('render-check').textContent = JSON.stringify(out);
});`;

export function renderHtml(r: BenchResults, charts: Chart[] = allCharts(r.runs)): string {
  const m = r.machine;
  const notes = [...new Set(r.runs.flatMap((x) => x.notes))];
  const methods = [...new Set(r.runs.map((x) => `${x.engine}: ${x.split.method}`))];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sluice bench — ${esc(r.options.objects.join(', '))}</title>
<style>
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1640px; }
table { border-collapse: collapse; font-size: 12px; margin: 12px 0; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; }
th:first-child, td:first-child, td:nth-child(2), td:nth-child(9) { text-align: left; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
pre#render-check { display: none; }
dl { font-size: 13px; } dt { font-weight: bold; float: left; width: 9em; } dd { margin-left: 10em; }
</style></head><body>
<h1>sluice bench</h1>
<dl>
<dt>machine</dt><dd>${esc(`${m.cpu} × ${m.cores}, Linux ${m.kernel}, Node ${m.node}, sluice ${m.sluice}, TSC ${(m.tscHz / 1e9).toFixed(3)} GHz`)}</dd>
<dt>started</dt><dd>${esc(r.startedAt)}</dd>
<dt>traffic</dt><dd>${esc(r.options.traffic)}</dd>
<dt>options</dt><dd>${esc(`driver ${r.options.driver}, engines ${r.options.engines.join('+')}, workers ${r.options.workers}, ${r.options.durationS} s after ${r.options.warmupS} s of warm-up, bursts of ${r.options.burst}`)}</dd>
<dt>kernel</dt><dd>${esc(r.kernel.available ? 'BPF_PROG_TEST_RUN (repeat) on the same object and frames' : `not measured: ${r.kernel.reason}`)}</dd>
</dl>
<div class="charts">
${charts.map((c) => `<figure>${c.svg}</figure>`).join('\n')}
</div>
<h2>Runs</h2>
${runsTable(r)}
<p>"Program time" is the burst entry alone (the JIT'd loop and the program, timed with rdtsc per burst, median burst);
"loop" adds filling each burst as a driver's receive would (copying the frame behind its headroom). Cycles are TSC
cycles at the calibrated TSC rate, not core clock cycles. Spread is ± half of (max − min) / median of the run's interval rates.</p>
<h3>How the time split was measured</h3>
<ul>${methods.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>
${notes.length ? `<h3>Notes</h3><ul>${notes.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : ''}
<pre id="render-check"></pre>
<script>${SELF_CHECK}</script>
</body></html>
`;
}

/** Headless Chromium's flags for a one-shot render (no profile left behind). */
export function chromiumArgs(profile: string, extra: string[], url: string): string[] {
  return ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--hide-scrollbars', `--user-data-dir=${profile}`, ...extra, url];
}

export function hasChromium(): boolean {
  try { execFileSync('sh', ['-c', 'command -v chromium'], { stdio: 'ignore' }); return true; } catch { return false; }
}

/** Renders an SVG file to PNG with headless Chromium; throws when Chromium fails. */
export function svgToPng(svgPath: string, pngPath: string, width: number, height: number): void {
  const profile = mkdtempSync(join(tmpdir(), 'sluice-bench-chromium-'));
  try {
    execFileSync('chromium', chromiumArgs(profile, [`--window-size=${width},${height}`, `--screenshot=${pngPath}`], `file://${resolve(svgPath)}`),
      { stdio: 'ignore', timeout: 60_000 });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

export function writeReport(dir: string, results: BenchResults, options: { png?: boolean } = {}): ReportFiles {
  mkdirSync(join(dir, 'charts'), { recursive: true });
  const charts = allCharts(results.runs);
  const html = join(dir, 'index.html'), json = join(dir, 'results.json'), schema = join(dir, 'schema.json');
  writeFileSync(html, renderHtml(results, charts));
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  copyFileSync(SCHEMA_PATH, schema);
  const svgs: string[] = [], pngs: string[] = [];
  for (const c of charts) {
    const svg = join(dir, 'charts', `${c.name}.svg`);
    writeFileSync(svg, `<?xml version="1.0" encoding="UTF-8"?>\n${c.svg}\n`);
    svgs.push(svg);
  }
  let pngProblem: string | undefined;
  if (options.png === false) pngProblem = 'PNG copies not asked for';
  else if (!hasChromium()) pngProblem = 'no PNG copies: `chromium` is not installed (Debian: apt-get install chromium; scripts/setup.sh installs it)';
  else {
    try {
      for (const svg of svgs) {
        const png = svg.replace(/\.svg$/, '.png');
        const size = /width="(\d+)" height="(\d+)"/.exec(charts[svgs.indexOf(svg)]!.svg);
        svgToPng(svg, png, Number(size?.[1] ?? 720), Number(size?.[2] ?? 320));
        pngs.push(png);
      }
    } catch (err) {
      pngProblem = `PNG rendering with chromium failed: ${(err as Error).message}`;
    }
  }
  return { html, json, schema, svgs, pngs, pngProblem };
}
