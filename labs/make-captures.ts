// Generates each lab's small input capture (labs/NN-name/input.pcap) from the
// packet builder, deterministically: the same script always writes the same
// bytes, so the frame indexes the specs use never move.
//
//   node --import tsx labs/make-captures.ts           write every capture
//   node --import tsx labs/make-captures.ts --check   fail if a committed capture is stale
//
// A frame's index in its capture is its position in the list below; the
// comment beside each says what it is, and each lab's spec.yaml relies on it.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { encodeCapture } from '../drivers/pcap/capture.ts';
import { ipv4HeaderChecksum } from '../drivers/packet/checksum.ts';
import { packet } from '../drivers/packet/packet.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
/** 2026-01-01T00:00:00Z, one millisecond between frames. */
const EPOCH = 1_767_225_600_000_000_000n;
const MS = 1_000_000n;

const eth = (spec: { type?: number } = {}) => packet().eth({ src: '02:00:00:00:00:0a', dst: '02:00:00:00:00:0b', ...spec });
const arp = () => packet().eth({ src: '02:00:00:00:00:0a', dst: 'ff:ff:ff:ff:ff:ff' }).arp({ spa: '10.0.0.10', tpa: '10.0.0.1' }).build();
/** An Ethernet frame whose header announces IPv4 but holds only `n` bytes of it. */
const shortIpv4 = (n: number) => eth().ipv4().tcp().build().slice(0, 14 + n);

const captures: Record<string, () => Uint8Array[]> = {
  '01-count-protocols': () => [
    eth().ipv4({ src: '10.0.0.10', dst: '10.0.0.20' }).tcp({ sport: 40000, dport: 80, flags: 'S' }).build(),            // 0 TCP
    eth().ipv4({ src: '10.0.0.20', dst: '10.0.0.10' }).tcp({ sport: 80, dport: 40000, flags: 'SA' }).build(),           // 1 TCP
    eth().ipv4({ src: '10.0.0.10', dst: '10.0.0.53' }).udp({ sport: 5353, dport: 53 }).payload(28).build(),             // 2 UDP
    eth().ipv4({ src: '10.0.0.10', dst: '10.0.0.20' }).icmp({ id: 7, seq: 1 }).payload(32).build(),                     // 3 ICMP
    arp(),                                                                                                              // 4 ARP
    eth().ipv6({ src: 'fd00::10', dst: 'fd00::20' }).tcp({ sport: 40001, dport: 443, flags: 'S' }).build(),             // 5 TCP (IPv6)
    eth().ipv6({ src: 'fd00::10', dst: 'fd00::53' }).udp({ sport: 5353, dport: 53 }).payload(30).build(),               // 6 UDP (IPv6)
    eth().ipv6({ src: 'fd00::10', dst: 'fd00::20' }).icmpv6({ id: 9, seq: 1 }).payload(16).build(),                     // 7 ICMPv6
    eth().ipv4({ src: '10.0.0.10', dst: '10.0.0.20' }).tcp({ sport: 40000, dport: 80, flags: 'PA' }).payload(100).build(), // 8 TCP
    eth().ipv4({ src: '10.0.0.10', dst: '10.0.0.30' }).udp({ sport: 7000, dport: 7001 }).payload(12).build(),           // 9 UDP
    shortIpv4(10),                                                                                                      // 10 IPv4 cut short: not counted
    eth().ipv4({ src: '10.0.0.10', dst: '10.0.0.40', protocol: 47 }).payload(24).build(),                               // 11 GRE (47)
  ],
  '02-ssh-only': () => [
    eth().ipv4().tcp({ sport: 50022, dport: 22, flags: 'S' }).build(),                                                  // 0 SSH SYN
    eth().ipv4({ src: '10.0.0.2', dst: '10.0.0.1' }).tcp({ sport: 22, dport: 50022, flags: 'SA' }).build(),             // 1 SSH reply (from 22)
    eth().ipv4().tcp({ sport: 50080, dport: 80, flags: 'S' }).build(),                                                  // 2 HTTP
    eth().ipv4().udp({ sport: 5353, dport: 53 }).payload(20).build(),                                                   // 3 DNS
    eth().ipv4().udp({ sport: 5022, dport: 22 }).payload(8).build(),                                                    // 4 UDP to port 22: not SSH
    arp(),                                                                                                              // 5 ARP
    eth().ipv6().tcp({ sport: 50023, dport: 22, flags: 'PA' }).payload(40).build(),                                     // 6 SSH over IPv6
    eth().ipv6().tcp({ sport: 50081, dport: 80, flags: 'S' }).build(),                                                  // 7 HTTP over IPv6
    eth().ipv4().icmp().payload(16).build(),                                                                            // 8 ping
    eth().ipv4({ options: [0x94, 4, 0, 0] }).tcp({ sport: 50024, dport: 22, flags: 'S' }).build(),                      // 9 SSH, IPv4 with an option
    eth().ipv4({ options: [0x01, 0x16, 0x00, 0x16] }).tcp({ sport: 50080, dport: 80, flags: 'S' }).build(),             // 10 HTTP, an option whose bytes read as ports 22
    eth().ipv4().tcp({ sport: 50022, dport: 22 }).build().slice(0, 14 + 20 + 2),                                       // 11 TCP header cut short
    eth().ipv6().icmpv6().build(),                                                                                      // 12 ICMPv6
    packet().eth({ type: 0x88cc }).payload(30).build(),                                                                 // 13 LLDP
  ],
  '03-blocklist': () => [
    eth().ipv4({ src: '192.0.2.66', dst: '10.0.0.20' }).tcp({ dport: 443 }).build(),                                    // 0 from a blocked IPv4 source
    eth().ipv4({ src: '10.0.0.10', dst: '10.0.0.20' }).tcp({ dport: 443 }).build(),                                     // 1 allowed
    eth().ipv6({ src: '2001:db8::bad', dst: 'fd00::20' }).udp({ dport: 53 }).payload(20).build(),                       // 2 from a blocked IPv6 source
    eth().ipv6({ src: 'fd00::10', dst: 'fd00::20' }).udp({ dport: 53 }).payload(20).build(),                            // 3 allowed IPv6
    packet().eth({ dst: 'ff:ff:ff:ff:ff:ff' }).arp({ spa: '192.0.2.66', tpa: '10.0.0.20' }).build(),                    // 4 ARP from a blocked address: not IP
    eth().ipv4({ src: '198.51.100.9', dst: '10.0.0.20' }).icmp().build(),                                               // 5 from the second blocked IPv4 source
    eth().ipv4({ src: '10.0.0.10', dst: '192.0.2.66' }).tcp({ dport: 22 }).build(),                                     // 6 TO a blocked address: allowed
    eth().ipv6({ src: 'fd00::10', dst: '2001:db8::bad' }).tcp().build(),                                                // 7 TO a blocked IPv6 address: allowed
    shortIpv4(12),                                                                                                      // 8 IPv4 cut short
  ],
  '04-icmp-echo': () => [
    eth().ipv4({ src: '10.0.0.10', dst: '10.0.0.1', id: 0x4d2 }).icmp({ id: 0x1234, seq: 7 }).payload(32).build(),      // 0 echo request
    eth().ipv4({ src: '10.0.0.10', dst: '10.0.0.1' }).icmp({ type: 0, id: 0x1234, seq: 7 }).payload(32).build(),        // 1 echo reply
    eth().ipv4({ src: '10.0.0.10', dst: '10.0.0.1' }).icmp({ type: 3, code: 1 }).payload(28).build(),                   // 2 destination unreachable
    eth().ipv4({ src: '10.0.0.10', dst: '10.0.0.1' }).udp().payload(8).build(),                                         // 3 UDP
    eth().ipv6({ src: 'fd00::10', dst: 'fd00::1' }).icmpv6({ id: 0x4321, seq: 3 }).payload(24).build(),                 // 4 ICMPv6 echo request
    eth().ipv6({ src: 'fd00::10', dst: 'fd00::1' }).icmpv6({ type: 129, id: 0x4321, seq: 3 }).payload(24).build(),      // 5 ICMPv6 echo reply
    eth().ipv4({ src: '10.0.0.11', dst: '10.0.0.1', options: [0x94, 4, 0, 0] }).icmp({ id: 5, seq: 9 }).payload(8).build(), // 6 echo request, IPv4 with an option
    eth().ipv4({ src: '10.0.0.10', dst: '10.0.0.1' }).icmp().build().slice(0, 14 + 20 + 4),                             // 7 ICMP header cut short
    packet().eth({ dst: 'ff:ff:ff:ff:ff:ff' }).arp({ spa: '10.0.0.10', tpa: '10.0.0.1' }).build(),                      // 8 ARP
  ],
  '05-ttl-router': () => [
    eth().ipv4({ src: '10.0.0.10', dst: '10.1.0.7', ttl: 64 }).tcp({ dport: 443 }).build(),                            // 0 routed, port 0
    eth().ipv4({ src: '10.0.0.10', dst: '10.2.0.9', ttl: 5 }).udp({ dport: 53 }).payload(20).build(),                   // 1 routed, port 1
    eth().ipv4({ src: '10.0.0.10', dst: '10.1.0.7', ttl: 1 }).udp().build(),                                            // 2 TTL 1: to the kernel
    eth().ipv4({ src: '10.0.0.10', dst: '10.3.3.3', ttl: 64 }).udp().build(),                                           // 3 no route
    eth().ipv6({ dst: 'fd00::7' }).udp().build(),                                                                       // 4 IPv6
    arp(),                                                                                                              // 5 ARP
    carryFrame(),                                                                                                       // 6 checksum >= 0xff00: the update carries
    shortIpv4(16),                                                                                                      // 7 IPv4 cut short
    eth().ipv4({ src: '10.0.0.10', dst: '10.1.0.7', ttl: 0 }).udp().build(),                                            // 8 TTL 0
  ],
  '06-ipip-lb': () => [
    eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.100' }).tcp({ sport: 12345, dport: 80, flags: 'S' }).build(),             // 0 TCP to the VIP
    eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.100' }).tcp({ sport: 12345, dport: 80, flags: 'PA', seq: 2 }).payload(40).build(), // 1 the same flow, later
    eth().ipv4({ src: '10.0.0.3', dst: '10.0.0.100' }).udp({ sport: 5354, dport: 53 }).payload(20).build(),             // 2 UDP to the VIP
    eth().ipv4({ src: '10.0.0.4', dst: '10.0.0.100' }).tcp({ sport: 40001, dport: 80, flags: 'S' }).build(),             // 3 another client
    eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.100' }).icmp().payload(16).build(),                                      // 4 ping to the VIP
    eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.99' }).tcp({ sport: 12345, dport: 80 }).build(),                          // 5 not the VIP
    arp(),                                                                                                              // 6 ARP
    eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.100' }).tcp().build().slice(0, 14 + 20 + 2),                             // 7 ports cut short
  ],
  '07-syn-flood': () => [
    // 0-9: ten SYNs from one source in one burst (budget 8)
    ...Array.from({ length: 10 }, (_, i) => eth().ipv4({ src: '203.0.113.5', dst: '10.0.0.20' }).tcp({ sport: 30000 + i, dport: 80, flags: 'S' }).build()),
    eth().ipv4({ src: '203.0.113.6', dst: '10.0.0.20' }).tcp({ sport: 31000, dport: 80, flags: 'S' }).build(),          // 10 SYN, another source
    eth().ipv4({ src: '203.0.113.5', dst: '10.0.0.20' }).tcp({ sport: 30000, dport: 80, flags: 'A' }).build(),           // 11 ACK from the flooder
    eth().ipv4({ src: '203.0.113.5', dst: '10.0.0.20' }).tcp({ sport: 30001, dport: 80, flags: 'SA' }).build(),          // 12 SYN-ACK (not a SYN)
    eth().ipv4({ src: '203.0.113.5', dst: '10.0.0.20' }).udp({ dport: 53 }).build(),                                    // 13 UDP
    eth().ipv4({ src: '203.0.113.7', dst: '10.0.0.20' }).tcp({ sport: 32000, dport: 80, flags: 'S' }).build(),          // 14 SYN from .7
    eth().ipv6({ src: '2001:db8::5' }).tcp({ flags: 'S' }).build(),                                                     // 15 IPv6 SYN
    eth().ipv4({ src: '203.0.113.8' }).tcp({ flags: 'S' }).build().slice(0, 14 + 20 + 10),                              // 16 TCP header cut short
  ],
  '08-verifier': () => [
    eth().ipv4().udp({ sport: 4000, dport: 9999 }).payload(10).build(),                                                 // 0 UDP to 9999
    eth().ipv4().udp({ sport: 4000, dport: 53 }).payload(10).build(),                                                   // 1 UDP to 53
    eth().ipv4().tcp({ sport: 4000, dport: 9999 }).build(),                                                             // 2 TCP to 9999
    eth().ipv4().udp({ dport: 9999 }).build().slice(0, 14 + 20 + 4),                                                    // 3 UDP header cut short
    arp(),                                                                                                              // 4 ARP
  ],
  '09-afxdp-netns': () => {
    const client = () => packet().eth({ src: '02:00:00:00:00:0a', dst: '02:00:00:00:01:fe' });
    const ask = (tpa: string) => packet().eth({ src: '02:00:00:00:00:0a', dst: 'ff:ff:ff:ff:ff:ff' }).arp({ op: 1, sha: '02:00:00:00:00:0a', spa: '10.0.1.1', tpa }).build();
    return [
      ask('10.0.1.254'),                                                                                                // 0 ARP: who has 10.0.1.254?
      ask('10.0.1.9'),                                                                                                  // 1 ARP for another address
      packet().eth({ src: '02:00:00:00:00:0a', dst: '02:00:00:00:01:fe' }).arp({ op: 2, sha: '02:00:00:00:00:0a', spa: '10.0.1.1', tha: '02:00:00:00:01:fe', tpa: '10.0.1.254' }).build(), // 2 an ARP reply
      client().ipv4({ src: '10.0.1.1', dst: '10.0.1.254', id: 0x77 }).icmp({ id: 0x99, seq: 1 }).payload(56).build(),  // 3 ping 10.0.1.254
      client().ipv4({ src: '10.0.1.1', dst: '10.0.1.9' }).icmp({ id: 0x99, seq: 2 }).payload(56).build(),              // 4 ping another address
      client().ipv4({ src: '10.0.1.1', dst: '10.0.1.254' }).udp({ dport: 7 }).payload(8).build(),                       // 5 UDP to 10.0.1.254
      ask('10.0.1.254').slice(0, 14 + 20),                                                                              // 6 ARP cut short
    ];
  },
  '10-dpdk-vport': () => [
    eth().vlan({ vid: 100 }).ipv4({ src: '10.0.100.1', dst: '10.0.100.2' }).udp({ dport: 5000 }).payload(18).build(),  // 0 VLAN 100 UDP
    eth().vlan({ vid: 200 }).ipv4({ src: '10.0.200.1', dst: '10.0.200.2' }).udp({ dport: 5000 }).payload(18).build(),  // 1 VLAN 200
    eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).udp({ dport: 5000 }).payload(18).build(),                         // 2 untagged
    packet().eth({ src: '02:00:00:00:00:0a', dst: 'ff:ff:ff:ff:ff:ff' }).vlan({ vid: 100 }).arp({ spa: '10.0.100.1', tpa: '10.0.100.2' }).build(), // 3 VLAN 100 ARP
    eth().vlan({ vid: 100 }).ipv6({ src: 'fd00:100::1', dst: 'fd00:100::2' }).tcp({ dport: 22 }).build(),              // 4 VLAN 100 IPv6
    eth({ type: 0x88a8 }).vlan({ vid: 100 }).vlan({ vid: 5 }).ipv4().udp().build(),                                     // 5 802.1ad outer tag
    eth().vlan({ vid: 100 }).ipv4().udp().build().slice(0, 14 + 2),                                                    // 6 tag cut short
    eth().vlan({ vid: 100, pcp: 5 }).ipv4({ src: '10.0.100.1', dst: '10.0.100.2' }).icmp().payload(24).build(),        // 7 VLAN 100, priority 5
  ],
};

/** A routed frame (to 10.2.0.9) whose IPv4 checksum is 0xff00 or more, so adding 0x0100 must wrap around. */
function carryFrame(): Uint8Array {
  for (let id = 0; id < 65536; id++) {
    const f = eth().ipv4({ src: '10.0.0.10', dst: '10.2.0.9', ttl: 30, id }).udp({ dport: 123 }).payload(8).build();
    if (ipv4HeaderChecksum(f, 14) >= 0xff00) return f;
  }
  throw new Error('no id gives a checksum >= 0xff00');
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  let stale = 0;
  for (const [lab, frames] of Object.entries(captures)) {
    const bytes = encodeCapture(frames().map((data, i) => ({ data, timestamp: EPOCH + BigInt(i) * MS })), { resolution: 'us' });
    const path = join(here, lab, 'input.pcap');
    if (check) {
      if (!existsSync(path) || Buffer.compare(readFileSync(path), bytes) !== 0) { console.error(`stale: ${path}`); stale++; }
    } else {
      writeFileSync(path, bytes);
      console.log(`wrote ${path} (${bytes.length} bytes)`);
    }
  }
  return stale ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
