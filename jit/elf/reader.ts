// ELF64 little-endian relocatable objects for the BPF machine: the header, the
// section header table, string tables, the symbol table and REL sections.
// Field offsets are those of <elf.h> (Elf64_Ehdr, Elf64_Shdr, Elf64_Sym, Elf64_Rel).
// Nothing here knows about BPF programs or maps; jit/object gives sections meaning.
import { Bytes, ElfError } from './bytes.ts';

export { ElfError } from './bytes.ts';

export const EM_BPF = 247;
export const ET_REL = 1;

export enum SectionType {
  NULL = 0, PROGBITS = 1, SYMTAB = 2, STRTAB = 3, RELA = 4, NOBITS = 8, REL = 9,
}
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

export enum SymbolType { NOTYPE = 0, OBJECT = 1, FUNC = 2, SECTION = 3, FILE = 4 }
export enum SymbolBind { LOCAL = 0, GLOBAL = 1, WEAK = 2 }
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;

/** BPF relocation types (llvm's BPF ELF ABI). */
export enum RelocationType {
  NONE = 0,
  /** lddw: the 64-bit immediate refers to the symbol (map or global data). */
  R_BPF_64_64 = 1,
  /** 64-bit data word holding the symbol's address (.maps `.values`, DWARF). */
  R_BPF_64_ABS64 = 2,
  /** 32-bit data word holding the symbol's address (.BTF, DWARF). */
  R_BPF_64_ABS32 = 3,
  /** 32-bit data word not resolved by the dynamic linker (.BTF.ext). */
  R_BPF_64_NODYLD32 = 4,
  /** call (or lddw of a function): pc-relative instruction offset. */
  R_BPF_64_32 = 10,
}

const KNOWN_RELOCATIONS: ReadonlySet<number> = new Set(
  Object.values(RelocationType).filter((v): v is number => typeof v === 'number'));

export interface Section {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly entsize: number;
  /** The contents; empty (zero-length) for NOBITS sections such as .bss. */
  readonly data: Bytes;
}

export interface ElfSymbol {
  readonly index: number;
  readonly name: string;
  readonly type: SymbolType | number;
  readonly bind: SymbolBind | number;
  readonly visibility: number;
  /** Section index, or SHN_UNDEF for externs, SHN_ABS, SHN_COMMON. */
  readonly shndx: number;
  readonly value: number;
  readonly size: number;
}

export interface Relocation {
  /** Byte offset inside the section the relocation applies to. */
  readonly offset: number;
  readonly type: number;
  readonly symbol: ElfSymbol;
}

export interface ElfFile {
  readonly sections: readonly Section[];
  readonly symbols: readonly ElfSymbol[];
  /** REL entries by the index of the section they apply to. */
  readonly relocations: ReadonlyMap<number, readonly Relocation[]>;
  sectionByName(name: string): Section | undefined;
}

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;

/** Parses the container; every table entry is bounds-checked against the file. */
export function parseElf(input: Uint8Array): ElfFile {
  const file = new Bytes(input, 'ELF file');
  if (input.length < 16 || input[0] !== 0x7f || input[1] !== 0x45 || input[2] !== 0x4c || input[3] !== 0x46) {
    throw new ElfError(`not an ELF file: bad magic at offset 0 (${input.length} bytes)`);
  }
  if (input[4] !== 2) throw new ElfError(`ELF header: class ${input[4]} at offset 4 is not ELFCLASS64`);
  if (input[5] === 2) throw new ElfError('ELF header: big-endian object (ELFDATA2MSB at offset 5); build with -target bpf or bpfel');
  if (input[5] !== 1) throw new ElfError(`ELF header: data encoding ${input[5]} at offset 5 is not little-endian`);
  const header = file.slice(0, EHDR_SIZE, 'ELF header');
  const type = header.u16(16, 'e_type');
  const machine = header.u16(18, 'e_machine');
  if (machine !== EM_BPF) throw new ElfError(`ELF header: e_machine ${machine} at offset 18 is not EM_BPF (${EM_BPF})`);
  if (type !== ET_REL) throw new ElfError(`ELF header: e_type ${type} at offset 16 is not ET_REL (a relocatable object)`);
  const shoff = header.u64(40, 'e_shoff');
  const shentsize = header.u16(58, 'e_shentsize');
  const shnum = header.u16(60, 'e_shnum');
  const shstrndx = header.u16(62, 'e_shstrndx');
  if (shnum === 0) throw new ElfError('ELF header: e_shnum is 0 (no sections, or extended numbering, which BPF objects never need)');
  if (shentsize !== SHDR_SIZE) throw new ElfError(`ELF header: e_shentsize ${shentsize} at offset 58 is not ${SHDR_SIZE}`);
  if (shstrndx >= shnum) throw new ElfError(`ELF header: e_shstrndx ${shstrndx} at offset 62 is not a section (${shnum} sections)`);
  const table = file.slice(shoff, shnum * SHDR_SIZE, 'section header table');

  const raw = Array.from({ length: shnum }, (_, i) => readHeader(file, table, i));
  const names = raw[shstrndx]!;
  if (names.type !== SectionType.STRTAB) throw new ElfError(`section ${shstrndx} (e_shstrndx) is not a string table`);
  const sections: Section[] = raw.map(({ nameOffset, ...s }) => {
    const name = s.index === 0 ? '' : names.data.cstring(nameOffset, `name of section ${s.index}`);
    return { ...s, name, data: new Bytes(s.data.bytes, `section '${name}'`, s.offset) };
  });

  const symtab = sections.find((s) => s.type === SectionType.SYMTAB);
  const symbols = symtab ? readSymbols(symtab, sections) : [];
  const relocations = new Map<number, Relocation[]>();
  for (const s of sections) {
    if (s.type === SectionType.RELA) throw new ElfError(`section '${s.name}': RELA relocations are not used by BPF objects`);
    if (s.type !== SectionType.REL) continue;
    if (s.info === 0 || s.info >= sections.length) throw new ElfError(`section '${s.name}': sh_info ${s.info} is not a section`);
    if (symtab === undefined || s.link !== symtab.index) throw new ElfError(`section '${s.name}': sh_link ${s.link} is not the symbol table`);
    const list = relocations.get(s.info) ?? [];
    list.push(...readRelocations(s, symbols));
    relocations.set(s.info, list);
  }
  const byName = new Map<string, Section>();
  for (const s of sections) if (!byName.has(s.name)) byName.set(s.name, s);
  return { sections, symbols, relocations, sectionByName: (name) => byName.get(name) };
}

function readHeader(file: Bytes, table: Bytes, index: number) {
  const at = index * SHDR_SIZE;
  const where = `section header ${index}`;
  const type = table.u32(at + 4, `${where} sh_type`);
  const offset = table.u64(at + 24, `${where} sh_offset`);
  const size = table.u64(at + 32, `${where} sh_size`);
  const nobits = type === SectionType.NOBITS || type === SectionType.NULL;
  if (!nobits && (offset > file.length || size > file.length - offset)) {
    throw new ElfError(`${where}: contents at offset ${offset} (${size} bytes) run past the end of the file (${file.length} bytes)`);
  }
  return {
    index,
    nameOffset: table.u32(at, `${where} sh_name`),
    type,
    flags: table.u64(at + 8, `${where} sh_flags`),
    offset,
    size,
    link: table.u32(at + 40, `${where} sh_link`),
    info: table.u32(at + 44, `${where} sh_info`),
    entsize: table.u64(at + 56, `${where} sh_entsize`),
    data: nobits ? new Bytes(new Uint8Array(0), where) : file.slice(offset, size, where),
  };
}

function readSymbols(symtab: Section, sections: readonly Section[]): ElfSymbol[] {
  const strtab = sections[symtab.link];
  if (!strtab || strtab.type !== SectionType.STRTAB) {
    throw new ElfError(`section '${symtab.name}': sh_link ${symtab.link} is not a string table`);
  }
  if (symtab.size % SYM_SIZE !== 0) throw new ElfError(`section '${symtab.name}': size ${symtab.size} is not a multiple of ${SYM_SIZE}`);
  const d = symtab.data;
  const symbols: ElfSymbol[] = [];
  for (let i = 0; i < symtab.size / SYM_SIZE; i++) {
    const at = i * SYM_SIZE;
    const info = d.u8(at + 4, `symbol ${i} st_info`);
    const shndx = d.u16(at + 6, `symbol ${i} st_shndx`);
    if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= sections.length) {
      throw new ElfError(`section '${symtab.name}': symbol ${i} at offset ${at} is in section ${shndx}, which does not exist`);
    }
    symbols.push({
      index: i,
      name: strtab.data.cstring(d.u32(at, `symbol ${i} st_name`), `name of symbol ${i}`),
      type: info & 0xf,
      bind: info >> 4,
      visibility: d.u8(at + 5) & 0x3,
      shndx,
      value: d.u64(at + 8, `symbol ${i} st_value`),
      size: d.u64(at + 16, `symbol ${i} st_size`),
    });
  }
  return symbols;
}

function readRelocations(rel: Section, symbols: readonly ElfSymbol[]): Relocation[] {
  if (rel.size % REL_SIZE !== 0) throw new ElfError(`section '${rel.name}': size ${rel.size} is not a multiple of ${REL_SIZE}`);
  const out: Relocation[] = [];
  for (let at = 0; at < rel.size; at += REL_SIZE) {
    const offset = rel.data.u64(at, 'r_offset');
    const type = rel.data.u32(at + 8, 'r_info type');
    const sym = rel.data.u32(at + 12, 'r_info symbol');
    const symbol = symbols[sym];
    if (symbol === undefined) {
      throw new ElfError(`section '${rel.name}': relocation at offset ${at} refers to symbol ${sym}, which does not exist (${symbols.length} symbols)`);
    }
    if (!KNOWN_RELOCATIONS.has(type)) {
      throw new ElfError(`section '${rel.name}': relocation at offset ${at} (for offset ${offset} of section ${rel.info}) has unknown type ${type}`);
    }
    out.push({ offset, type, symbol });
  }
  return out;
}

/** The name of a section for messages, with its index. */
export const describe = (s: Section): string => `section ${s.index} '${s.name}'`;
