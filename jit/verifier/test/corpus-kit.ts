// The assembly corpus's machinery: small programs, each with what the verifier must say about
// it. Expectations come from the kernel's rules (and are checked against the kernel
// itself in kernel.test.ts), never from sluice's output.
//
// `map_fd(N)` / `map_value(N, off)` name the case's N-th map. A case with `error`
// must be refused with a message containing it; `strict` cases are refused only in
// strict mode (the root kernel and sluice's default mode accept them).
import { assemble } from '../../isa/asm.ts';
import { LDDW, PseudoLd } from '../../isa/opcode.ts';
import type { Instruction } from '../../isa/instruction.ts';
import type { MapSpec, ProgramSpec } from '../../object/spec.ts';
import { MapType, mapTypeName, BPF_F_RDONLY_PROG } from '../../object/map-types.ts';
import { programTypeOf } from '../../object/prog-types.ts';

export interface MapDef { type: MapType; keySize: number; valueSize: number; maxEntries: number; flags?: number }

export const MAPS = {
  array: { type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
  array1: { type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1 },
  hash: { type: MapType.HASH, keySize: 8, valueSize: 16, maxEntries: 64 },
  ringbuf: { type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 },
  progs: { type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 },
  devmap: { type: MapType.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 4 },
  rodata: { type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1, flags: BPF_F_RDONLY_PROG },
} satisfies Record<string, MapDef>;

export type MapName = keyof typeof MAPS;

export interface Case {
  name: string;
  asm: string;
  maps?: MapName[];
  /** Fragment of sluice's error; absent for safe programs. */
  error?: string;
  /** The error is a strict-mode (unprivileged) one; default mode accepts. */
  strict?: boolean;
  /** Processed-instruction limit for sluice (the kernel's is 1M either way). */
  insnLimit?: number;
  /** Why sluice and the root kernel differ on this case (none ideally). */
  kernelDiffers?: string;
}

export function mapSpec(name: string, d: MapDef): MapSpec {
  return {
    name, section: '.maps', type: d.type, typeName: mapTypeName(d.type) ?? '?', keySize: d.keySize, valueSize: d.valueSize,
    maxEntries: d.maxEntries, flags: d.flags ?? 0, pinning: 0, numaNode: 0, mapExtra: 0, keyTypeId: 0, valueTypeId: 0,
    frozen: false, globalData: false,
  };
}

/** The case as a ProgramSpec (map references by name) and its maps. */
export function caseProgram(c: Case): { program: ProgramSpec; maps: MapSpec[]; insns: Instruction[] } {
  const maps = (c.maps ?? []).map((m, i) => mapSpec(`${m}${i}`, MAPS[m]));
  const insns = assemble(c.asm).map((i) =>
    i.opcode === LDDW && (i.src === PseudoLd.MAP_FD || i.src === PseudoLd.MAP_VALUE) ? { ...i, reference: maps[i.imm]?.name ?? `missing${i.imm}` } : i);
  const program: ProgramSpec = {
    name: c.name, section: 'xdp', sectionOffset: 0, type: programTypeOf('xdp')!, instructions: insns,
    origins: insns.map(() => ({ section: 'xdp', offset: 0 })), lines: insns.map(() => undefined), funcInfo: [],
  };
  return { program, maps, insns };
}

// data in r2, data_end in r3
export const PKT = `
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)`;
export const PASS = `
out:
  r0 = 2
  exit`;

