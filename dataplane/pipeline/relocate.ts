// Relocation: the object's pending map references become addresses. Pure: it
// takes the program and the created maps' addresses and returns new instructions.
//
// An lddw that names a map (src MAP_FD) becomes the native address of the map's
// struct sluice_map; one that points into global data (src MAP_VALUE, offset in
// imm2) becomes the address of the value plus the offset. Both become plain
// 64-bit constants (src IMM64), as the kernel's fixup turns map fds into
// pointers; `reference` stays on the instruction for listings.
import { lddw, type Instruction, type Program } from '../../jit/isa/instruction.ts';
import { LDDW, PseudoLd } from '../../jit/isa/opcode.ts';
import { layout } from '../../jit/isa/instruction.ts';

export interface MapAddress {
  /** The struct sluice_map's address. */
  readonly address: bigint;
  /** The first byte of the value storage (array maps and global data); 0n when not an array. */
  readonly valueBase: bigint;
  readonly valueSize: number;
}

export function relocate(program: Program, maps: ReadonlyMap<string, MapAddress>): Instruction[] {
  const { pcOf } = layout(program);
  return program.map((insn, i) => {
    if (insn.opcode !== LDDW || insn.src === PseudoLd.IMM64 || insn.src === PseudoLd.FUNC) return insn;
    const pc = pcOf[i]!;
    const name = insn.reference;
    if (name === undefined) throw new Error(`lddw at pc ${pc} has map kind ${insn.src} but names no map`);
    const map = maps.get(name);
    if (!map) throw new Error(`lddw at pc ${pc} refers to map '${name}', which the object does not define`);
    let value: bigint;
    if (insn.src === PseudoLd.MAP_FD || insn.src === PseudoLd.MAP_IDX) {
      value = map.address;
    } else if (insn.src === PseudoLd.MAP_VALUE || insn.src === PseudoLd.MAP_IDX_VALUE) {
      const off = insn.imm2 ?? 0;
      if (map.valueBase === 0n) throw new Error(`lddw at pc ${pc} takes the value address of map '${name}', which is not an array`);
      if (off < 0 || off >= map.valueSize) throw new Error(`lddw at pc ${pc}: offset ${off} is outside map '${name}''s ${map.valueSize}-byte value`);
      value = map.valueBase + BigInt(off);
    } else {
      throw new Error(`lddw at pc ${pc}: kind ${insn.src} (kernel BTF ids) is not supported`);
    }
    return { ...lddw(insn.dst, value), reference: name };
  });
}
