// A Trace as one self-contained HTML page: the trace as JSON in a script
// element, and the page's own CSS and JS (page/) inline. No network, no
// libraries; it opens from a file:// URL. `#selftest` in the URL makes the page
// step through itself and write the result into #selftest (html.test.ts);
// `#step=N` opens it at step N (1-based, as the page counts).
import { readFileSync } from 'node:fs';
import type { Trace } from './model.ts';

const asset = (name: string): string => readFileSync(new URL(`./page/${name}`, import.meta.url), 'utf8');

/** Text safe inside <script> and <style>: no "</" can close the element early. */
const inert = (text: string): string => text.replace(/<\//g, '<\\/');
const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function renderHtml(trace: Trace): string {
  // JSON with "<" escaped cannot end the script element, whatever the packet or source holds.
  const data = JSON.stringify(trace).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sluice trace: ${escapeHtml(trace.object)} ${escapeHtml(trace.program)}</title>
<style>
${inert(asset('page.css'))}
</style>
</head>
<body>
<header>
  <h1><span id="title"></span> <span id="verdict" class="verdict"></span></h1>
  <div class="meta" id="meta"></div>
</header>
<div class="controls">
  <button id="prev" title="previous step (←)">◀</button>
  <input type="range" id="slider" min="0" max="0" value="0" aria-label="step">
  <button id="next" title="next step (→)">▶</button>
  <span id="where"></span>
</div>
<main>
  <section><h2>C source</h2><div class="scroll code" id="source"></div></section>
  <section><h2>Instructions</h2><div class="scroll code" id="insns"></div><div class="effects" id="effects"></div></section>
  <div class="right">
    <section><h2>Registers</h2><table class="regs" id="regs"></table></section>
    <section><h2>Packet</h2>
      <div class="legend"><span style="background:var(--read)">read now</span><span style="background:var(--write)">written now</span><span style="background:var(--touched)">touched in this run</span><b style="color:#b04000">bold</b>: changed</div>
      <div class="bytes" id="packet"></div><div class="fieldinfo" id="fieldinfo"></div>
      <div class="scroll"><table class="fields" id="fields"></table></div>
    </section>
  </div>
</main>
<pre id="selftest"></pre>
<script id="trace-data" type="application/json">${data}</script>
<script>
${inert(asset('page.js'))}
</script>
</body>
</html>
`;
}
