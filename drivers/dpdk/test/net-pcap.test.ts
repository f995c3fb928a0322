// A net_pcap port fed a generated capture: what sluice run transmits out of the
// port is, frame for frame and byte for byte, what replay() (the pcap driver)
// writes to tx.pcap for the same program and input. The verdict counts agree too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requires } from '../../../scripts/testkit/skip.ts';
import { loadObject } from '../../../dataplane/runtime.ts';
import { loadMapJson } from '../../../dataplane/map-json.ts';
import { replay } from '../../pcap/replay.ts';
import { encodeCapture } from '../../pcap/writer.ts';
import { readCaptureFile } from '../../pcap/reader.ts';
import { firewallCases } from '../../../examples/test/cases.ts';
import { eth4, ipv4Addr } from '../../../examples/test/frames.ts';
import { dpdkRequirements, eal, leftovers, repo, runToEnd, tempDir, totalsOf, uniquePrefix } from './harness.ts';

const frames = (path: string): string[] => (existsSync(path) ? [...readCaptureFile(path)].map((r) => Buffer.from(r.data).toString('hex')) : []);

/** Runs OBJ on one net_pcap port over `input`; returns the frames it transmitted, and the totals. */
async function throughDpdk(name: string, object: string, input: Uint8Array[], mapIn?: string) {
  const dir = tempDir();
  const inPath = join(dir, 'in.pcap'), outPath = join(dir, 'out.pcap');
  writeFileSync(inPath, encodeCapture(input.map((data, i) => ({ data, timestamp: BigInt(i) * 1000n }))));
  const prefix = uniquePrefix(name);
  const r = await runToEnd([object, '--dpdk', eal(prefix, `net_pcap0,rx_pcap=${inPath},tx_pcap=${outPath}`), '--port', '0',
    '--pass-to', 'none', '--duration', '1.5', '--stats', '0', ...(mapIn ? ['--map-in', mapIn] : [])]);
  assert.is(r.status, 0, `sluice run exits 0; stderr: ${r.stderr}`);
  return { sent: frames(outPath), totals: totalsOf(r.events), dir, inPath, prefix };
}

/** replay() of the same program and input: tx.pcap's frames and the verdict counts. */
async function throughReplay(object: string, inPath: string, dir: string, mapIn?: string) {
  const obj = loadObject(object);
  try {
    if (mapIn) loadMapJson(mapIn, obj.maps);
    const outDir = join(dir, 'replay');
    const stats = await replay(obj.program(), inPath, { outDir });
    return { sent: frames(join(outDir, 'tx.pcap')), verdicts: stats.verdicts };
  } finally {
    obj.close();
  }
}

if (requires('DPDK net_pcap port against replay()', ...dpdkRequirements())) {
  test('xdp_tx over the firewall cases: the port transmits what replay writes to tx.pcap', async () => {
    const object = repo('examples/xdp_tx.o');
    const input = firewallCases.map((c) => c.frame);
    const d = await throughDpdk('tx', object, input);
    const r = await throughReplay(object, join(d.dir, 'in.pcap'), d.dir);
    assert.is(d.totals.rxPackets, input.length, 'every frame of the capture was received');
    assert.is(d.sent.length, input.length, 'xdp_tx sends every frame of at least 14 bytes back');
    assert.equal(d.sent, r.sent, 'frame for frame, byte for byte');
    assert.equal(d.totals.verdicts, r.verdicts);
    // Independently of replay: the MACs are swapped (xdp_tx.c's documented behaviour).
    const first = Buffer.from(input[0]!);
    const swapped = Buffer.concat([first.subarray(6, 12), first.subarray(0, 6), first.subarray(12)]).toString('hex');
    assert.is(d.sent[0], swapped);
    assert.equal(leftovers(d.prefix, 0).filter((l) => !l.startsWith('interface')), []);
  });

  test('firewall over its cases (PASS with --pass-to none): nothing transmitted, the verdicts of replay', async () => {
    const object = repo('examples/firewall.o');
    const input = firewallCases.map((c) => c.frame);
    const d = await throughDpdk('fw', object, input);
    const r = await throughReplay(object, join(d.dir, 'in.pcap'), d.dir);
    assert.equal(d.sent, []);
    assert.equal(d.totals.verdicts, r.verdicts);
    // From the cases' documented verdicts (no rules loaded here: the map-dependent cases pass).
    const documentedDrops = firewallCases.filter((c) => c.verdict === 1 && ![3, 4, 6].includes(c.reason)).length;
    assert.is(d.totals.verdicts[1], documentedDrops);
    assert.is(d.totals.passDropped, d.totals.verdicts[2], 'PASS frames are counted and dropped without an exception interface');
  });

  test('a frame longer than one mbuf (net_pcap chains it): counted as multi-segment, the program sees its first segment, nothing else in the burst changes', async () => {
    const object = repo('examples/xdp_tx.o');
    const small = firewallCases.slice(0, 6).map((c) => c.frame);
    // 3000 bytes: more than an mbuf's 2048-byte data room (RTE_MBUF_DEFAULT_BUF_SIZE), so
    // net_pcap receives it as two segments, and it cannot be linearized into the first.
    const long = Buffer.concat([Buffer.from(small[0]!), Buffer.alloc(3000 - small[0]!.length, 0xab)]);
    const input = [small[0]!, small[1]!, long, ...small.slice(2)];
    const d = await throughDpdk('chain', object, input);
    assert.is(d.totals.rxPackets, input.length);
    assert.is(d.totals.multiSeg, 1, 'one chained frame');
    assert.is(d.sent.length, input.length, 'xdp_tx sends every frame back, the chained one too');
    const swap = (f: Uint8Array): string => { const b = Buffer.from(f); return Buffer.concat([b.subarray(6, 12), b.subarray(0, 6), b.subarray(12)]).toString('hex'); };
    assert.equal(d.sent, input.map(swap), 'MACs swapped in every frame; the chained one keeps all 3000 bytes');
  });

  test('lb: IPIP encapsulation (adjust_head) is written back into the mbuf: the bytes of replay', async () => {
    const object = repo('examples/lb.o');
    const dir = tempDir();
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
    const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
    const vipKey = Buffer.concat([ipv4Addr('10.0.0.100'), Buffer.from([0, 80, 6, 0])]);
    const mapIn = join(dir, 'maps.json');
    writeFileSync(mapIn, JSON.stringify({ maps: {
      vips: [{ key: hex(vipKey), value: hex(Buffer.concat([u32(0), u32(2)])) }],
      backends: [{ key: hex(u32(0)), value: hex(ipv4Addr('10.1.0.10')) }, { key: hex(u32(1)), value: hex(ipv4Addr('10.1.0.11')) }],
    } }));
    const input = [
      ...Array.from({ length: 40 }, (_, i) => eth4({ src: '198.51.100.7', dst: '10.0.0.100' }, { kind: 'tcp', sport: 1000 + i, dport: 80 })),
      eth4({ src: '198.51.100.7', dst: '10.0.0.100' }, { kind: 'tcp', sport: 1, dport: 443 }), // not the VIP's port: PASS
      ...firewallCases.slice(0, 5).map((c) => c.frame),
    ];
    const d = await throughDpdk('lb', object, input, mapIn);
    const r = await throughReplay(object, d.inPath, d.dir, mapIn);
    assert.is(d.sent.length, 40, 'every VIP frame is encapsulated and sent back');
    assert.equal(d.sent, r.sent);
    // The outer header: 20 bytes longer than the input, IPv4 protocol 4 (IPIP).
    const out0 = Buffer.from(d.sent[0]!, 'hex');
    assert.is(out0.length, input[0]!.length + 20);
    assert.is(out0[14 + 9], 4);
  });
}

test.run();
