// Seeded mutations of object files for the loader fuzzer: bit flips, byte stores,
// truncation, and "interesting" values written over the fields that steer parsing
// (ELF header, section headers, symbols, relocations, BTF and BTF.ext headers and
// type records, map definitions). Same seed, same mutants.
import { SluiceError } from '../../errors.ts';
import { parseElf, SectionType } from '../../elf/reader.ts';
import { loadObjectSpec } from '../load.ts';
import { prng } from './objects.ts';

/** Byte ranges worth aiming at, from the unmutated file. */
function hotRegions(bytes: Uint8Array): Array<[number, number]> {
  const regions: Array<[number, number]> = [[0, 64]];
  const elf = parseElf(bytes);
  const shoff = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(40, true));
  regions.push([shoff, elf.sections.length * 64]);
  for (const s of elf.sections) {
    if (s.type === SectionType.NOBITS || s.size === 0) continue;
    const interesting = s.type === SectionType.SYMTAB || s.type === SectionType.REL || (s.flags & 4) !== 0 ||
      s.name === '.BTF' || s.name === '.BTF.ext' || s.name === '.maps' || s.name === 'maps' || s.name.startsWith('.rodata');
    if (interesting) regions.push([s.offset, Math.min(s.size, s.name === '.BTF' ? 4096 : s.size)]);
  }
  return regions;
}

const INTERESTING = [0, 1, 2, 3, 4, 7, 8, 9, 10, 0x10, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
  0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

export interface Mutant { readonly bytes: Uint8Array; readonly how: string }

export function mutants(original: Uint8Array, seed: number, count: number): Mutant[] {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const regions = hotRegions(original);
  const out: Mutant[] = [];
  for (let k = 0; k < count; k++) {
    const b = Uint8Array.from(original);
    const v = new DataView(b.buffer);
    const edits: string[] = [];
    const n = 1 + int(3);
    let bytes = b;
    for (let e = 0; e < n; e++) {
      const [start, len] = regions[int(regions.length)]!;
      const at = Math.min(b.length - 1, start + int(Math.max(1, len)));
      switch (int(6)) {
        case 0: b[at] = b[at]! ^ (1 << int(8)); edits.push(`flip bit @${at}`); break;
        case 1: b[at] = int(256); edits.push(`byte @${at}`); break;
        case 2: if (at + 4 <= b.length) { const x = INTERESTING[int(INTERESTING.length)]!; v.setUint32(at & ~3, x, true); edits.push(`u32 ${x} @${at & ~3}`); } break;
        case 3: if (at + 2 <= b.length) { const x = INTERESTING[int(INTERESTING.length)]! & 0xffff; v.setUint16(at & ~1, x, true); edits.push(`u16 ${x} @${at & ~1}`); } break;
        case 4: if ((at & ~7) + 8 <= b.length) { const x = BigInt(original.length + int(64) - 32); v.setBigUint64(at & ~7, x, true); edits.push(`u64 ${x} @${at & ~7}`); } break;
        default: { const cut = int(original.length); bytes = b.subarray(0, cut); edits.push(`truncate to ${cut}`); }
      }
    }
    out.push({ bytes, how: edits.join(', ') });
  }
  return out;
}

export interface FuzzStats { loaded: number; rejected: number; slowestMs: number; failures: string[] }

/** Loads every mutant: each must give a spec or throw a SluiceError, within `limitMs` (a hang, not a slow load: the machine is shared). */
export function fuzz(original: Uint8Array, seed: number, count: number, limitMs = 5000): FuzzStats {
  const stats: FuzzStats = { loaded: 0, rejected: 0, slowestMs: 0, failures: [] };
  for (const m of mutants(original, seed, count)) {
    const t0 = performance.now();
    try {
      loadObjectSpec(m.bytes);
      stats.loaded++;
    } catch (err) {
      if (err instanceof SluiceError && !/internal error/.test(err.message)) stats.rejected++;
      else stats.failures.push(`seed ${seed} (${m.how}): ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)}`);
    }
    const ms = performance.now() - t0;
    stats.slowestMs = Math.max(stats.slowestMs, ms);
    if (ms > limitMs) stats.failures.push(`seed ${seed} (${m.how}): took ${ms.toFixed(0)} ms`);
  }
  return stats;
}
