// Small byte builders for map keys and values (little-endian, as on x86-64).

export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

export function u64(n: bigint | number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(n)), true);
  return b;
}

/** struct bpf_lpm_trie_key for IPv4: u32 prefixlen (host order) + 4 address bytes. */
export function ipv4Key(address: string, prefixlen: number): Uint8Array {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`not an IPv4 address: ${address}`);
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, prefixlen, true);
  b.set(parts, 4);
  return b;
}

/** struct bpf_lpm_trie_key for IPv6: u32 prefixlen + 16 address bytes ("::" allowed). */
export function ipv6Key(address: string, prefixlen: number): Uint8Array {
  const [head = '', tail] = address.split('::');
  const groups = (s: string): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head), t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  if (all.length !== 8 || all.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) throw new RangeError(`not an IPv6 address: ${address}`);
  const b = new Uint8Array(20);
  const view = new DataView(b.buffer);
  view.setUint32(0, prefixlen, true);
  all.forEach((g, i) => view.setUint16(4 + 2 * i, g, false));
  return b;
}

/** "01 00 00 00" for [1, 0, 0, 0] (bpftool's layout). */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
