// The --html page in a real browser: headless Chromium loads it with #selftest,
// the page steps through every instruction with its slider (and the arrow
// keys and buttons), checks what it shows against the trace, and writes the
// verdict into #selftest, which --dump-dom hands back. The checks that matter
// compare the page's own state with values it did not compute: the packet
// after the last step with the output bytes read from native memory, r0 with
// the verdict.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import { packet } from '../../../drivers/packet/packet.ts';
import { loadObject } from '../../runtime.ts';
import { renderHtml } from '../html.ts';
import type { Trace } from '../model.ts';
import { tracePacket } from '../run.ts';

const example = (name: string): string => fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url));

function traceOf(object: string, bytes: Uint8Array, prepare?: (obj: ReturnType<typeof loadObject>) => void): Trace {
  const obj = loadObject(example(object), { engine: 'interp', cpus: 1 });
  try {
    prepare?.(obj);
    return tracePacket(obj, obj.program(), bytes, { objectPath: example(object), origin: 'test packet' });
  } finally {
    obj.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-trace-html-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function chromium(url: string, extra: string[]): string {
  const profile = mkdtempSync(join(dir, 'profile-'));
  return execFileSync('chromium', [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, ...extra, url,
  ], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] });
}

test('the page is self-contained: no network URLs, one inline style and script, the trace as JSON', () => {
  const page = renderHtml(traceOf('xdp_tx.o', packet().eth().ipv4().udp().build()));
  assert.not.match(page, /(src|href)\s*=\s*["']?(https?:)?\/\//i);
  assert.not.match(page, /<link\b/i);
  assert.is(page.match(/<script\b/g)?.length, 2);
  assert.is(page.match(/<\/script>/g)?.length, 2);
});

test('text from the trace cannot end the script element early', () => {
  const t = traceOf('xdp_tx.o', packet().eth().ipv4().udp().build());
  const page = renderHtml({ ...t, origin: '</script><script>alert(1)</script>' });
  assert.is(page.match(/<\/script>/g)?.length, 2);
  const json = /<script id="trace-data" type="application\/json">(.*?)<\/script>/s.exec(page)![1]!;
  assert.is((JSON.parse(json) as Trace).origin, '</script><script>alert(1)</script>');
});

if (requires('the trace page in headless Chromium', hasCommand('chromium'))) {
  const pages: [string, () => Trace][] = [
    ['firewall (DROP, default network)', () => traceOf('firewall.o', packet().eth().ipv4({ src: '192.0.2.9' }).tcp({ dport: 80 }).build())],
    ['tailcall (a tail call into handle_ipv4, DROP)', () => traceOf('tailcall.o', packet().eth().ipv4().icmp({ type: 8 }).build())],
    ['xdp_tx (TX, MACs swapped)', () => traceOf('xdp_tx.o', packet().eth({ dst: '02:00:00:00:00:0b', src: '02:00:00:00:00:0a' }).ipv4().udp().payload(6).build())],
  ];
  pages.forEach(([name, make], i) => {
    test(`#selftest passes in Chromium: ${name}`, () => {
      const file = join(dir, `page-${i}.html`);
      const trace = make();
      writeFileSync(file, renderHtml(trace));
      const dom = chromium(`file://${file}#selftest`, ['--dump-dom']);
      const m = /<pre id="selftest" data-result="(pass|fail)">([^<]*)<\/pre>/.exec(dom);
      assert.ok(m, 'the page wrote its self-test result (did its script run?)');
      const result = JSON.parse(m![2]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as { checks: number; failures: string[] };
      assert.equal(result.failures, []);
      assert.is(m![1], 'pass');
      // At least: one slider position per step, plus the end-of-run and keyboard checks.
      assert.ok(result.checks >= 2 * trace.steps.length, `${result.checks} checks for ${trace.steps.length} steps`);
    });
  });

  test('a screenshot renders (the page lays out without script errors)', () => {
    const file = join(dir, 'shot.html');
    writeFileSync(file, renderHtml(pages[0]![1]()));
    const png = join(dir, 'shot.png');
    chromium(`file://${file}#step=20`, ['--hide-scrollbars', '--window-size=1400,900', `--screenshot=${png}`]);
    const bytes = execFileSync('head', ['-c', '8', png]);
    assert.equal([...bytes], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
  });
}

test.run();
