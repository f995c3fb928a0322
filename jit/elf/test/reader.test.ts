// The ELF reader against readelf (binutils) on the same files, and on damaged
// files: every failure is an ElfError that names where, never a RangeError.
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ElfError, parseElf, RelocationType, SectionType } from '../reader.ts';
import { loadObjectSpec } from '../../object/load.ts';
import { SluiceError } from '../../errors.ts';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import { buildFixture, exampleObjects, read } from '../../object/test/objects.ts';

const haveTools = requires('ELF reader vs readelf on compiled objects', hasCommand('readelf'), hasCommand('clang'));

function objects(): string[] {
  return [...exampleObjects(), buildFixture('multi_prog'), buildFixture('rodata'), buildFixture('legacy_maps')];
}

const readelf = (args: string[], file: string) => execFileSync('readelf', [...args, '-W', file], { encoding: 'utf8' });

if (haveTools) {
  test('sections agree with readelf -S', () => {
    for (const file of objects()) {
      const elf = parseElf(read(file));
      const rows = readelf(['-S'], file).split('\n')
        .map((l) => /^\s*\[\s*(\d+)\]\s+(\S+)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([A-Za-z]*)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null && m[1] !== '0');
      assert.is(rows.length, elf.sections.length - 1, `${file}: section count`);
      for (const m of rows) {
        const s = elf.sections[Number(m[1])]!;
        assert.is(s.name, m[2], `${file}: name of section ${m[1]}`);
        assert.is(s.offset, parseInt(m[5]!, 16), `${file}: offset of ${s.name}`);
        assert.is(s.size, parseInt(m[6]!, 16), `${file}: size of ${s.name}`);
        assert.is(s.link, Number(m[9]), `${file}: link of ${s.name}`);
        assert.is(s.info, Number(m[10]), `${file}: info of ${s.name}`);
        assert.is((s.flags & 4) !== 0, m[8]!.includes('X'), `${file}: exec flag of ${s.name}`);
        const names: Record<string, number> = { PROGBITS: 1, SYMTAB: 2, STRTAB: 3, NOBITS: 8, REL: 9 };
        if (names[m[3]!] !== undefined) assert.is(s.type, names[m[3]!], `${file}: type of ${s.name}`);
      }
    }
  });

  test('symbols agree with readelf -s', () => {
    for (const file of objects()) {
      const elf = parseElf(read(file));
      const rows = readelf(['-s'], file).split('\n')
        .map((l) => /^\s*(\d+):\s+([0-9a-f]+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null);
      assert.is(rows.length, elf.symbols.length, `${file}: symbol count`);
      const types: Record<string, number> = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 };
      const binds: Record<string, number> = { LOCAL: 0, GLOBAL: 1, WEAK: 2 };
      for (const m of rows) {
        const s = elf.symbols[Number(m[1])]!;
        assert.is(s.value, parseInt(m[2]!, 16));
        assert.is(s.size, Number(m[3]));
        assert.is(s.type, types[m[4]!]);
        assert.is(s.bind, binds[m[5]!]);
        const ndx = m[7] === 'UND' ? 0 : m[7] === 'ABS' ? 0xfff1 : Number(m[7]);
        assert.is(s.shndx, ndx, `${file}: section of symbol ${m[1]}`);
        // readelf prints a section symbol's name as the section's; ours is the raw (empty) name.
        if (m[4] !== 'SECTION') assert.is(s.name, m[8]!.trim(), `${file}: name of symbol ${m[1]}`);
      }
    }
  });

  test('relocations agree with readelf -r', () => {
    for (const file of objects()) {
      const elf = parseElf(read(file));
      let current: number | undefined;
      const seen = new Map<number, { offset: number; type: number; sym: number }[]>();
      for (const line of readelf(['-r'], file).split('\n')) {
        const head = /^Relocation section '([^']+)'/.exec(line);
        if (head) {
          const rel = elf.sections.find((s) => s.name === head[1] && s.type === SectionType.REL)!;
          current = rel.info;
          seen.set(current, [...(seen.get(current) ?? [])]);
          continue;
        }
        const m = /^([0-9a-f]{16})\s+([0-9a-f]+)\s/.exec(line);
        if (m && current !== undefined) {
          const info = BigInt(`0x${m[2]}`);
          seen.get(current)!.push({ offset: parseInt(m[1]!, 16), type: Number(info & 0xffffffffn), sym: Number(info >> 32n) });
        }
      }
      assert.equal([...seen.keys()].sort(), [...elf.relocations.keys()].sort(), `${file}: relocated sections`);
      for (const [target, list] of seen) {
        const ours = elf.relocations.get(target)!.map((r) => ({ offset: r.offset, type: r.type, sym: r.symbol.index }));
        assert.equal(ours, list, `${file}: relocations of section ${target}`);
      }
    }
  });
}

// ---- damaged files -------------------------------------------------------------

const base = () => read(exampleObjects()[0] ?? buildFixture('legacy_maps'));
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const shdr = (b: Uint8Array, i: number) => Number(view(b).getBigUint64(40, true)) + i * 64;

function throwsElf(bytes: Uint8Array, pattern: RegExp, what: string): void {
  try {
    parseElf(bytes);
  } catch (err) {
    assert.instance(err, ElfError, `${what}: ${String(err)}`);
    assert.match((err as Error).message, pattern, what);
    return;
  }
  assert.unreachable(`${what}: parsed`);
}

if (exampleObjects().length > 0 || hasCommand('clang').ok) {
  test('a truncated header names the header field', () => {
    throwsElf(base().slice(0, 40), /ELF header.*offset/, 'header cut at 40 bytes');
    throwsElf(base().slice(0, 10), /not an ELF file/, 'header cut at 10 bytes');
    throwsElf(new Uint8Array(0), /not an ELF file/, 'empty file');
  });

  test('every truncation is a SluiceError, never another exception', () => {
    const b = base();
    for (let n = 0; n < b.length; n += Math.max(1, Math.floor(b.length / 400))) {
      try {
        loadObjectSpec(b.slice(0, n));
      } catch (err) {
        assert.instance(err, SluiceError, `cut at ${n}: ${String(err)}`);
      }
    }
  });

  test('a section whose contents run past the end names the section header', () => {
    const b = base();
    view(b).setBigUint64(shdr(b, 2) + 24, BigInt(b.length + 100), true);
    throwsElf(b, /section header 2: contents at offset \d+ .*past the end/, 'sh_offset past the end');
    const c = base();
    view(c).setBigUint64(shdr(c, 2) + 32, 1n << 40n, true);
    throwsElf(c, /section header 2/, 'sh_size past the end');
    const d = base();
    view(d).setBigUint64(40, BigInt(d.length - 10), true);
    throwsElf(d, /section header table.*runs past the end/, 'e_shoff past the end');
  });

  test('a bad string offset names the string table and the offset', () => {
    const b = base();
    view(b).setUint32(shdr(b, 3), 0x00ffffff, true);
    throwsElf(b, /name of section 3 offset 16777215 is outside the string table/, 'sh_name');
    const c = base();
    view(c).setUint16(62, 999, true);
    throwsElf(c, /e_shstrndx 999/, 'e_shstrndx');
  });

  test('a relocation naming a missing symbol', () => {
    const b = base();
    const elf = parseElf(b);
    const rel = elf.sections.find((s) => s.type === SectionType.REL)!;
    view(b).setUint32(rel.offset + 12, 0xffff, true);
    throwsElf(b, new RegExp(`section '${rel.name.replace('.', '\\.')}': relocation at offset 0 refers to symbol 65535, which does not exist`), 'r_info symbol');
  });

  test('an unknown relocation type names the REL section, the offset and the type', () => {
    const b = base();
    const elf = parseElf(b);
    const rel = elf.sections.find((s) => s.type === SectionType.REL && (elf.sections[s.info]!.flags & 4) !== 0)!;
    const offset = Number(view(b).getBigUint64(rel.offset, true));
    view(b).setUint32(rel.offset + 8, 77, true);
    throwsElf(b, new RegExp(`section '${rel.name.replace('.', '\\.')}': relocation at offset 0 \\(for offset ${offset} of section ${rel.info}\\) has unknown type 77`), 'r_info type');
    assert.is(RelocationType[77], undefined);
  });

  test('a known relocation type on the wrong instruction names the code section and offset', () => {
    const b = base();
    const elf = parseElf(b);
    const rel = elf.sections.find((s) => s.type === SectionType.REL && (elf.sections[s.info]!.flags & 4) !== 0)!;
    const target = elf.sections[rel.info]!;
    const offset = Number(view(b).getBigUint64(rel.offset, true));
    view(b).setUint32(rel.offset + 8, RelocationType.R_BPF_64_ABS64, true);
    assert.throws(() => loadObjectSpec(b), (err: Error) =>
      err instanceof SluiceError && err.message.includes(`section '${target.name}' offset ${offset}: data relocation (type 2)`));
  });

  test('another machine, class or file type is refused', () => {
    const b = base();
    view(b).setUint16(18, 62, true);
    throwsElf(b, /e_machine 62 .*EM_BPF/, 'x86-64 machine');
    const c = base();
    c[4] = 1;
    throwsElf(c, /not ELFCLASS64/, 'ELFCLASS32');
    const d = base();
    view(d).setUint16(16, 2, true);
    throwsElf(d, /e_type 2 .*ET_REL/, 'executable');
  });
}

if (requires('big-endian objects', hasCommand('clang'))) {
  test('a big-endian object (clang -target bpfeb) is refused clearly', () => {
    const file = buildFixture('legacy_maps', { target: 'bpfeb' });
    throwsElf(read(file), /big-endian/, 'bpfeb');
    assert.throws(() => loadObjectSpec(read(file)), /big-endian object/);
  });
}

test.run();
