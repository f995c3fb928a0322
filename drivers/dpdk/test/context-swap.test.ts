// Hot swap between the two contexts a program can have on DPDK (drivers/dpdk/README.md, "The
// program's context"): on hugepages, --context auto runs a program that calls no helper on the
// mbufs themselves and one that calls bpf_xdp_adjust_head on xdp_buffs. Both check the frame's
// length (net_null's frames are 64 bytes) and abort when it is wrong, so a burst prepared for
// the other context shows up as ABORTED. SIGHUP swaps one for the other and back
// under traffic; the loop must switch how it prepares each burst at a burst boundary, so every
// received frame still has exactly one verdict, and each program's verdicts appear only while it
// runs. The run needs 2 MB pages: the test reserves and mounts them when the machine has none,
// and gives back what it took.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import { reserveHugepages } from '../../../scripts/testkit/hugepages.ts';
import { dpdkRequirements, leftovers, startRun, tempDir, totalsOf, uniquePrefix, type RunEvent } from './harness.ts';

const PAGES = 200; // 2 MB pages: EAL's -m 256 and room to spare

const NET_NULL_FRAME = 64;
const lengthIs = `(ctx->data_end - ctx->data == ${NET_NULL_FRAME})`;
// No helper: runs on the mbufs.
const LENGTH_DROP = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp") int length_drop(struct xdp_md *ctx) { return ${lengthIs} ? XDP_DROP : XDP_ABORTED; }
char LICENSE[] SEC("license") = "GPL";
`;
// bpf_xdp_adjust_head is handed the context: this one cannot read the mbufs (helper 44).
const ADJUST_PASS = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp") int adjust_pass(struct xdp_md *ctx) { return !bpf_xdp_adjust_head(ctx, 0) && ${lengthIs} ? XDP_PASS : XDP_ABORTED; }
char LICENSE[] SEC("license") = "GPL";
`;

function compile(dir: string, name: string, source: string): string {
  writeFileSync(join(dir, `${name}.c`), source);
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', join(dir, `${name}.c`), '-o', join(dir, `${name}.o`)]);
  return join(dir, `${name}.o`);
}

type Stats = { rxPackets: number; verdicts: number[] };
const statsOf = (e: RunEvent): Stats => e.totals as Stats;

if (requires('DPDK hot swap between mbuf and xdp_buff programs (hugepages reserved here)', ...dpdkRequirements(), hasCommand('clang'))) {
  test('SIGHUP under traffic: a program on mbufs → one on xdp_buffs → back, every frame one verdict and none ABORTED', async () => {
    const dir = tempDir();
    const drop = compile(dir, 'drop', LENGTH_DROP), adjust = compile(dir, 'adjust', ADJUST_PASS);
    const object = join(dir, 'prog.o');
    copyFileSync(drop, object);
    const release = reserveHugepages(PAGES);
    const prefix = uniquePrefix('ctxswap');
    const run = startRun([object, '--dpdk', `-m 256 --no-pci -l 0 --file-prefix=${prefix} --vdev=net_null0 --vdev=net_null1`,
      '--port', '0,1', '--pass-to', 'none', '--stats', '100ms']);
    let done;
    try {
      const start = await run.waitFor((e) => e.event === 'start');
      assert.match(String(start.describe), /the program reads the mbufs/);
      await run.waitFor((e) => e.event === 'stats' && statsOf(e).verdicts[1]! > 100_000);
      // To the xdp_buff program: DROP stops growing, PASS starts.
      copyFileSync(adjust, object);
      run.signal('SIGHUP');
      const toBuffs = await run.waitFor((e) => e.event === 'reload');
      assert.match(String(toBuffs.describe), /the program reads xdp_buffs \(helper 44 at pc \d+/);
      const mark = run.events.length;
      const passing = await run.waitFor((e) => e.event === 'stats' && run.events.indexOf(e) > mark + 1 && statsOf(e).verdicts[2]! > 100_000);
      const dropsThen = statsOf(passing).verdicts[1]!;
      // And back to the mbufs: PASS stops growing, DROP grows again.
      copyFileSync(drop, object);
      run.signal('SIGHUP');
      const toMbufs = await run.waitFor((e) => e.event === 'reload' && e !== toBuffs);
      assert.match(String(toMbufs.describe), /the program reads the mbufs/);
      const mark2 = run.events.length;
      const dropping = await run.waitFor((e) => e.event === 'stats' && run.events.indexOf(e) > mark2 + 1 && statsOf(e).verdicts[1]! > dropsThen + 100_000);
      const after = run.events.slice(mark2).filter((e) => e.event === 'stats').map(statsOf);
      assert.is(after[after.length - 1]!.verdicts[2], after[0]!.verdicts[2], 'no PASS verdicts once the mbuf program is back');
      assert.ok(statsOf(dropping).verdicts[1]! > dropsThen, 'the mbuf program runs again');
    } finally {
      run.signal('SIGINT');
      done = await run.done;
      release();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.is(done.status, 0, done.stderr);
    const t = totalsOf(done.events);
    assert.is(t.verdicts.reduce((a, b) => a + b, 0) + t.otherVerdicts, t.rxPackets, 'every received frame has exactly one verdict');
    assert.is(t.verdicts[0], 0, 'no ABORTED: each program saw 64-byte frames through its own context');
    assert.is(t.ports.reduce((a, p) => a + p.ipackets, 0), t.rxPackets, 'the ports\' own receive counters agree');
    assert.equal(leftovers(prefix, run.pid), []);
  });
}

test.run();
