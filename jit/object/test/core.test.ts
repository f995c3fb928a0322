// CO-RE: fixtures/core.c reads packet headers through local structs laid out
// differently from the UAPI headers. Each relocation record must leave the value of
// the real layout (linux/ip.h, linux/udp.h, linux/bpf.h — written out below from
// those headers) in the instruction it names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CALL, Class, LDDW, classOf } from '../../isa/opcode.ts';
import { parseElf } from '../../elf/reader.ts';
import { Btf, Kind } from '../../btf/types.ts';
import { CoreReloKind, parseBtfExt } from '../../btf/ext.ts';
import { loadObjectSpec, ObjectError } from '../load.ts';
import { POISON_HELPER } from '../core.ts';
import { TARGET_TYPES, sizeOf, type TargetType } from '../core-types.ts';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import { buildFixture, read } from './objects.ts';

// [struct, field, kind] → the value for the real layout.
const EXPECTED: Record<string, number> = {
  'iphdr.saddr.FIELD_BYTE_OFFSET': 12, 'iphdr.daddr.FIELD_BYTE_OFFSET': 16,
  'iphdr.protocol.FIELD_BYTE_OFFSET': 9, 'iphdr.ttl.FIELD_BYTE_OFFSET': 8, 'iphdr.tot_len.FIELD_BYTE_OFFSET': 2,
  'iphdr.tot_len.FIELD_BYTE_SIZE': 2,
  // ihl is bits 0-3 of byte 0 (little-endian bitfield order): a 1-byte load, << 60, >> 60, unsigned.
  'iphdr.ihl.FIELD_BYTE_OFFSET': 0, 'iphdr.ihl.FIELD_BYTE_SIZE': 1, 'iphdr.ihl.FIELD_LSHIFT_U64': 60,
  'iphdr.ihl.FIELD_RSHIFT_U64': 60, 'iphdr.ihl.FIELD_SIGNED': 0,
  'iphdr.not_in_iphdr.FIELD_EXISTS': 0, 'iphdr..TYPE_SIZE': 20,
  'udphdr.dest.FIELD_BYTE_OFFSET': 2, 'udphdr..TYPE_EXISTS': 1,
  'xdp_md.data.FIELD_BYTE_OFFSET': 0, 'xdp_md.data_end.FIELD_BYTE_OFFSET': 4,
};

if (requires('CO-RE relocation', hasCommand('clang'))) {
  test('every CO-RE record of core.c gets the real layout\'s value', () => {
    const file = buildFixture('core');
    const bytes = read(file);
    const elf = parseElf(bytes);
    const btf = Btf.parse(elf.sectionByName('.BTF')!.data);
    const records = parseBtfExt(elf.sectionByName('.BTF.ext')!.data, btf).get('xdp')!.coreRelos;
    const spec = loadObjectSpec(bytes, file);
    const p = spec.programs[0]!;
    const seen = new Set<string>();
    let poisoned = 0;
    for (const r of records) {
      const root = btf.type(r.typeId);
      const steps = r.access.split(':').map(Number);
      // The accessed member's name (its last step), for field relocations.
      let t = btf.resolve(r.typeId), field = '';
      for (const s of steps.slice(1)) {
        const m = t.members![s]!;
        field = m.name;
        t = btf.resolve(m.type);
      }
      const key = `${root.name.replace(/___.*/, '')}.${field}.${CoreReloKind[r.kind]}`;
      const index = p.origins.findIndex((o) => o.section === 'xdp' && o.offset === r.insnOff);
      const insn = p.instructions[index]!;
      if (key === 'iphdr.not_in_iphdr.FIELD_BYTE_OFFSET') {
        assert.equal([insn.opcode, insn.imm], [CALL, POISON_HELPER], 'a missing field poisons the access');
        poisoned++;
        continue;
      }
      assert.ok(key in EXPECTED, `unexpected record ${key}`);
      const cls = classOf(insn.opcode);
      const value = cls === Class.LDX || cls === Class.ST || cls === Class.STX ? insn.off : insn.imm;
      assert.is(value, EXPECTED[key], key);
      if (insn.opcode === LDDW) assert.is(insn.imm2, 0);
      seen.add(key);
    }
    assert.equal([...seen].sort(), Object.keys(EXPECTED).sort(), 'every expected record was present');
    assert.is(poisoned, 1);
  });

  test('a struct sluice does not define: the record is named', () => {
    assert.throws(() => loadObjectSpec(read(buildFixture('core_unknown'))), (e: Error) => e instanceof ObjectError &&
      e.message.includes("CO-RE relocation #0 (FIELD_BYTE_OFFSET, access '0:1') at section 'xdp'") &&
      e.message.includes("struct sk_buff___mine") && e.message.includes("sluice defines no type 'sk_buff'"));
  });

  test('sluice\'s target types have the layout clang gives the UAPI headers', () => {
    // A BTF of the real headers: compile a file that uses each struct, then compare
    // every named field's offset, bitfield width and size with core-types.ts.
    const btf = Btf.parse(parseElf(read(buildFixture('uapi_types'))).sectionByName('.BTF')!.data);
    for (const [name, target] of TARGET_TYPES) {
      const local = btf.find(Kind.STRUCT, name)[0];
      assert.ok(local, `struct ${name} in the UAPI BTF`);
      assert.is(local!.size, sizeOf(target), `sizeof(struct ${name})`);
      compare(btf, local!.id, target, name, 0);
    }
  });
}

function compare(btf: Btf, id: number, target: TargetType, path: string, base: number): void {
  const t = btf.resolve(id);
  if (target.kind === 'int') {
    assert.is(btf.sizeof(id), target.size, `${path}: size`);
    return;
  }
  if (target.kind === 'array') {
    assert.is(t.kind, Kind.ARRAY, `${path}: array`);
    assert.is(t.array!.nelems, target.n, `${path}: length`);
    compare(btf, t.array!.type, target.elem, `${path}[]`, 0);
    return;
  }
  assert.ok(t.kind === Kind.STRUCT || t.kind === Kind.UNION, `${path}: struct or union`);
  assert.is(t.members!.length, target.fields.length, `${path}: member count`);
  t.members!.forEach((m, i) => {
    const f = target.fields[i]!;
    assert.is(m.name, f.name, `${path}: member ${i}`);
    assert.is(base + m.bitOffset, base + f.bitOffset, `${path}.${m.name}: bit offset`);
    assert.is(m.bitfieldSize, f.bitfieldSize, `${path}.${m.name}: bitfield width`);
    compare(btf, m.type, f.type, `${path}.${m.name || '(anon)'}`, 0);
  });
}

test.run();
