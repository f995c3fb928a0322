// .BTF.ext (linux/btf.h, libbpf's btf_ext): per-section tables of function info,
// line info and CO-RE relocation records. In an object file every insn_off is a
// byte offset into the named section; strings (file names, source lines, access
// strings) live in the .BTF string table.
import type { Bytes } from '../elf/bytes.ts';
import { type Btf, BtfError, BTF_MAGIC } from './types.ts';

/** A function starts at `insnOff` (bytes into its section); `typeId` is its BTF FUNC. */
export interface FuncInfo { readonly insnOff: number; readonly typeId: number }

/** The source position of the instructions from `insnOff` up to the next record. */
export interface LineInfo {
  readonly insnOff: number;
  readonly file: string;
  /** The text of the source line, as clang recorded it (may be empty). */
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

/** enum bpf_core_relo_kind (linux/bpf.h). */
export enum CoreReloKind {
  FIELD_BYTE_OFFSET = 0, FIELD_BYTE_SIZE = 1, FIELD_EXISTS = 2, FIELD_SIGNED = 3,
  FIELD_LSHIFT_U64 = 4, FIELD_RSHIFT_U64 = 5, TYPE_ID_LOCAL = 6, TYPE_ID_TARGET = 7,
  TYPE_EXISTS = 8, TYPE_SIZE = 9, ENUMVAL_EXISTS = 10, ENUMVAL_VALUE = 11, TYPE_MATCHES = 12,
}

export interface CoreRelo {
  readonly insnOff: number;
  /** The local (program-side) root type. */
  readonly typeId: number;
  /** "0:1:2": array index into the root, then member/element indexes. */
  readonly access: string;
  readonly kind: CoreReloKind | number;
}

export interface SectionExt {
  readonly funcInfo: readonly FuncInfo[];
  readonly lineInfo: readonly LineInfo[];
  readonly coreRelos: readonly CoreRelo[];
}

/** Parses .BTF.ext into per-section tables, keyed by section name. */
export function parseBtfExt(data: Bytes, btf: Btf): Map<string, SectionExt> {
  const where = data.where;
  const magic = data.u16(0, 'BTF.ext magic');
  if (magic !== BTF_MAGIC) throw new BtfError(`${where}: bad magic 0x${magic.toString(16)} at offset 0`);
  if (data.u8(2) !== 1) throw new BtfError(`${where}: version ${data.u8(2)} at offset 2 is not 1`);
  const hdrLen = data.u32(4, 'hdr_len');
  if (hdrLen < 24) throw new BtfError(`${where}: hdr_len ${hdrLen} at offset 4 is shorter than 24`);
  const out = new Map<string, { funcInfo: FuncInfo[]; lineInfo: LineInfo[]; coreRelos: CoreRelo[] }>();
  const entry = (name: string) => {
    let e = out.get(name);
    if (!e) out.set(name, e = { funcInfo: [], lineInfo: [], coreRelos: [] });
    return e;
  };
  const table = (offField: number, what: string, minRec: number,
    read: (rec: Bytes, at: number, section: string) => void) => {
    const off = data.u32(offField, `${what}_off`);
    const len = data.u32(offField + 4, `${what}_len`);
    if (len === 0) return;
    const t = data.slice(hdrLen + off, len, `${where} ${what}`);
    const recSize = t.u32(0, 'rec_size');
    if (recSize < minRec) throw new BtfError(`${t.where}: record size ${recSize} at offset 0 is below ${minRec}`);
    let at = 4;
    while (at < len) {
      const section = btf.string(t.u32(at, 'sec_name_off'));
      const n = t.u32(at + 4, 'num_info');
      at += 8;
      t.check(at, n * recSize, `${n} records for section '${section}'`);
      for (let i = 0; i < n; i++, at += recSize) read(t, at, section);
    }
  };
  table(8, 'func_info', 8, (t, at, s) => {
    entry(s).funcInfo.push({ insnOff: t.u32(at), typeId: t.u32(at + 4) });
  });
  table(16, 'line_info', 16, (t, at, s) => {
    const col = t.u32(at + 12);
    entry(s).lineInfo.push({
      insnOff: t.u32(at), file: btf.string(t.u32(at + 4)), text: btf.string(t.u32(at + 8)),
      line: col >>> 10, column: col & 0x3ff,
    });
  });
  if (hdrLen >= 32) {
    table(24, 'core_relo', 16, (t, at, s) => {
      entry(s).coreRelos.push({ insnOff: t.u32(at), typeId: t.u32(at + 4), access: btf.string(t.u32(at + 8)), kind: t.u32(at + 12) });
    });
  }
  return out;
}
