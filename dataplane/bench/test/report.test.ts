// The report in headless Chromium: the page's own self-check (getBBox of every
// drawn shape, per chart and series) must list the series the results imply.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requires, hasCommand } from '../../../scripts/testkit/skip.ts';
import { allCharts } from '../charts.ts';
import { chromiumArgs, renderHtml, writeReport } from '../report.ts';
import { validate } from '../validate.ts';
import { sampleResults } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-report-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('the page is self-contained: no network URLs, no external stylesheets or scripts', () => {
  const page = renderHtml(sampleResults());
  assert.not.match(page, /(src|href)\s*=\s*["']?(https?:)?\/\//i);
  assert.not.match(page, /<link\b/i);
  assert.not.match(page, /<script[^>]*\bsrc=/i);
});

test('programs are named alone, with their object only when two objects hold the same name', () => {
  const r = sampleResults();
  assert.match(allCharts(r.runs)[1]!.svg, /data-series="xdp_a"/);
  for (const run of r.runs) run.program = 'xdp_main';
  const scaling = allCharts(r.runs)[1]!.svg;
  assert.match(scaling, /data-series="a:xdp_main"/);
  assert.match(scaling, /data-series="b:xdp_main"/);
});

test('text from the results is escaped', () => {
  const r = sampleResults();
  r.runs[0]!.program = '<script>alert(1)</script>';
  assert.not.match(renderHtml(r), /<script>alert/);
});

if (requires('the bench report in headless Chromium', hasCommand('chromium'))) {
  test('the report renders in Chromium and every chart has its expected series, drawn', () => {
    const results = sampleResults();
    const out = join(dir, 'report');
    const files = writeReport(out, results);
    const profile = mkdtempSync(join(dir, 'profile-'));
    const dom = execFileSync('chromium', chromiumArgs(profile, ['--dump-dom'], `file://${files.html}`),
      { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const check = JSON.parse(/<pre id="render-check">(.*?)<\/pre>/s.exec(dom)![1]!.replace(/&quot;/g, '"')) as Record<string, Record<string, number>>;
    // Two programs; engines jit, interp, kernel: one bar each per program (plus a value label, not counted).
    assert.equal(check.mpps, { jit: 2, interp: 2, kernel: 2 });
    // Scaling: one series per program, a polyline and a point per worker count (1 and 2).
    assert.equal(check.scaling, { xdp_a: 3, xdp_b: 3 });
    // Bursts: every JIT run with samples; a polyline and a median line each.
    assert.equal(Object.keys(check['burst-ns']!).sort(), ['xdp_a ×1', 'xdp_a ×2', 'xdp_b ×1', 'xdp_b ×2']);
    for (const n of Object.values(check['burst-ns']!)) assert.is(n, 2);
    // The split: the fewest-worker JIT run of each program, two stacked parts.
    assert.equal(check.split, { 'program code': 2, 'helper and map calls': 2 });

    assert.equal(validate(JSON.parse(readFileSync(files.json, 'utf8'))), []);
    assert.equal(JSON.parse(readFileSync(files.schema, 'utf8')).$id, results.schema);
    assert.is(files.svgs.length, 4);
    assert.is(files.pngs.length, 4, files.pngProblem);
    for (const png of files.pngs) assert.equal([...readFileSync(png).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });
}

test.run();
