// Builds frames from layer descriptions with correct lengths and checksums.
//
//   packet().eth().ipv4({ dst: '10.0.0.9' }).tcp({ dport: 22, flags: 'S' }).payload(32).build()
//   buildPacket([{ layer: 'eth' }, { layer: 'ipv6' }, { layer: 'udp', dport: 53 }])
//
// Layers are encoded from the last to the first, so each one knows the bytes
// that follow it (for lengths and checksums); the enclosing IP header for a
// pseudo-header checksum is the nearest IPv4/IPv6 layer before it.
import { parseIPv4, parseIPv6, parseMac } from './address.ts';
import { internetChecksum, ipv4HeaderChecksum, pseudoHeaderSum } from './checksum.ts';
import { PacketError } from './errors.ts';
import { checkLayerFields } from './describe.ts';
import {
  DEFAULTS, EtherType, IpProto,
  type ArpSpec, type BuildOptions, type Bytes, type EthSpec, type IcmpSpec, type IPv4Spec, type IPv6Spec,
  type LayerName, type LayerSpec, type PayloadSpec, type TcpOptions, type TcpSpec, type UdpSpec, type VlanSpec,
} from './spec.ts';

/** An integer field checked against its width. */
function uint(value: number | undefined, fallback: number, bits: number, where: string): number {
  const v = value ?? fallback;
  const max = 2 ** bits - 1;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new PacketError(`${where}: ${v} is not an integer in 0..${max}`);
  return v;
}

function bytesOf(value: Bytes, where: string): Uint8Array {
  const arr = Array.from(value);
  if (!arr.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) throw new PacketError(`${where}: not a list of bytes`);
  return Uint8Array.from(arr);
}

function payloadBytes(data: PayloadSpec): Uint8Array {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (typeof data === 'number') {
    const n = uint(data, 0, 24, 'payload length');
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = i & 0xff;
    return out;
  }
  if ('hex' in data) {
    const text = data.hex.replace(/[\s:]/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new PacketError(`payload: bad hex "${data.hex}" (pairs of hex digits, spaces and ':' allowed)`);
    return Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
  }
  return bytesOf(data, 'payload');
}

const TCP_FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, '.': 0x10, U: 0x20, E: 0x40, C: 0x80 };

/** 'SA', 'S.', 'FA', 'R' → the TCP flag byte. */
export function tcpFlags(flags: string | number): number {
  if (typeof flags === 'number') return uint(flags, 0, 8, 'tcp.flags');
  let out = 0;
  for (const ch of flags.toUpperCase()) {
    const bit = TCP_FLAG_BITS[ch];
    if (bit === undefined) throw new PacketError(`tcp.flags: unknown flag '${ch}' in "${flags}" (use F S R P A U E C)`);
    out |= bit;
  }
  return out;
}

/** 'DF', 'MF', 'DF,MF' → the 3-bit IPv4 flags. */
function ipv4Flags(flags: string | number | undefined): number {
  if (flags === undefined) return 0;
  if (typeof flags === 'number') return uint(flags, 0, 3, 'ipv4.flags');
  let out = 0;
  for (const f of flags.toUpperCase().split(/[,|+ ]+/).filter(Boolean)) {
    if (f === 'DF') out |= 2;
    else if (f === 'MF') out |= 1;
    else throw new PacketError(`ipv4.flags: unknown flag "${f}" (use DF, MF)`);
  }
  return out;
}

function nextEtherType(layers: readonly LayerSpec[], i: number): number {
  switch (layers[i + 1]?.layer) {
    case 'vlan': return layers[i + 2]?.layer === 'vlan' ? EtherType.QINQ : EtherType.VLAN;
    case 'arp': return EtherType.ARP;
    case 'ipv4': return EtherType.IPV4;
    case 'ipv6': return EtherType.IPV6;
    default: return EtherType.EXPERIMENTAL;
  }
}

const PROTOCOLS: Partial<Record<LayerName, number>> = {
  tcp: IpProto.TCP, udp: IpProto.UDP, icmp: IpProto.ICMP, icmpv6: IpProto.ICMPV6, ipv4: IpProto.IPIP, ipv6: IpProto.IPV6,
};
function nextProtocol(layers: readonly LayerSpec[], i: number): number {
  const next = layers[i + 1]?.layer;
  return (next && PROTOCOLS[next]) ?? IpProto.EXPERIMENTAL;
}

interface IpContext { src: Uint8Array; dst: Uint8Array }

/** The addresses of the nearest IP layer before layer i, with defaults applied. */
function enclosingIp(layers: readonly LayerSpec[], i: number): IpContext | undefined {
  for (let j = i - 1; j >= 0; j--) {
    const l = layers[j]!;
    if (l.layer === 'ipv4') return { src: parseIPv4(l.src ?? DEFAULTS.ipv4Src), dst: parseIPv4(l.dst ?? DEFAULTS.ipv4Dst) };
    if (l.layer === 'ipv6') return { src: parseIPv6(l.src ?? DEFAULTS.ipv6Src), dst: parseIPv6(l.dst ?? DEFAULTS.ipv6Dst) };
  }
  return undefined;
}

function withInner(headerLength: number, inner: Uint8Array): { out: Uint8Array; view: DataView } {
  const out = new Uint8Array(headerLength + inner.length);
  out.set(inner, headerLength);
  return { out, view: new DataView(out.buffer) };
}

function eth(s: EthSpec, layers: readonly LayerSpec[], i: number, inner: Uint8Array): Uint8Array {
  const { out, view } = withInner(14, inner);
  out.set(parseMac(s.dst ?? DEFAULTS.ethDst), 0);
  out.set(parseMac(s.src ?? DEFAULTS.ethSrc), 6);
  view.setUint16(12, uint(s.type, nextEtherType(layers, i), 16, 'eth.type'));
  return out;
}

function vlan(s: VlanSpec, layers: readonly LayerSpec[], i: number, inner: Uint8Array): Uint8Array {
  const { out, view } = withInner(4, inner);
  const dei = typeof s.dei === 'boolean' ? Number(s.dei) : uint(s.dei, 0, 1, 'vlan.dei');
  view.setUint16(0, (uint(s.pcp, 0, 3, 'vlan.pcp') << 13) | (dei << 12) | uint(s.vid, 1, 12, 'vlan.vid'));
  view.setUint16(2, uint(s.type, nextEtherType(layers, i), 16, 'vlan.type'));
  return out;
}

function arp(s: ArpSpec, layers: readonly LayerSpec[], i: number, inner: Uint8Array): Uint8Array {
  const { out, view } = withInner(28, inner);
  const ether = layers.slice(0, i).reverse().find((l) => l.layer === 'eth') as EthSpec | undefined;
  const op = s.op === 'request' || s.op === undefined ? 1 : s.op === 'reply' ? 2 : uint(s.op, 0, 16, 'arp.op');
  view.setUint16(0, 1); // hardware: Ethernet
  view.setUint16(2, EtherType.IPV4);
  out[4] = 6;
  out[5] = 4;
  view.setUint16(6, op);
  out.set(parseMac(s.sha ?? ether?.src ?? DEFAULTS.ethSrc), 8);
  out.set(parseIPv4(s.spa ?? DEFAULTS.ipv4Src), 14);
  out.set(parseMac(s.tha ?? (op === 2 ? ether?.dst ?? DEFAULTS.ethDst : '00:00:00:00:00:00')), 18);
  out.set(parseIPv4(s.tpa ?? DEFAULTS.ipv4Dst), 24);
  return out;
}

function ipv4(s: IPv4Spec, layers: readonly LayerSpec[], i: number, inner: Uint8Array): Uint8Array {
  const options = s.options === undefined ? new Uint8Array(0) : bytesOf(s.options, 'ipv4.options');
  const optLength = (options.length + 3) & ~3;
  if (optLength > 40) throw new PacketError(`ipv4.options: ${options.length} bytes; at most 40 fit in a header`);
  const hl = 20 + optLength;
  const { out, view } = withInner(hl, inner);
  out[0] = 0x40 | (hl / 4);
  out[1] = uint(s.tos, 0, 8, 'ipv4.tos');
  view.setUint16(2, uint(s.totalLength, hl + inner.length, 16, 'ipv4.totalLength'));
  view.setUint16(4, uint(s.id, 0, 16, 'ipv4.id'));
  view.setUint16(6, (ipv4Flags(s.flags) << 13) | uint(s.frag, 0, 13, 'ipv4.frag'));
  out[8] = uint(s.ttl, DEFAULTS.ttl, 8, 'ipv4.ttl');
  out[9] = uint(s.protocol, nextProtocol(layers, i), 8, 'ipv4.protocol');
  out.set(parseIPv4(s.src ?? DEFAULTS.ipv4Src), 12);
  out.set(parseIPv4(s.dst ?? DEFAULTS.ipv4Dst), 16);
  out.set(options, 20);
  view.setUint16(10, s.checksum === undefined ? ipv4HeaderChecksum(out, 0) : uint(s.checksum, 0, 16, 'ipv4.checksum'));
  return out;
}

function ipv6(s: IPv6Spec, layers: readonly LayerSpec[], i: number, inner: Uint8Array): Uint8Array {
  const { out, view } = withInner(40, inner);
  const tc = uint(s.trafficClass, 0, 8, 'ipv6.trafficClass');
  view.setUint32(0, ((6 << 28) | (tc << 20) | uint(s.flowLabel, 0, 20, 'ipv6.flowLabel')) >>> 0);
  view.setUint16(4, uint(s.payloadLength, inner.length, 16, 'ipv6.payloadLength'));
  out[6] = uint(s.nextHeader, nextProtocol(layers, i), 8, 'ipv6.nextHeader');
  out[7] = uint(s.hopLimit, DEFAULTS.ttl, 8, 'ipv6.hopLimit');
  out.set(parseIPv6(s.src ?? DEFAULTS.ipv6Src), 8);
  out.set(parseIPv6(s.dst ?? DEFAULTS.ipv6Dst), 24);
  return out;
}

/** Writes the transport checksum at `at` unless the spec gave one. */
function setChecksum(out: Uint8Array, at: number, given: number | undefined, where: string, protocol: number, ip: IpContext | undefined): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (given !== undefined) { view.setUint16(at, uint(given, 0, 16, where)); return; }
  const pseudo = ip && protocol !== IpProto.ICMP ? pseudoHeaderSum(ip.src, ip.dst, protocol, out.length) : 0;
  let c = internetChecksum(out, 0, out.length, pseudo);
  if (protocol === IpProto.UDP && c === 0) c = 0xffff; // 0 would mean "no checksum"
  view.setUint16(at, c);
}

function tcpOptionBytes(options: Bytes | TcpOptions | undefined): Uint8Array {
  if (options === undefined) return new Uint8Array(0);
  if (Array.isArray(options) || options instanceof Uint8Array) return bytesOf(options as Bytes, 'tcp.options');
  const o = options as TcpOptions;
  const out: number[] = [];
  if (o.mss !== undefined) { const m = uint(o.mss, 0, 16, 'tcp.options.mss'); out.push(2, 4, m >> 8, m & 0xff); }
  if (o.sackPermitted) out.push(1, 1, 4, 2);
  if (o.timestamp !== undefined) {
    out.push(1, 1, 8, 10);
    for (const t of o.timestamp) { const v = uint(t, 0, 32, 'tcp.options.timestamp'); out.push(v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff); }
  }
  if (o.wscale !== undefined) out.push(1, 3, 3, uint(o.wscale, 0, 8, 'tcp.options.wscale'));
  return Uint8Array.from(out);
}

function tcp(s: TcpSpec, layers: readonly LayerSpec[], i: number, inner: Uint8Array): Uint8Array {
  const options = tcpOptionBytes(s.options);
  const optLength = (options.length + 3) & ~3;
  if (optLength > 40) throw new PacketError(`tcp.options: ${options.length} bytes; at most 40 fit in a header`);
  const hl = 20 + optLength;
  const { out, view } = withInner(hl, inner);
  view.setUint16(0, uint(s.sport, DEFAULTS.sport, 16, 'tcp.sport'));
  view.setUint16(2, uint(s.dport, DEFAULTS.tcpDport, 16, 'tcp.dport'));
  view.setUint32(4, uint(s.seq, 1, 32, 'tcp.seq'));
  view.setUint32(8, uint(s.ack, 0, 32, 'tcp.ack'));
  out[12] = (hl / 4) << 4;
  out[13] = tcpFlags(s.flags ?? 'S');
  view.setUint16(14, uint(s.window, DEFAULTS.window, 16, 'tcp.window'));
  view.setUint16(18, uint(s.urgent, 0, 16, 'tcp.urgent'));
  out.set(options, 20);
  setChecksum(out, 16, s.checksum, 'tcp.checksum', IpProto.TCP, enclosingIp(layers, i));
  return out;
}

function udp(s: UdpSpec, layers: readonly LayerSpec[], i: number, inner: Uint8Array): Uint8Array {
  const { out, view } = withInner(8, inner);
  view.setUint16(0, uint(s.sport, DEFAULTS.sport, 16, 'udp.sport'));
  view.setUint16(2, uint(s.dport, DEFAULTS.udpDport, 16, 'udp.dport'));
  view.setUint16(4, uint(s.length, out.length, 16, 'udp.length'));
  setChecksum(out, 6, s.checksum, 'udp.checksum', IpProto.UDP, enclosingIp(layers, i));
  return out;
}

function icmp(s: IcmpSpec, v6: boolean, layers: readonly LayerSpec[], i: number, inner: Uint8Array): Uint8Array {
  const name = v6 ? 'icmpv6' : 'icmp';
  const { out, view } = withInner(8, inner);
  const type = s.type === 'echo-request' || s.type === undefined ? (v6 ? 128 : 8)
    : s.type === 'echo-reply' ? (v6 ? 129 : 0) : uint(s.type, 0, 8, `${name}.type`);
  out[0] = type;
  out[1] = uint(s.code, 0, 8, `${name}.code`);
  const echo = v6 ? type === 128 || type === 129 : type === 8 || type === 0;
  if (s.rest !== undefined) {
    view.setUint32(4, uint(s.rest, 0, 32, `${name}.rest`));
  } else {
    view.setUint16(4, uint(s.id, echo ? 1 : 0, 16, `${name}.id`));
    view.setUint16(6, uint(s.seq, echo ? 1 : 0, 16, `${name}.seq`));
  }
  const ip = enclosingIp(layers, i);
  if (v6 && ip && ip.src.length !== 16 && s.checksum === undefined) {
    throw new PacketError('icmpv6: its checksum covers an IPv6 pseudo-header, but the enclosing layer is IPv4 (give checksum explicitly)');
  }
  setChecksum(out, 2, s.checksum, `${name}.checksum`, v6 ? IpProto.ICMPV6 : IpProto.ICMP, ip);
  return out;
}

function encodeLayer(layers: readonly LayerSpec[], i: number, inner: Uint8Array): Uint8Array {
  const s = layers[i]!;
  checkLayerFields(s, `layer ${i + 1}`);
  switch (s.layer) {
    case 'eth': return eth(s, layers, i, inner);
    case 'vlan': return vlan(s, layers, i, inner);
    case 'arp': return arp(s, layers, i, inner);
    case 'ipv4': return ipv4(s, layers, i, inner);
    case 'ipv6': return ipv6(s, layers, i, inner);
    case 'tcp': return tcp(s, layers, i, inner);
    case 'udp': return udp(s, layers, i, inner);
    case 'icmp': return icmp(s, false, layers, i, inner);
    case 'icmpv6': return icmp(s, true, layers, i, inner);
    case 'payload': {
      const data = payloadBytes(s.data);
      const out = new Uint8Array(data.length + inner.length);
      out.set(data);
      out.set(inner, data.length);
      return out;
    }
    default: throw new PacketError(`unknown layer "${(s as { layer: unknown }).layer}" (use eth, vlan, arp, ipv4, ipv6, tcp, udp, icmp, icmpv6, payload)`);
  }
}

/** Encodes layers (outermost first) into one frame. */
export function buildPacket(layers: readonly LayerSpec[], options: BuildOptions = {}): Uint8Array {
  let frame: Uint8Array = new Uint8Array(0);
  for (let i = layers.length - 1; i >= 0; i--) frame = encodeLayer(layers, i, frame);
  const min = options.minLength ?? 0;
  if (frame.length < min) {
    const padded = new Uint8Array(min);
    padded.set(frame);
    frame = padded;
  }
  return frame;
}

/** The layered builder: each method appends a layer; build() encodes them. */
export class PacketBuilder {
  readonly layers: LayerSpec[] = [];
  eth(spec: EthSpec = {}): this { this.layers.push({ layer: 'eth', ...spec }); return this; }
  vlan(spec: VlanSpec = {}): this { this.layers.push({ layer: 'vlan', ...spec }); return this; }
  arp(spec: ArpSpec = {}): this { this.layers.push({ layer: 'arp', ...spec }); return this; }
  ipv4(spec: IPv4Spec = {}): this { this.layers.push({ layer: 'ipv4', ...spec }); return this; }
  ipv6(spec: IPv6Spec = {}): this { this.layers.push({ layer: 'ipv6', ...spec }); return this; }
  tcp(spec: TcpSpec = {}): this { this.layers.push({ layer: 'tcp', ...spec }); return this; }
  udp(spec: UdpSpec = {}): this { this.layers.push({ layer: 'udp', ...spec }); return this; }
  icmp(spec: IcmpSpec = {}): this { this.layers.push({ layer: 'icmp', ...spec }); return this; }
  icmpv6(spec: IcmpSpec = {}): this { this.layers.push({ layer: 'icmpv6', ...spec }); return this; }
  payload(data: PayloadSpec): this { this.layers.push({ layer: 'payload', data }); return this; }
  build(options: BuildOptions = {}): Uint8Array { return buildPacket(this.layers, options); }
}

/** Starts a packet: `packet().eth().ipv4().udp().payload(18).build()`. */
export function packet(): PacketBuilder {
  return new PacketBuilder();
}
