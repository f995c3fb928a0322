// ABORTED is dropped, counted, and traceable: `sluice run --json` reports the
// frames a program aborted on (how many, which port, the frame's first bytes).
// The program is compiled here (clang), so this test needs it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import { encodeCapture } from '../../pcap/writer.ts';
import { plainTcp } from '../../../examples/test/cases.ts';
import { ethernet } from '../../../examples/test/frames.ts';
import { dpdkRequirements, eal, runToEnd, tempDir, totalsOf, uniquePrefix } from './harness.ts';

const SOURCE = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
/* ABORTED for EtherType 0x88b5 (local experimental), PASS otherwise. */
SEC("xdp") int xdp_abort(struct xdp_md *ctx)
{
	unsigned char *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;
	if (d + 14 > e) return XDP_DROP;
	return d[12] == 0x88 && d[13] == 0xb5 ? XDP_ABORTED : XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;

if (requires('DPDK ABORTED reporting', ...dpdkRequirements(), hasCommand('clang'))) {
  test('aborted frames are counted, dropped, and reported with their port and bytes', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'abort.c'), SOURCE);
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-D__x86_64__', '-c', join(dir, 'abort.c'), '-o', join(dir, 'abort.o')]);
    const bad = ethernet({}, 0x88b5, Buffer.from('sluice aborted me'));
    writeFileSync(join(dir, 'in.pcap'), encodeCapture([plainTcp, bad, plainTcp, bad, bad].map((data) => ({ data }))));
    const prefix = uniquePrefix('aborted');
    const r = await runToEnd([join(dir, 'abort.o'), '--dpdk', eal(prefix, `net_pcap0,rx_pcap=${join(dir, 'in.pcap')},tx_pcap=${join(dir, 'out.pcap')}`),
      '--port', '0', '--pass-to', 'none', '--stats', '200ms', '--duration', '1.5']);
    assert.is(r.status, 0, r.stderr);
    const t = totalsOf(r.events);
    assert.equal(t.verdicts, [3, 0, 2, 0, 0]);
    assert.is(t.txPackets, 0, 'aborted frames are not sent');
    const reports = r.events.filter((e) => e.event === 'aborted');
    assert.is(reports.reduce((n, e) => n + (e.new as number), 0), 3, 'every aborted frame is reported once');
    const last = reports.at(-1)!;
    assert.is(last.port, 0);
    assert.is(last.length, bad.length);
    assert.is(last.bytes, bad.toString('hex'));
  });
}

test.run();
