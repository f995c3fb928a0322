// Generates the small captures committed in this folder from the packet
// builder, deterministically: the same script always writes the same bytes.
//
//   node --import tsx pcaps/make.ts            write every capture
//   node --import tsx pcaps/make.ts mixed      write some of them
//   node --import tsx pcaps/make.ts --check    verify the committed files are up to date
//   node --import tsx pcaps/make.ts --summary  count the frames of each by their layers
//
// Each capture is a function returning frames; README.md says what each holds.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { encodeCapture, type FrameToWrite, type WriteOptions } from '../drivers/pcap/capture.ts';
import { dissect, packet, type PacketBuilder } from '../drivers/packet/packet.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

/** 2026-01-01T00:00:00Z: every capture starts here, so timestamps are stable. */
const EPOCH = 1_767_225_600_000_000_000n;
const MS = 1_000_000n;

/** A small seeded generator (LCG, numerical recipes constants) so the files never change by accident. */
class Random {
  constructor(private seed: number) {}
  next(): number { this.seed = (Math.imul(this.seed, 1664525) + 1013904223) >>> 0; return this.seed; }
  int(n: number): number { return this.next() % n; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
}

interface Capture {
  file: string;
  options: WriteOptions;
  frames(): FrameToWrite[];
}

// Hosts of the mixed capture.
const MAC = { client: '02:00:00:00:00:0a', server: '02:00:00:00:00:0b', router: '02:00:00:00:00:01', bcast: 'ff:ff:ff:ff:ff:ff' };
const V4 = { client: '10.0.0.10', server: '10.0.0.20', dns: '10.0.0.53', outside: '198.51.100.7', router: '10.0.0.1' };
const V6 = { client: 'fd00::10', server: 'fd00::20', dns: 'fd00::53' };

type Frame = Uint8Array;

/** A TCP conversation: handshake, `exchanges` request/response pairs, FIN both ways. */
function tcpFlow(r: Random, v6: boolean, sport: number, dport: number, exchanges: number, vlan?: number): Frame[] {
  const [c, s] = v6 ? [V6.client, V6.server] : [V4.client, V4.server];
  const mk = (fromClient: boolean, flags: string, seq: number, ack: number, len: number): Frame => {
    const b: PacketBuilder = packet().eth(fromClient ? { src: MAC.client, dst: MAC.server } : { src: MAC.server, dst: MAC.client });
    if (vlan !== undefined) b.vlan({ vid: vlan });
    if (v6) b.ipv6(fromClient ? { src: c, dst: s } : { src: s, dst: c });
    else b.ipv4(fromClient ? { src: c, dst: s, id: r.int(65536), flags: 'DF' } : { src: s, dst: c, id: r.int(65536), flags: 'DF' });
    b.tcp(fromClient ? { sport, dport, flags, seq, ack } : { sport: dport, dport: sport, flags, seq, ack });
    if (len > 0) b.payload(len);
    return b.build();
  };
  let cs = r.next();
  let ss = r.next();
  const out = [mk(true, 'S', cs, 0, 0), mk(false, 'SA', ss, cs + 1, 0), mk(true, 'A', cs + 1, ss + 1, 0)];
  cs += 1; ss += 1;
  for (let i = 0; i < exchanges; i++) {
    const q = 20 + r.int(200);
    const a = 40 + r.int(900);
    out.push(mk(true, 'PA', cs, ss, q)); cs += q;
    out.push(mk(false, 'PA', ss, cs, a)); ss += a;
  }
  out.push(mk(true, 'FA', cs, ss, 0), mk(false, 'FA', ss, cs + 1, 0), mk(true, 'A', cs + 1, ss + 1, 0));
  return out;
}

function dns(r: Random, v6: boolean): Frame[] {
  const sport = 30000 + r.int(30000);
  const [c, d] = v6 ? [V6.client, V6.dns] : [V4.client, V4.dns];
  const q = packet().eth({ src: MAC.client, dst: MAC.router });
  const a = packet().eth({ src: MAC.router, dst: MAC.client });
  if (v6) { q.ipv6({ src: c, dst: d }); a.ipv6({ src: d, dst: c }); }
  else { q.ipv4({ src: c, dst: d, id: r.int(65536) }); a.ipv4({ src: d, dst: c, id: r.int(65536) }); }
  return [q.udp({ sport, dport: 53 }).payload(29 + r.int(20)).build(), a.udp({ sport: 53, dport: sport }).payload(45 + r.int(60)).build()];
}

function ping(r: Random, v6: boolean, seq: number): Frame[] {
  const id = 1 + r.int(1000);
  if (v6) {
    return [
      packet().eth({ src: MAC.client, dst: MAC.server }).ipv6({ src: V6.client, dst: V6.server }).icmpv6({ id, seq }).payload(56).build(),
      packet().eth({ src: MAC.server, dst: MAC.client }).ipv6({ src: V6.server, dst: V6.client }).icmpv6({ type: 'echo-reply', id, seq }).payload(56).build(),
    ];
  }
  return [
    packet().eth({ src: MAC.client, dst: MAC.server }).ipv4({ src: V4.client, dst: V4.server, id: r.int(65536) }).icmp({ id, seq }).payload(56).build(),
    packet().eth({ src: MAC.server, dst: MAC.client }).ipv4({ src: V4.server, dst: V4.client, id: r.int(65536) }).icmp({ type: 'echo-reply', id, seq }).payload(56).build(),
  ];
}

function arp(): Frame[] {
  return [
    packet().eth({ src: MAC.client, dst: MAC.bcast }).arp({ spa: V4.client, tpa: V4.router }).build({ minLength: 60 }),
    packet().eth({ src: MAC.router, dst: MAC.client }).arp({ op: 'reply', spa: V4.router, tpa: V4.client, tha: MAC.client }).build({ minLength: 60 }),
  ];
}

/** Splits an Ethernet/IPv4 frame (20-byte IP header) into two fragments, the first carrying `first` bytes (a multiple of 8). */
function fragments(frame: Frame, first: number): Frame[] {
  const ip = frame.subarray(14);
  const body = ip.subarray(20, (ip[2]! << 8) | ip[3]!);
  const header = { src: V4.client, dst: V4.server, id: (ip[4]! << 8) | ip[5]!, protocol: ip[9]! };
  const eth = { src: MAC.client, dst: MAC.server };
  return [
    packet().eth(eth).ipv4({ ...header, flags: 'MF' }).payload(body.subarray(0, first)).build(),
    packet().eth(eth).ipv4({ ...header, frag: first / 8 }).payload(body.subarray(first)).build(),
  ];
}

/** Interleaves conversations the way a link would: frames of each stay in order. */
function interleave(r: Random, flows: Frame[][]): Frame[] {
  const queues = flows.filter((f) => f.length > 0).map((f) => [...f]);
  const out: Frame[] = [];
  while (queues.length > 0) {
    const i = r.int(queues.length);
    out.push(queues[i]!.shift()!);
    if (queues[i]!.length === 0) queues.splice(i, 1);
  }
  return out;
}

function stamp(frames: Frame[], r: Random): FrameToWrite[] {
  let t = EPOCH;
  return frames.map((data) => { t += MS / 10n + BigInt(r.int(2_000_000)); return { data, timestamp: t }; });
}

function mixedFrames(): FrameToWrite[] {
  const r = new Random(2026);
  const flows: Frame[][] = [];
  for (let i = 0; i < 10; i++) flows.push(tcpFlow(r, i % 2 === 1, 40000 + i, [22, 80, 443][i % 3]!, 2 + r.int(6)));
  flows.push(tcpFlow(r, false, 41000, 80, 3, 10)); // a conversation on VLAN 10
  for (let i = 0; i < 30; i++) flows.push(dns(r, i % 3 === 0));
  for (let i = 0; i < 16; i++) flows.push(ping(r, i % 2 === 1, i + 1));
  flows.push(arp(), arp(), arp());
  const extras: Frame[] = [
    // UDP on VLAN 20, and QinQ (outer 100, inner 200)
    ...Array.from({ length: 6 }, (_, i) => packet().eth({ src: MAC.client, dst: MAC.server }).vlan({ vid: 20, pcp: i % 8 }).ipv4({ src: V4.client, dst: V4.server }).udp({ sport: 5000 + i, dport: 6000 }).payload(32).build()),
    packet().eth({ src: MAC.client, dst: MAC.server }).vlan({ vid: 100 }).vlan({ vid: 200 }).ipv4({ src: V4.client, dst: V4.server }).udp({ sport: 7000, dport: 7001 }).payload(20).build(),
    // traffic from outside the network: SSH and telnet attempts, a UDP scan
    ...Array.from({ length: 10 }, (_, i) => packet().eth({ src: MAC.router, dst: MAC.server }).ipv4({ src: V4.outside, dst: V4.server, ttl: 50 }).tcp({ sport: 50000 + i, dport: i % 2 ? 23 : 22, flags: 'S' }).build()),
    ...Array.from({ length: 8 }, (_, i) => packet().eth({ src: MAC.router, dst: MAC.server }).ipv4({ src: V4.outside, dst: V4.server, ttl: 50 }).udp({ sport: 60000, dport: 1000 + i * 111 }).build()),
    // an IPv4 header with a router-alert option
    packet().eth({ src: MAC.router, dst: MAC.client }).ipv4({ src: V4.router, dst: V4.client, options: [0x94, 4, 0, 0], ttl: 1 }).udp({ sport: 520, dport: 520 }).payload(24).build(),
  ];
  flows.push(...extras.map((f) => [f]));
  // a UDP datagram in two fragments, in order
  flows.push(fragments(packet().eth({ src: MAC.client, dst: MAC.server }).ipv4({ src: V4.client, dst: V4.server, id: 777 }).udp({ sport: 4000, dport: 4001 }).payload(1400).build(), 1008));
  return stamp(interleave(r, flows), r);
}

/** The same kind of traffic seen on two interfaces, in pcapng. */
function twoInterfaceFrames(): FrameToWrite[] {
  const r = new Random(7);
  const frames = interleave(r, [tcpFlow(r, false, 42000, 80, 2), dns(r, true), ping(r, false, 1), arp()]);
  return stamp(frames, r).map((f, i) => ({ ...f, interfaceId: i % 2 }));
}

/** Full-size frames captured with a 96-byte snap length: caplen 96, original length 1514. */
function truncatedFrames(): FrameToWrite[] {
  const r = new Random(96);
  return stamp(Array.from({ length: 16 }, (_, i) =>
    packet().eth().ipv4({ id: i }).tcp({ sport: 40000, dport: 443, flags: 'PA', seq: 1 + i * 1460 }).payload(1460).build()), r);
}

/**
 * The Quick start's capture for the example firewall: an office link carrying its
 * usual traffic (SSH, web, DNS, pings, ARP, a VLAN) while outsiders probe it with
 * what the firewall blocks by default (examples/README.md): telnet and SMB
 * connection attempts, chargen and memcached UDP, and hosts in 192.0.2.0/24 and
 * 2001:db8:bad::/48. Which frames the firewall must drop follows from their fields.
 */
function demoFrames(): FrameToWrite[] {
  const r = new Random(4242);
  const flows: Frame[][] = [];
  for (let i = 0; i < 12; i++) flows.push(tcpFlow(r, i % 3 === 2, 43000 + i, [22, 80, 443][i % 3]!, 2 + r.int(5)));
  flows.push(tcpFlow(r, false, 44000, 443, 2, 10));
  for (let i = 0; i < 20; i++) flows.push(dns(r, i % 4 === 0));
  for (let i = 0; i < 8; i++) flows.push(ping(r, i % 2 === 1, i + 1));
  flows.push(arp(), arp());
  const outsider = (i: number) => `198.51.100.${10 + (i % 40)}`;
  const fromOutside = () => packet().eth({ src: MAC.router, dst: MAC.server });
  const probes: Frame[] = [
    ...Array.from({ length: 24 }, (_, i) => fromOutside().ipv4({ src: outsider(i), dst: V4.server, ttl: 48 }).tcp({ sport: 51000 + i, dport: 23, flags: 'S' }).build()),
    ...Array.from({ length: 16 }, (_, i) => fromOutside().ipv4({ src: outsider(i + 7), dst: V4.server, ttl: 52 }).tcp({ sport: 52000 + i, dport: 445, flags: 'S' }).build()),
    ...Array.from({ length: 12 }, (_, i) => fromOutside().ipv4({ src: outsider(i + 3), dst: V4.server }).udp({ sport: 53000 + i, dport: 11211 }).payload(15).build()),
    ...Array.from({ length: 6 }, (_, i) => fromOutside().ipv4({ src: outsider(i + 11), dst: V4.server }).udp({ sport: 54000 + i, dport: 19 }).payload(1).build()),
    ...Array.from({ length: 14 }, (_, i) => fromOutside().ipv4({ src: `192.0.2.${1 + i * 17}`, dst: V4.server }).tcp({ sport: 55000 + i, dport: [22, 80, 443][i % 3]!, flags: 'S' }).build()),
    ...Array.from({ length: 8 }, (_, i) => fromOutside().ipv6({ src: `2001:db8:bad::${(i + 1).toString(16)}`, dst: V6.server }).tcp({ sport: 56000 + i, dport: 443, flags: 'S' }).build()),
  ];
  flows.push(...probes.map((f) => [f]));
  return stamp(interleave(r, flows), r);
}

export const CAPTURES: Record<string, Capture> = {
  mixed: { file: 'mixed.pcap', options: { resolution: 'us' }, frames: mixedFrames },
  'two-interfaces': {
    file: 'two-interfaces.pcapng',
    options: { format: 'pcapng', interfaces: [{ name: 'veth0', resolution: 'ns' }, { name: 'veth1', resolution: 'us' }] },
    frames: twoInterfaceFrames,
  },
  truncated: { file: 'truncated.pcap', options: { snaplen: 96, resolution: 'us' }, frames: truncatedFrames },
  demo: { file: 'demo.pcap', options: { resolution: 'us' }, frames: demoFrames },
};

/** Frame counts by layer stack ("eth/vlan/ipv4/udp"), payload and trailer left out. */
export function summarize(frames: readonly FrameToWrite[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of frames) {
    const key = dissect(f.data).layers.map((l) => l.layer).filter((l) => l !== 'payload' && l !== 'trailer').join('/');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return new Map([...counts].sort((a, b) => b[1] - a[1]));
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const summary = argv.includes('--summary');
  const names = argv.filter((a) => !a.startsWith('--'));
  let stale = 0;
  for (const name of names.length ? names : Object.keys(CAPTURES)) {
    const capture = CAPTURES[name];
    if (!capture) { console.error(`unknown capture "${name}" (known: ${Object.keys(CAPTURES).join(', ')})`); return 2; }
    const frames = capture.frames();
    const bytes = encodeCapture(frames, capture.options);
    const path = join(here, capture.file);
    if (summary) {
      console.log(`${capture.file}: ${frames.length} frames, ${bytes.length} bytes`);
      for (const [stack, n] of summarize(frames)) console.log(`  ${String(n).padStart(4)}  ${stack}`);
    } else if (check) {
      let current: Uint8Array | undefined;
      try { current = readFileSync(path); } catch { current = undefined; }
      const same = current !== undefined && Buffer.compare(Buffer.from(bytes), current) === 0;
      if (!same) stale++;
      console.log(`${same ? 'ok   ' : 'STALE'} ${capture.file}`);
    } else {
      writeFileSync(path, bytes);
      console.log(`wrote ${capture.file} (${bytes.length} bytes)`);
    }
  }
  return stale === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
