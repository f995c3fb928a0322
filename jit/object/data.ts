// Global data: each `.data*`, `.rodata*` and `.bss*` section becomes a one-element
// array map whose value is the section (libbpf's internal maps). `.rodata` is
// read-only to the program (BPF_F_RDONLY_PROG) and frozen once initialised, so
// the verifier may treat its contents as constants.
import { type Section, SectionType, SHF_ALLOC, SHF_EXECINSTR } from '../elf/reader.ts';
import { BPF_F_RDONLY_PROG, MapType, Pinning } from './map-types.ts';
import { type MapSpec, ObjectError } from './spec.ts';
import type { PlacedMap } from './maps.ts';

export type DataKind = 'data' | 'rodata' | 'bss';

/** Which kind of global data a section holds, if any. */
export function dataKindOf(sec: Section): DataKind | undefined {
  if ((sec.flags & SHF_EXECINSTR) !== 0 || (sec.flags & SHF_ALLOC) === 0) return undefined;
  const n = sec.name;
  if (sec.type === SectionType.NOBITS && (n === '.bss' || n.startsWith('.bss.'))) return 'bss';
  if (sec.type !== SectionType.PROGBITS) return undefined;
  if (n === '.data' || n.startsWith('.data.')) return 'data';
  if (n === '.rodata' || n.startsWith('.rodata.')) return 'rodata';
  return undefined;
}

/**
 * The largest array value the kernel accepts (KMALLOC_MAX_SIZE on x86-64, 4 MiB);
 * a bigger .bss would fail to load in the kernel too.
 */
export const MAX_VALUE_SIZE = 4 << 20;

/** The map for one global-data section; undefined for an empty section (libbpf makes none). */
export function dataMap(sec: Section, kind: DataKind): PlacedMap | undefined {
  if (sec.size === 0) return undefined;
  if (sec.size > MAX_VALUE_SIZE) {
    throw new ObjectError(`section '${sec.name}': ${sec.size} bytes of global data exceed the ${MAX_VALUE_SIZE}-byte limit of an array map value`);
  }
  const data = kind === 'bss' ? new Uint8Array(sec.size) : sec.data.bytes.slice();
  const spec: MapSpec = {
    name: sec.name, section: sec.name, type: MapType.ARRAY, typeName: 'BPF_MAP_TYPE_ARRAY',
    keySize: 4, valueSize: sec.size, maxEntries: 1,
    flags: kind === 'rodata' ? BPF_F_RDONLY_PROG : 0,
    pinning: Pinning.NONE, numaNode: 0, mapExtra: 0, keyTypeId: 0, valueTypeId: 0,
    data, frozen: kind === 'rodata', globalData: true,
  };
  return { spec, shndx: sec.index, offset: 0 };
}
