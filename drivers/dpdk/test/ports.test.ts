// Verdicts carried out on ports: TX out of the receiving port (two ports, each
// keeps its own frames), REDIRECT between two ports (router example, devmap →
// ifindex P+1), PASS through the exception TAP to the kernel and back: a ping
// from another namespace, across a veth into a net_af_packet port, answered by
// the kernel through the TAP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import { loadObject } from '../../../dataplane/runtime.ts';
import { loadMapJson } from '../../../dataplane/map-json.ts';
import { replay } from '../../pcap/replay.ts';
import { encodeCapture } from '../../pcap/writer.ts';
import { readCaptureFile } from '../../pcap/reader.ts';
import { firewallCases } from '../../../examples/test/cases.ts';
import { eth4, ipv4Addr, mac } from '../../../examples/test/frames.ts';
import {
  dpdkRequirements, eal, leftovers, repo, runToEnd, startRun, tempDir, totalsOf, uniquePrefix,
} from './harness.ts';

const frames = (path: string): string[] => (existsSync(path) ? [...readCaptureFile(path)].map((r) => Buffer.from(r.data).toString('hex')) : []);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const capture = (path: string, input: Uint8Array[]): void => { writeFileSync(path, encodeCapture(input.map((data) => ({ data })))); };
const sh = (cmd: string, ...args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

if (requires('DPDK TX on two ports', ...dpdkRequirements())) {
  test('xdp_tx on two net_pcap ports: each port sends its own frames back, MACs swapped', async () => {
    const dir = tempDir();
    const in0 = firewallCases.slice(0, 10).map((c) => c.frame), in1 = firewallCases.slice(10, 16).map((c) => c.frame);
    capture(join(dir, 'in0.pcap'), in0);
    capture(join(dir, 'in1.pcap'), in1);
    const prefix = uniquePrefix('tx2');
    const r = await runToEnd([repo('examples/xdp_tx.o'), '--dpdk', eal(prefix,
      `net_pcap0,rx_pcap=${join(dir, 'in0.pcap')},tx_pcap=${join(dir, 'out0.pcap')}`,
      `net_pcap1,rx_pcap=${join(dir, 'in1.pcap')},tx_pcap=${join(dir, 'out1.pcap')}`),
    '--port', '0,1', '--pass-to', 'none', '--duration', '1.5', '--stats', '0']);
    assert.is(r.status, 0, r.stderr);
    const swap = (f: Buffer): string => hex(Buffer.concat([f.subarray(6, 12), f.subarray(0, 6), f.subarray(12)]));
    assert.equal(frames(join(dir, 'out0.pcap')), in0.map(swap));
    assert.equal(frames(join(dir, 'out1.pcap')), in1.map(swap));
    const t = totalsOf(r.events);
    assert.is(t.verdicts[3], in0.length + in1.length);
    assert.is(t.txPackets, in0.length + in1.length);
    assert.equal(t.ports.map((p) => p.opackets), [in0.length, in1.length], 'ethdev counted the same frames out of each port');
    assert.equal(leftovers(prefix, 0), []);
  });
}

if (requires('DPDK REDIRECT between two ports (router example)', ...dpdkRequirements())) {
  test('router: routed frames leave through port 1 (devmap slot → ifindex 2), as replay writes them to redirect.pcap', async () => {
    const dir = tempDir();
    const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
    const mapIn = join(dir, 'maps.json');
    writeFileSync(mapIn, JSON.stringify({ maps: {
      tx_ports: [{ key: hex(u32(0)), value: hex(u32(2)) }], // ifindex 2 = DPDK port 1
      routes: [{ key: hex(Buffer.concat([u32(16), ipv4Addr('10.2.0.0')])), value: hex(Buffer.concat([u32(0), mac('aa:00:00:00:00:16'), mac('bb:00:00:00:00:16')])) }],
    } }));
    const routed = Array.from({ length: 12 }, (_, i) => eth4({ src: '10.0.0.1', dst: `10.2.0.${i + 1}` }, { kind: 'udp', sport: 1000 + i, dport: 53 }));
    const input = [...routed, eth4({ src: '10.0.0.1', dst: '10.9.0.1' }, { kind: 'udp', sport: 1, dport: 53 })]; // no route: PASS
    capture(join(dir, 'in.pcap'), input);
    capture(join(dir, 'empty.pcap'), []);
    const prefix = uniquePrefix('redirect');
    const r = await runToEnd([repo('examples/router.o'), '--dpdk', eal(prefix,
      `net_pcap0,rx_pcap=${join(dir, 'in.pcap')},tx_pcap=${join(dir, 'out0.pcap')}`,
      `net_pcap1,rx_pcap=${join(dir, 'empty.pcap')},tx_pcap=${join(dir, 'out1.pcap')}`),
    '--port', '0,1', '--pass-to', 'none', '--duration', '1.5', '--stats', '0', '--map-in', mapIn]);
    assert.is(r.status, 0, r.stderr);
    const obj = loadObject(repo('examples/router.o'));
    try {
      loadMapJson(mapIn, obj.maps);
      await replay(obj.program(), join(dir, 'in.pcap'), { outDir: join(dir, 'replay') });
    } finally { obj.close(); }
    const expected = frames(join(dir, 'replay', 'redirect.pcap'));
    assert.is(expected.length, routed.length);
    assert.equal(frames(join(dir, 'out1.pcap')), expected);
    assert.equal(frames(join(dir, 'out0.pcap')), []);
    const t = totalsOf(r.events);
    assert.is(t.verdicts[4], routed.length);
    assert.is(t.redirectErrors, 0);
  });
}

if (requires('DPDK PASS through the exception TAP (ping across a veth)', ...dpdkRequirements(), hasCommand('ping'), hasCommand('ip'))) {
  // On xdp_buffs (auto without hugepages) and on the mbufs themselves (--context mbuf).
  for (const [k, context] of (['auto', 'mbuf'] as const).entries()) test(`firewall on a net_af_packet port (--context ${context}): a ping from another namespace is answered by the kernel through the TAP`, async () => {
    const tag = `${process.pid % 10000}${k}`;
    const ns = `slns${tag}`, outer = `slva${tag}`, inner = `slvb${tag}`;
    const prefix = uniquePrefix(`tap${k}`);
    sh('ip', 'netns', 'add', ns);
    try {
      sh('ip', 'link', 'add', inner, 'type', 'veth', 'peer', 'name', outer);
      sh('ip', 'link', 'set', outer, 'netns', ns);
      sh('ip', '-n', ns, 'addr', 'add', '10.199.0.1/24', 'dev', outer);
      sh('ip', '-n', ns, 'link', 'set', outer, 'up');
      sh('ip', 'link', 'set', inner, 'up');
      const run = startRun([repo('examples/firewall.o'), '--dpdk', eal(prefix, `net_af_packet0,iface=${inner}`), '--port', '0',
        '--pass-to', 'tap', '--stats', '200ms', '--context', context]);
      try {
        const start = await run.waitFor((e) => e.event === 'start');
        assert.match(String(start.describe), context === 'mbuf' ? /the program reads the mbufs/ : /the program reads xdp_buffs/);
        const tap = /PASS → (\S+?)\)/.exec(String(start.describe))?.[1];
        assert.ok(tap, `the start event names the TAP: ${String(start.describe)}`);
        assert.is(readFileSync(`/sys/class/net/${tap}/address`, 'utf8').trim(), readFileSync(`/sys/class/net/${inner}/address`, 'utf8').trim(),
          'the TAP mirrors the port\'s MAC address');
        sh('ip', 'addr', 'add', '10.199.0.2/24', 'dev', tap!);
        const ping = sh('ip', 'netns', 'exec', ns, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '10.199.0.2');
        assert.match(ping, /3 received/);
        assert.ok(Number(readFileSync(`/sys/class/net/${tap}/statistics/rx_packets`, 'utf8')) >= 4, 'the kernel received ARP and echo requests on the TAP');
      } finally {
        run.signal('SIGINT');
      }
      const done = await run.done;
      assert.is(done.status, 0, done.stderr);
      const t = totalsOf(done.events);
      assert.ok(t.verdicts[2]! >= 4, 'ARP request and three echo requests passed');
      assert.ok(t.fromKernel >= 4, 'ARP reply and three echo replies came back from the kernel');
      assert.is(t.txPackets + t.txDropped, t.verdicts[2]! + t.verdicts[3]! + t.verdicts[4]!, 'sent: PASS into the TAP (and TX, REDIRECT), nothing else');
      assert.equal(leftovers(prefix, run.pid), [], 'no runtime directory, no TAP left');
    } finally {
      try { sh('ip', 'netns', 'del', ns); } catch { /* already gone */ }
      try { sh('ip', 'link', 'del', inner); } catch { /* went with the namespace */ }
    }
  });
}

test.run();
