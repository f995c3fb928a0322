// Programs that qualify read the mbufs themselves (the JIT's descriptor context,
// jit/x86/descriptor.ts; driver.ts entryOf): no xdp_buffs are built, each xdp_md
// field is computed from struct rte_mbuf, REDIRECT targets go through an mbuf
// dynamic field. Checked on net_pcap ports, where what a program wrote into the
// frame comes out in the tx capture:
//   - a program that stores every context field in the frame: the values the
//     port and queue imply (port P → ifindex P + 1, the worker's queue, egress 0,
//     no metadata), one worker and two (a queue each); its ABORTED frame reported;
//   - ingress_ifindex of a frame looped through a net_ring port, whose PMD leaves
//     mbuf.port as it was: the polled port's, on mbufs as on xdp_buffs;
//   - a program that calls adjust_head/adjust_tail runs on xdp_buffs and
//     transmits what `sluice replay` writes to tx.pcap; required to read the
//     mbufs (--context mbuf), it is refused, naming the helper;
//   - the same program on xdp_buffs (--context xdp_buff, and auto without
//     hugepages) changes nothing that leaves the ports and no verdict (xdp_tx
//     with a chained frame, the firewall, the router's mixed REDIRECT/PASS bursts
//     to two ports).
// The programs are compiled here with clang.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import { loadObject } from '../../../dataplane/runtime.ts';
import { loadMapJson } from '../../../dataplane/map-json.ts';
import { replay } from '../../pcap/replay.ts';
import { encodeCapture } from '../../pcap/writer.ts';
import { readCaptureFile } from '../../pcap/reader.ts';
import { firewallCases, tcpFrameOfLength } from '../../../examples/test/cases.ts';
import { eth4, ethernet, ipv4Addr, mac } from '../../../examples/test/frames.ts';
import { dpdkRequirements, eal, leftovers, repo, startRun, tempDir, totalsOf, uniquePrefix, type RunEvent } from './harness.ts';

const CONTEXT_SOURCE = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
/* Writes what the context says over the 20 bytes after the Ethernet header and
 * sends the frame back: data_end - data, ingress_ifindex, rx_queue_index,
 * egress_ifindex, and 1 when data_meta == data (u32s, little-endian).
 * EtherType 0x88b5 (local experimental): ABORTED, untouched. */
SEC("xdp") int xdp_ctx(struct xdp_md *ctx)
{
	unsigned char *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;
	void *meta = (void *)(long)ctx->data_meta;
	if (d + 34 > e)
		return XDP_DROP;
	if (d[12] == 0x88 && d[13] == 0xb5)
		return XDP_ABORTED;
	__u32 *out = (void *)(d + 14);
	out[0] = (__u32)(e - d);
	out[1] = ctx->ingress_ifindex;
	out[2] = ctx->rx_queue_index;
	out[3] = ctx->egress_ifindex;
	out[4] = meta == (void *)d;
	return XDP_TX;
}
char LICENSE[] SEC("license") = "GPL";
`;

const ADJUST_SOURCE = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
/* Grows the head by 4 bytes and writes "SLC" and the old length's low byte
 * there, trims 2 bytes off the tail, and sends the frame back. */
SEC("xdp") int xdp_adjust(struct xdp_md *ctx)
{
	unsigned char *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;
	__u32 len = (__u32)(e - d);
	if (bpf_xdp_adjust_head(ctx, -4))
		return XDP_ABORTED;
	d = (void *)(long)ctx->data;
	e = (void *)(long)ctx->data_end;
	if (d + 4 > e)
		return XDP_ABORTED;
	d[0] = 'S'; d[1] = 'L'; d[2] = 'C'; d[3] = (unsigned char)len;
	if (bpf_xdp_adjust_tail(ctx, -2))
		return XDP_ABORTED;
	return XDP_TX;
}
char LICENSE[] SEC("license") = "GPL";
`;

const RING_SOURCE = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
/* Two passes per frame: the first (byte 18 == 0) notes ingress_ifindex at
 * [14..18), marks the frame and redirects it to ifindex 2; the second notes
 * ingress_ifindex at [19..23) and redirects it to ifindex 1. */
SEC("xdp") int xdp_ring(struct xdp_md *ctx)
{
	unsigned char *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;
	if (d + 24 > e)
		return XDP_DROP;
	__u32 in = ctx->ingress_ifindex;
	if (d[18] == 0) {
		__builtin_memcpy(d + 14, &in, 4);
		d[18] = 1;
		return bpf_redirect(2, 0);
	}
	if (d[18] != 1)
		return XDP_DROP;
	__builtin_memcpy(d + 19, &in, 4);
	d[18] = 2;
	return bpf_redirect(1, 0);
}
char LICENSE[] SEC("license") = "GPL";
`;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const frames = (path: string): string[] => (existsSync(path) ? [...readCaptureFile(path)].map((r) => hex(r.data)) : []);
const capture = (path: string, input: readonly Uint8Array[]): void => {
  writeFileSync(path, encodeCapture(input.map((data, i) => ({ data, timestamp: BigInt(i) * 1000n }))));
};

function compile(dir: string, name: string, source: string): string {
  writeFileSync(join(dir, `${name}.c`), source);
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-D__x86_64__', '-c', join(dir, `${name}.c`), '-o', join(dir, `${name}.o`)]);
  return join(dir, `${name}.o`);
}

interface Finished { status: number | null; stderr: string; events: RunEvent[]; describe: string; pid: number }

/** What the program reads its frames through (--context): auto takes xdp_buffs without hugepages, as in these runs. */
type Context = 'mbuf' | 'xdp_buff' | 'auto';
const XDP_BUFF_CHOSEN = /the program reads xdp_buffs \(--context xdp_buff\)/;

/** `sluice run OBJ --context CONTEXT` over the given net_pcap vdevs to the end (1 s). */
async function run(object: string, prefix: string, vdevs: string[], ports: string, context: Context, extra: string[] = []): Promise<Finished> {
  const r = startRun([object, '--dpdk', eal(prefix, ...vdevs), '--port', ports, '--pass-to', 'none', '--duration', '1', '--stats', '0',
    '--context', context, ...extra]);
  const done = await r.done;
  const start = done.events.find((e) => e.event === 'start');
  return { status: done.status, stderr: done.stderr, events: done.events, describe: String(start?.describe ?? ''), pid: r.pid };
}

const u32le = (...values: number[]): Buffer => Buffer.concat(values.map((v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; }));

/** What xdp_ctx transmits for `frame` received on DPDK port `port`, queue `queue` (CONTEXT_SOURCE's comment). */
const contextFrame = (frame: Uint8Array, port: number, queue: number): string => {
  const out = Buffer.from(frame);
  u32le(frame.length, port + 1, queue, 0, 1).copy(out, 14);
  return hex(out);
};

const clean = (prefix: string, pid: number): void => assert.equal(leftovers(prefix, pid), [], 'nothing left behind');

if (requires('DPDK programs on mbufs', ...dpdkRequirements(), hasCommand('clang'))) {
  const dir = tempDir();
  test.after(() => rmSync(dir, { recursive: true, force: true }));
  const contextObject = compile(dir, 'ctx', CONTEXT_SOURCE);
  const adjustObject = compile(dir, 'adjust', ADJUST_SOURCE);
  const ringObject = compile(dir, 'ring', RING_SOURCE);
  // Lengths from the shortest the program takes to a full-size frame; two too short (DROP).
  const input = [tcpFrameOfLength(60), ...firewallCases.slice(0, 8).map((c) => c.frame), tcpFrameOfLength(1514), tcpFrameOfLength(54).subarray(0, 34),
    Buffer.from(firewallCases[0]!.frame.subarray(0, 33)), tcpFrameOfLength(200), Buffer.from(firewallCases[0]!.frame.subarray(0, 20))];
  const taken = input.filter((f) => f.length >= 34);
  const aborting = ethernet({}, 0x88b5, Buffer.from('aborted on an mbuf, reported whole'));

  test('every context field read from the mbuf: length, ifindex of port 0, queue 0, egress 0, no metadata; ABORTED reported', async () => {
    capture(join(dir, 'ctx-in.pcap'), [...input.slice(0, 4), aborting, ...input.slice(4)]);
    const prefix = uniquePrefix('mbufctx');
    const r = await run(contextObject, prefix, [`net_pcap0,rx_pcap=${join(dir, 'ctx-in.pcap')},tx_pcap=${join(dir, 'ctx-out.pcap')}`], '0', 'mbuf');
    assert.is(r.status, 0, r.stderr);
    assert.match(r.describe, /the program reads the mbufs/);
    assert.equal(frames(join(dir, 'ctx-out.pcap')), taken.map((f) => contextFrame(f, 0, 0)));
    const t = totalsOf(r.events);
    assert.equal(t.verdicts, [1, input.length - taken.length, 0, taken.length, 0]);
    const aborted = r.events.filter((e) => e.event === 'aborted');
    assert.equal(aborted.map((e) => [e.new, e.port, e.length, e.bytes]), [[1, 0, aborting.length, hex(aborting)]], 'the aborted frame, as the program left it');
    clean(prefix, r.pid);
  });

  test('two workers, a queue each: rx_queue_index is the queue the frame came in on', async () => {
    const q0 = input.slice(0, 7), q1 = input.slice(7);
    capture(join(dir, 'q0.pcap'), q0);
    capture(join(dir, 'q1.pcap'), q1);
    const prefix = uniquePrefix('mbufq');
    // net_pcap: each rx_pcap is a receive queue, each tx_pcap a transmit queue; worker i polls and sends on queue i.
    const r = await run(contextObject, prefix, [`net_pcap0,rx_pcap=${join(dir, 'q0.pcap')},rx_pcap=${join(dir, 'q1.pcap')},` +
      `tx_pcap=${join(dir, 'q0-out.pcap')},tx_pcap=${join(dir, 'q1-out.pcap')}`], '0', 'mbuf', ['--workers', '2']);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.describe, /2 worker\(s\); the program reads the mbufs/);
    assert.equal(frames(join(dir, 'q0-out.pcap')), q0.filter((f) => f.length >= 34).map((f) => contextFrame(f, 0, 0)));
    assert.equal(frames(join(dir, 'q1-out.pcap')), q1.filter((f) => f.length >= 34).map((f) => contextFrame(f, 0, 1)));
    clean(prefix, r.pid);
  });

  test('ingress_ifindex is the port that received the frame, also from a PMD that leaves mbuf.port as it was (net_ring)', async () => {
    // Port 0 (net_pcap) receives each frame; the program sends it to port 1, a net_ring port whose
    // ring loops it back to port 1's receive queue with the mbuf as net_pcap filled it (port 0);
    // the second pass sends it out of port 0. Each pass notes the ingress_ifindex it saw.
    const sent = input.filter((f) => f.length >= 24).map((f) => Buffer.concat([f.subarray(0, 14), Buffer.alloc(10), f.subarray(24)]));
    capture(join(dir, 'ring-in.pcap'), sent);
    for (const mode of ['mbuf', 'xdp_buff'] as const) {
      const prefix = uniquePrefix(`mbufring-${mode}`);
      const out = join(dir, `ring-${mode}.pcap`);
      const r = await run(ringObject, prefix, [`net_pcap0,rx_pcap=${join(dir, 'ring-in.pcap')},tx_pcap=${out}`, 'net_ring0'], '0,1', mode);
      assert.is(r.status, 0, r.stderr);
      assert.match(r.describe, mode === 'mbuf' ? /the program reads the mbufs/ : XDP_BUFF_CHOSEN);
      const want = sent.map((f) => { const b = Buffer.from(f); u32le(1).copy(b, 14); b[18] = 2; u32le(2).copy(b, 19); return hex(b); });
      assert.equal(frames(out), want, `${mode}: first pass on ifindex 1, second on ifindex 2`);
      clean(prefix, r.pid);
    }
  });

  test('adjust_head and adjust_tail: the program runs on xdp_buffs, and sends what replay writes to tx.pcap', async () => {
    capture(join(dir, 'adj-in.pcap'), input);
    const prefix = uniquePrefix('mbufadj');
    const r = await run(adjustObject, prefix, [`net_pcap0,rx_pcap=${join(dir, 'adj-in.pcap')},tx_pcap=${join(dir, 'adj-out.pcap')}`], '0', 'auto');
    assert.is(r.status, 0, r.stderr);
    assert.match(r.describe, /the program reads xdp_buffs \(no hugepages/); // auto's first reason here (the helper: see the next test)
    const sent = frames(join(dir, 'adj-out.pcap'));
    const obj = loadObject(adjustObject);
    try {
      await replay(obj.program(), join(dir, 'adj-in.pcap'), { outDir: join(dir, 'adj-replay') });
    } finally {
      obj.close();
    }
    assert.equal(sent, frames(join(dir, 'adj-replay', 'tx.pcap')), 'frame for frame, byte for byte');
    // Independently of replay: "SLC", the old length's low byte, the frame less its last 2 bytes (ADJUST_SOURCE).
    // A frame under 14 bytes after the trim is refused by adjust_tail (as the kernel does): ABORTED.
    const kept = input.filter((f) => f.length + 4 - 2 >= 14);
    assert.equal(sent, kept.map((f) => hex(Buffer.concat([Buffer.from('SLC'), Buffer.from([f.length & 0xff]), f.subarray(0, f.length - 2)]))));
    clean(prefix, r.pid);
  });

  test('--context mbuf with a program that calls adjust_head: refused, naming the helper, nothing left behind', async () => {
    const prefix = uniquePrefix('mbufno');
    const r = await run(adjustObject, prefix, [`net_pcap0,rx_pcap=${join(dir, 'adj-in.pcap')},tx_pcap=${join(dir, 'adj-no.pcap')}`], '0', 'mbuf');
    assert.is.not(r.status, 0, 'a refusal');
    assert.match(r.stderr, /cannot read the mbufs.*helper 44 at pc \d+/);
    assert.ok(!r.events.some((e) => e.event === 'start'), 'it never started');
    clean(prefix, r.pid);
  });

  // A frame longer than an mbuf's data room (net_pcap chains it; it cannot be linearized): the
  // program sees its first segment either way, and all of it is sent.
  const chained = Buffer.concat([firewallCases[0]!.frame, Buffer.alloc(3000 - firewallCases[0]!.frame.length, 0xab)]);
  for (const name of ['xdp_tx.o', 'firewall.o']) {
    test(`${name} sends the same frames with the same verdicts from xdp_buffs as from the mbufs (a chained frame too)`, async () => {
      const object = repo(`examples/${name}`);
      const inputFrames = name === 'xdp_tx.o' ? [...input.slice(0, 3), chained, ...input.slice(3)] : firewallCases.map((c) => c.frame);
      capture(join(dir, `ab-${name}.pcap`), inputFrames);
      const out: Record<string, { sent: string[]; verdicts: number[]; multiSeg: number }> = {};
      const modes: Context[] = name === 'xdp_tx.o' ? ['mbuf', 'xdp_buff', 'auto'] : ['mbuf', 'xdp_buff'];
      for (const mode of modes) {
        const prefix = uniquePrefix(`mbufab-${name.slice(0, 2)}-${mode}`);
        const outPath = join(dir, `ab-${name}-${mode}.pcap`);
        const r = await run(object, prefix, [`net_pcap0,rx_pcap=${join(dir, `ab-${name}.pcap`)},tx_pcap=${outPath}`], '0', mode);
        assert.is(r.status, 0, r.stderr);
        assert.match(r.describe, { mbuf: /the program reads the mbufs/, xdp_buff: XDP_BUFF_CHOSEN, auto: /the program reads xdp_buffs \(no hugepages/ }[mode]);
        const t = totalsOf(r.events);
        out[mode] = { sent: frames(outPath), verdicts: t.verdicts, multiSeg: t.multiSeg };
        clean(prefix, r.pid);
      }
      if (name === 'xdp_tx.o') {
        const swap = (f: Buffer): string => hex(Buffer.concat([f.subarray(6, 12), f.subarray(0, 6), f.subarray(12)]));
        assert.equal(out.mbuf!.sent, inputFrames.filter((f) => f.length >= 14).map(swap), 'xdp_tx.c: MACs swapped, frames under 14 bytes dropped');
        assert.is(out.mbuf!.multiSeg, 1, 'one chained frame');
      } else {
        // firewall.c's documented verdicts, no rules loaded: the cases that need a map rule pass.
        const drops = firewallCases.filter((c) => c.verdict === 1 && ![3, 4, 6].includes(c.reason)).length;
        assert.equal(out.mbuf!.verdicts, [0, drops, firewallCases.length - drops, 0, 0]);
      }
      for (const mode of modes) assert.equal(out[mode], out.mbuf, mode);
    });
  }

  test('the router redirects the same frames to the same ports from xdp_buffs as from the mbufs (mixed REDIRECT and PASS bursts)', async () => {
    const object = repo('examples/router.o');
    const mapIn = join(dir, 'router-maps.json');
    const route = (slot: number, tag: number): { key: string; value: string } => ({
      key: hex(Buffer.concat([u32le(16), ipv4Addr(`10.${tag}.0.0`)])),
      value: hex(Buffer.concat([u32le(slot), mac(`aa:00:00:00:00:0${tag}`), mac(`bb:00:00:00:00:0${tag}`)])),
    });
    // tx_ports: slot 0 → ifindex 2 (port 1), slot 1 → ifindex 1 (port 0, back where it came from).
    writeFileSync(mapIn, JSON.stringify({ maps: {
      tx_ports: [{ key: hex(u32le(0)), value: hex(u32le(2)) }, { key: hex(u32le(1)), value: hex(u32le(1)) }],
      routes: [route(0, 2), route(1, 3)],
    } }));
    const to = (dst: string, i: number): Buffer => eth4({ src: '10.0.0.1', dst, ttl: 9 + i }, { kind: 'udp', sport: 1000 + i, dport: 53 });
    const routed = Array.from({ length: 24 }, (_, i) => to(['10.2.0.7', '10.3.1.1', '10.9.0.1'][i % 3]!, i)); // 10.9: no route, PASS
    capture(join(dir, 'rt-in.pcap'), routed);
    capture(join(dir, 'rt-empty.pcap'), []);
    const out: Record<string, string[][]> = {};
    for (const mode of ['mbuf', 'xdp_buff'] as const) {
      const prefix = uniquePrefix(`mbufrt-${mode}`);
      const r = await run(object, prefix, [`net_pcap0,rx_pcap=${join(dir, 'rt-in.pcap')},tx_pcap=${join(dir, `rt-${mode}-0.pcap`)}`,
        `net_pcap1,rx_pcap=${join(dir, 'rt-empty.pcap')},tx_pcap=${join(dir, `rt-${mode}-1.pcap`)}`], '0,1', mode, ['--map-in', mapIn]);
      assert.is(r.status, 0, r.stderr);
      assert.match(r.describe, mode === 'mbuf' ? /the program reads the mbufs/ : XDP_BUFF_CHOSEN);
      const t = totalsOf(r.events);
      assert.equal([t.verdicts[2], t.verdicts[4], t.redirectErrors], [8, 16, 0], `${mode}: 8 without a route, 16 redirected`);
      out[mode] = [frames(join(dir, `rt-${mode}-0.pcap`)), frames(join(dir, `rt-${mode}-1.pcap`))];
      clean(prefix, r.pid);
    }
    const [back, across] = out.mbuf!;
    assert.equal(across!.map((f) => f.slice(0, 24)), routed.filter((_, i) => i % 3 === 0).map(() => 'aa0000000002bb0000000002'), '10.2/16 → port 1');
    assert.equal(back!.map((f) => f.slice(0, 24)), routed.filter((_, i) => i % 3 === 1).map(() => 'aa0000000003bb0000000003'), '10.3/16 → port 0');
    assert.equal(out.xdp_buff, out.mbuf);
  });
}

test.run();
