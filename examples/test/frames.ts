// A minimal frame builder for the example tests: Ethernet (with VLAN tags),
// ARP, IPv4, IPv6, TCP, UDP, ICMP and ICMPv6 with correct checksums
// (RFC 791, 8200, 793, 768, 792, 4443; the checksum of RFC 1071). Kept here,
// self-contained, so the example tests depend on nothing else in the tree.

export const ETH_P_IP = 0x0800, ETH_P_ARP = 0x0806, ETH_P_IPV6 = 0x86dd;
export const ETH_P_8021Q = 0x8100, ETH_P_8021AD = 0x88a8, ETH_P_LLDP = 0x88cc;
export const IPPROTO_ICMP = 1, IPPROTO_IPIP = 4, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_ICMPV6 = 58;
export const TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_ACK = 0x10;

export function mac(text: string): Buffer {
  const parts = text.split(':').map((p) => parseInt(p, 16));
  if (parts.length !== 6 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad MAC ${text}`);
  return Buffer.from(parts);
}

export function ipv4Addr(text: string): Buffer {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad IPv4 address ${text}`);
  return Buffer.from(parts);
}

/** Parses IPv6 text with at most one `::`. */
export function ipv6Addr(text: string): Buffer {
  const [head = '', tail] = text.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head), t = tail === undefined ? [] : groups(tail);
  const fill = 8 - h.length - t.length;
  if (fill < 0 || (tail === undefined && fill !== 0)) throw new Error(`bad IPv6 address ${text}`);
  const words = [...h, ...new Array<number>(fill).fill(0), ...t];
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

/** The Internet checksum (RFC 1071): one's complement of the one's complement sum. */
export function internetChecksum(...chunks: Uint8Array[]): number {
  const bytes = Buffer.concat(chunks);
  let sum = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface VlanTag { tpid?: number; vid: number; pcp?: number }
export interface EthernetOpts { dst?: string; src?: string; vlans?: VlanTag[] }

export const DEFAULT_DST_MAC = '02:00:00:00:00:02';
export const DEFAULT_SRC_MAC = '02:00:00:00:00:01';

/** Ethernet II; each VLAN tag is its TPID then a TCI, outermost first. */
export function ethernet(opts: EthernetOpts, etherType: number, payload: Uint8Array): Buffer {
  const tags = (opts.vlans ?? []).map((t) => {
    const b = Buffer.alloc(4);
    b.writeUInt16BE(t.tpid ?? ETH_P_8021Q, 0);
    b.writeUInt16BE(((t.pcp ?? 0) << 13) | (t.vid & 0xfff), 2);
    return b;
  });
  const type = Buffer.alloc(2);
  type.writeUInt16BE(etherType, 0);
  return Buffer.concat([mac(opts.dst ?? DEFAULT_DST_MAC), mac(opts.src ?? DEFAULT_SRC_MAC), ...tags, type, payload]);
}

/** An ARP request (RFC 826) for `target` from `sender`. */
export function arpRequest(sender: string, target: string): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0); // Ethernet
  b.writeUInt16BE(ETH_P_IP, 2);
  b[4] = 6; b[5] = 4;
  b.writeUInt16BE(1, 6); // request
  mac(DEFAULT_SRC_MAC).copy(b, 8);
  ipv4Addr(sender).copy(b, 14);
  ipv4Addr(target).copy(b, 24);
  return b;
}

/** Transport headers: built once the addresses are known, for the pseudo-header. */
export type L4 =
  | { kind: 'tcp'; sport: number; dport: number; flags?: number; seq?: number; payload?: Uint8Array }
  | { kind: 'udp'; sport: number; dport: number; payload?: Uint8Array }
  | { kind: 'icmp'; type: number; code?: number; payload?: Uint8Array } // ICMP or ICMPv6 by IP version
  | { kind: 'raw'; protocol: number; bytes: Uint8Array };

function l4Protocol(l4: L4, v6: boolean): number {
  switch (l4.kind) {
    case 'tcp': return IPPROTO_TCP;
    case 'udp': return IPPROTO_UDP;
    case 'icmp': return v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
    case 'raw': return l4.protocol;
  }
}

/** The transport segment; `pseudo` is the IPv4/IPv6 pseudo-header without its length/protocol tail. */
function l4Bytes(l4: L4, pseudo: (len: number, proto: number) => Buffer, v6: boolean): Buffer {
  const proto = l4Protocol(l4, v6);
  let seg: Buffer, checkAt: number;
  switch (l4.kind) {
    case 'tcp': {
      seg = Buffer.concat([Buffer.alloc(20), l4.payload ?? Buffer.alloc(0)]);
      seg.writeUInt16BE(l4.sport, 0);
      seg.writeUInt16BE(l4.dport, 2);
      seg.writeUInt32BE(l4.seq ?? 1, 4);
      seg[12] = 5 << 4; // data offset: 5 words
      seg[13] = l4.flags ?? TCP_ACK;
      seg.writeUInt16BE(65535, 14);
      checkAt = 16;
      break;
    }
    case 'udp': {
      seg = Buffer.concat([Buffer.alloc(8), l4.payload ?? Buffer.alloc(0)]);
      seg.writeUInt16BE(l4.sport, 0);
      seg.writeUInt16BE(l4.dport, 2);
      seg.writeUInt16BE(seg.length, 4);
      checkAt = 6;
      break;
    }
    case 'icmp': {
      seg = Buffer.concat([Buffer.alloc(8), l4.payload ?? Buffer.alloc(0)]);
      seg[0] = l4.type;
      seg[1] = l4.code ?? 0;
      seg.writeUInt16BE(0x1234, 4); // identifier
      seg.writeUInt16BE(1, 6); // sequence
      checkAt = 2;
      break;
    }
    case 'raw':
      return Buffer.from(l4.bytes);
  }
  // ICMPv4 has no pseudo-header; TCP, UDP and ICMPv6 do.
  const cover = l4.kind === 'icmp' && !v6 ? [seg] : [pseudo(seg.length, proto), seg];
  let sum = internetChecksum(...cover);
  if (l4.kind === 'udp' && sum === 0) sum = 0xffff; // RFC 768: 0 means "no checksum"
  seg.writeUInt16BE(sum, checkAt);
  return seg;
}

export interface Ipv4Opts {
  src: string; dst: string; ttl?: number; tos?: number; id?: number;
  /** fragment offset in 8-byte units, and the more-fragments flag */
  fragOffset?: number; moreFragments?: boolean; dontFragment?: boolean;
  /** IPv4 options, padded here to a multiple of 4 bytes with end-of-list (0) */
  options?: Uint8Array;
}

export function ipv4(opts: Ipv4Opts, l4: L4): Buffer {
  const src = ipv4Addr(opts.src), dst = ipv4Addr(opts.dst);
  const pseudo = (len: number, proto: number) => {
    const p = Buffer.alloc(12);
    src.copy(p, 0); dst.copy(p, 4); p[9] = proto; p.writeUInt16BE(len, 10);
    return p;
  };
  const body = l4Bytes(l4, pseudo, false);
  const optLen = Math.ceil((opts.options?.length ?? 0) / 4) * 4;
  if (optLen > 40) throw new Error('IPv4 options longer than 40 bytes');
  const h = Buffer.alloc(20 + optLen);
  h[0] = 0x40 | (h.length / 4);
  h[1] = opts.tos ?? 0;
  h.writeUInt16BE(h.length + body.length, 2);
  h.writeUInt16BE(opts.id ?? 1, 4);
  h.writeUInt16BE((opts.dontFragment ? 0x4000 : 0) | (opts.moreFragments ? 0x2000 : 0) | (opts.fragOffset ?? 0), 6);
  h[8] = opts.ttl ?? 64;
  h[9] = l4Protocol(l4, false);
  src.copy(h, 12); dst.copy(h, 16);
  if (opts.options) Buffer.from(opts.options).copy(h, 20);
  h.writeUInt16BE(internetChecksum(h), 10);
  return Buffer.concat([h, body]);
}

export interface Ipv6Opts { src: string; dst: string; hopLimit?: number }

export function ipv6(opts: Ipv6Opts, l4: L4): Buffer {
  const src = ipv6Addr(opts.src), dst = ipv6Addr(opts.dst);
  const pseudo = (len: number, proto: number) => {
    const p = Buffer.alloc(40);
    src.copy(p, 0); dst.copy(p, 16); p.writeUInt32BE(len, 32); p[39] = proto;
    return p;
  };
  const body = l4Bytes(l4, pseudo, true);
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE(body.length, 4);
  h[6] = l4Protocol(l4, true);
  h[7] = opts.hopLimit ?? 64;
  src.copy(h, 8); dst.copy(h, 24);
  return Buffer.concat([h, body]);
}

/** Convenience: an Ethernet frame carrying IPv4 or IPv6. */
export const eth4 = (ip: Ipv4Opts, l4: L4, e: EthernetOpts = {}) => ethernet(e, ETH_P_IP, ipv4(ip, l4));
export const eth6 = (ip: Ipv6Opts, l4: L4, e: EthernetOpts = {}) => ethernet(e, ETH_P_IPV6, ipv6(ip, l4));
