// loadObjectSpec: ELF bytes -> ObjectSpec. Pure: no I/O, no clock, no randomness,
// so the same bytes always give a deep-equal spec. The steps, in order:
//   ELF container -> BTF and BTF.ext -> maps (.maps, legacy maps, global data)
//   -> code sections (decode, relocate references, CO-RE) -> link each program.
import { Bytes } from '../elf/bytes.ts';
import { parseElf, SectionType } from '../elf/reader.ts';
import { parseBtfExt, type SectionExt } from '../btf/ext.ts';
import { Btf } from '../btf/types.ts';
import { SluiceError } from '../errors.ts';
import { applyCoreRelos } from './core.ts';
import { type CodeSection, isExecutable, readCode, relocateCode } from './code.ts';
import { dataKindOf, dataMap } from './data.ts';
import { linkProgram } from './link.ts';
import { btfMaps, legacyMaps, type PlacedMap } from './maps.ts';
import { programTypeOf, ProgType } from './prog-types.ts';
import { type MapSpec, ObjectError, type ObjectSpec, type ProgramSpec } from './spec.ts';

export { ObjectError } from './spec.ts';
export type { ObjectSpec, ProgramSpec, MapSpec, SourceLine, FuncInfoSpec, MapSlot } from './spec.ts';

/**
 * Reads an object file built by `clang -target bpf` into an ObjectSpec. Throws a
 * SluiceError subclass (ElfError, BtfError, ObjectError) naming the section and
 * offset when the file is malformed or declares something sluice cannot load.
 */
export function loadObjectSpec(bytes: Uint8Array, name = ''): ObjectSpec {
  try {
    return load(bytes, name);
  } catch (err) {
    if (err instanceof SluiceError) throw err;
    // A bug here must still read as a load failure of this object, with its cause.
    throw new ObjectError(`${name || 'object'}: internal error while loading: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

function load(bytes: Uint8Array, name: string): ObjectSpec {
  const elf = parseElf(bytes);
  const btfSec = elf.sectionByName('.BTF');
  // A copy, so the spec keeps nothing that aliases the caller's buffer.
  const btf = btfSec && btfSec.type === SectionType.PROGBITS
    ? Btf.parse(new Bytes(btfSec.data.bytes.slice(), btfSec.data.where, btfSec.data.base)) : undefined;
  const extSec = elf.sectionByName('.BTF.ext');
  const ext = btf && extSec ? parseBtfExt(extSec.data, btf) : new Map<string, SectionExt>();

  // libbpf's order: legacy maps, BTF-defined maps, then global data.
  const legacy: PlacedMap[] = [], defined: PlacedMap[] = [], data: PlacedMap[] = [];
  const ignored: string[] = [];
  let license = '';
  let kernelVersion: number | undefined;
  const code = new Map<number, CodeSection>();
  for (const sec of elf.sections) {
    if (sec.index === 0 || sec.type === SectionType.NULL) continue;
    if (isExecutable(sec)) { code.set(sec.index, readCode(elf, sec)); continue; }
    if (sec.name === '.maps') { defined.push(...btfMaps(elf, sec, btf)); continue; }
    if (sec.name === 'maps') { legacy.push(...legacyMaps(elf, sec)); continue; }
    if (sec.name === 'license') { license = licenseOf(sec.data); continue; }
    if (sec.name === 'version') { kernelVersion = sec.data.u32(0, 'kernel version'); continue; }
    if (sec.name === '.kconfig' || sec.name === '.ksyms') {
      throw new ObjectError(`section '${sec.name}': externs are not supported (sluice has no kernel configuration or kernel symbols)`);
    }
    if (sec.name.startsWith('.struct_ops')) throw new ObjectError(`section '${sec.name}': struct_ops maps are not supported`);
    const kind = dataKindOf(sec);
    if (kind) {
      const m = dataMap(sec, kind);
      if (m) data.push(m);
      continue;
    }
    if (sec === btfSec || sec === extSec) continue;
    if (sec.size > 0 && sec.type !== SectionType.STRTAB && sec.type !== SectionType.SYMTAB && sec.type !== SectionType.REL) {
      ignored.push(sec.name);
    }
  }
  const placed = [...legacy, ...defined, ...data];
  checkUniqueNames(placed.map((m) => m.spec));

  const refs = { maps: placed, sections: elf.sections };
  for (const c of code.values()) relocateCode(c, elf, refs);
  const core = applyCoreRelos(code, ext, btf);

  const programs: ProgramSpec[] = [];
  for (const c of code.values()) {
    if (c.section.name === '.text') continue;
    const type = programTypeOf(c.section.name) ??
      { type: ProgType.UNSPEC, name: 'BPF_PROG_TYPE_UNSPEC', frags: false, supported: false };
    if (c.funcs.length === 0) {
      throw new ObjectError(`section '${c.section.name}': ${c.section.size} bytes of code but no function symbol names a program`);
    }
    for (const f of c.funcs) {
      if (!f.global) continue;
      if (!type.supported) {
        programs.push(unsupported(f.name, c, f.startPc, f.endPc, type));
        continue;
      }
      const prog = linkProgram(f, type, { code, ext, btf });
      core.check(prog);
      programs.push(c.section.name.startsWith('?') ? { ...prog, autoload: false } : prog);
    }
  }
  return {
    name, programs, maps: placed.map((m) => m.spec), license,
    ...(kernelVersion !== undefined ? { kernelVersion } : {}),
    btf, ignoredSections: ignored,
  };
}

/** A program sluice will not run: its own instructions as they are, unlinked. */
function unsupported(name: string, c: CodeSection, startPc: number, endPc: number, type: ProgramSpec['type']): ProgramSpec {
  const instructions = c.insns.slice(c.indexOf[startPc], c.indexOf[endPc] ?? c.insns.length);
  return {
    name, section: c.section.name, sectionOffset: startPc * 8, type, instructions,
    origins: instructions.map((_, i) => ({ section: c.section.name, offset: c.pcOf[c.indexOf[startPc]! + i]! * 8 })),
    lines: instructions.map(() => undefined), funcInfo: [],
  };
}

function checkUniqueNames(maps: readonly MapSpec[]): void {
  const seen = new Set<string>();
  for (const m of maps) {
    if (seen.has(m.name)) throw new ObjectError(`map '${m.name}' is defined twice`);
    seen.add(m.name);
  }
}

/** The license string: up to the first NUL, non-printable bytes shown as '?'. */
function licenseOf(data: Bytes): string {
  const end = data.bytes.indexOf(0);
  return new TextDecoder().decode(data.bytes.subarray(0, end < 0 ? data.length : end)).replace(/[^\x20-\x7e]/g, '?');
}
