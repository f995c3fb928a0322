// Bytes → layers of named fields, each with its byte offset and length, so a
// tracer can say which header field a program read ("ipv4.ttl") and a test can
// compare two packets field by field. Dissection stops where the bytes end:
// a field is listed only when all of its bytes are present, and the layer it
// would have belonged to is marked truncated.
import { formatIPv4, formatIPv6, formatMac } from './address.ts';
import { EtherType, IpProto } from './spec.ts';

export type FieldValue = number | string;

export interface Field {
  /** Layer name: eth, vlan, arp, ipv4, ipv6, ipv6-ext, tcp, udp, icmp, icmpv6, payload, trailer. */
  layer: string;
  /** Index of the layer in Dissection.layers (tells apart the two ipv4 layers of IPIP). */
  layerIndex: number;
  /** Field name, as in the builder's specs (src, ttl, flags, ...). */
  field: string;
  /** Byte offset in the packet and byte length of the smallest byte range holding the field. */
  offset: number;
  length: number;
  /** For fields narrower than their bytes: the bits of the big-endian integer of those bytes. */
  bits?: { shift: number; width: number };
  /** Numbers for integers, text for addresses, hex text for option and payload bytes. */
  value: FieldValue;
  /** A reading aid: 'IPv4' for an EtherType, 'TCP' for a protocol, 'SA' for TCP flags. */
  text?: string;
}

export interface Layer {
  layer: string;
  offset: number;
  /** Bytes of the header present in the packet (payload/trailer: the bytes). */
  length: number;
  fields: Field[];
  /** The header (or the data its length fields promised) goes past the end of the bytes. */
  truncated: boolean;
}

export interface Dissection {
  layers: Layer[];
  /** Every field of every layer, in packet order. */
  fields: Field[];
  truncated: boolean;
}

const ETHER_TYPES: Record<number, string> = { 0x0800: 'IPv4', 0x0806: 'ARP', 0x8100: 'VLAN', 0x88a8: 'QinQ', 0x86dd: 'IPv6', 0x9100: 'QinQ (old)' };
const PROTOCOL_NAMES: Record<number, string> = {
  0: 'HOPOPT', 1: 'ICMP', 4: 'IPIP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 43: 'IPv6-Route', 44: 'IPv6-Frag',
  47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMPv6', 59: 'IPv6-NoNxt', 60: 'IPv6-Opts',
};
const IPV6_EXTENSIONS = new Set([0, 43, 44, 60]);
const VLAN_TPIDS = new Set([0x8100, 0x88a8, 0x9100]);

export function tcpFlagText(flags: number): string {
  return [...'FSRPAUEC'].filter((_, i) => flags & (1 << i)).join('');
}

function hex(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return s;
}

/** Builds one layer's fields, dropping those whose bytes are not all present. */
class LayerCursor {
  readonly layer: Layer;
  constructor(private readonly d: Dissector, name: string, offset: number) {
    this.layer = { layer: name, offset, length: 0, fields: [], truncated: false };
  }
  get index(): number { return this.d.layers.length; }
  /** Adds a field at offset `rel` in the layer; returns its value or undefined when it is cut off. */
  uint(field: string, rel: number, length: number, bits?: { shift: number; width: number }, text?: (v: number) => string | undefined): number | undefined {
    const at = this.layer.offset + rel;
    if (at + length > this.d.end) { this.layer.truncated = true; return undefined; }
    let v = 0;
    for (let i = 0; i < length; i++) v = v * 256 + this.d.bytes[at + i]!;
    if (bits) v = Math.floor(v / 2 ** bits.shift) % 2 ** bits.width;
    const f: Omit<Field, 'layer' | 'layerIndex'> = { field, offset: at, length, value: v };
    if (bits) f.bits = bits;
    const label = text?.(v);
    if (label !== undefined && label !== '') f.text = label;
    this.push(f);
    return v;
  }
  text(field: string, rel: number, length: number, format: (b: Uint8Array, at: number) => string): void {
    const at = this.layer.offset + rel;
    if (at + length > this.d.end) { this.layer.truncated = true; return; }
    this.push({ field, offset: at, length, value: format(this.d.bytes, at) });
  }
  raw(field: string, rel: number, length: number): void {
    if (length <= 0) return;
    const at = this.layer.offset + rel;
    const end = Math.min(at + length, this.d.end);
    if (end < at + length) this.layer.truncated = true;
    if (end > at) this.push({ field, offset: at, length: end - at, value: hex(this.d.bytes, at, end) });
  }
  private push(f: Omit<Field, 'layer' | 'layerIndex'>): void {
    this.layer.fields.push({ layer: this.layer.layer, layerIndex: this.index, ...f });
  }
  /** Records the header length (clipped to the bytes present) and adds the layer. */
  done(headerLength: number): Layer {
    const present = Math.max(0, Math.min(headerLength, this.d.end - this.layer.offset));
    if (present < headerLength) this.layer.truncated = true;
    this.layer.length = present;
    this.d.layers.push(this.layer);
    return this.layer;
  }
}

class Dissector {
  readonly layers: Layer[] = [];
  constructor(readonly bytes: Uint8Array, public end: number) {}

  start(name: string, offset: number): LayerCursor { return new LayerCursor(this, name, offset); }

  ethernet(at: number): void {
    const l = this.start('eth', at);
    l.text('dst', 0, 6, formatMac);
    l.text('src', 6, 6, formatMac);
    const type = l.uint('type', 12, 2, undefined, (v) => ETHER_TYPES[v]);
    if (l.done(14).truncated || type === undefined) return;
    this.etherType(type, at + 14);
  }

  etherType(type: number, at: number): void {
    if (VLAN_TPIDS.has(type)) this.vlan(at);
    else if (type === EtherType.IPV4) this.ipv4(at);
    else if (type === EtherType.IPV6) this.ipv6(at);
    else if (type === EtherType.ARP) this.arp(at);
    else this.payload(at, this.end);
  }

  vlan(at: number): void {
    const l = this.start('vlan', at);
    l.uint('pcp', 0, 1, { shift: 5, width: 3 });
    l.uint('dei', 0, 1, { shift: 4, width: 1 });
    l.uint('vid', 0, 2, { shift: 0, width: 12 });
    const type = l.uint('type', 2, 2, undefined, (v) => ETHER_TYPES[v]);
    if (l.done(4).truncated || type === undefined) return;
    this.etherType(type, at + 4);
  }

  arp(at: number): void {
    const l = this.start('arp', at);
    l.uint('htype', 0, 2);
    l.uint('ptype', 2, 2, undefined, (v) => ETHER_TYPES[v]);
    const hlen = l.uint('hlen', 4, 1);
    const plen = l.uint('plen', 5, 1);
    l.uint('op', 6, 2, undefined, (v) => (v === 1 ? 'request' : v === 2 ? 'reply' : undefined));
    if (hlen === 6 && plen === 4) {
      l.text('sha', 8, 6, formatMac);
      l.text('spa', 14, 4, formatIPv4);
      l.text('tha', 18, 6, formatMac);
      l.text('tpa', 24, 4, formatIPv4);
      if (l.done(28).truncated) return;
      this.trailer(at + 28);
    } else {
      const size = 8 + 2 * ((hlen ?? 0) + (plen ?? 0));
      l.raw('addresses', 8, size - 8);
      if (l.done(size).truncated) return;
      this.trailer(at + size);
    }
  }

  ipv4(at: number): void {
    const l = this.start('ipv4', at);
    l.uint('version', 0, 1, { shift: 4, width: 4 });
    const ihl = l.uint('ihl', 0, 1, { shift: 0, width: 4 });
    l.uint('tos', 1, 1);
    const total = l.uint('totalLength', 2, 2);
    l.uint('id', 4, 2);
    l.uint('flags', 6, 1, { shift: 5, width: 3 }, (v) => [v & 2 ? 'DF' : '', v & 1 ? 'MF' : ''].filter(Boolean).join(',') || undefined);
    const frag = l.uint('frag', 6, 2, { shift: 0, width: 13 });
    l.uint('ttl', 8, 1);
    const proto = l.uint('protocol', 9, 1, undefined, (v) => PROTOCOL_NAMES[v]);
    l.uint('checksum', 10, 2);
    l.text('src', 12, 4, formatIPv4);
    l.text('dst', 16, 4, formatIPv4);
    const hl = Math.max(20, (ihl ?? 5) * 4);
    l.raw('options', 20, hl - 20);
    if (l.done(hl).truncated || total === undefined || proto === undefined) return;
    this.ipPayload(proto, at + hl, at + Math.max(total, hl), frag !== 0);
  }

  /** The bytes an IP header's length covers: [at, end), limited by the packet; what follows is a trailer. */
  ipPayload(proto: number, at: number, end: number, fragment: boolean): void {
    const outer = this.end;
    const clipped = Math.min(end, outer);
    this.end = clipped;
    if (fragment) this.payload(at, clipped);
    else this.protocol(proto, at);
    this.end = outer;
    if (end < outer && !this.layers.some((x) => x.truncated)) this.trailer(end);
  }

  protocol(proto: number, at: number): void {
    switch (proto) {
      case IpProto.TCP: return this.tcp(at);
      case IpProto.UDP: return this.udp(at);
      case IpProto.ICMP: return this.icmp(at, 'icmp');
      case IpProto.ICMPV6: return this.icmp(at, 'icmpv6');
      case IpProto.IPIP: return this.ipv4(at);
      case IpProto.IPV6: return this.ipv6(at);
      default:
        if (IPV6_EXTENSIONS.has(proto)) return this.ipv6Extension(proto, at);
        return this.payload(at, this.end);
    }
  }

  ipv6(at: number): void {
    const l = this.start('ipv6', at);
    l.uint('version', 0, 1, { shift: 4, width: 4 });
    l.uint('trafficClass', 0, 2, { shift: 4, width: 8 });
    l.uint('flowLabel', 1, 3, { shift: 0, width: 20 });
    const length = l.uint('payloadLength', 4, 2);
    const next = l.uint('nextHeader', 6, 1, undefined, (v) => PROTOCOL_NAMES[v]);
    l.uint('hopLimit', 7, 1);
    l.text('src', 8, 16, formatIPv6);
    l.text('dst', 24, 16, formatIPv6);
    if (l.done(40).truncated || length === undefined || next === undefined) return;
    this.ipPayload(next, at + 40, at + 40 + length, false);
  }

  /** Hop-by-hop, routing, destination options (length in 8-octet units) and fragment headers. */
  ipv6Extension(type: number, at: number): void {
    const l = this.start('ipv6-ext', at);
    const next = l.uint('nextHeader', 0, 1, undefined, (v) => PROTOCOL_NAMES[v]);
    let size = 8;
    let fragment = false;
    if (type === 44) {
      const offset = l.uint('fragOffset', 2, 2, { shift: 3, width: 13 });
      l.uint('more', 3, 1, { shift: 0, width: 1 });
      l.uint('id', 4, 4);
      fragment = offset !== 0;
    } else {
      const len = l.uint('length', 1, 1);
      size = ((len ?? 0) + 1) * 8;
      l.raw('data', 2, size - 2);
    }
    if (l.done(size).truncated || next === undefined) return;
    if (fragment) this.payload(at + size, this.end);
    else this.protocol(next, at + size);
  }

  tcp(at: number): void {
    const l = this.start('tcp', at);
    l.uint('sport', 0, 2);
    l.uint('dport', 2, 2);
    l.uint('seq', 4, 4);
    l.uint('ack', 8, 4);
    const off = l.uint('dataOffset', 12, 1, { shift: 4, width: 4 });
    l.uint('flags', 13, 1, undefined, tcpFlagText);
    l.uint('window', 14, 2);
    l.uint('checksum', 16, 2);
    l.uint('urgent', 18, 2);
    const hl = Math.max(20, (off ?? 5) * 4);
    l.raw('options', 20, hl - 20);
    if (l.done(hl).truncated) return;
    this.payload(at + hl, this.end);
  }

  udp(at: number): void {
    const l = this.start('udp', at);
    l.uint('sport', 0, 2);
    l.uint('dport', 2, 2);
    l.uint('length', 4, 2);
    l.uint('checksum', 6, 2);
    if (l.done(8).truncated) return;
    this.payload(at + 8, this.end);
  }

  icmp(at: number, name: 'icmp' | 'icmpv6'): void {
    const l = this.start(name, at);
    const echo = name === 'icmp' ? [0, 8] : [128, 129];
    const type = l.uint('type', 0, 1);
    l.uint('code', 1, 1);
    l.uint('checksum', 2, 2);
    if (type !== undefined && echo.includes(type)) {
      l.uint('id', 4, 2);
      l.uint('seq', 6, 2);
    } else {
      l.uint('rest', 4, 4);
    }
    if (l.done(8).truncated) return;
    // Error messages quote the packet that caused them (RFC 792, RFC 4443): its
    // headers are dissected too, usually cut short (and then marked truncated).
    const quotes = name === 'icmp' ? [3, 4, 5, 11, 12] : [1, 2, 3, 4];
    if (type !== undefined && quotes.includes(type) && this.end > at + 8) {
      if (name === 'icmp') this.ipv4(at + 8); else this.ipv6(at + 8);
    } else {
      this.payload(at + 8, this.end);
    }
  }

  payload(at: number, end: number): void {
    if (end <= at) return;
    const l = this.start('payload', at);
    l.raw('data', 0, end - at);
    l.done(end - at);
  }

  /** Bytes after what the headers account for (Ethernet padding, mostly). */
  trailer(at: number): void {
    if (this.end <= at) return;
    const l = this.start('trailer', at);
    l.raw('data', 0, this.end - at);
    l.done(this.end - at);
  }
}

/** Dissects an Ethernet frame. */
export function dissect(packet: Uint8Array): Dissection {
  const d = new Dissector(packet, packet.length);
  d.ethernet(0);
  return { layers: d.layers, fields: d.layers.flatMap((l) => l.fields), truncated: d.layers.some((l) => l.truncated) };
}

/** Every field whose bytes overlap [offset, offset + length). */
export function fieldsAt(packet: Uint8Array | Dissection, offset: number, length = 1): Field[] {
  const d = packet instanceof Uint8Array ? dissect(packet) : packet;
  return d.fields.filter((f) => f.offset < offset + length && offset < f.offset + f.length);
}

/**
 * The header field behind a packet offset: of the fields holding that byte,
 * the one with the fewest bytes (ipv4 byte 6 → flags, not frag); undefined
 * for bytes no header covers.
 */
export function fieldAt(packet: Uint8Array | Dissection, offset: number): Field | undefined {
  let best: Field | undefined;
  for (const f of fieldsAt(packet, offset)) {
    if (f.layer === 'payload' || f.layer === 'trailer') { best ??= f; continue; }
    if (best === undefined || best.layer === 'payload' || best.layer === 'trailer' || f.length < best.length) best = f;
  }
  return best;
}
