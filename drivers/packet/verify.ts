// Checksum checks over a dissected packet: which checksums a packet carries,
// what they hold, what they should hold. Tests use these on the bytes a
// program rewrote (a TTL decrement, an address swap, an encapsulation).
import { ipv4HeaderChecksum, transportChecksum } from './checksum.ts';
import { parseIPv4, parseIPv6 } from './address.ts';
import { dissect, type Layer } from './dissect.ts';
import { IpProto } from './spec.ts';

export interface ChecksumCheck {
  /** ipv4 (header checksum), tcp, udp, icmp or icmpv6. */
  layer: string;
  layerIndex: number;
  /** Byte offset of the checksum field. */
  offset: number;
  stored: number;
  /** The value the field should hold. */
  expected: number;
  ok: boolean;
}

const PROTO: Record<string, number> = { tcp: IpProto.TCP, udp: IpProto.UDP, icmp: IpProto.ICMP, icmpv6: IpProto.ICMPV6 };
const CHECKSUM_AT: Record<string, number> = { tcp: 16, udp: 6, icmp: 2, icmpv6: 2 };

function value(layer: Layer, field: string): number | string | undefined {
  return layer.fields.find((f) => f.field === field)?.value;
}

/**
 * Every checksum in the packet that can be checked: IPv4 headers, and TCP,
 * UDP, ICMP, ICMPv6 whose whole segment (as the IP length says) is present
 * and not fragmented.
 * A UDP-over-IPv4 checksum of 0 ("none", RFC 768) counts as ok.
 */
export function checkChecksums(packet: Uint8Array): ChecksumCheck[] {
  const { layers } = dissect(packet);
  const out: ChecksumCheck[] = [];
  const u16 = (at: number): number => (packet[at]! << 8) | packet[at + 1]!;
  layers.forEach((layer, index) => {
    if (layer.truncated) return;
    if (layer.layer === 'ipv4') {
      const expected = ipv4HeaderChecksum(packet, layer.offset);
      const stored = u16(layer.offset + 10);
      out.push({ layer: 'ipv4', layerIndex: index, offset: layer.offset + 10, stored, expected, ok: stored === expected });
      return;
    }
    const proto = PROTO[layer.layer];
    if (proto === undefined) return;
    // The nearest IP layer before this one gives the pseudo-header and the segment's end.
    let ip: Layer | undefined;
    for (let j = index - 1; j >= 0 && !ip; j--) if (layers[j]!.layer === 'ipv4' || layers[j]!.layer === 'ipv6') ip = layers[j];
    if (!ip) return;
    const v4 = ip.layer === 'ipv4';
    // A fragment holds part of a segment whose checksum covers all of it: nothing to check here.
    if (v4 && (Number(value(ip, 'frag')) !== 0 || (Number(value(ip, 'flags')) & 1) !== 0)) return;
    const end = v4 ? ip.offset + Number(value(ip, 'totalLength')) : ip.offset + 40 + Number(value(ip, 'payloadLength'));
    if (end > packet.length || end < layer.offset + 8) return;
    const src = v4 ? parseIPv4(String(value(ip, 'src'))) : parseIPv6(String(value(ip, 'src')));
    const dst = v4 ? parseIPv4(String(value(ip, 'dst'))) : parseIPv6(String(value(ip, 'dst')));
    const at = layer.offset + CHECKSUM_AT[layer.layer]!;
    const expected = transportChecksum(packet, layer.offset, end - layer.offset, at, proto, src, dst);
    const stored = u16(at);
    const ok = stored === expected || (proto === IpProto.UDP && v4 && stored === 0);
    out.push({ layer: layer.layer, layerIndex: index, offset: at, stored, expected, ok });
  });
  return out;
}

/** True when every checksum checkChecksums finds is right. */
export function checksumsOk(packet: Uint8Array): boolean {
  return checkChecksums(packet).every((c) => c.ok);
}

/**
 * Rewrites every wrong checksum in place (innermost first, since an ICMP
 * error's checksum covers the headers it quotes) and returns the packet.
 */
export function fixChecksums(packet: Uint8Array): Uint8Array {
  const count = checkChecksums(packet).length;
  for (let i = count - 1; i >= 0; i--) {
    const c = checkChecksums(packet)[i]!;
    if (!c.ok) { packet[c.offset] = c.expected >> 8; packet[c.offset + 1] = c.expected & 0xff; }
  }
  return packet;
}
