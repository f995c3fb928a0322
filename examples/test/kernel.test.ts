// Every committed example object loads into this machine's kernel (bpftool
// prog load) and gives, through BPF_PROG_TEST_RUN, the verdicts, output bytes
// and counters its source promises (examples/test/cases.ts). Root only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hasCommand, isRoot, requires } from '../../scripts/testkit/skip.ts';
import { bpfUsable, cleanup, LoadedExample, loadExample, u32, u64, VERDICT_NAMES } from './bpftool.ts';
import {
  firewallCases, firewallRules, FW, FW_REASON_COUNT, plainTcp, ringbufCases, tailcallCases, tailcallProtoCounts,
  tcpFrameOfLength, VerdictCase, verdictCounterCases, vlanCases, vlanCounts,
  XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX,
} from './cases.ts';
import { eth4, ethernet, ETH_P_LLDP, internetChecksum, IPPROTO_IPIP, ipv4Addr, ipv6Addr, mac } from './frames.ts';

const examplesDir = fileURLToPath(new URL('..', import.meta.url));
const objects = readdirSync(examplesDir).filter((f) => f.endsWith('.o')).sort();
const loaded = new Map<string, LoadedExample>();

function example(name: string): LoadedExample {
  const ex = loaded.get(name);
  if (!ex) throw new Error(`${name}.o did not load (see the load test)`);
  return ex;
}

function expectVerdicts(ex: LoadedExample, cases: VerdictCase[]): void {
  const wrong: string[] = [];
  for (const c of cases) {
    const { verdict } = ex.run(c.frame);
    if (verdict !== c.verdict) wrong.push(`${c.what}: got ${VERDICT_NAMES[verdict] ?? verdict}, want ${VERDICT_NAMES[c.verdict]}`);
  }
  assert.equal(wrong, [], `${ex.name}: wrong verdicts`);
}

const sum = (m: Iterable<number>) => [...m].reduce((a, b) => a + b, 0);

if (requires('example objects in the kernel', isRoot(), hasCommand('bpftool'))
  && requires('example objects in the kernel', bpfUsable(`${examplesDir}xdp_pass.o`))) {
  test.after(() => cleanup());

  test('every example object loads in the kernel', () => {
    assert.ok(objects.length >= 11, `expected the 11 examples, found ${objects.join(' ')}`);
    for (const obj of objects) {
      const name = obj.slice(0, -2);
      loaded.set(name, loadExample(`${examplesDir}${obj}`, name));
    }
  });

  test('xdp_pass passes frames unchanged', () => {
    const { verdict, out } = example('xdp_pass').run(plainTcp);
    assert.is(verdict, XDP_PASS);
    assert.equal(out, plainTcp);
  });

  test('xdp_drop drops and counts packets and bytes', () => {
    const ex = example('xdp_drop');
    const frames = [tcpFrameOfLength(60), tcpFrameOfLength(100)];
    for (const f of frames) assert.is(ex.run(f).verdict, XDP_DROP);
    assert.is(ex.counter('drop_stats', u32(0), 0), 2n);
    assert.is(ex.counter('drop_stats', u32(0), 8), 160n);
  });

  test('xdp_tx sends the frame back with its MAC addresses swapped', () => {
    const { verdict, out } = example('xdp_tx').run(plainTcp);
    assert.is(verdict, XDP_TX);
    assert.equal(out.subarray(0, 6), plainTcp.subarray(6, 12));
    assert.equal(out.subarray(6, 12), plainTcp.subarray(0, 6));
    assert.equal(out.subarray(12), plainTcp.subarray(12));
  });

  test('verdict_counters: EtherType policy, one counter per verdict', () => {
    const ex = example('verdict_counters');
    expectVerdicts(ex, verdictCounterCases);
    for (const v of [0, 1, 2, 3, 4]) {
      assert.is(ex.counter('verdicts', u32(v)), BigInt(verdictCounterCases.filter((c) => c.verdict === v).length), `verdict ${v}`);
    }
  });

  test('firewall: default rules, map rules, counters', () => {
    const ex = example('firewall');
    const r = firewallRules;
    ex.update('blocked_v4', ipv4Addr(r.blockedV4), u64(0));
    ex.update('blocked_net_v4', Buffer.concat([u32(r.blockedNetV4.len), ipv4Addr(r.blockedNetV4.addr)]), u64(0));
    ex.update('blocked_v6', ipv6Addr(r.blockedV6), u64(0));
    ex.update('blocked_net_v6', Buffer.concat([u32(r.blockedNetV6.len), ipv6Addr(r.blockedNetV6.addr)]), u64(0));
    const portKey = Buffer.from([6, 0, r.blockedTcpPort >> 8, r.blockedTcpPort & 0xff]);
    ex.update('port_rules', portKey, u64(0));

    expectVerdicts(ex, firewallCases);
    for (let reason = 0; reason < FW_REASON_COUNT; reason++) {
      const want = firewallCases.filter((c) => c.reason === reason).length;
      assert.is(ex.counter('fw_reasons', u32(reason)), BigInt(want), `fw_reasons[${reason}]`);
    }
    for (const v of [XDP_DROP, XDP_PASS, XDP_TX]) {
      assert.is(ex.counter('fw_verdicts', u32(v)), BigInt(firewallCases.filter((c) => c.verdict === v).length), `fw_verdicts[${v}]`);
    }
    // Each rule's value counts its hits: one case per map rule in the table.
    const hits = (reason: number) => BigInt(firewallCases.filter((c) => c.reason === reason).length);
    const ruleHits = ex.counter('blocked_v4', ipv4Addr(r.blockedV4)) + ex.counter('blocked_v6', ipv6Addr(r.blockedV6));
    assert.is(ruleHits, hits(FW.DROP_SRC_ADDR));
    assert.is(ex.counter('port_rules', portKey), hits(FW.DROP_PORT));
    assert.is(ex.counter('blocked_net_v4', Buffer.concat([u32(32), ipv4Addr('10.8.0.0')])), 1n); // LPM lookup finds the /16
  });

  test('lb: VIP traffic is IPIP-encapsulated to a backend and sent back out', () => {
    const ex = example('lb');
    const vipKey = (addr: string, port: number, proto: number) =>
      Buffer.concat([ipv4Addr(addr), Buffer.from([port >> 8, port & 0xff, proto, 0])]);
    const vipInfo = (first: number, count: number) => Buffer.concat([u32(first), u32(count)]);
    const backends = ['10.1.0.10', '10.1.0.11'];
    ex.update('vips', vipKey('10.0.0.100', 80, 6), vipInfo(0, 2));
    ex.update('vips', vipKey('10.0.0.101', 80, 6), vipInfo(0, 0)); // a service without backends
    ex.update('vips', vipKey('10.0.0.102', 80, 6), vipInfo(10, 1)); // slot 10 was never set
    backends.forEach((b, i) => ex.update('backends', u32(i), ipv4Addr(b)));

    const chosen = new Set<string>();
    for (let sport = 1000; sport < 1016; sport++) {
      const frame = eth4({ src: '198.51.100.7', dst: '10.0.0.100', tos: 0x10 }, { kind: 'tcp', sport, dport: 80 });
      const { verdict, out } = ex.run(frame);
      assert.is(verdict, XDP_TX, `sport ${sport}`);
      assert.is(out.length, frame.length + 20);
      assert.equal(out.subarray(0, 6), frame.subarray(6, 12), 'destination MAC is the old source');
      assert.equal(out.subarray(6, 12), frame.subarray(0, 6), 'source MAC is the old destination');
      assert.is(out.readUInt16BE(12), 0x0800);
      const outer = out.subarray(14, 34);
      assert.is(outer[0], 0x45, 'IPv4, 20-byte header');
      assert.is(outer[1], 0x10, 'TOS copied from the inner header');
      assert.is(outer.readUInt16BE(2), frame.readUInt16BE(16) + 20, 'total length covers the inner packet');
      assert.is(outer[9], IPPROTO_IPIP);
      assert.equal(outer.subarray(12, 16), ipv4Addr('10.0.0.1'), 'tunnel source');
      assert.is(internetChecksum(outer), 0, 'outer header checksum');
      const dst = [...outer.subarray(16, 20)].join('.');
      assert.ok(backends.includes(dst), `outer destination ${dst} is a backend`);
      assert.equal(out.subarray(34), frame.subarray(14), 'the inner packet is untouched');
      chosen.add(dst);
      assert.equal(ex.run(frame).out, out, 'the same flow goes to the same backend');
    }
    assert.is(chosen.size, 2, 'sixteen flows spread over both backends');

    const other = (dst: string, l4: { kind: 'tcp' | 'udp'; sport: number; dport: number }) => ex.run(eth4({ src: '198.51.100.7', dst }, l4)).verdict;
    assert.is(other('10.0.0.100', { kind: 'tcp', sport: 1, dport: 443 }), XDP_PASS, 'VIP address, other port');
    assert.is(other('10.0.0.100', { kind: 'udp', sport: 1, dport: 80 }), XDP_PASS, 'VIP address and port, other protocol');
    assert.is(other('10.0.0.99', { kind: 'tcp', sport: 1, dport: 80 }), XDP_PASS, 'not a VIP');
    assert.is(other('10.0.0.101', { kind: 'tcp', sport: 1, dport: 80 }), XDP_DROP, 'VIP without backends');
    assert.is(other('10.0.0.102', { kind: 'tcp', sport: 1, dport: 80 }), XDP_DROP, 'VIP whose backend slot is empty');
  });

  test('router: longest-prefix route, TTL decrement with a valid checksum, devmap redirect', () => {
    const ex = example('router');
    const route = (port: number, nextHop: string, source: string) => Buffer.concat([u32(port), mac(nextHop), mac(source)]);
    const prefix = (addr: string, len: number) => Buffer.concat([u32(len), ipv4Addr(addr)]);
    ex.update('tx_ports', u32(0), u32(1)); // slot 0 -> lo
    ex.update('routes', prefix('10.2.0.0', 16), route(0, 'aa:00:00:00:00:16', 'bb:00:00:00:00:16'));
    ex.update('routes', prefix('10.2.5.0', 24), route(0, 'aa:00:00:00:00:24', 'bb:00:00:00:00:24'));
    ex.update('routes', prefix('10.4.0.0', 16), route(5, 'aa:00:00:00:00:05', 'bb:00:00:00:00:05')); // slot 5 empty

    for (let i = 0; i < 24; i++) {
      const ttl = 2 + ((i * 37) % 254), id = (i * 7919) & 0xffff;
      const dst = i % 2 ? '10.2.5.9' : '10.2.3.4';
      const frame = eth4({ src: '10.0.0.1', dst, ttl, id, tos: i }, { kind: 'udp', sport: i, dport: 53 });
      const { verdict, out } = ex.run(frame);
      assert.is(verdict, XDP_REDIRECT, `to ${dst}`);
      const suffix = i % 2 ? '24' : '16';
      assert.equal(out.subarray(0, 12), Buffer.concat([mac(`aa:00:00:00:00:${suffix}`), mac(`bb:00:00:00:00:${suffix}`)]));
      assert.is(out[14 + 8], ttl - 1, 'TTL decremented');
      assert.is(internetChecksum(out.subarray(14, 34)), 0, `checksum valid after TTL ${ttl} -> ${ttl - 1}, id ${id}`);
      const rest = (b: Buffer) => Buffer.concat([b.subarray(12, 22), b.subarray(23, 24), b.subarray(26)]);
      assert.equal(rest(out), rest(frame), 'nothing else changes');
    }
    const verdict = (dst: string, ttl = 64) => ex.run(eth4({ src: '10.0.0.1', dst, ttl }, { kind: 'udp', sport: 1, dport: 53 }));
    const expiring = verdict('10.2.3.4', 1);
    assert.is(expiring.verdict, XDP_PASS, 'TTL 1 goes to the kernel (ICMP time exceeded)');
    assert.is(expiring.out[14 + 8], 1, 'and is not decremented');
    assert.is(verdict('10.3.0.1').verdict, XDP_PASS, 'no route');
    assert.is(verdict('10.4.0.1').verdict, XDP_DROP, 'route to an empty devmap slot');
    assert.is(ex.run(ethernet({}, ETH_P_LLDP, Buffer.alloc(46))).verdict, XDP_PASS, 'not IPv4');
  });

  test('vlan: walks up to two tags, counts per VLAN id and depth', () => {
    const ex = example('vlan');
    expectVerdicts(ex, vlanCases);
    for (const [vid, n] of vlanCounts.vids) assert.is(ex.counter('vlan_packets', u32(vid)), BigInt(n), `VLAN ${vid}`);
    vlanCounts.depth.forEach((n, depth) => assert.is(ex.counter('tag_depth', u32(depth)), BigInt(n), `${depth} tags`));
    assert.is(sum(vlanCounts.depth), vlanCases.filter((c) => c.verdict === XDP_PASS).length);
  });

  test('tailcall: the dispatcher reaches the per-protocol programs', () => {
    const ex = example('tailcall');
    expectVerdicts(ex, tailcallCases);
    for (const [proto, n] of tailcallProtoCounts) assert.is(ex.counter('proto_packets', u32(proto)), BigInt(n), `protocol ${proto}`);
  });

  test('globals: runts dropped by .rodata limit, counters in .bss, .data initialised', () => {
    const ex = example('globals');
    const lengths = [54, 59, 60, 100];
    const verdicts = lengths.map((n) => ex.run(tcpFrameOfLength(n)).verdict);
    assert.equal(verdicts, lengths.map((n) => (n < 60 ? XDP_DROP : XDP_PASS)));
    const bss = ex.lookup('globals_bss', u32(0))[0]!; // packets, bytes, runts
    assert.is(bss.readBigUInt64LE(0), BigInt(lengths.length));
    assert.is(bss.readBigUInt64LE(8), BigInt(sum(lengths)));
    assert.is(bss.readBigUInt64LE(16), 2n);
    assert.is(ex.lookup('globals_data', u32(0))[0]!.readUInt32LE(0), 16, 'log_every');
    assert.is(ex.lookup('globals_rodata', u32(0))[0]!.readUInt32LE(0), 60, 'min_frame_len');
  });

  test('ringbuf: watches without changing verdicts, loses no events', () => {
    const ex = example('ringbuf');
    expectVerdicts(ex, ringbufCases);
    assert.is(ex.lookup('ringbuf_bss', u32(0))[0]!.readBigUInt64LE(0), 0n, 'events_lost');
  });

  if (requires('reading ringbuf events', hasCommand('cc'))) {
    test('ringbuf: a SYN event (reserve/submit) and a not-IP event (output), in order', () => {
      const ex = example('ringbuf');
      ex.ringbufRecords('events'); // drain what the verdict test left
      const syn = ringbufCases[0]!.frame, arp = ringbufCases[2]!.frame;
      for (const c of ringbufCases) ex.run(c.frame);
      const records = ex.ringbufRecords('events');
      assert.is(records.length, 2, 'one event for the SYN, one for the ARP frame, none for the others');
      const [s, a] = records as [Buffer, Buffer];
      // struct syn_event: u32 kind, u32 ifindex, be32 saddr, be32 daddr, be16 sport, be16 dport, u32 len
      assert.is(s.length, 24);
      assert.is(s.readUInt32LE(0), 1);
      assert.is(s.readUInt32LE(4), 1, 'a test run without a context reports ingress ifindex 1');
      assert.equal(s.subarray(8, 12), ipv4Addr('10.0.0.1'));
      assert.equal(s.subarray(12, 16), ipv4Addr('10.0.0.2'));
      assert.is(s.readUInt16BE(16), 40000);
      assert.is(s.readUInt16BE(18), 80);
      assert.is(s.readUInt32LE(20), syn.length);
      // struct not_ip_event: u32 kind, u32 ifindex, u16 ethertype, u16 pad, u32 len
      assert.is(a.length, 16);
      assert.is(a.readUInt32LE(0), 2);
      assert.is(a.readUInt16LE(8), 0x0806);
      assert.is(a.readUInt32LE(12), arp.length);
    });
  }
}

test.run();
