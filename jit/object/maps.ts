// Map definitions: BTF-defined maps in `.maps` (libbpf's __uint/__type/__array
// conventions: an int attribute is a pointer to an array whose length is the
// value; a type attribute is a pointer to the type), and legacy `maps` records
// (struct bpf_map_def, any size libbpf accepts).
import { type ElfFile, type Relocation, RelocationType, type Section, SymbolType } from '../elf/reader.ts';
import { type Btf, BtfError, type BtfType, Kind } from '../btf/types.ts';
import { MapType, mapTypeName, Pinning } from './map-types.ts';
import { type MapSlot, type MapSpec, ObjectError } from './spec.ts';

/** A map definition together with where it sits, so lddw relocations can find it. */
export interface PlacedMap {
  readonly spec: MapSpec;
  readonly shndx: number;
  readonly offset: number;
}

const base = (name: string, section: string): Omit<MapSpec, 'type' | 'typeName'> => ({
  name, section, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, pinning: Pinning.NONE, numaNode: 0,
  mapExtra: 0, keyTypeId: 0, valueTypeId: 0, frozen: false, globalData: false,
});

function typed(name: string, type: number): { type: number; typeName: string } {
  const typeName = mapTypeName(type);
  if (typeName === undefined || type === MapType.UNSPEC) throw new ObjectError(`map '${name}': unknown map type ${type}`);
  return { type, typeName };
}

/** The map symbols of a section: named, not the section symbol, sorted by offset. */
function mapSymbols(elf: ElfFile, sec: Section) {
  return elf.symbols
    .filter((s) => s.shndx === sec.index && s.type !== SymbolType.SECTION && s.type !== SymbolType.FILE && s.name !== '')
    .sort((a, b) => a.value - b.value || (a.name < b.name ? -1 : 1));
}

/** Legacy `maps` section: records of equal size, one per symbol (libbpf: size / symbol count). */
export function legacyMaps(elf: ElfFile, sec: Section): PlacedMap[] {
  const syms = mapSymbols(elf, sec);
  if (syms.length === 0) return [];
  if (sec.size === 0 || sec.size % syms.length !== 0) {
    throw new ObjectError(`section '${sec.name}': ${sec.size} bytes do not divide into ${syms.length} map definitions`);
  }
  const recSize = sec.size / syms.length;
  if (recSize < 4) throw new ObjectError(`section '${sec.name}': map definitions of ${recSize} bytes are too small`);
  return syms.map((sym) => {
    if (sym.value + recSize > sec.size) {
      throw new ObjectError(`map '${sym.name}': definition at offset ${sym.value} runs past section '${sec.name}' (${sec.size} bytes)`);
    }
    const rec = sec.data.slice(sym.value, recSize, `map '${sym.name}' in '${sec.name}'`);
    // struct bpf_map_def: type, key_size, value_size, max_entries, map_flags (u32 each);
    // a shorter record leaves the rest zero, a longer one must be zero past those.
    const field = (i: number) => (i * 4 + 4 <= recSize ? rec.u32(i * 4) : 0);
    for (let at = 20; at < recSize; at++) {
      if (rec.u8(at) !== 0) {
        throw new ObjectError(`map '${sym.name}': legacy definition has non-zero byte at offset ${at} past struct bpf_map_def (section '${sec.name}', offset ${sym.value + at})`);
      }
    }
    const spec: MapSpec = {
      ...base(sym.name, sec.name), ...typed(sym.name, field(0)),
      keySize: field(1), valueSize: field(2), maxEntries: field(3), flags: field(4),
    };
    return { spec, shndx: sec.index, offset: sym.value };
  });
}

/** BTF-defined maps in `.maps`, with `.values` slots from the section's relocations. */
export function btfMaps(elf: ElfFile, sec: Section, btf: Btf | undefined): PlacedMap[] {
  const syms = mapSymbols(elf, sec);
  if (syms.length === 0) return [];
  if (!btf) throw new ObjectError(`section '${sec.name}': BTF-defined maps need .BTF (build with -g)`);
  const datasec = btf.find(Kind.DATASEC, sec.name)[0];
  if (!datasec) throw new ObjectError(`section '${sec.name}': no BTF DATASEC describes it`);
  const vars = new Map<string, BtfType>();
  for (const v of datasec.vars ?? []) {
    const t = btf.type(v.type, 'DATASEC variable');
    if (t.kind === Kind.VAR) vars.set(t.name, t);
  }
  const relocs = elf.relocations.get(sec.index) ?? [];
  return syms.map((sym, i) => {
    const end = syms[i + 1]?.value ?? sec.size;
    const v = vars.get(sym.name);
    if (!v) throw new ObjectError(`map '${sym.name}': no BTF variable in DATASEC '${sec.name}'`);
    const def = parseDefinition(btf, sym.name, v.type ?? 0, sec.name, true);
    const slots = def.valuesOffset === undefined ? undefined
      : valueSlots(sym.name, sym.value + def.valuesOffset, def.spec,
        relocs.filter((r) => r.offset >= sym.value + def.valuesOffset! && r.offset < Math.max(end, sym.value + def.structSize)), sec);
    const spec: MapSpec = slots && slots.length > 0 ? { ...def.spec, slots } : def.spec;
    return { spec, shndx: sec.index, offset: sym.value };
  });
}

interface Definition { spec: MapSpec; valuesOffset?: number; structSize: number }

function parseDefinition(btf: Btf, name: string, typeId: number, section: string, outer: boolean): Definition {
  const def = btf.resolve(typeId);
  if (def.kind !== Kind.STRUCT) throw new ObjectError(`map '${name}': definition is ${btf.describe(typeId)}, not a struct`);
  let spec: Record<string, unknown> = { ...base(name, section) };
  let type: number | undefined;
  let valuesOffset: number | undefined;
  for (const m of def.members ?? []) {
    const where = `map '${name}': field '${m.name}'`;
    switch (m.name) {
      case 'type': type = intAttr(btf, m.type, where); break;
      case 'max_entries': spec.maxEntries = intAttr(btf, m.type, where); break;
      case 'map_flags': spec.flags = intAttr(btf, m.type, where); break;
      case 'numa_node': spec.numaNode = intAttr(btf, m.type, where); break;
      case 'map_extra': spec.mapExtra = intAttr(btf, m.type, where); break;
      case 'pinning': {
        const p = intAttr(btf, m.type, where);
        if (p !== Pinning.NONE && p !== Pinning.BY_NAME) throw new ObjectError(`${where}: unknown pinning ${p}`);
        spec.pinning = p;
        break;
      }
      case 'key_size': case 'value_size': {
        const size = intAttr(btf, m.type, where);
        const key = m.name === 'key_size' ? 'keySize' : 'valueSize';
        if (spec[key] && spec[key] !== size) throw new ObjectError(`${where}: ${size} disagrees with the ${m.name === 'key_size' ? 'key' : 'value'} type's size ${String(spec[key])}`);
        spec[key] = size;
        break;
      }
      case 'key': case 'value': {
        const ptr = btf.resolve(m.type);
        if (ptr.kind !== Kind.PTR) throw new ObjectError(`${where}: expected a pointer (__type), got ${btf.describe(m.type)}`);
        const size = sized(btf, ptr.type ?? 0, where);
        const key = m.name === 'key' ? 'keySize' : 'valueSize';
        if (spec[key] && spec[key] !== size) throw new ObjectError(`${where}: type size ${size} disagrees with ${m.name}_size ${String(spec[key])}`);
        spec[key] = size;
        spec[m.name === 'key' ? 'keyTypeId' : 'valueTypeId'] = ptr.type ?? 0;
        break;
      }
      case 'values': {
        if (!outer) throw new ObjectError(`${where}: an inner map cannot have values of its own`);
        if (m.bitOffset % 8 !== 0) throw new ObjectError(`${where}: not byte-aligned`);
        valuesOffset = m.bitOffset / 8;
        const arr = btf.resolve(m.type);
        if (arr.kind !== Kind.ARRAY) throw new ObjectError(`${where}: expected an array (__array), got ${btf.describe(m.type)}`);
        const elem = btf.resolve(arr.array!.type);
        if (elem.kind !== Kind.PTR) throw new ObjectError(`${where}: array elements must be pointers`);
        const target = btf.resolve(elem.type ?? 0);
        if (target.kind === Kind.STRUCT) {
          spec.inner = parseDefinition(btf, `${name}.inner`, elem.type ?? 0, section, false).spec;
        } else if (target.kind !== Kind.FUNC_PROTO) {
          throw new ObjectError(`${where}: elements must point to a map definition or a program, got ${btf.describe(elem.type ?? 0)}`);
        }
        break;
      }
      default:
        throw new ObjectError(`${where}: unknown map attribute`);
    }
  }
  if (type === undefined) throw new ObjectError(`map '${name}': definition has no 'type' field`);
  const full = { ...spec, ...typed(name, type) } as unknown as MapSpec;
  const mapInMap = type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS;
  // A slot of a map-in-map or prog_array holds a map or program id: 4 bytes.
  if ((mapInMap || valuesOffset !== undefined) && full.valueSize === 0) (full as { valueSize: number }).valueSize = 4;
  if (spec.inner && !mapInMap) throw new ObjectError(`map '${name}': only array/hash of maps take inner map definitions`);
  return { spec: full, valuesOffset, structSize: def.size ?? 0 };
}

/** An __uint(name, N): a pointer to an array of N ints. */
function intAttr(btf: Btf, typeId: number, where: string): number {
  const ptr = btf.resolve(typeId);
  if (ptr.kind !== Kind.PTR) throw new ObjectError(`${where}: expected __uint (a pointer to an array), got ${btf.describe(typeId)}`);
  const arr = btf.resolve(ptr.type ?? 0);
  if (arr.kind !== Kind.ARRAY) throw new ObjectError(`${where}: expected __uint (a pointer to an array), got ${btf.describe(typeId)}`);
  return arr.array!.nelems;
}

function sized(btf: Btf, typeId: number, where: string): number {
  try {
    return btf.sizeof(typeId);
  } catch (err) {
    if (err instanceof BtfError) throw new ObjectError(`${where}: ${err.message}`, { cause: err });
    throw err;
  }
}

function valueSlots(name: string, start: number, spec: MapSpec, relocs: readonly Relocation[], sec: Section): MapSlot[] {
  const slots: MapSlot[] = [];
  for (const r of [...relocs].sort((a, b) => a.offset - b.offset)) {
    if (r.type !== RelocationType.R_BPF_64_ABS64) {
      throw new ObjectError(`map '${name}': relocation type ${r.type} at offset ${r.offset} of section '${sec.name}' in .values (expected R_BPF_64_ABS64)`);
    }
    const rel = r.offset - start;
    if (rel % 8 !== 0) throw new ObjectError(`map '${name}': .values relocation at offset ${r.offset} of section '${sec.name}' is not slot-aligned`);
    const index = rel / 8;
    if (index >= spec.maxEntries) throw new ObjectError(`map '${name}': .values[${index}] is past max_entries ${spec.maxEntries}`);
    const isProgArray = spec.type === MapType.PROG_ARRAY;
    if (!isProgArray && spec.inner === undefined) throw new ObjectError(`map '${name}': ${spec.typeName} cannot have .values`);
    if (isProgArray ? r.symbol.type !== SymbolType.FUNC : r.symbol.shndx !== sec.index) {
      throw new ObjectError(`map '${name}': .values[${index}] refers to '${r.symbol.name}', which is not a ${isProgArray ? 'program' : `map in '${sec.name}'`}`);
    }
    slots.push({ index, name: r.symbol.name });
  }
  return slots;
}
