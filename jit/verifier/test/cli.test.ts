// `sluice verify`: verdicts, statistics, exit statuses, JSON and the log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const sluice = (...args: string[]) => spawnSync('node', [join(root, 'dataplane/cli/bin.mjs'), 'verify', ...args], { encoding: 'utf8', cwd: root });

test('an accepted object: exit 0 and one OK line per program with the statistics', () => {
  const r = sluice('examples/tailcall.o');
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 3); // xdp_dispatch, handle_ipv4, handle_ipv6
  for (const l of lines) assert.match(l, /^\w+: OK — \d+ instructions, processed \d+ insns, \d+ states \(peak \d+, \d+ pruned\), stack \d+ bytes, [\d.]+ ms$/);
});

test('--prog, --json and --log', () => {
  const j = sluice('examples/firewall.o', '--prog', 'xdp_firewall', '--json');
  assert.is(j.status, 0, j.stderr);
  const out = JSON.parse(j.stdout) as { name: string; ok: boolean; stats: { insnsProcessed: number } }[];
  assert.is(out.length, 1);
  assert.is(out[0]!.name, 'xdp_firewall');
  assert.ok(out[0]!.ok && out[0]!.stats.insnsProcessed > 368);
  const l = sluice('examples/xdp_drop.o', '--log');
  assert.is(l.status, 0);
  assert.match(l.stdout, /^0: .*; R1=ctx R10=fp$/m);
});

test('usage errors exit 2; a missing file or program exits 1', () => {
  assert.is(sluice().status, 2);
  assert.is(sluice('examples/xdp_pass.o', '--bogus').status, 2);
  const missing = sluice('/nonexistent.o');
  assert.is(missing.status, 1);
  assert.match(missing.stderr, /cannot read \/nonexistent\.o/);
  const r = sluice('examples/xdp_pass.o', '--prog', 'nope');
  assert.is(r.status, 1);
  assert.match(r.stderr, /no program 'nope'.*xdp_pass/);
});

if (requires('sluice verify on a refused C program', hasCommand('clang'))) {
  test('a refused program: exit 1, the reason with the instruction and the source line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-verify-cli-'));
    try {
      writeFileSync(join(dir, 'bad.c'), `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("xdp") int bad(struct xdp_md *ctx) {
  unsigned char *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  if (p + 14 > end) return XDP_DROP;
  return p[20] == 6 ? XDP_DROP : XDP_PASS;
}
`);
      execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-D__x86_64__', '-c', join(dir, 'bad.c'), '-o', join(dir, 'bad.o')]);
      const r = sluice(join(dir, 'bad.o'));
      assert.is(r.status, 1);
      assert.match(r.stderr, /bad: REJECTED/);
      assert.match(r.stderr, /reads 1 byte at packet offset 20, but only bytes 0\.\.13 are proven in bounds: compare data \+ 21 with data_end first/);
      assert.match(r.stderr, /bad\.c:7 {2}return p\[20\] == 6/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
