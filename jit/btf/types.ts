// The BTF type section (linux/btf.h): a header, a run of variable-length type
// records and a string table. Type ids start at 1 (0 is void) in record order.
// Every kind is parsed; resolving stops after a bounded number of steps so a
// cyclic or dangling type graph from a damaged file is an error, not a hang.
import { Bytes } from '../elf/bytes.ts';
import { SluiceError } from '../errors.ts';

/** BTF or BTF.ext that does not parse, or a type that cannot serve where it is used. */
export class BtfError extends SluiceError {}

export const BTF_MAGIC = 0xeb9f;

export enum Kind {
  UNKN = 0, INT = 1, PTR = 2, ARRAY = 3, STRUCT = 4, UNION = 5, ENUM = 6, FWD = 7, TYPEDEF = 8,
  VOLATILE = 9, CONST = 10, RESTRICT = 11, FUNC = 12, FUNC_PROTO = 13, VAR = 14, DATASEC = 15,
  FLOAT = 16, DECL_TAG = 17, TYPE_TAG = 18, ENUM64 = 19,
}

export interface Member { readonly name: string; readonly type: number; readonly bitOffset: number; readonly bitfieldSize: number }
export interface EnumValue { readonly name: string; readonly value: bigint }
export interface Param { readonly name: string; readonly type: number }
export interface VarSection { readonly type: number; readonly offset: number; readonly size: number }

export interface BtfType {
  readonly id: number;
  readonly kind: Kind;
  readonly name: string;
  /** kind_flag: bitfield offsets in STRUCT/UNION, union-FWD, signed ENUM. */
  readonly kindFlag: boolean;
  /** Byte size for INT, STRUCT, UNION, ENUM, ENUM64, FLOAT, DATASEC. */
  readonly size?: number;
  /** Referenced type for PTR, TYPEDEF, modifiers, FUNC, VAR, DECL_TAG; return type of FUNC_PROTO. */
  readonly type?: number;
  /** INT: encoding bits (1 signed, 2 char, 4 bool), bit offset and width. */
  readonly int?: { readonly encoding: number; readonly offset: number; readonly bits: number };
  readonly array?: { readonly type: number; readonly indexType: number; readonly nelems: number };
  readonly members?: readonly Member[];
  readonly values?: readonly EnumValue[];
  readonly params?: readonly Param[];
  /** FUNC: 0 static, 1 global, 2 extern. VAR: 0 static, 1 global, 2 extern. */
  readonly linkage?: number;
  readonly vars?: readonly VarSection[];
  /** DECL_TAG: -1 for the whole declaration, else the member or parameter index. */
  readonly componentIdx?: number;
}

const HEADER_MIN = 24;
const MAX_CHAIN = 64;

export class Btf {
  private constructor(readonly types: readonly BtfType[], private readonly strings: Bytes) {}

  /** Parses a .BTF section's contents. */
  static parse(data: Bytes): Btf {
    const where = data.where;
    const magic = data.u16(0, 'BTF magic');
    if (magic !== BTF_MAGIC) throw new BtfError(`${where}: bad magic 0x${magic.toString(16)} at offset 0`);
    const version = data.u8(2, 'BTF version');
    if (version !== 1) throw new BtfError(`${where}: version ${version} at offset 2 is not 1`);
    const hdrLen = data.u32(4, 'BTF hdr_len');
    if (hdrLen < HEADER_MIN) throw new BtfError(`${where}: hdr_len ${hdrLen} at offset 4 is shorter than ${HEADER_MIN}`);
    const typeOff = data.u32(8, 'type_off'), typeLen = data.u32(12, 'type_len');
    const strOff = data.u32(16, 'str_off'), strLen = data.u32(20, 'str_len');
    const typeData = data.slice(hdrLen + typeOff, typeLen, `${where} type records`);
    const strings = data.slice(hdrLen + strOff, strLen, `${where} string table`);
    if (strLen > 0 && strings.u8(0) !== 0) throw new BtfError(`${where}: the string table does not start with an empty string`);
    const btf = new Btf([], strings);
    const types: BtfType[] = [{ id: 0, kind: Kind.UNKN, name: '', kindFlag: false }];
    let at = 0;
    while (at < typeLen) {
      const [type, next] = readType(typeData, at, types.length, (off) => btf.string(off));
      types.push(type);
      at = next;
    }
    return new Btf(types, strings);
  }

  /** The string at `offset` of the BTF string table (names, file names, line text). */
  string(offset: number): string {
    if (offset === 0) return '';
    return this.strings.cstring(offset, 'BTF string');
  }

  type(id: number, what = 'type'): BtfType {
    const t = this.types[id];
    if (t === undefined) throw new BtfError(`.BTF: ${what} id ${id} does not exist (${this.types.length - 1} types)`);
    return t;
  }

  /** Skips typedefs, const/volatile/restrict and type tags. */
  resolve(id: number): BtfType {
    let t = this.type(id);
    for (let n = 0; n < MAX_CHAIN; n++) {
      if (t.kind !== Kind.TYPEDEF && t.kind !== Kind.VOLATILE && t.kind !== Kind.CONST &&
        t.kind !== Kind.RESTRICT && t.kind !== Kind.TYPE_TAG) return t;
      t = this.type(t.type ?? 0);
    }
    throw new BtfError(`.BTF: type ${id} is a chain of more than ${MAX_CHAIN} modifiers (a cycle?)`);
  }

  /** The byte size of a type, as sizeof() in C would give it. */
  sizeof(id: number, depth = 0): number {
    if (depth > MAX_CHAIN) throw new BtfError(`.BTF: type ${id} nests more than ${MAX_CHAIN} levels (a cycle?)`);
    const t = this.resolve(id);
    switch (t.kind) {
      case Kind.INT: case Kind.STRUCT: case Kind.UNION: case Kind.ENUM: case Kind.ENUM64:
      case Kind.FLOAT: case Kind.DATASEC:
        return t.size ?? 0;
      case Kind.PTR: return 8;
      case Kind.ARRAY: return t.array!.nelems * this.sizeof(t.array!.type, depth + 1);
      default: throw new BtfError(`.BTF: type ${id} (${Kind[t.kind] ?? t.kind} '${t.name}') has no size`);
    }
  }

  /** Types of one kind with the given name. */
  find(kind: Kind, name: string): BtfType[] {
    return this.types.filter((t) => t.kind === kind && t.name === name);
  }

  /** A short C-like name for messages: "struct xdp_md", "__u32", "int *". */
  describe(id: number, depth = 0): string {
    const t = this.types[id];
    if (t === undefined) return `<bad type ${id}>`;
    if (id === 0) return 'void';
    if (depth > 8) return '…';
    switch (t.kind) {
      case Kind.STRUCT: return `struct ${t.name || '(anon)'}`;
      case Kind.UNION: return `union ${t.name || '(anon)'}`;
      case Kind.ENUM: case Kind.ENUM64: return `enum ${t.name || '(anon)'}`;
      case Kind.PTR: return `${this.describe(t.type ?? 0, depth + 1)} *`;
      case Kind.CONST: return `const ${this.describe(t.type ?? 0, depth + 1)}`;
      case Kind.VOLATILE: return `volatile ${this.describe(t.type ?? 0, depth + 1)}`;
      case Kind.ARRAY: return `${this.describe(t.array!.type, depth + 1)}[${t.array!.nelems}]`;
      case Kind.FUNC_PROTO: return 'function';
      default: return t.name || Kind[t.kind] || 'type';
    }
  }
}

function readType(d: Bytes, at: number, id: number, str: (off: number) => string): [BtfType, number] {
  const what = `type ${id}`;
  const nameOff = d.u32(at, `${what} name_off`);
  const info = d.u32(at + 4, `${what} info`);
  const sizeOrType = d.u32(at + 8, `${what} size/type`);
  const vlen = info & 0xffff;
  const kind = (info >>> 24) & 0x1f;
  const kindFlag = (info >>> 31) === 1;
  const base = { id, kind, name: str(nameOff), kindFlag };
  let p = at + 12;
  switch (kind) {
    case Kind.INT: {
      const e = d.u32(p, `${what} int encoding`);
      return [{ ...base, size: sizeOrType, int: { encoding: (e >>> 24) & 0xf, offset: (e >>> 16) & 0xff, bits: e & 0xff } }, p + 4];
    }
    case Kind.PTR: case Kind.FWD: case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST:
    case Kind.RESTRICT: case Kind.TYPE_TAG:
      return [{ ...base, type: sizeOrType }, p];
    case Kind.FUNC:
      return [{ ...base, type: sizeOrType, linkage: vlen }, p];
    case Kind.FLOAT:
      return [{ ...base, size: sizeOrType }, p];
    case Kind.ARRAY:
      return [{ ...base, array: { type: d.u32(p, `${what} array type`), indexType: d.u32(p + 4), nelems: d.u32(p + 8, `${what} nelems`) } }, p + 12];
    case Kind.STRUCT: case Kind.UNION: {
      d.check(p, vlen * 12, `${what} members`);
      const members: Member[] = [];
      for (let i = 0; i < vlen; i++, p += 12) {
        const off = d.u32(p + 8);
        members.push({
          name: str(d.u32(p)), type: d.u32(p + 4),
          bitOffset: kindFlag ? off & 0xffffff : off, bitfieldSize: kindFlag ? off >>> 24 : 0,
        });
      }
      return [{ ...base, size: sizeOrType, members }, p];
    }
    case Kind.ENUM: {
      d.check(p, vlen * 8, `${what} enumerators`);
      const values: EnumValue[] = [];
      for (let i = 0; i < vlen; i++, p += 8) {
        const raw = kindFlag ? d.i32(p + 4) : d.u32(p + 4);
        values.push({ name: str(d.u32(p)), value: BigInt(raw) });
      }
      return [{ ...base, size: sizeOrType, values }, p];
    }
    case Kind.ENUM64: {
      d.check(p, vlen * 12, `${what} enumerators`);
      const values: EnumValue[] = [];
      for (let i = 0; i < vlen; i++, p += 12) {
        const v = (BigInt(d.u32(p + 8)) << 32n) | BigInt(d.u32(p + 4));
        values.push({ name: str(d.u32(p)), value: kindFlag ? BigInt.asIntN(64, v) : v });
      }
      return [{ ...base, size: sizeOrType, values }, p];
    }
    case Kind.FUNC_PROTO: {
      d.check(p, vlen * 8, `${what} parameters`);
      const params: Param[] = [];
      for (let i = 0; i < vlen; i++, p += 8) params.push({ name: str(d.u32(p)), type: d.u32(p + 4) });
      return [{ ...base, type: sizeOrType, params }, p];
    }
    case Kind.VAR:
      return [{ ...base, type: sizeOrType, linkage: d.u32(p, `${what} linkage`) }, p + 4];
    case Kind.DATASEC: {
      d.check(p, vlen * 12, `${what} variables`);
      const vars: VarSection[] = [];
      for (let i = 0; i < vlen; i++, p += 12) vars.push({ type: d.u32(p), offset: d.u32(p + 4), size: d.u32(p + 8) });
      return [{ ...base, size: sizeOrType, vars }, p];
    }
    case Kind.DECL_TAG:
      return [{ ...base, type: sizeOrType, componentIdx: d.i32(p, `${what} component_idx`) }, p + 4];
    default:
      throw new BtfError(`${d.where}: ${what} at offset ${at} has unknown kind ${kind}`);
  }
}
