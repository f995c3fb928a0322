// SVG charts for the bench report, written as strings (no dependency). Every
// chart is <svg class="chart" data-chart="NAME"> and every series a
// <g class="series" data-series="LABEL">, so the report's self-check (and the
// tests, in headless Chromium) can count what was drawn.
import { programMpps, type BenchRun } from './results.ts';

const W = 780, H = 320, M = { top: 36, right: 210, bottom: 56, left: 64 };
const PALETTE = ['#2f6db5', '#d9822b', '#3a9a5b', '#b5443b', '#7a5cb5', '#8c6d46', '#c05a9a', '#5f6b73'];

export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (v: number): string => (Math.round(v * 100) / 100).toString();

export interface Chart { name: string; title: string; svg: string }

function frame(name: string, title: string, yLabel: string, xLabel: string, body: string, legend: string[]): string {
  const legendItems = legend.map((l, i) => `<g transform="translate(${W - M.right + 14},${M.top + i * 18})"><rect width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/><text x="18" y="10" font-size="11">${esc(l)}</text></g>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${name}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${M.left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>
<text x="14" y="${M.top + (H - M.top - M.bottom) / 2}" font-size="11" transform="rotate(-90 14 ${M.top + (H - M.top - M.bottom) / 2})" text-anchor="middle">${esc(yLabel)}</text>
<text x="${M.left + (W - M.left - M.right) / 2}" y="${H - 8}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>
${body}
${legendItems}
</svg>`;
}

function yAxis(max: number): { scale: (v: number) => number; svg: string } {
  const top = max > 0 ? niceCeil(max) : 1;
  const h = H - M.top - M.bottom;
  const scale = (v: number) => M.top + h - (v / top) * h;
  let svg = `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + h}" stroke="#333"/>`;
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4, y = scale(v);
    svg += `<line x1="${M.left}" y1="${num(y)}" x2="${W - M.right}" y2="${num(y)}" stroke="#ddd"/><text x="${M.left - 6}" y="${num(y + 4)}" font-size="10" text-anchor="end">${num(v)}</text>`;
  }
  return { scale, svg };
}

function niceCeil(v: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** A run's program as charts name it: the program's name, with its object when two objects hold the same name. */
let labelOf: (r: BenchRun) => string = (r) => r.program;
function setLabels(runs: readonly BenchRun[]): void {
  const objectsOf = new Map<string, Set<string>>();
  for (const r of runs) objectsOf.set(r.program, (objectsOf.get(r.program) ?? new Set()).add(r.object));
  labelOf = (r) => ((objectsOf.get(r.program)?.size ?? 0) > 1 ? `${r.object.replace(/\.o$/, '')}:${r.program}` : r.program);
}
const label = (r: BenchRun): string => labelOf(r);

/** An x-axis label under a group; tilted when there are many groups. */
function groupLabel(x: number, text: string, groups: number): string {
  const y = H - M.bottom + 16;
  return groups > 4
    ? `<text x="${num(x)}" y="${y}" font-size="10" text-anchor="end" transform="rotate(-20 ${num(x)} ${y})">${esc(text)}</text>`
    : `<text x="${num(x)}" y="${y}" font-size="10" text-anchor="middle">${esc(text)}</text>`;
}

/** Grouped bars: program-time Mpps per program, one series per engine (one worker, or the fewest workers measured). */
export function mppsChart(runs: readonly BenchRun[]): Chart {
  const programs = [...new Set(runs.map(label))];
  const engines = [...new Set(runs.map((r) => r.engine))];
  const pick = (p: string, e: string) => runs.filter((r) => label(r) === p && r.engine === e).sort((a, b) => a.workers - b.workers)[0];
  const max = Math.max(0, ...runs.map(programMpps));
  const { scale, svg: axis } = yAxis(max);
  const groupW = (W - M.left - M.right) / Math.max(1, programs.length);
  const barW = Math.min(40, (groupW * 0.8) / Math.max(1, engines.length));
  let body = axis;
  programs.forEach((p, gi) => { body += groupLabel(M.left + gi * groupW + groupW / 2, p, programs.length); });
  engines.forEach((e, si) => {
    body += `<g class="series" data-series="${esc(e)}" fill="${PALETTE[si % PALETTE.length]}">`;
    programs.forEach((p, gi) => {
      const r = pick(p, e);
      if (!r) return;
      const v = programMpps(r), x = M.left + gi * groupW + (groupW - barW * engines.length) / 2 + si * barW, y = scale(v);
      body += `<rect x="${num(x)}" y="${num(y)}" width="${num(barW - 2)}" height="${num(scale(0) - y)}"><title>${esc(`${p} ${e}: ${v.toFixed(2)} Mpps`)}</title></rect>`;
      body += `<text x="${num(x + barW / 2)}" y="${num(y - 3)}" font-size="9" text-anchor="middle" fill="#333">${v.toFixed(1)}</text>`;
    });
    body += '</g>';
  });
  return { name: 'mpps', title: 'Mpps by program and engine', svg: frame('mpps', 'Mpps by program and engine (program time, one worker)', 'Mpps', 'program', body, engines) };
}

/** Lines: whole-loop Mpps against the number of workers, one series per program (JIT). */
export function scalingChart(runs: readonly BenchRun[]): Chart {
  const jit = runs.filter((r) => r.engine === 'jit');
  const programs = [...new Set(jit.map(label))];
  const maxW = Math.max(1, ...jit.map((r) => r.workers));
  const { scale, svg: axis } = yAxis(Math.max(0, ...jit.map((r) => r.mpps)));
  const x = (w: number) => M.left + ((w - 1) / Math.max(1, maxW - 1)) * (W - M.left - M.right - 20) + (maxW === 1 ? (W - M.left - M.right) / 2 : 10);
  let body = axis;
  for (let w = 1; w <= maxW; w++) body += `<text x="${num(x(w))}" y="${H - M.bottom + 16}" font-size="10" text-anchor="middle">${w}</text>`;
  programs.forEach((p, si) => {
    const pts = jit.filter((r) => label(r) === p).sort((a, b) => a.workers - b.workers);
    const color = PALETTE[si % PALETTE.length];
    body += `<g class="series" data-series="${esc(p)}" stroke="${color}" fill="${color}">`;
    body += `<polyline fill="none" stroke-width="2" points="${pts.map((r) => `${num(x(r.workers))},${num(scale(r.mpps))}`).join(' ')}"/>`;
    for (const r of pts) body += `<circle cx="${num(x(r.workers))}" cy="${num(scale(r.mpps))}" r="4"><title>${esc(`${p}, ${r.workers} worker(s): ${r.mpps.toFixed(2)} Mpps`)}</title></circle>`;
    body += '</g>';
  });
  return { name: 'scaling', title: 'Scaling with workers', svg: frame('scaling', 'Scaling with workers (JIT, whole loop incl. filling bursts)', 'Mpps, all workers', 'workers', body, programs) };
}

/** Overlaid histograms: share of bursts by ns per packet, one series per run that sampled bursts. */
export function burstChart(runs: readonly BenchRun[]): Chart {
  const sampled = runs.filter((r) => r.burstNs && r.engine === 'jit');
  if (sampled.length === 0) return { name: 'burst-ns', title: 'ns per packet, per burst', svg: frame('burst-ns', 'ns per packet within each burst: no JIT run sampled', '% of bursts', 'ns per packet', '', []) };
  const lo = Math.min(...sampled.map((r) => r.burstNs!.min)), hi = Math.max(...sampled.map((r) => r.burstNs!.edges[r.burstNs!.edges.length - 1]!));
  const shares = sampled.map((r) => { const t = r.burstNs!.counts.reduce((a, b) => a + b, 0) || 1; return r.burstNs!.counts.map((c) => c / t); });
  const { scale, svg: axis } = yAxis(Math.max(0, ...shares.flat()) * 100);
  // A log scale: programs a few ns apart and bursts that lost their core share one axis.
  const l0 = Math.log(Math.max(1e-3, lo) * 0.95), l1 = Math.log(Math.max(hi, lo * 1.5) * 1.05);
  const x = (v: number) => M.left + ((Math.log(Math.max(v, 1e-3)) - l0) / (l1 - l0)) * (W - M.left - M.right);
  let body = axis;
  for (let i = 0; i <= 5; i++) { const v = Math.exp(l0 + ((l1 - l0) * i) / 5); body += `<text x="${num(x(v))}" y="${H - M.bottom + 16}" font-size="10" text-anchor="middle">${v.toFixed(v < 10 ? 1 : 0)}</text>`; }
  const names = sampled.map((r) => `${label(r)} ×${r.workers}`);
  sampled.forEach((r, si) => {
    const d = r.burstNs!;
    const pts = d.counts.map((_, i) => `${num(x((d.edges[i]! + d.edges[i + 1]!) / 2))},${num(scale(shares[si]![i]! * 100))}`);
    const color = PALETTE[si % PALETTE.length];
    body += `<g class="series" data-series="${esc(names[si]!)}" stroke="${color}" fill="${color}"><polyline fill="none" stroke-width="2" points="${pts.join(' ')}"/>`;
    body += `<line x1="${num(x(d.p50))}" x2="${num(x(d.p50))}" y1="${M.top}" y2="${H - M.bottom}" stroke-dasharray="4 3"><title>${esc(`${names[si]} median ${d.p50.toFixed(2)} ns`)}</title></line></g>`;
  });
  return { name: 'burst-ns', title: 'ns per packet, per burst', svg: frame('burst-ns', 'ns per packet within each burst (JIT; dashed: median)', '% of bursts', 'ns per packet (log scale)', body, names) };
}

/** Stacked bars: the program's own code against helper/map calls, per JIT run where it was measured. */
export function splitChart(runs: readonly BenchRun[]): Chart {
  const measured = runs.filter((r) => r.split.available && r.workers === Math.min(...runs.filter((q) => label(q) === label(r) && q.engine === r.engine).map((q) => q.workers)));
  const { scale, svg: axis } = yAxis(Math.max(0, ...measured.map((r) => r.nsPerPacket)));
  const groupW = (W - M.left - M.right) / Math.max(1, measured.length);
  const barW = Math.min(60, groupW * 0.6);
  let body = axis;
  const parts: [string, (r: BenchRun) => number][] = [
    ['program code', (r) => r.nsPerPacket * (r.split.program ?? 0)],
    ['helper and map calls', (r) => r.nsPerPacket * (r.split.helpers ?? 0)],
  ];
  measured.forEach((r, i) => { body += groupLabel(M.left + i * groupW + groupW / 2, label(r), measured.length); });
  parts.forEach(([name, value], si) => {
    body += `<g class="series" data-series="${esc(name)}" fill="${PALETTE[si]}">`;
    measured.forEach((r, i) => {
      const below = parts.slice(0, si).reduce((a, [, f]) => a + f(r), 0);
      const v = value(r);
      const y0 = scale(below), y1 = scale(below + v);
      body += `<rect x="${num(M.left + i * groupW + (groupW - barW) / 2)}" y="${num(y1)}" width="${num(barW)}" height="${num(Math.max(0, y0 - y1))}"><title>${esc(`${label(r)}: ${name} ${v.toFixed(2)} ns (${((v / r.nsPerPacket) * 100).toFixed(0)}%)`)}</title></rect>`;
    });
    body += '</g>';
  });
  return { name: 'split', title: 'Where the time goes', svg: frame('split', 'Where the time goes (JIT, ns per packet, median burst)', 'ns per packet', 'program', body, parts.map(([n]) => n)) };
}

/** Grouped bars from plain numbers (NaN: no bar), for benchmarks outside `sluice bench` (bench/jit.ts). */
export function barChart(name: string, title: string, yLabel: string, groups: readonly string[], series: readonly { name: string; values: readonly number[] }[]): Chart {
  const max = Math.max(0, ...series.flatMap((x) => x.values.filter(Number.isFinite)));
  const { scale, svg: axis } = yAxis(max);
  const groupW = (W - M.left - M.right) / Math.max(1, groups.length);
  const barW = Math.min(40, (groupW * 0.8) / Math.max(1, series.length));
  let body = axis;
  groups.forEach((g, gi) => { body += groupLabel(M.left + gi * groupW + groupW / 2, g, groups.length); });
  series.forEach((x, si) => {
    body += `<g class="series" data-series="${esc(x.name)}" fill="${PALETTE[si % PALETTE.length]}">`;
    x.values.forEach((v, gi) => {
      if (!Number.isFinite(v)) return;
      const bx = M.left + gi * groupW + (groupW - barW * series.length) / 2 + si * barW, y = scale(v);
      body += `<rect x="${num(bx)}" y="${num(y)}" width="${num(barW - 2)}" height="${num(scale(0) - y)}"><title>${esc(`${groups[gi]} ${x.name}: ${v.toFixed(2)}`)}</title></rect>`;
      body += `<text x="${num(bx + barW / 2)}" y="${num(y - 3)}" font-size="9" text-anchor="middle" fill="#333">${v.toFixed(1)}</text>`;
    });
    body += '</g>';
  });
  return { name, title, svg: frame(name, title, yLabel, '', body, series.map((x) => x.name)) };
}

export function allCharts(runs: readonly BenchRun[]): Chart[] {
  setLabels(runs);
  return [mppsChart(runs), scalingChart(runs), burstChart(runs), splitChart(runs)];
}
