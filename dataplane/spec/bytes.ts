// Map keys and values in a spec: hex text, or described parts put end to end.
//
//   "0a090909"                          hex (spaces allowed, optional 0x)
//   {ipv4: 10.9.9.9}                    4 bytes, network order
//   {prefix: 10.8.0.0/16}               an LPM trie key: u32 prefix length (host order), then the address
//   [{u32: 0}, {mac: 02:00:00:00:00:99}] parts concatenated (a struct)
//
// Integers: u8 u16 u32 u64 are host order (little-endian here, as the program
// reads a __u32); be16 be32 be64 are network order. A bare number is refused:
// its size would be a guess.
import { AddressError, parseIPv4, parseIPv6, parseMac } from '../../drivers/packet/packet.ts';
import { Cursor, show } from './source.ts';

const INTS: Record<string, { size: number; le: boolean }> = {
  u8: { size: 1, le: true }, u16: { size: 2, le: true }, u32: { size: 4, le: true }, u64: { size: 8, le: true },
  be16: { size: 2, le: false }, be32: { size: 4, le: false }, be64: { size: 8, le: false },
};
export const BYTE_PARTS = [...Object.keys(INTS), 'ipv4', 'ipv6', 'mac', 'prefix', 'hex', 'zeros', 'text'];

/** Hex text: pairs of digits, whitespace and ':' ignored, an optional 0x. */
export function parseHex(text: string): Uint8Array | undefined {
  const t = text.trim().replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(t)) return undefined;
  return Uint8Array.from(Buffer.from(t, 'hex'));
}

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function intBytes(at: Cursor, size: number, le: boolean): Uint8Array {
  const v = at.value;
  let n: bigint;
  if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v.trim())) n = BigInt(v.trim());
  else return at.fail(`expected an unsigned integer (a number, or text for values above 2^53: "0x…" or decimal); got ${show(v)}`);
  const max = (1n << BigInt(size * 8)) - 1n;
  if (n < 0n || n > max) at.fail(`${v} does not fit in ${size} byte(s) (0..${max})`);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    out[le ? i : size - 1 - i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

function address(at: Cursor, parse: (s: string) => Uint8Array): Uint8Array {
  try {
    return parse(at.string());
  } catch (err) {
    if (err instanceof AddressError) at.fail(err.message);
    throw err;
  }
}

function prefix(at: Cursor): Uint8Array {
  const text = at.string();
  const m = /^(.+)\/(\d+)$/.exec(text.trim());
  if (!m) at.fail(`expected ADDRESS/LENGTH (e.g. 10.8.0.0/16 or 2001:db8::/32); got ${JSON.stringify(text)}`);
  const addrText = m![1]!;
  const v6 = addrText.includes(':');
  const addr = address(at.withValue(addrText), v6 ? parseIPv6 : parseIPv4);
  const len = Number(m![2]);
  if (len > addr.length * 8) at.fail(`prefix length ${len} is longer than the address (${addr.length * 8} bits)`);
  const out = new Uint8Array(4 + addr.length);
  new DataView(out.buffer).setUint32(0, len, true);
  out.set(addr, 4);
  return out;
}

function part(at: Cursor): Uint8Array {
  if (typeof at.value === 'string') {
    const b = parseHex(at.value);
    if (!b) at.fail(`bad hex ${JSON.stringify(at.value)}: expected pairs of hex digits (e.g. "0a090909"), or a described value such as {ipv4: 10.0.0.1}`);
    return b!;
  }
  if (typeof at.value === 'number') {
    at.fail(`a bare number has no size: write {u32: ${at.value}}, {u64: ${at.value}}, {be16: ${at.value}}, … or hex`);
  }
  const m = at.mapping(BYTE_PARTS);
  const keys = Object.keys(m);
  if (keys.length !== 1) at.fail(`expected exactly one of ${BYTE_PARTS.join(', ')} (use a list for several parts); got ${keys.length} keys`);
  const kind = keys[0]!;
  const c = at.child(kind);
  const int = INTS[kind];
  if (int) return intBytes(c, int.size, int.le);
  switch (kind) {
    case 'ipv4': return address(c, parseIPv4);
    case 'ipv6': return address(c, parseIPv6);
    case 'mac': return address(c, parseMac);
    case 'prefix': return prefix(c);
    case 'hex': {
      const b = parseHex(c.string());
      if (!b) c.fail(`bad hex ${JSON.stringify(c.value)}: expected pairs of hex digits`);
      return b!;
    }
    case 'zeros': return new Uint8Array(c.int(0, 1 << 16));
    default: return new TextEncoder().encode(c.string()); // text
  }
}

/** A key or value: hex text, one described part, or a list of parts. */
export function parseBytes(at: Cursor): Uint8Array {
  if (!Array.isArray(at.value)) return part(at);
  const parts = at.list().map(part);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
