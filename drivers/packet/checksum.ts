// The Internet checksum (RFC 1071): the ones' complement of the ones'
// complement sum of 16-bit big-endian words, an odd last byte padded with
// zero. TCP, UDP and ICMPv6 also sum a pseudo-header of the IP addresses,
// protocol and length (RFC 793, RFC 768, RFC 8200 section 8.1).

/** Adds bytes [start, end) into a running 32-bit sum (not yet folded). */
export function sum16(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  // Fold now and then so the sum never leaves the safe integer range.
  return sum > 0xffffffff ? fold(sum) : sum;
}

/** Folds carries back into 16 bits. */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum field value for bytes [start, end) (their checksum field must hold 0). */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  return ~fold(sum16(bytes, start, end, initial)) & 0xffff;
}

/** Sum of the pseudo-header for an upper-layer packet of `length` bytes. */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let sum = sum16(src) + sum16(dst) + protocol;
  // IPv4 has a 16-bit length; IPv6 a 32-bit one. Summing both halves covers both.
  sum += (length >>> 16) + (length & 0xffff);
  return sum;
}

/** The IPv4 header checksum of the header at `ip` (computed as if its checksum field were 0). */
export function ipv4HeaderChecksum(packet: Uint8Array, ip: number): number {
  const ihl = (packet[ip]! & 0x0f) * 4;
  const sum = sum16(packet, ip, ip + 10) + sum16(packet, ip + 12, ip + ihl);
  return ~fold(sum) & 0xffff;
}

/**
 * The transport checksum (TCP, UDP, ICMPv6: pseudo-header included; ICMP: none)
 * of the segment [l4, l4 + length) with its checksum field at `checksumAt`
 * taken as 0. `src`/`dst` are the enclosing IP header's addresses.
 */
export function transportChecksum(
  packet: Uint8Array, l4: number, length: number, checksumAt: number,
  protocol: number, src: Uint8Array | undefined, dst: Uint8Array | undefined,
): number {
  let sum = sum16(packet, l4, checksumAt) + sum16(packet, checksumAt + 2, l4 + length);
  if (src && dst && protocol !== 1) sum += pseudoHeaderSum(src, dst, protocol, length);
  const c = ~fold(sum) & 0xffff;
  // UDP sends a computed 0 as 0xffff: 0 means "no checksum" (RFC 768).
  return protocol === 17 && c === 0 ? 0xffff : c;
}
