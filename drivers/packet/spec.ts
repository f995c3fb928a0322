// What a packet description says, layer by layer. Every field is optional;
// the defaults below are what a field left out gets. Lengths, the type /
// protocol / next-header fields and checksums are derived from the layers
// that follow unless given (give a wrong checksum on purpose to test a
// program's checks).
import type { AddressInput } from './address.ts';

export type Bytes = Uint8Array | readonly number[];

export interface EthSpec {
  /** Default 02:00:00:00:00:02. */
  dst?: AddressInput;
  /** Default 02:00:00:00:00:01 (both locally administered). */
  src?: AddressInput;
  /** EtherType; default from the next layer: vlan 0x8100 (0x88a8 when two tags follow: QinQ), arp 0x0806, ipv4 0x0800, ipv6 0x86dd, otherwise 0x88b5 (local experimental). */
  type?: number;
}

/** An 802.1Q tag (the TPID is the previous layer's `type`). */
export interface VlanSpec {
  /** VLAN id, default 1. */
  vid?: number;
  /** Priority code point, default 0. */
  pcp?: number;
  /** Drop eligible indicator, default 0. */
  dei?: number | boolean;
  /** EtherType after the tag; default from the next layer, as for eth. */
  type?: number;
}

export interface ArpSpec {
  /** 'request' (1, default), 'reply' (2) or a number. */
  op?: 'request' | 'reply' | number;
  /** Sender MAC, default the Ethernet source (or 02:00:00:00:00:01). */
  sha?: AddressInput;
  /** Sender IPv4, default 10.0.0.1. */
  spa?: AddressInput;
  /** Target MAC, default 00:00:00:00:00:00 for a request, the Ethernet destination for a reply. */
  tha?: AddressInput;
  /** Target IPv4, default 10.0.0.2. */
  tpa?: AddressInput;
}

export interface IPv4Spec {
  /** Default 10.0.0.1. */
  src?: AddressInput;
  /** Default 10.0.0.2. */
  dst?: AddressInput;
  /** Type of service byte (DSCP << 2 | ECN), default 0. */
  tos?: number;
  /** Identification, default 0. */
  id?: number;
  /** 'DF', 'MF', 'DF,MF', '' or the 3-bit value; default '' (0). */
  flags?: string | number;
  /** Fragment offset in 8-byte units, default 0. */
  frag?: number;
  /** Default 64. */
  ttl?: number;
  /** Default from the next layer: tcp 6, udp 17, icmp 1, icmpv6 58, ipv4 4, ipv6 41, otherwise 253 (experimental). */
  protocol?: number;
  /** Default: header + everything after it. */
  totalLength?: number;
  /** Default: computed. */
  checksum?: number;
  /** Raw option bytes, zero-padded (EOL) to a multiple of 4; default none. */
  options?: Bytes;
}

export interface IPv6Spec {
  /** Default fd00::1. */
  src?: AddressInput;
  /** Default fd00::2. */
  dst?: AddressInput;
  /** Default 0. */
  trafficClass?: number;
  /** Default 0. */
  flowLabel?: number;
  /** Default 64. */
  hopLimit?: number;
  /** Default from the next layer, as IPv4's protocol. */
  nextHeader?: number;
  /** Default: everything after the header. */
  payloadLength?: number;
}

/** Common TCP options, written in this order, each aligned with NOPs. */
export interface TcpOptions {
  mss?: number;
  sackPermitted?: boolean;
  /** [TSval, TSecr]. */
  timestamp?: [number, number];
  wscale?: number;
}

export interface TcpSpec {
  /** Default 12345. */
  sport?: number;
  /** Default 80. */
  dport?: number;
  /** Default 1. */
  seq?: number;
  /** Default 0. */
  ack?: number;
  /** Letters F S R P A U E C ('.' also means A, as tcpdump prints it) or the flag byte; default 'S'. */
  flags?: string | number;
  /** Default 65535. */
  window?: number;
  /** Default 0. */
  urgent?: number;
  /** Default: computed over the IPv4/IPv6 pseudo-header. */
  checksum?: number;
  /** Raw bytes (zero-padded to a multiple of 4) or common options; default none. */
  options?: Bytes | TcpOptions;
}

export interface UdpSpec {
  /** Default 12345. */
  sport?: number;
  /** Default 53. */
  dport?: number;
  /** Default: header + payload. */
  length?: number;
  /** Default: computed (a computed 0 is sent as 0xffff). */
  checksum?: number;
}

/** ICMP and ICMPv6: echo requests by default. */
export interface IcmpSpec {
  /** ICMP default 8 (echo request; 0 is echo reply). ICMPv6 default 128 (echo request; 129 reply). Names 'echo-request' and 'echo-reply' work for both. */
  type?: number | 'echo-request' | 'echo-reply';
  /** Default 0. */
  code?: number;
  /** Echo identifier (the high half of the 4 bytes after the checksum): default 1 for echo types, 0 otherwise. */
  id?: number;
  /** Echo sequence number (the low half): default 1 for echo types, 0 otherwise. */
  seq?: number;
  /** The 4 bytes after the checksum as one number (unused / next-hop MTU / pointer in error messages); overrides id and seq. */
  rest?: number;
  /** Default: computed (ICMPv6 over the IPv6 pseudo-header). */
  checksum?: number;
}

/** Payload: bytes, UTF-8 text, { hex: 'deadbeef' }, or a length (bytes 0, 1, 2, ... wrapping at 256). */
export type PayloadSpec = Bytes | string | number | { hex: string };

export type LayerSpec =
  | ({ layer: 'eth' } & EthSpec)
  | ({ layer: 'vlan' } & VlanSpec)
  | ({ layer: 'arp' } & ArpSpec)
  | ({ layer: 'ipv4' } & IPv4Spec)
  | ({ layer: 'ipv6' } & IPv6Spec)
  | ({ layer: 'tcp' } & TcpSpec)
  | ({ layer: 'udp' } & UdpSpec)
  | ({ layer: 'icmp' } & IcmpSpec)
  | ({ layer: 'icmpv6' } & IcmpSpec)
  | { layer: 'payload'; data: PayloadSpec };

export type LayerName = LayerSpec['layer'];

export interface BuildOptions {
  /** Zero-pad the frame to at least this many bytes (60 is Ethernet's minimum without FCS); default 0: no padding. */
  minLength?: number;
}

export const DEFAULTS = {
  ethSrc: '02:00:00:00:00:01',
  ethDst: '02:00:00:00:00:02',
  ipv4Src: '10.0.0.1',
  ipv4Dst: '10.0.0.2',
  ipv6Src: 'fd00::1',
  ipv6Dst: 'fd00::2',
  ttl: 64,
  sport: 12345,
  tcpDport: 80,
  udpDport: 53,
  window: 65535,
} as const;

export const EtherType = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd, EXPERIMENTAL: 0x88b5 } as const;
export const IpProto = { ICMP: 1, IPIP: 4, TCP: 6, UDP: 17, IPV6: 41, ICMPV6: 58, EXPERIMENTAL: 253 } as const;
