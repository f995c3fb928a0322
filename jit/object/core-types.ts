// The target types CO-RE relocations are resolved against: the structs an XDP
// program reads that sluice itself defines. Layouts are those of the UAPI headers
// on a little-endian machine (linux/bpf.h xdp_md, linux/if_ether.h ethhdr,
// linux/ip.h iphdr, linux/ipv6.h ipv6hdr, linux/in6.h in6_addr, linux/tcp.h tcphdr,
// linux/udp.h udphdr, linux/icmp.h icmphdr), including __struct_group's anonymous
// union, so an access path written against those headers or vmlinux.h finds the
// same field. test/core.test.ts compares them with clang's BTF of the real headers.

export type TargetType =
  | { readonly kind: 'int'; readonly size: number; readonly signed: boolean }
  | { readonly kind: 'array'; readonly elem: TargetType; readonly n: number }
  | { readonly kind: 'struct' | 'union'; readonly name: string; readonly size: number; readonly fields: readonly TargetField[] };

export interface TargetField {
  /** '' for an anonymous struct or union, whose fields are found by name through it. */
  readonly name: string;
  readonly bitOffset: number;
  /** Width of a bitfield in bits, 0 for an ordinary field. */
  readonly bitfieldSize: number;
  readonly type: TargetType;
}

const u8: TargetType = { kind: 'int', size: 1, signed: false };
const u16: TargetType = { kind: 'int', size: 2, signed: false };
const u32: TargetType = { kind: 'int', size: 4, signed: false };
const arr = (elem: TargetType, n: number): TargetType => ({ kind: 'array', elem, n });

/** Fields laid out one after another (no bitfields), from a byte offset. */
function packed(fields: ReadonlyArray<readonly [string, TargetType]>, startByte = 0): TargetField[] {
  let bit = startByte * 8;
  return fields.map(([name, type]) => {
    const f = { name, bitOffset: bit, bitfieldSize: 0, type };
    bit += sizeOf(type) * 8;
    return f;
  });
}

export function sizeOf(t: TargetType): number {
  return t.kind === 'int' ? t.size : t.kind === 'array' ? t.n * sizeOf(t.elem) : t.size;
}

const struct = (name: string, size: number, fields: TargetField[]): TargetType => ({ kind: 'struct', name, size, fields });
const shift = (fields: TargetField[], bytes: number): TargetField[] =>
  fields.map((f) => ({ ...f, bitOffset: f.bitOffset + bytes * 8 }));

/** __struct_group(, addrs, , members): an anonymous union of an anonymous struct and `addrs`. */
function structGroup(atByte: number, members: TargetField[], size: number): TargetField {
  const inner = struct('', size, members);
  return {
    name: '', bitOffset: atByte * 8, bitfieldSize: 0,
    type: { kind: 'union', name: '', size, fields: [
      { name: '', bitOffset: 0, bitfieldSize: 0, type: inner },
      { name: 'addrs', bitOffset: 0, bitfieldSize: 0, type: inner },
    ] },
  };
}

const in6_addr = struct('in6_addr', 16, [{
  name: 'in6_u', bitOffset: 0, bitfieldSize: 0,
  type: { kind: 'union', name: '', size: 16, fields: [
    { name: 'u6_addr8', bitOffset: 0, bitfieldSize: 0, type: arr(u8, 16) },
    { name: 'u6_addr16', bitOffset: 0, bitfieldSize: 0, type: arr(u16, 8) },
    { name: 'u6_addr32', bitOffset: 0, bitfieldSize: 0, type: arr(u32, 4) },
  ] },
}]);

const bits = (name: string, bitOffset: number, width: number, type: TargetType): TargetField =>
  ({ name, bitOffset, bitfieldSize: width, type });

export const TARGET_TYPES: ReadonlyMap<string, TargetType> = new Map<string, TargetType>([
  ['xdp_md', struct('xdp_md', 24, packed([
    ['data', u32], ['data_end', u32], ['data_meta', u32], ['ingress_ifindex', u32],
    ['rx_queue_index', u32], ['egress_ifindex', u32],
  ]))],
  ['ethhdr', struct('ethhdr', 14, packed([['h_dest', arr(u8, 6)], ['h_source', arr(u8, 6)], ['h_proto', u16]]))],
  ['iphdr', struct('iphdr', 20, [
    bits('ihl', 0, 4, u8), bits('version', 4, 4, u8),
    ...packed([['tos', u8], ['tot_len', u16], ['id', u16], ['frag_off', u16], ['ttl', u8], ['protocol', u8], ['check', u16]], 1),
    structGroup(12, packed([['saddr', u32], ['daddr', u32]]), 8),
  ])],
  ['in6_addr', in6_addr],
  ['ipv6hdr', struct('ipv6hdr', 40, [
    bits('priority', 0, 4, u8), bits('version', 4, 4, u8),
    ...packed([['flow_lbl', arr(u8, 3)], ['payload_len', u16], ['nexthdr', u8], ['hop_limit', u8]], 1),
    structGroup(8, packed([['saddr', in6_addr], ['daddr', in6_addr]]), 32),
  ])],
  ['tcphdr', struct('tcphdr', 20, [
    ...packed([['source', u16], ['dest', u16], ['seq', u32], ['ack_seq', u32]]),
    bits('res1', 96, 4, u16), bits('doff', 100, 4, u16),
    ...['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr'].map((n, i) => bits(n, 104 + i, 1, u16)),
    ...shift(packed([['window', u16], ['check', u16], ['urg_ptr', u16]]), 14),
  ])],
  ['udphdr', struct('udphdr', 8, packed([['source', u16], ['dest', u16], ['len', u16], ['check', u16]]))],
  // The kernel's struct vlan_hdr (include/linux/if_vlan.h, not UAPI; vmlinux.h carries it).
  ['vlan_hdr', struct('vlan_hdr', 4, packed([['h_vlan_TCI', u16], ['h_vlan_encapsulated_proto', u16]]))],
  ['icmphdr', struct('icmphdr', 8, [
    ...packed([['type', u8], ['code', u8], ['checksum', u16]]),
    { name: 'un', bitOffset: 32, bitfieldSize: 0, type: { kind: 'union', name: '', size: 4, fields: [
      { name: 'echo', bitOffset: 0, bitfieldSize: 0, type: struct('', 4, packed([['id', u16], ['sequence', u16]])) },
      { name: 'gateway', bitOffset: 0, bitfieldSize: 0, type: u32 },
      { name: 'frag', bitOffset: 0, bitfieldSize: 0, type: struct('', 4, packed([['__unused', u16], ['mtu', u16]])) },
      { name: 'reserved', bitOffset: 0, bitfieldSize: 0, type: arr(u8, 4) },
    ] } },
  ])],
]);
