// What an object file declares, before anything is created: the ObjectSpec.
// Plain data (no handles, no file descriptors), deterministic for given bytes.
//
// Pending references. The spec is not relocated. An lddw that names a map or
// global data carries `reference` (the map's name in `maps`) and a src kind:
//   src = PseudoLd.MAP_FD      imm = 0, imm2 = 0            the map itself
//   src = PseudoLd.MAP_VALUE   imm = 0, imm2 = byte offset  a pointer into the value
//                                                           of a global-data map
// Relocation (a later step, given map handles) fills imm with the map's fd or
// index and keeps src/imm2. Calls to subprograms (src = PseudoCall.LOCAL) and
// function addresses (lddw src = PseudoLd.FUNC) are already linked: their imm is the
// pc-relative offset in the final instruction array.
import type { Instruction } from '../isa/instruction.ts';
import type { Btf } from '../btf/types.ts';
import { SluiceError } from '../errors.ts';
import type { MapType, Pinning } from './map-types.ts';
import type { ProgramType } from './prog-types.ts';

/** The object is a well-formed ELF file but declares something sluice cannot load. */
export class ObjectError extends SluiceError {}

export interface SourceLine {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The source line's text as clang stored it in .BTF ('' when absent). */
  readonly text: string;
}

export interface FuncInfoSpec {
  /** Index into `instructions` of the function's first instruction. */
  readonly index: number;
  /** Its pc (8-byte slot). */
  readonly pc: number;
  readonly name: string;
  /** The BTF FUNC type id (in `ObjectSpec.btf`), 0 without BTF. */
  readonly typeId: number;
}

export interface ProgramSpec {
  /** The function symbol's name. */
  readonly name: string;
  /** The ELF section it came from ("xdp", "xdp/devmap", ...). */
  readonly section: string;
  /** Byte offset of the program in its section. */
  readonly sectionOffset: number;
  readonly type: ProgramType;
  /** false for SEC("?…") programs, which libbpf loads only when asked; absent otherwise. */
  readonly autoload?: false;
  /** The linked program: the entry function, then each called subprogram once. */
  readonly instructions: readonly Instruction[];
  /** instructions[i] came from section `origins[i].section` at byte `origins[i].offset`. */
  readonly origins: readonly { readonly section: string; readonly offset: number }[];
  /** Source position of each instruction (undefined without BTF line info). */
  readonly lines: readonly (SourceLine | undefined)[];
  /** One entry per function in the linked program, in order. */
  readonly funcInfo: readonly FuncInfoSpec[];
}

/** One `.values = { [i] = &x }` slot of a prog_array or map-in-map. */
export interface MapSlot {
  readonly index: number;
  /** A program name (prog_array) or a map name (array/hash of maps). */
  readonly name: string;
}

export interface MapSpec {
  /** The variable's name; for global data the section name (".rodata", ".bss", ...). */
  readonly name: string;
  /** The section that defined it: ".maps", "maps" (legacy), or a global-data section. */
  readonly section: string;
  /** enum bpf_map_type value. */
  readonly type: MapType | number;
  /** "BPF_MAP_TYPE_ARRAY". */
  readonly typeName: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly pinning: Pinning | number;
  readonly numaNode: number;
  /** map_extra (bloom filter hash count and the like). */
  readonly mapExtra: number;
  /** BTF type ids of key and value when given as types (0 otherwise). */
  readonly keyTypeId: number;
  readonly valueTypeId: number;
  /** The inner map's definition for array/hash of maps. */
  readonly inner?: MapSpec;
  /** Initial contents of a global-data map's single value. */
  readonly data?: Uint8Array;
  /** `.values` initialisation of prog_array and map-in-map slots. */
  readonly slots?: readonly MapSlot[];
  /** Read-only to the program and frozen after initialisation (.rodata). */
  readonly frozen: boolean;
  /** True for maps made from .data/.rodata/.bss sections. */
  readonly globalData: boolean;
}

export interface ObjectSpec {
  /** The name the object was loaded under (a file name), '' when not given. */
  readonly name: string;
  /** XDP and non-XDP programs alike; `type.supported` says whether sluice runs it. */
  readonly programs: readonly ProgramSpec[];
  readonly maps: readonly MapSpec[];
  /** The `license` section's string ('' when absent). */
  readonly license: string;
  /** The `version` section's value, when present (old kprobe objects). */
  readonly kernelVersion?: number;
  /** The parsed .BTF, or undefined for objects built without -g. */
  readonly btf?: Btf;
  /** Sections present but not needed (DWARF, .eh_frame, ...), for inspect. */
  readonly ignoredSections: readonly string[];
}
