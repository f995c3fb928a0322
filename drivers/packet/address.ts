// MAC, IPv4 and IPv6 addresses between their usual text forms and bytes.
// Parsing is strict (bad text is an AddressError that quotes it) because a
// typo in a test description should fail loudly, not build a different packet.
import { AddressError } from './errors.ts';

/** An address as text, or already as bytes. */
export type AddressInput = string | Uint8Array | readonly number[];

function asBytes(input: Uint8Array | readonly number[], size: number, kind: string): Uint8Array {
  if (input.length !== size || !Array.from(input).every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
    throw new AddressError(`bad ${kind} address [${Array.from(input).join(', ')}]: expected ${size} bytes`);
  }
  return Uint8Array.from(input);
}

/** "aa:bb:cc:dd:ee:ff" (or with '-') → 6 bytes. */
export function parseMac(input: AddressInput): Uint8Array {
  if (typeof input !== 'string') return asBytes(input, 6, 'MAC');
  const parts = input.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new AddressError(`bad MAC address "${input}": expected six hex bytes separated by ':' (e.g. 02:00:00:00:00:01)`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(bytes: Uint8Array, at = 0): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push((bytes[at + i] ?? 0).toString(16).padStart(2, '0'));
  return out.join(':');
}

/** "10.0.0.1" → 4 bytes. Leading zeros are refused: some tools read them as octal. */
export function parseIPv4(input: AddressInput): Uint8Array {
  if (typeof input !== 'string') return asBytes(input, 4, 'IPv4');
  const parts = input.split('.');
  const ok = parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
  if (!ok) throw new AddressError(`bad IPv4 address "${input}": expected four decimal numbers 0-255 separated by '.' (e.g. 10.0.0.1)`);
  return Uint8Array.from(parts.map(Number));
}

export function formatIPv4(bytes: Uint8Array, at = 0): string {
  return `${bytes[at] ?? 0}.${bytes[at + 1] ?? 0}.${bytes[at + 2] ?? 0}.${bytes[at + 3] ?? 0}`;
}

/** RFC 4291 text ("fd00::1", "::ffff:10.0.0.1") → 16 bytes. */
export function parseIPv6(input: AddressInput): Uint8Array {
  if (typeof input !== 'string') return asBytes(input, 16, 'IPv6');
  const bad = (why: string): AddressError =>
    new AddressError(`bad IPv6 address "${input}": ${why} (e.g. fd00::1 or 2001:db8:0:0:0:0:0:1)`);
  let text = input;
  const words: number[] = [];
  // An embedded IPv4 address takes the last two words.
  const lastColon = text.lastIndexOf(':');
  let tail: number[] = [];
  if (text.includes('.')) {
    let v4: Uint8Array;
    try { v4 = parseIPv4(text.slice(lastColon + 1)); } catch { throw bad('bad embedded IPv4 address'); }
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    // Keep the groups before it: "::ffff:" → "::ffff", "::" stays "::".
    const prefix = text.slice(0, lastColon + 1);
    text = prefix.endsWith('::') ? prefix : prefix.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) throw bad("'::' may appear only once");
  const group = (s: string): number[] => {
    if (s === '') return [];
    return s.split(':').map((g) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad(`bad group "${g}"`);
      return parseInt(g, 16);
    });
  };
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const given = head.length + rest.length + tail.length;
  if (halves.length === 2) {
    if (given > 7) throw bad("too many groups for '::'");
    words.push(...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail);
  } else {
    if (given !== 8) throw bad(`expected 8 groups, found ${given}`);
    words.push(...head, ...tail);
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => { out[2 * i] = w >> 8; out[2 * i + 1] = w & 0xff; });
  return out;
}

/** RFC 5952 canonical text: lower case, the longest run of two or more zero words as '::'. */
export function formatIPv6(bytes: Uint8Array, at = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(((bytes[at + 2 * i] ?? 0) << 8) | (bytes[at + 2 * i + 1] ?? 0));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}
