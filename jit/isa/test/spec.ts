// Test support: facts from RFC 9669 written out independently of the code under test,
// a seeded random generator, and the golden file reader.
import { readFileSync } from 'node:fs';

/**
 * Every valid opcode byte, from RFC 9669's tables (126 of them). Listed by hand rather than
 * derived from opcode.ts, so a wrong constant there shows up as a difference here.
 */
export const VALID_OPCODES: ReadonlySet<number> = (() => {
  const set = new Set<number>();
  // ALU (0x04) and ALU64 (0x07): add sub mul div or and lsh rsh (0x00-0x70), mod xor mov arsh
  // (0x90-0xc0) with K (bit 3 clear) or X (bit 3 set); neg (0x80) with K only; end (0xd0).
  for (const cls of [0x04, 0x07]) {
    for (const op of [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0]) {
      set.add(cls | op).add(cls | 0x08 | op);
    }
    set.add(cls | 0x80);
  }
  set.add(0xd4).add(0xdc).add(0xd7); // le, be, bswap
  // JMP (0x05) and JMP32 (0x06): eleven conditions, K and X.
  for (const cls of [0x05, 0x06]) {
    for (const op of [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]) {
      set.add(cls | op).add(cls | 0x08 | op);
    }
  }
  set.add(0x05).add(0x06); // goto, gotol
  set.add(0x85).add(0x8d).add(0x95); // call, callx, exit
  set.add(0x18); // lddw
  for (const op of [0x20, 0x28, 0x30, 0x40, 0x48, 0x50]) set.add(op); // ld abs/ind w, h, b
  for (const op of [0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91]) set.add(op); // ldx mem, memsx
  for (const op of [0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b]) set.add(op); // st, stx
  set.add(0xc3).add(0xdb); // atomic w, dw
  return set;
})();

/** mulberry32: a small seeded generator, so failures reproduce. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const hexBytes = (hex: string): Uint8Array =>
  Uint8Array.from(hex.trim().split(/\s+/), (h) => parseInt(h, 16));

export const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

export interface GoldenLine { line: number; hex: string; text: string }

/** The golden file: `<hex bytes>\t<text>` lines, `#` comments. */
export function readGolden(name: string): GoldenLine[] {
  const path = new URL(`./golden/${name}`, import.meta.url);
  return readFileSync(path, 'utf8').split('\n').flatMap((l, i) => {
    if (l.trim() === '' || l.startsWith('#')) return [];
    const [hex = '', text = ''] = l.split('\t');
    return [{ line: i + 1, hex, text }];
  });
}
