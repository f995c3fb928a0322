// The expected behaviour of each example, written from its documented intent
// (the header comment of examples/NAME.c and examples/README.md), never from
// its output. Shared by the kernel test and usable by sluice's own runners.
import {
  arpRequest, eth4, eth6, ethernet, ETH_P_8021AD, ETH_P_8021Q, ETH_P_IP, ETH_P_LLDP, ipv4, TCP_ACK, TCP_SYN,
} from './frames.ts';

export const XDP_ABORTED = 0, XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3, XDP_REDIRECT = 4;

export interface VerdictCase { frame: Buffer; what: string; verdict: number }

const tcp = (sport: number, dport: number, flags = TCP_ACK) => ({ kind: 'tcp' as const, sport, dport, flags });
const udp = (sport: number, dport: number) => ({ kind: 'udp' as const, sport, dport });
const A = '10.0.0.1', B = '10.0.0.2';

export const plainTcp = eth4({ src: A, dst: B }, tcp(40000, 80));

// ---- firewall -------------------------------------------------------------
/** enum fw_reason in firewall.c. */
export const FW = {
  PASS_NOT_IP: 0, PASS_ALLOWED: 1, DROP_MALFORMED: 2, DROP_SRC_ADDR: 3, DROP_SRC_NET: 4,
  DROP_DEFAULT_NET: 5, DROP_PORT: 6, DROP_DEFAULT_PORT: 7,
} as const;
export const FW_REASON_COUNT = 8;

/** Rules the test puts into the firewall's maps before running firewallCases. */
export const firewallRules = {
  blockedV4: '10.9.9.9',
  blockedNetV4: { addr: '10.8.0.0', len: 16 },
  blockedV6: '2001:db8:1::99',
  blockedNetV6: { addr: '2001:db8:2::', len: 48 },
  blockedTcpPort: 8080,
};

export interface FirewallCase extends VerdictCase { reason: number }

const fw = (what: string, frame: Buffer, reason: number): FirewallCase => ({
  what, frame, reason, verdict: reason <= FW.PASS_ALLOWED ? XDP_PASS : XDP_DROP,
});

const qinq = { vlans: [{ tpid: ETH_P_8021AD, vid: 100 }, { tpid: ETH_P_8021Q, vid: 200 }] };
const v4Header = ipv4({ src: A, dst: B }, tcp(40000, 80));

export const firewallCases: FirewallCase[] = [
  fw('IPv4 TCP to port 80 from an unlisted source', plainTcp, FW.PASS_ALLOWED),
  fw('IPv4 ICMP echo from an unlisted source', eth4({ src: A, dst: B }, { kind: 'icmp', type: 8 }), FW.PASS_ALLOWED),
  fw('IPv4 UDP to port 53', eth4({ src: A, dst: B }, udp(5353, 53)), FW.PASS_ALLOWED),
  fw('IPv4 from 192.0.2.7 (default network 192.0.2.0/24)', eth4({ src: '192.0.2.7', dst: B }, tcp(1, 80)), FW.DROP_DEFAULT_NET),
  fw('IPv4 from 192.0.3.1 (just outside 192.0.2.0/24)', eth4({ src: '192.0.3.1', dst: B }, tcp(1, 80)), FW.PASS_ALLOWED),
  fw('IPv4 TCP to port 23 (default: telnet)', eth4({ src: A, dst: B }, tcp(40000, 23)), FW.DROP_DEFAULT_PORT),
  fw('IPv4 TCP to port 445 (default: SMB)', eth4({ src: A, dst: B }, tcp(40000, 445)), FW.DROP_DEFAULT_PORT),
  fw('IPv4 UDP to port 19 (default: chargen)', eth4({ src: A, dst: B }, udp(40000, 19)), FW.DROP_DEFAULT_PORT),
  fw('IPv4 UDP to port 11211 (default: memcached)', eth4({ src: A, dst: B }, udp(40000, 11211)), FW.DROP_DEFAULT_PORT),
  fw('IPv4 UDP to port 23 (the telnet rule is TCP only)', eth4({ src: A, dst: B }, udp(40000, 23)), FW.PASS_ALLOWED),
  fw('IPv4 from 10.9.9.9 (blocked_v4)', eth4({ src: '10.9.9.9', dst: B }, tcp(1, 80)), FW.DROP_SRC_ADDR),
  fw('IPv4 from 10.9.9.8 (neighbour of a blocked address)', eth4({ src: '10.9.9.8', dst: B }, tcp(1, 80)), FW.PASS_ALLOWED),
  fw('IPv4 from 10.8.3.4 (blocked_net_v4 10.8.0.0/16)', eth4({ src: '10.8.3.4', dst: B }, udp(1, 53)), FW.DROP_SRC_NET),
  fw('IPv4 TCP to port 8080 (port_rules)', eth4({ src: A, dst: B }, tcp(40000, 8080)), FW.DROP_PORT),
  fw('IPv4 UDP to port 8080 (port_rules has TCP only)', eth4({ src: A, dst: B }, udp(40000, 8080)), FW.PASS_ALLOWED),
  fw('IPv4 with 8 bytes of options, TCP to port 23',
    eth4({ src: A, dst: B, options: Buffer.from([0x94, 0x04, 0, 0, 1, 1, 1, 0]) }, tcp(40000, 23)), FW.DROP_DEFAULT_PORT),
  fw('IPv4 with 8 bytes of options, TCP to port 80',
    eth4({ src: A, dst: B, options: Buffer.from([0x94, 0x04, 0, 0, 1, 1, 1, 0]) }, tcp(40000, 80)), FW.PASS_ALLOWED),
  fw('IPv4 header length 4 (below the minimum 5)', ethernet({}, ETH_P_IP, Buffer.from(v4Header).fill(0x44, 0, 1)), FW.DROP_MALFORMED),
  fw('IPv4 first fragment to TCP port 23', eth4({ src: A, dst: B, moreFragments: true }, tcp(40000, 23)), FW.DROP_DEFAULT_PORT),
  fw('IPv4 later fragment (no TCP header) of a TCP packet',
    eth4({ src: A, dst: B, fragOffset: 185 }, { kind: 'raw', protocol: 6, bytes: Buffer.from([0, 1, 0, 23, 0, 0, 0, 0]) }),
    FW.PASS_ALLOWED),
  fw('IPv6 TCP to port 443', eth6({ src: '2001:db8::1', dst: '2001:db8::2' }, tcp(40000, 443)), FW.PASS_ALLOWED),
  fw('IPv6 from 2001:db8:bad::1 (default network 2001:db8:bad::/48)',
    eth6({ src: '2001:db8:bad::1', dst: '2001:db8::2' }, tcp(1, 443)), FW.DROP_DEFAULT_NET),
  fw('IPv6 from 2001:db8:bad:ffff::1 (same /48)',
    eth6({ src: '2001:db8:bad:ffff::1', dst: '2001:db8::2' }, udp(1, 53)), FW.DROP_DEFAULT_NET),
  fw('IPv6 from 2001:db8:bae::1 (outside the /48)', eth6({ src: '2001:db8:bae::1', dst: '2001:db8::2' }, tcp(1, 443)), FW.PASS_ALLOWED),
  fw('IPv6 from 2001:db8:1::99 (blocked_v6)', eth6({ src: '2001:db8:1::99', dst: '2001:db8::2' }, tcp(1, 443)), FW.DROP_SRC_ADDR),
  fw('IPv6 from 2001:db8:2:5::1 (blocked_net_v6 2001:db8:2::/48)',
    eth6({ src: '2001:db8:2:5::1', dst: '2001:db8::2' }, tcp(1, 443)), FW.DROP_SRC_NET),
  fw('IPv6 TCP to port 23', eth6({ src: '2001:db8::1', dst: '2001:db8::2' }, tcp(40000, 23)), FW.DROP_DEFAULT_PORT),
  fw('IPv6 ICMPv6 echo request', eth6({ src: '2001:db8::1', dst: '2001:db8::2' }, { kind: 'icmp', type: 128 }), FW.PASS_ALLOWED),
  fw('ARP request', ethernet({}, 0x0806, arpRequest(A, B)), FW.PASS_NOT_IP),
  fw('LLDP frame', ethernet({}, ETH_P_LLDP, Buffer.alloc(46)), FW.PASS_NOT_IP),
  fw('802.1Q-tagged IPv4 from 192.0.2.7', eth4({ src: '192.0.2.7', dst: B }, tcp(1, 80), { vlans: [{ vid: 10 }] }), FW.DROP_DEFAULT_NET),
  fw('QinQ-tagged IPv4 TCP to port 23', eth4({ src: A, dst: B }, tcp(40000, 23), qinq), FW.DROP_DEFAULT_PORT),
  fw('QinQ-tagged IPv4 TCP to port 80', eth4({ src: A, dst: B }, tcp(40000, 80), qinq), FW.PASS_ALLOWED),
  fw('IPv4 header cut short (10 of 20 bytes)', ethernet({}, ETH_P_IP, v4Header.subarray(0, 10)), FW.DROP_MALFORMED),
  fw('IPv4 TCP header cut short (10 of 20 bytes)', ethernet({}, ETH_P_IP, v4Header.subarray(0, 30)), FW.DROP_MALFORMED),
  fw('IPv6 header cut short', ethernet({}, 0x86dd, Buffer.alloc(30, 0x60)), FW.DROP_MALFORMED),
];

// ---- small examples -------------------------------------------------------
export const verdictCounterCases: VerdictCase[] = [
  { what: 'IPv4', frame: plainTcp, verdict: XDP_PASS },
  { what: 'IPv6', frame: eth6({ src: '2001:db8::1', dst: '2001:db8::2' }, udp(1, 2)), verdict: XDP_PASS },
  { what: 'ARP', frame: ethernet({}, 0x0806, arpRequest(A, B)), verdict: XDP_PASS },
  { what: 'LLDP', frame: ethernet({}, ETH_P_LLDP, Buffer.alloc(46)), verdict: XDP_DROP },
  { what: '802.1Q-tagged IPv4 (EtherType 0x8100)', frame: eth4({ src: A, dst: B }, tcp(1, 2), { vlans: [{ vid: 5 }] }), verdict: XDP_DROP },
];

export const vlanCases: VerdictCase[] = [
  { what: 'untagged IPv4', frame: plainTcp, verdict: XDP_PASS },
  { what: '802.1Q VLAN 100', frame: eth4({ src: A, dst: B }, tcp(1, 2), { vlans: [{ vid: 100 }] }), verdict: XDP_PASS },
  { what: 'QinQ S-VLAN 10, C-VLAN 20',
    frame: eth4({ src: A, dst: B }, tcp(1, 2), { vlans: [{ tpid: ETH_P_8021AD, vid: 10 }, { vid: 20 }] }), verdict: XDP_PASS },
  { what: '802.1Q VLAN 4095 with priority 7', frame: eth4({ src: A, dst: B }, tcp(1, 2), { vlans: [{ vid: 4095, pcp: 7 }] }), verdict: XDP_PASS },
  { what: 'three tags (301, 302, 303)',
    frame: eth4({ src: A, dst: B }, tcp(1, 2), { vlans: [{ tpid: ETH_P_8021AD, vid: 301 }, { vid: 302 }, { vid: 303 }] }), verdict: XDP_DROP },
  { what: 'a tag cut short', frame: ethernet({}, ETH_P_8021Q, Buffer.from([0x01, 0x2c])), verdict: XDP_DROP },
];
/** VLAN id -> packets, and tags -> frames, after vlanCases (dropped frames are not counted). */
export const vlanCounts = { vids: new Map([[100, 1], [10, 1], [20, 1], [4095, 1], [301, 0], [302, 0], [303, 0]]), depth: [1, 2, 1] };

export const tailcallCases: VerdictCase[] = [
  { what: 'IPv4 TCP', frame: plainTcp, verdict: XDP_PASS },
  { what: 'IPv4 ICMP echo request', frame: eth4({ src: A, dst: B }, { kind: 'icmp', type: 8 }), verdict: XDP_DROP },
  { what: 'IPv4 ICMP echo reply', frame: eth4({ src: A, dst: B }, { kind: 'icmp', type: 0 }), verdict: XDP_PASS },
  { what: 'IPv6 ICMPv6 echo request', frame: eth6({ src: '2001:db8::1', dst: '2001:db8::2' }, { kind: 'icmp', type: 128 }), verdict: XDP_DROP },
  { what: 'IPv6 UDP', frame: eth6({ src: '2001:db8::1', dst: '2001:db8::2' }, udp(1, 2)), verdict: XDP_PASS },
  { what: 'ARP (no program for it)', frame: ethernet({}, 0x0806, arpRequest(A, B)), verdict: XDP_PASS },
];
/** IP protocol -> packets counted by the tail-called programs after tailcallCases. */
export const tailcallProtoCounts = new Map([[1, 2], [6, 1], [58, 1], [17, 1]]);

export const ringbufCases: VerdictCase[] = [
  { what: 'TCP SYN (an event)', frame: eth4({ src: A, dst: B }, tcp(40000, 80, TCP_SYN)), verdict: XDP_PASS },
  { what: 'TCP SYN+ACK (no event)', frame: eth4({ src: B, dst: A }, tcp(80, 40000, TCP_SYN | TCP_ACK)), verdict: XDP_PASS },
  { what: 'ARP (an event)', frame: ethernet({}, 0x0806, arpRequest(A, B)), verdict: XDP_PASS },
  { what: 'IPv6 (no event)', frame: eth6({ src: '2001:db8::1', dst: '2001:db8::2' }, udp(1, 2)), verdict: XDP_PASS },
];

/** Frames of a chosen total length: IPv4 TCP with a payload filling the rest. */
export function tcpFrameOfLength(len: number): Buffer {
  return eth4({ src: A, dst: B }, { kind: 'tcp', sport: 1, dport: 2, payload: Buffer.alloc(len - 54, 0xab) });
}
