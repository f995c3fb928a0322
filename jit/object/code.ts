// Executable sections: decoded instructions, the functions their symbols mark,
// and the relocations applied to them. A map or global-data lddw becomes a
// pending reference (see spec.ts); a bpf-to-bpf call or a function address is
// resolved to a target (section, pc) for the linker.
import { DecodeError } from '../errors.ts';
import { decode } from '../isa/codec.ts';
import { type Instruction, layout } from '../isa/instruction.ts';
import { CALL, LDDW, PseudoCall, PseudoLd } from '../isa/opcode.ts';
import {
  type ElfFile, type ElfSymbol, RelocationType, type Section, SectionType, SHF_EXECINSTR, SHN_LORESERVE,
  SHN_UNDEF, SymbolBind, SymbolType,
} from '../elf/reader.ts';
import type { PlacedMap } from './maps.ts';
import { ObjectError } from './spec.ts';

/** Where a call or function address points: a section and a pc in it. */
export interface Target { readonly shndx: number; readonly pc: number }

export interface Func {
  readonly name: string;
  readonly shndx: number;
  readonly global: boolean;
  /** First pc and one past the last, in the section's slots. */
  readonly startPc: number;
  readonly endPc: number;
}

export interface CodeSection {
  readonly section: Section;
  /** The section's instructions with map and data references applied. */
  readonly insns: Instruction[];
  readonly pcOf: readonly number[];
  readonly indexOf: readonly number[];
  /** Calls and function addresses, by instruction index. */
  readonly targets: Map<number, Target>;
  readonly funcs: readonly Func[];
}

export const isExecutable = (s: Section): boolean =>
  s.type === SectionType.PROGBITS && (s.flags & SHF_EXECINSTR) !== 0 && s.size > 0;

const at = (sec: Section, offset: number) => `section '${sec.name}' offset ${offset}`;

export function readCode(elf: ElfFile, sec: Section): CodeSection {
  if (sec.size % 8 !== 0) throw new ObjectError(`section '${sec.name}': ${sec.size} bytes is not a whole number of instructions`);
  let insns: Instruction[];
  try {
    insns = decode(sec.data.bytes);
  } catch (err) {
    if (err instanceof DecodeError) {
      throw new ObjectError(`${at(sec, err.pc * 8)}: ${err.message}`, { cause: err });
    }
    throw err;
  }
  const { pcOf, indexOf } = layout(insns);
  return { section: sec, insns, pcOf, indexOf, targets: new Map(), funcs: functionsOf(elf, sec, pcOf.at(-1) ?? 0) };
}

function functionsOf(elf: ElfFile, sec: Section, slots: number): Func[] {
  const syms = elf.symbols
    .filter((s) => s.shndx === sec.index && s.type === SymbolType.FUNC)
    .sort((a, b) => a.value - b.value || (a.name < b.name ? -1 : 1));
  return syms.map((s, i) => {
    if (s.value % 8 !== 0 || s.size % 8 !== 0) {
      throw new ObjectError(`function '${s.name}': offset ${s.value} or size ${s.size} in section '${sec.name}' is not instruction-aligned`);
    }
    const startPc = s.value / 8;
    const next = syms[i + 1];
    const endPc = s.size > 0 ? startPc + s.size / 8 : next ? next.value / 8 : slots;
    if (startPc >= slots || endPc > slots || endPc <= startPc) {
      throw new ObjectError(`function '${s.name}': bytes ${s.value}..${endPc * 8} lie outside section '${sec.name}' (${sec.size} bytes)`);
    }
    return { name: s.name, shndx: sec.index, global: s.bind !== SymbolBind.LOCAL, startPc, endPc };
  });
}

export interface References {
  /** Maps by (section index, byte offset): `.maps`, legacy `maps`, global data (offset 0). */
  readonly maps: readonly PlacedMap[];
  readonly sections: readonly Section[];
}

/** Applies one code section's relocations, recording references and call targets. */
export function relocateCode(code: CodeSection, elf: ElfFile, refs: References): void {
  const sec = code.section;
  const relocs = [...(elf.relocations.get(sec.index) ?? [])].sort((a, b) => a.offset - b.offset);
  const done = new Set<number>();
  for (const r of relocs) {
    if (r.type === RelocationType.NONE) continue;
    if (r.offset % 8 !== 0 || code.indexOf[r.offset / 8] === undefined || code.indexOf[r.offset / 8] === -1) {
      throw new ObjectError(`${at(sec, r.offset)}: relocation does not point at the start of an instruction`);
    }
    const index = code.indexOf[r.offset / 8]!;
    if (done.has(index)) throw new ObjectError(`${at(sec, r.offset)}: two relocations for one instruction`);
    done.add(index);
    const insn = code.insns[index]!;
    const sym = r.symbol;
    const name = symbolName(sym, refs.sections);
    if (r.type === RelocationType.R_BPF_64_64) {
      if (insn.opcode !== LDDW) throw new ObjectError(`${at(sec, r.offset)}: R_BPF_64_64 against '${name}' on an instruction that is not lddw`);
      code.insns[index] = lddwReference(code, index, insn, sym, refs, at(sec, r.offset));
    } else if (r.type === RelocationType.R_BPF_64_32) {
      const isCall = insn.opcode === CALL && (insn.src === PseudoCall.LOCAL || insn.src === PseudoCall.KFUNC);
      const isFunc = insn.opcode === LDDW && insn.src === PseudoLd.FUNC;
      if (isCall && sym.shndx === SHN_UNDEF) {
        throw new ObjectError(`${at(sec, r.offset)}: calls extern '${name}' (kfuncs and other externs are not supported)`);
      }
      if ((!isCall || insn.src !== PseudoCall.LOCAL) && !isFunc) {
        throw new ObjectError(`${at(sec, r.offset)}: R_BPF_64_32 against '${name}' on an instruction that is not a bpf-to-bpf call`);
      }
      checkDefined(sym, refs, at(sec, r.offset), isCall ? 'calls' : 'takes the address of');
      // Global functions: st_value is the function's offset and imm is -1; static
      // ones: the section symbol (st_value 0) and imm + 1 counts slots to the callee.
      code.targets.set(index, { shndx: sym.shndx, pc: sym.value / 8 + insn.imm + 1 });
    } else if (r.type === RelocationType.R_BPF_64_ABS64 || r.type === RelocationType.R_BPF_64_ABS32 ||
      r.type === RelocationType.R_BPF_64_NODYLD32) {
      throw new ObjectError(`${at(sec, r.offset)}: data relocation (type ${r.type}) against '${name}' inside code`);
    } else {
      throw new ObjectError(`${at(sec, r.offset)}: unknown relocation type ${r.type} against '${name}'`);
    }
  }
  // Calls to static functions of the same section carry no relocation: imm is
  // already relative to the call.
  code.insns.forEach((insn, i) => {
    if (code.targets.has(i)) return;
    const local = (insn.opcode === CALL && insn.src === PseudoCall.LOCAL) || (insn.opcode === LDDW && insn.src === PseudoLd.FUNC);
    if (local) code.targets.set(i, { shndx: sec.index, pc: code.pcOf[i]! + insn.imm + 1 });
  });
}

function checkDefined(sym: ElfSymbol, refs: References, where: string, verb: string): void {
  if (sym.shndx === SHN_UNDEF) {
    throw new ObjectError(`${where}: ${verb} extern '${sym.name}' (kfuncs and other externs are not supported)`);
  }
  if (sym.shndx >= SHN_LORESERVE) throw new ObjectError(`${where}: '${sym.name}' is not in a section (shndx 0x${sym.shndx.toString(16)})`);
  const target = refs.sections[sym.shndx];
  if (!target || !isExecutable(target)) {
    throw new ObjectError(`${where}: ${verb} '${sym.name}', which is not in an executable section`);
  }
  if (sym.value % 8 !== 0) throw new ObjectError(`${where}: '${sym.name}' at offset ${sym.value} is not instruction-aligned`);
}

function lddwReference(code: CodeSection, index: number, insn: Instruction, sym: ElfSymbol, refs: References, where: string): Instruction {
  const name = symbolName(sym, refs.sections);
  if (sym.shndx === SHN_UNDEF) {
    throw new ObjectError(`${where}: lddw refers to extern '${name}' (.kconfig and .ksyms externs are not supported)`);
  }
  if (sym.shndx >= SHN_LORESERVE) throw new ObjectError(`${where}: lddw refers to '${name}', which is not in a section (shndx 0x${sym.shndx.toString(16)})`);
  const target = refs.sections[sym.shndx];
  if (target && isExecutable(target)) {
    // The address of a function (a callback for bpf_loop and the like). clang 14
    // emits a plain lddw whose addend (imm) is the byte offset from the symbol;
    // libbpf turns it into BPF_PSEUDO_FUNC with a pc-relative imm, and so do we.
    if (insn.src !== PseudoLd.IMM64 && insn.src !== PseudoLd.FUNC) {
      throw new ObjectError(`${where}: lddw of function '${name}' with source kind ${insn.src}`);
    }
    const byte = sym.value + insn.imm;
    if (byte % 8 !== 0) throw new ObjectError(`${where}: function address '${name}'+${insn.imm} is not instruction-aligned`);
    code.targets.set(index, { shndx: sym.shndx, pc: byte / 8 });
    return { ...insn, src: PseudoLd.FUNC, imm: -1, imm2: 0 };
  }
  const section = sym.type === SymbolType.SECTION;
  const map = refs.maps.find((m) => m.shndx === sym.shndx && (m.spec.globalData || m.offset === sym.value + (section ? insn.imm : 0)));
  if (!map) {
    const where2 = target ? `section '${target.name}'` : `section ${sym.shndx}`;
    throw new ObjectError(`${where}: lddw refers to '${name}' in ${where2}, which is neither a map nor global data`);
  }
  if (map.spec.globalData) {
    const offset = sym.value + insn.imm;
    if (offset < 0 || offset >= map.spec.valueSize) {
      throw new ObjectError(`${where}: '${name}'+${insn.imm} is outside '${map.spec.name}' (${map.spec.valueSize} bytes)`);
    }
    return { opcode: insn.opcode, dst: insn.dst, src: PseudoLd.MAP_VALUE, off: 0, imm: 0, imm2: offset, reference: map.spec.name };
  }
  return { opcode: insn.opcode, dst: insn.dst, src: PseudoLd.MAP_FD, off: 0, imm: 0, imm2: 0, reference: map.spec.name };
}

/** A symbol's name for messages; section symbols are nameless, so use the section's. */
function symbolName(sym: ElfSymbol, sections: readonly Section[]): string {
  if (sym.name) return sym.name;
  const sec = sym.type === SymbolType.SECTION ? sections[sym.shndx] : undefined;
  return sec ? sec.name : `symbol ${sym.index}`;
}
