// Corner-case objects compiled from fixtures/*.c: legacy maps, several programs in a
// section, subprograms in .text and in the program section, every global-data
// flavour, objects without BTF, externs. Expectations come from the C sources.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { targetPc } from '../../isa/disasm.ts';
import { layout } from '../../isa/instruction.ts';
import { CALL, LDDW, PseudoCall, PseudoLd } from '../../isa/opcode.ts';
import { parseElf } from '../../elf/reader.ts';
import { SluiceError } from '../../errors.ts';
import { loadObjectSpec, ObjectError, type ObjectSpec, type ProgramSpec } from '../load.ts';
import { MapType } from '../map-types.ts';
import { ProgType } from '../prog-types.ts';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import { buildFixture, exampleObjects, read } from './objects.ts';

const load = (name: string, opts?: Parameters<typeof buildFixture>[1]): ObjectSpec => {
  const file = buildFixture(name, opts);
  return loadObjectSpec(read(file), file);
};
const prog = (spec: ObjectSpec, name: string): ProgramSpec => {
  const p = spec.programs.find((x) => x.name === name);
  assert.ok(p, `program ${name} in ${spec.programs.map((x) => x.name).join(',')}`);
  return p!;
};
const refs = (p: ProgramSpec) => p.instructions.filter((i) => i.reference !== undefined);
const mapOf = (spec: ObjectSpec, name: string) => {
  const m = spec.maps.find((x) => x.name === name);
  assert.ok(m, `map ${name}`);
  return m!;
};

/** Every local call and function address lands on the first instruction of a function named by the call's callee. */
function callTargets(p: ProgramSpec): string[] {
  const { pcOf, indexOf } = layout(p.instructions);
  const out: string[] = [];
  p.instructions.forEach((insn, i) => {
    const isCall = insn.opcode === CALL && insn.src === PseudoCall.LOCAL;
    const isFunc = insn.opcode === LDDW && insn.src === PseudoLd.FUNC;
    if (!isCall && !isFunc) return;
    const t = targetPc(insn, pcOf[i]!)!;
    const target = p.instructions[indexOf[t]!];
    assert.ok(target?.symbol, `${p.name}: call at pc ${pcOf[i]} lands on a function start`);
    out.push(target!.symbol!);
  });
  return out;
}

if (requires('corner-case objects', hasCommand('clang'))) {
  test('legacy maps section: records of struct bpf_map_def', () => {
    const spec = load('legacy_maps');
    const counts = mapOf(spec, 'legacy_counts'), hash = mapOf(spec, 'legacy_hash');
    assert.equal([counts.type, counts.keySize, counts.valueSize, counts.maxEntries, counts.flags], [MapType.PERCPU_ARRAY, 4, 8, 16, 0]);
    assert.equal([hash.type, hash.keySize, hash.valueSize, hash.maxEntries, hash.flags], [MapType.HASH, 8, 12, 1024, 1]);
    assert.is(counts.section, 'maps');
    assert.is(counts.typeName, 'BPF_MAP_TYPE_PERCPU_ARRAY');
    const r = refs(prog(spec, 'xdp_legacy'));
    assert.equal(r.map((i) => i.reference), ['legacy_counts', 'legacy_hash']);
    assert.ok(r.every((i) => i.src === PseudoLd.MAP_FD && i.imm === 0));
  });

  test('legacy map records wider than bpf_map_def: accepted when the extra is zero', () => {
    const spec = load('legacy_maps_wide');
    assert.equal(spec.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries]),
      [['wide_a', MapType.ARRAY, 4, 4, 2], ['wide_b', MapType.LRU_HASH, 4, 8, 64]]);
    const bytes = read(buildFixture('legacy_maps_wide'));
    const maps = parseElf(bytes).sectionByName('maps')!;
    bytes[maps.offset + 20] = 1; // wide_a's `id`
    assert.throws(() => loadObjectSpec(bytes), (e: Error) => e instanceof ObjectError &&
      /map 'wide_a': legacy definition has non-zero byte at offset 20/.test(e.message));
  });

  test('several programs in one section, each linked with the subprograms it calls', () => {
    const spec = load('multi_prog');
    const xdp = spec.programs.filter((p) => p.section === 'xdp').map((p) => p.name);
    assert.equal(xdp, ['xdp_first', 'xdp_second']);
    // Source order of first calls, depth-first: xdp_first → bump, global_len (→ bump);
    // xdp_second → loop_body (bpf_loop callback), bump, in_section (→ bump).
    assert.equal(prog(spec, 'xdp_first').funcInfo.map((f) => f.name), ['xdp_first', 'bump', 'global_len']);
    assert.equal(prog(spec, 'xdp_second').funcInfo.map((f) => f.name), ['xdp_second', 'loop_body', 'bump', 'in_section']);
    assert.equal(callTargets(prog(spec, 'xdp_first')), ['bump', 'global_len', 'bump']);
    assert.equal(callTargets(prog(spec, 'xdp_second')), ['loop_body', 'bump', 'in_section', 'bump']);
    const second = prog(spec, 'xdp_second');
    assert.ok(second.instructions.some((i) => i.opcode === LDDW && i.src === PseudoLd.FUNC), 'bpf_loop callback is a BPF_PSEUDO_FUNC lddw');
    // in_section is static in section xdp: a subprogram there, not a program.
    assert.is(spec.programs.find((p) => p.name === 'in_section'), undefined);
    assert.equal(second.origins[second.funcInfo[3]!.index]!.section, 'xdp');
    assert.equal(second.origins[second.funcInfo[2]!.index]!.section, '.text');
    // Every function's code is there whole and ends in exit or a jump.
    for (const p of [prog(spec, 'xdp_first'), second]) {
      p.funcInfo.forEach((f, n) => {
        const end = (p.funcInfo[n + 1]?.index ?? p.instructions.length) - 1;
        assert.is(p.instructions[end]!.opcode & 0x07, 0x05, `${p.name}: ${f.name} ends with a jump or exit`);
      });
    }
  });

  test('section names map to program types as libbpf maps them', () => {
    const spec = load('multi_prog');
    const t = (n: string) => prog(spec, n).type;
    assert.equal([t('xdp_first').type, t('xdp_first').attach, t('xdp_first').frags], [ProgType.XDP, 'xdp', false]);
    assert.equal([t('xdp_frags_prog').type, t('xdp_frags_prog').frags], [ProgType.XDP, true]);
    assert.is(t('xdp_on_devmap').attach, 'devmap');
    assert.is(t('xdp_on_cpumap').attach, 'cpumap');
    assert.equal([t('tc_prog').name, t('tc_prog').supported], ['BPF_PROG_TYPE_SCHED_CLS', false]);
    assert.equal([t('kprobe_prog').name, t('kprobe_prog').supported], ['BPF_PROG_TYPE_KPROBE', false]);
    assert.is(spec.license, 'Dual BSD/GPL');
    assert.equal([t('xdp_optional').type, prog(spec, 'xdp_optional').autoload, prog(spec, 'xdp_first').autoload], [ProgType.XDP, false, undefined]);
  });

  test('every global-data flavour becomes an array map with the section as its value', () => {
    const spec = load('rodata');
    const elf = parseElf(read(buildFixture('rodata')));
    const sym = (n: string) => elf.symbols.find((s) => s.name === n)!;
    const data = spec.maps.filter((m) => m.globalData);
    assert.equal(data.map((m) => m.name).sort(), ['.bss', '.data', '.data.custom', '.rodata', '.rodata.cst16', '.rodata.str1.1']);
    for (const m of data) {
      assert.equal([m.type, m.keySize, m.maxEntries], [MapType.ARRAY, 4, 1], m.name);
      const ro = m.name.startsWith('.rodata');
      assert.is(m.frozen, ro, `${m.name} frozen`);
      assert.is(m.flags, ro ? 0x80 : 0, `${m.name} flags (BPF_F_RDONLY_PROG)`);
      assert.is(m.valueSize, elf.sectionByName(m.name)!.size, `${m.name} size`);
      assert.is(m.data!.length, m.valueSize);
    }
    const u32 = (m: string, at: number) => new DataView(mapOf(spec, m).data!.buffer, mapOf(spec, m).data!.byteOffset).getUint32(at, true);
    assert.is(u32('.rodata', sym('threshold').value), 0x11223344);
    assert.is(mapOf(spec, '.rodata').data![sym('mode').value], 7);
    assert.is(new DataView(mapOf(spec, '.data').data!.buffer, mapOf(spec, '.data').data!.byteOffset).getBigUint64(sym('packets').value, true), 0x0102030405060708n);
    assert.is(u32('.data.custom', 0), 42);
    assert.ok(mapOf(spec, '.bss').data!.every((b) => b === 0));
    assert.is(new TextDecoder().decode(mapOf(spec, '.rodata.str1.1').data!), 'literal %d\0');
    assert.equal(Array.from(mapOf(spec, '.rodata.cst16').data!), [0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // lddw references into global data: MAP_VALUE with an offset inside the value.
    const p = prog(spec, 'xdp_rodata');
    const valueRefs = refs(p).filter((i) => i.src === PseudoLd.MAP_VALUE);
    // (clang 14 builds the 16-byte key on the stack, so .rodata.cst16 is emitted but not referenced.)
    assert.equal([...new Set(valueRefs.map((i) => i.reference))].sort(),
      ['.bss', '.data', '.data.custom', '.rodata', '.rodata.str1.1']);
    for (const i of valueRefs) assert.ok(i.imm2! >= 0 && i.imm2! < mapOf(spec, i.reference!).valueSize);
    assert.ok(valueRefs.some((i) => i.reference === '.bss' && i.imm2 === sym('dropped').value), 'dropped++ refers to its offset in .bss');
  });

  test('an object without BTF (no -g) loads; .maps without BTF is refused clearly', () => {
    const spec = load('legacy_maps', { debug: false });
    assert.is(spec.btf, undefined);
    const p = prog(spec, 'xdp_legacy');
    assert.ok(p.lines.every((l) => l === undefined));
    assert.equal(p.funcInfo.map((f) => [f.name, f.typeId]), [['xdp_legacy', 0]]);
    assert.equal(spec.maps.map((m) => m.name), ['legacy_counts', 'legacy_hash']);
    assert.equal(p.instructions.length, prog(load('legacy_maps'), 'xdp_legacy').instructions.length);
    assert.throws(() => load('multi_prog', { debug: false }), /section '\.maps': BTF-defined maps need \.BTF/);
  });

  test('externs are refused by name: .kconfig variables and kfuncs', () => {
    assert.throws(() => load('extern_kconfig'), (e: Error) => e instanceof ObjectError &&
      /section 'xdp' offset \d+: lddw refers to extern 'CONFIG_HZ' \(\.kconfig/.test(e.message));
    assert.throws(() => load('extern_kfunc'), (e: Error) => e instanceof ObjectError &&
      /section 'xdp' offset 8: calls extern 'bpf_kfunc_example'/.test(e.message));
  });

  test('code without a function symbol is refused, naming the section', () => {
    const bytes = read(buildFixture('legacy_maps'));
    const elf = parseElf(bytes);
    const symtab = elf.sections.find((x) => x.type === 2)!;
    const sym = elf.symbols.find((x) => x.name === 'xdp_legacy')!;
    bytes[symtab.offset + sym.index * 24 + 4] = (sym.bind << 4) | 0; // STT_NOTYPE
    assert.throws(() => loadObjectSpec(bytes), /section 'xdp': \d+ bytes of code but no function symbol/);
  });

  test('BTF-defined maps: key/value as types and sizes, flags, pinning, map-in-map, prog_array values', () => {
    const kinds = load('btf_kinds');
    const m = mapOf(kinds, 'by_flags');
    assert.equal([m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.pinning], [MapType.HASH, 40, 4, 2, 1, 1]);
    assert.is(kinds.btf!.type(m.keyTypeId).name, 'flags');
    const multi = load('map_in_map');
    const outer = mapOf(multi, 'outer');
    assert.equal([outer.type, outer.keySize, outer.valueSize, outer.maxEntries], [MapType.ARRAY_OF_MAPS, 4, 4, 4]);
    assert.equal([outer.inner!.type, outer.inner!.keySize, outer.inner!.valueSize, outer.inner!.maxEntries], [MapType.ARRAY, 4, 8, 1]);
    assert.equal(outer.slots, [{ index: 0, name: 'inner_a' }, { index: 3, name: 'inner_b' }]);
    const hashOuter = mapOf(multi, 'by_name');
    assert.equal([hashOuter.type, hashOuter.inner!.type, hashOuter.slots], [MapType.HASH_OF_MAPS, MapType.ARRAY, undefined]);
    const jumps = mapOf(multi, 'jumps');
    assert.equal([jumps.type, jumps.keySize, jumps.valueSize, jumps.slots], [MapType.PROG_ARRAY, 4, 4, [{ index: 1, name: 'xdp_target' }]]);
    assert.equal([mapOf(multi, 'numa').flags, mapOf(multi, 'numa').numaNode], [4, 0]);
    assert.is(m.numaNode, 3);
  });
}

test('determinism: the same bytes give deep-equal specs, and specs share no memory with the input', () => {
  const files = [...exampleObjects(), ...(hasCommand('clang').ok ? ['multi_prog', 'rodata', 'legacy_maps', 'core'].map((n) => buildFixture(n)) : [])];
  assert.ok(files.length > 0, 'objects to load');
  for (const name of files) {
    const bytes = read(name);
    const a = loadObjectSpec(bytes, name);
    const b = loadObjectSpec(Uint8Array.from(bytes), name);
    assert.equal(a, b, name);
    for (const m of a.maps) m.data?.fill(0xee);
    assert.equal(loadObjectSpec(bytes, name).maps.map((m) => m.data), b.maps.map((m) => m.data), `${name}: map data copied`);
    bytes.fill(0);
    assert.equal(a.btf, b.btf, `${name}: BTF copied out of the input`);
  }
  assert.instance(new ObjectError('x'), SluiceError);
});

test.run();
