// The BTF parser against bpftool's dump of the same objects (every type, member,
// enumerator, parameter and datasec entry), line info against the C source files
// themselves, and damaged BTF.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bytes } from '../../elf/bytes.ts';
import { parseElf } from '../../elf/reader.ts';
import { SluiceError } from '../../errors.ts';
import { parseBtfExt } from '../ext.ts';
import { Btf, BtfError, type BtfType, Kind } from '../types.ts';
import { loadObjectSpec } from '../../object/load.ts';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import { buildFixture, exampleObjects, read } from '../../object/test/objects.ts';

const btfOf = (file: string): Btf => Btf.parse(parseElf(read(file)).sectionByName('.BTF')!.data);

/** One type as `bpftool btf dump file F` (raw format) prints it. */
function render(btf: Btf, t: BtfType): string[] {
  const name = `'${t.name || '(anon)'}'`;
  const head = `[${t.id}] ${Kind[t.kind]} ${name}`;
  const linkage = ['static', 'global', 'extern'];
  switch (t.kind) {
    case Kind.INT: {
      const e = t.int!.encoding;
      const enc = e & 1 ? 'SIGNED' : e & 2 ? 'CHAR' : e & 4 ? 'BOOL' : '(none)';
      return [`${head} size=${t.size} bits_offset=${t.int!.offset} nr_bits=${t.int!.bits} encoding=${enc}`];
    }
    case Kind.PTR: case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT: case Kind.TYPE_TAG:
      return [`${head} type_id=${t.type}`];
    case Kind.ARRAY: return [`${head} type_id=${t.array!.type} index_type_id=${t.array!.indexType} nr_elems=${t.array!.nelems}`];
    case Kind.STRUCT: case Kind.UNION:
      return [`${head} size=${t.size} vlen=${t.members!.length}`, ...t.members!.map((m) =>
        `\t'${m.name || '(anon)'}' type_id=${m.type} bits_offset=${m.bitOffset}${m.bitfieldSize ? ` bitfield_size=${m.bitfieldSize}` : ''}`)];
    case Kind.ENUM:
      return [`${head} encoding=${t.kindFlag ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values!.length}`,
        ...t.values!.map((v) => `\t'${v.name}' val=${v.value}`)];
    case Kind.FWD: return [`${head} fwd_kind=${t.kindFlag ? 'union' : 'struct'}`];
    case Kind.FUNC: return [`${head} type_id=${t.type} linkage=${linkage[t.linkage!]}`];
    case Kind.FUNC_PROTO:
      return [`${head} ret_type_id=${t.type} vlen=${t.params!.length}`, ...t.params!.map((p) => `\t'${p.name || '(anon)'}' type_id=${p.type}`)];
    case Kind.VAR: return [`${head} type_id=${t.type}, linkage=${linkage[t.linkage!]}`];
    case Kind.DATASEC:
      return [`${head} size=${t.size} vlen=${t.vars!.length}`,
        ...t.vars!.map((v) => `\ttype_id=${v.type} offset=${v.offset} size=${v.size} (VAR '${btf.type(v.type).name}')`)];
    case Kind.DECL_TAG: return [`${head} type_id=${t.type} component_idx=${t.componentIdx}`];
    case Kind.FLOAT: return [`${head} size=${t.size}`];
    default: return [head];
  }
}

if (requires('BTF vs bpftool', hasCommand('bpftool'), hasCommand('clang'))) {
  test('every type agrees with bpftool btf dump', () => {
    const files = [...exampleObjects(), buildFixture('btf_kinds'), buildFixture('multi_prog'), buildFixture('core'), buildFixture('rodata')];
    for (const file of files) {
      const btf = btfOf(file);
      const expected = execFileSync('bpftool', ['btf', 'dump', 'file', file], { encoding: 'utf8' }).trimEnd().split('\n');
      const ours = btf.types.slice(1).flatMap((t) => render(btf, t));
      assert.equal(ours, expected, file);
    }
  });

  test('every kind clang 14 emits is covered by the fixture', () => {
    const btf = btfOf(buildFixture('btf_kinds'));
    const kinds = new Set(btf.types.map((t) => t.kind));
    for (const k of [Kind.INT, Kind.PTR, Kind.ARRAY, Kind.STRUCT, Kind.UNION, Kind.ENUM, Kind.FWD, Kind.TYPEDEF,
      Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.FUNC, Kind.FUNC_PROTO, Kind.VAR, Kind.DATASEC, Kind.DECL_TAG, Kind.TYPE_TAG]) {
      assert.ok(kinds.has(k), `kind ${Kind[k]} present`);
    }
    const flags = btf.find(Kind.STRUCT, 'flags')[0]!;
    assert.is(btf.sizeof(flags.id), 40);
    assert.is(btf.describe(flags.members![6]!.type), 'const volatile flow_t');
    assert.is(btf.resolve(flags.members![6]!.type).name, 'unsigned int');
  });

  test('line info: every instruction maps to its own line of the C source', () => {
    const files = [...exampleObjects().map((o) => ({ o, c: o.replace(/\.o$/, '.c') })),
      ...['multi_prog', 'rodata', 'core', 'btf_kinds'].map((n) => ({ o: buildFixture(n), c: new URL(`../../object/test/fixtures/${n}.c`, import.meta.url).pathname }))];
    for (const { o, c } of files) {
      const source = readFileSync(c, 'utf8').split('\n');
      const spec = loadObjectSpec(read(o), o);
      let checked = 0;
      for (const prog of spec.programs.filter((p) => p.type.supported)) {
        prog.lines.forEach((line, i) => {
          if (!line) return;
          assert.ok(c.endsWith(line.file.split('/').pop()!) || line.file.endsWith('.h'), `${o}: file ${line.file}`);
          if (line.file.endsWith('.h')) return;
          assert.is(line.text, source[line.line - 1], `${o} ${prog.name} insn ${i}: line ${line.line}`);
          assert.ok(line.column <= (source[line.line - 1]?.length ?? 0) + 1, `${o}: column ${line.column} within line ${line.line}`);
          checked++;
        });
        assert.ok(prog.funcInfo.every((f) => f.typeId > 0 && spec.btf!.type(f.typeId).kind === Kind.FUNC && spec.btf!.type(f.typeId).name === f.name),
          `${o} ${prog.name}: func info names its BTF FUNC`);
      }
      assert.ok(checked > 0, `${o}: some instructions have line info`);
    }
  });
}

// ---- hand-built and damaged BTF -------------------------------------------------

/** A .BTF blob from type records (u32 words) and strings. */
function blob(words: number[], strings: string[], patch?: (v: DataView) => void): Bytes {
  const str = new TextEncoder().encode(`\0${strings.map((s) => `${s}\0`).join('')}`);
  const types = new Uint8Array(words.length * 4);
  const tv = new DataView(types.buffer);
  words.forEach((w, i) => tv.setUint32(i * 4, w >>> 0, true));
  const out = new Uint8Array(24 + types.length + str.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true); v.setUint8(2, 1); v.setUint32(4, 24, true);
  v.setUint32(8, 0, true); v.setUint32(12, types.length, true);
  v.setUint32(16, types.length, true); v.setUint32(20, str.length, true);
  out.set(types, 24); out.set(str, 24 + types.length);
  patch?.(v);
  return new Bytes(out, "section '.BTF'");
}
const info = (kind: Kind, vlen = 0, flag = 0) => (flag << 31) | (kind << 24) | vlen;

test('a hand-built BTF parses: int, pointer, typedef, struct with a bitfield', () => {
  const btf = Btf.parse(blob([
    1, info(Kind.INT), 4, (1 << 24) | 32, // [1] int, signed
    0, info(Kind.PTR), 1, // [2] int *
    5, info(Kind.TYPEDEF), 1, // [3] typedef int s32
    9, info(Kind.STRUCT, 2, 1), 8, 14, 1, (3 << 24) | 0, 16, 2, 32, // [4] struct pair { int a:3; int *p@32 }
  ], ['int', 's32', 'pair', 'a', 'p']));
  assert.is(btf.types.length, 5);
  assert.is(btf.type(1).name, 'int');
  assert.is(btf.sizeof(3), 4);
  assert.is(btf.sizeof(2), 8);
  assert.equal(btf.type(4).members!.map((m) => [m.name, m.bitOffset, m.bitfieldSize]), [['a', 0, 3], ['p', 32, 0]]);
});

test('kinds clang 14 cannot emit: ENUM64 (signed and unsigned) and FLOAT', () => {
  const btf = Btf.parse(blob([
    1, info(Kind.ENUM64, 2, 1), 8, 3, 0xfffffffe, 0xffffffff, 5, 0x00000001, 0x80000000, // [1] signed enum64 { a = -2, b = INT64_MIN + 1 }
    7, info(Kind.ENUM64, 1, 0), 8, 3, 0xffffffff, 0xffffffff, // [2] unsigned enum64 { a = 2^64 - 1 }
    9, info(Kind.FLOAT), 8, // [3] double
  ], ['e', 'a', 'b', 'u', 'double']));
  assert.equal(btf.type(1).values!.map((v) => [v.name, v.value]), [['a', -2n], ['b', -(2n ** 63n) + 1n]]);
  assert.equal(btf.type(2).values!.map((v) => v.value), [2n ** 64n - 1n]);
  assert.equal([btf.type(3).kind, btf.sizeof(3), btf.sizeof(1)], [Kind.FLOAT, 8, 8]);
});

function throwsBtf(make: () => unknown, pattern: RegExp): void {
  try {
    make();
  } catch (err) {
    assert.instance(err, SluiceError, String(err));
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable('parsed');
}

test('damaged BTF: bad magic, truncated records, unknown kind, bad string, cycles', () => {
  throwsBtf(() => Btf.parse(blob([], [], (v) => v.setUint16(0, 0x9feb, true))), /bad magic 0x9feb at offset 0/);
  throwsBtf(() => Btf.parse(blob([1, info(Kind.INT), 4], ['int'])), /type 1 int encoding .*runs past the end/);
  throwsBtf(() => Btf.parse(blob([0, info(Kind.STRUCT, 100), 8], [])), /type 1 members .*runs past the end/);
  throwsBtf(() => Btf.parse(blob([0, info(25 as Kind), 0], [])), /type 1 at offset 0 has unknown kind 25/);
  throwsBtf(() => Btf.parse(blob([999, info(Kind.PTR), 0], [])), /BTF string offset 999 is outside the string table/);
  throwsBtf(() => Btf.parse(blob([], [], (v) => v.setUint32(20, 1 << 20, true))), /string table .*runs past the end/);
  const cyclic = Btf.parse(blob([0, info(Kind.TYPEDEF), 2, 0, info(Kind.CONST), 1], []));
  throwsBtf(() => cyclic.sizeof(1), /chain of more than 64 modifiers/);
  const deep = Btf.parse(blob([0, info(Kind.ARRAY), 0, 1, 1, 2], []));
  throwsBtf(() => deep.sizeof(1), /nests more than 64 levels/);
  throwsBtf(() => deep.type(7), /type id 7 does not exist/);
  assert.instance(new BtfError('x'), SluiceError);
});

test('damaged BTF.ext: bad magic, record size, records past the end', () => {
  const btf = Btf.parse(blob([], ['xdp']));
  const ext = (words: number[]) => {
    const b = new Uint8Array(words.length * 4);
    words.forEach((w, i) => new DataView(b.buffer).setUint32(i * 4, w >>> 0, true));
    return new Bytes(b, "section '.BTF.ext'");
  };
  const hdr = (fiLen: number, liLen: number) => [0x0001eb9f | (0 << 24), 32, 0, fiLen, fiLen, liLen, 0, 0];
  throwsBtf(() => parseBtfExt(ext([0x1234, 32, 0, 0, 0, 0, 0, 0]), btf), /bad magic 0x1234/);
  throwsBtf(() => parseBtfExt(ext([...hdr(12, 0), 4, 1, 1]), btf), /record size 4 at offset 0 is below 8/);
  throwsBtf(() => parseBtfExt(ext([...hdr(12, 0), 8, 1, 5]), btf), /5 records for section 'xdp'.*runs past the end/);
  const ok = parseBtfExt(ext([...hdr(20, 0), 8, 1, 1, 16, 3]), btf);
  assert.equal(ok.get('xdp')!.funcInfo, [{ insnOff: 16, typeId: 3 }]);
});

test.run();
