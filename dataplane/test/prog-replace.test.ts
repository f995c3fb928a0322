// `sluice prog replace` against a live `sluice run --afxdp` in a lab (scripts/netns.sh):
// the client floods ICMP at a permanent neighbour entry (so it sends nothing
// else: no ARP, IPv6 off), sluice starts on xdp_tx (each frame reflected) and
// is replaced by xdp_drop in the middle of the flood. The kernel's own counters
// are the reference: every frame the client's eth0 sent is counted by sluice
// exactly once (rx = client tx, rx = TX + DROP), and what came back to the
// client equals the TX verdicts. A program the verifier refuses is then
// reported to the `prog replace` caller (exit 1) and xdp_drop keeps running:
// further traffic is all dropped, nothing comes back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requires, hasCommand } from '../../scripts/testkit/skip.ts';
import { afxdpRequirements, example, Lab, sleep } from '../../drivers/afxdp/lab.ts';

const BIN = fileURLToPath(new URL('../cli/bin.mjs', import.meta.url));
const GATEWAY_MAC = '02:00:00:00:01:fe';
// N UDP datagrams to the gateway (discard port), 20 every 10 ms: one frame each.
const FLOOD = `const s = require('dgram').createSocket('udp4'); const n = Number(process.argv[1]); const b = Buffer.alloc(64); let i = 0;
const burst = () => { for (let k = 0; k < 20 && i < n; k++, i++) s.send(b, 9, '10.0.1.254'); if (i < n) setTimeout(burst, 10); else setTimeout(() => s.close(), 200); };
burst();`;

// Reads a byte past the 14 bytes it proved in bounds: refused by the verifier.
const REFUSED_C = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("xdp") int refused(struct xdp_md *ctx) {
  unsigned char *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  if (p + 14 > end) return XDP_DROP;
  return p[20] == 6 ? XDP_DROP : XDP_PASS;
}
`;

if (requires('sluice prog replace on AF_XDP', ...afxdpRequirements(), hasCommand('ping'), hasCommand('clang'))) {
  test('replace under traffic swaps the verdict, counts every frame once; a refused object leaves the old program running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-replace-'));
    process.env.SLUICE_RUN_DIR = dir; // inherited by the `sluice run` child through ip netns exec
    const replace = (...args: string[]) => spawnSync(process.execPath, [BIN, 'prog', 'replace', ...args], { encoding: 'utf8' });
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-D__x86_64__', '-c', '-x', 'c', '-', '-o', join(dir, 'refused.o')], { input: REFUSED_C });
    const lab = Lab.up('pr');
    try {
      lab.exec(lab.client, 'ip', ['neigh', 'replace', '10.0.1.254', 'lladdr', GATEWAY_MAC, 'dev', 'eth0', 'nud', 'permanent']);
      const counter = (name: 'tx_packets' | 'rx_packets'): number => Number(lab.exec(lab.client, 'cat', [`/sys/class/net/eth0/statistics/${name}`]).trim());
      const child = lab.spawn(lab.sluice, process.execPath, [BIN, 'run', example('xdp_tx'), '--afxdp', 'cli0', '--json', '--stats', '0']);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      let before = { tx: 0, rx: 0 };
      let middle = { tx: 0, rx: 0 };
      try {
        for (let i = 0; i < 300 && !out.includes('"event":"control"'); i++) await sleep(50);
        assert.match(out, /"event":"control"/, 'sluice run listens on its control socket');
        assert.ok(existsSync(join(dir, `${child.pid}.sock`)), 'the socket is named after the pid');
        before = { tx: counter('tx_packets'), rx: counter('rx_packets') };

        // The flood: 2000 frames a second for 3 s; the replace lands in the middle of it.
        const flood = lab.spawn(lab.client, process.execPath, ['-e', FLOOD, '6000']);
        const flooded = new Promise<void>((r) => flood.on('exit', () => r()));
        await sleep(300);
        const ok = replace('--pid', String(child.pid), example('xdp_drop'), '--json');
        assert.is(ok.status, 0, ok.stderr + out);
        assert.equal(JSON.parse(ok.stdout), { ok: true, pid: child.pid, object: example('xdp_drop'), program: 'xdp_drop' });
        await flooded;
        await sleep(300); // the last frames through the rings

        const bad = replace('--pid', String(child.pid), join(dir, 'refused.o'));
        assert.is(bad.status, 1, 'a refused object fails the caller');
        assert.match(bad.stderr, /^sluice prog replace: process \d+ kept its program: load .*refused\.o: .*/, bad.stderr);
        assert.match(bad.stderr, /packet offset 20/, `the verifier's reason reaches the caller: ${bad.stderr}`);
        const missing = replace('--pid', String(child.pid), join(dir, 'missing.o'));
        assert.is(missing.status, 1);
        assert.match(missing.stderr, /missing\.o/);

        middle = { tx: counter('tx_packets'), rx: counter('rx_packets') };
        lab.exec(lab.client, process.execPath, ['-e', FLOOD, '400'], 20_000);
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      }
      await sleep(300);
      const after = { tx: counter('tx_packets'), rx: counter('rx_packets') };
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(10_000).then(() => 'timeout' as const)]);
      assert.is(code, 0, out);
      const totals = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event: string; totals?: { rxPackets: number; verdicts: number[]; otherVerdicts: number } })
        .find((l) => l.event === 'totals')!.totals!;
      const [, drop, , tx] = totals.verdicts as [number, number, number, number, number];
      const sent = after.tx - before.tx;
      assert.ok(sent === 6400, `the client sent both floods: ${sent}`);
      assert.is(totals.rxPackets, sent, 'every frame the client sent was received once');
      assert.is(tx + drop, totals.rxPackets, `each in exactly one verdict: ${JSON.stringify(totals)}`);
      assert.ok(tx >= 100 && drop >= 400 + 100, `both programs ran under the flood: TX ${tx}, DROP ${drop}`);
      assert.is(after.rx - before.rx, tx, 'what came back to the client is what xdp_tx reflected');
      assert.ok(existsSync(join(dir, `${child.pid}.sock`)) === false, 'the socket is removed at shutdown');
      assert.is(after.rx - middle.rx, 0, 'after the refused replace, xdp_drop still runs: nothing reflected');
      assert.is(after.tx - middle.tx, 400);
    } finally {
      lab.down();
      delete process.env.SLUICE_RUN_DIR;
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
