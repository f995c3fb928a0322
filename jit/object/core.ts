// CO-RE ("compile once, run everywhere") relocation records from .BTF.ext. The
// program was compiled against some layout of a struct (the local BTF type, named
// `foo` or `foo___flavour`); the record names an access path into it. sluice resolves
// the path against the layout it defines for that struct (core-types.ts) and patches
// the instruction's offset or immediate, as libbpf does against the kernel's BTF.
// Fields the target lacks poison the instruction (a call to helper 0xbad2310, as in
// libbpf) so the verifier rejects it only if it is reachable; relocations sluice
// cannot compute (target type ids, enum values, unknown structs) are errors that
// name the record, raised when a program that contains the instruction is linked.
import type { Instruction } from '../isa/instruction.ts';
import { CALL, Class, LDDW, Mode, Source, classOf, modeOf, sizeFromBytes, sourceOf } from '../isa/opcode.ts';
import { CoreReloKind, type CoreRelo, type SectionExt } from '../btf/ext.ts';
import { type Btf, type BtfType, Kind } from '../btf/types.ts';
import type { CodeSection } from './code.ts';
import { ObjectError, type ProgramSpec } from './spec.ts';
import { sizeOf, TARGET_TYPES, type TargetField, type TargetType } from './core-types.ts';

/** libbpf's poison: an unknown helper id the verifier reports if the call is reachable. */
export const POISON_HELPER = 0xbad2310;

export interface CoreResult {
  /** Throws the first CO-RE failure inside the linked program, if any. */
  check(prog: ProgramSpec): void;
}

export function applyCoreRelos(code: ReadonlyMap<number, CodeSection>, ext: ReadonlyMap<string, SectionExt>, btf: Btf | undefined): CoreResult {
  const failures = new Map<string, ObjectError>();
  for (const c of code.values()) {
    const relos = ext.get(c.section.name)?.coreRelos ?? [];
    relos.forEach((r, n) => {
      const where = `CO-RE relocation #${n} (${CoreReloKind[r.kind] ?? `kind ${r.kind}`}, access '${r.access}') at section '${c.section.name}' offset ${r.insnOff}`;
      const index = r.insnOff % 8 === 0 ? c.indexOf[r.insnOff / 8] : undefined;
      if (index === undefined || index < 0) throw new ObjectError(`${where}: not the start of an instruction`);
      if (!btf) throw new ObjectError(`${where}: no BTF`);
      try {
        c.insns[index] = relocate(c.insns[index]!, r, btf, where);
      } catch (err) {
        if (!(err instanceof ObjectError)) throw err;
        failures.set(`${c.section.name}:${r.insnOff}`, err);
      }
    });
  }
  return {
    check(prog) {
      for (const o of prog.origins) {
        const err = failures.get(`${o.section}:${o.offset}`);
        if (err) throw new ObjectError(`program '${prog.name}': ${err.message}`, { cause: err });
      }
    },
  };
}

interface FieldInfo { byteOff: number; byteSize: number; signed: boolean; lshift: number; rshift: number; bitfield: boolean }
/** local and target values; target undefined when the field or type is missing. */
interface Values {
  local: number; target: number | undefined; localSize?: number; targetSize?: number;
  /** false for bitfields: clang's local value for them need not match libbpf's arithmetic. */
  validate?: boolean;
}

function relocate(insn: Instruction, r: CoreRelo, btf: Btf, where: string): Instruction {
  const root = btf.type(r.typeId, 'CO-RE root type');
  const name = root.name.replace(/___.*$/, '');
  const described = `${btf.describe(r.typeId)}`;
  const fail = (why: string) => new ObjectError(`${where} on ${described}: ${why}`);
  let v: Values;
  switch (r.kind) {
    case CoreReloKind.TYPE_ID_LOCAL: v = { local: r.typeId, target: r.typeId }; break;
    case CoreReloKind.TYPE_EXISTS: case CoreReloKind.TYPE_MATCHES:
      v = { local: 1, target: TARGET_TYPES.has(name) ? 1 : 0 }; break;
    case CoreReloKind.TYPE_SIZE: {
      const t = TARGET_TYPES.get(name);
      v = { local: btf.sizeof(r.typeId), target: t ? sizeOf(t) : undefined }; break;
    }
    case CoreReloKind.FIELD_BYTE_OFFSET: case CoreReloKind.FIELD_BYTE_SIZE: case CoreReloKind.FIELD_EXISTS:
    case CoreReloKind.FIELD_SIGNED: case CoreReloKind.FIELD_LSHIFT_U64: case CoreReloKind.FIELD_RSHIFT_U64: {
      if (!TARGET_TYPES.has(name)) throw fail(`sluice defines no type '${name}' (it defines ${[...TARGET_TYPES.keys()].join(', ')})`);
      const { local, target } = walk(btf, root, r.access, TARGET_TYPES.get(name)!, fail);
      const pick = (f: FieldInfo): number => {
        switch (r.kind) {
          case CoreReloKind.FIELD_BYTE_OFFSET: return f.byteOff;
          case CoreReloKind.FIELD_BYTE_SIZE: return f.byteSize;
          case CoreReloKind.FIELD_SIGNED: return f.signed ? 1 : 0;
          case CoreReloKind.FIELD_LSHIFT_U64: return f.lshift;
          case CoreReloKind.FIELD_RSHIFT_U64: return f.rshift;
          default: return 1;
        }
      };
      v = r.kind === CoreReloKind.FIELD_EXISTS
        ? { local: 1, target: target ? 1 : 0 }
        : {
          local: pick(local), target: target ? pick(target) : undefined, validate: !local.bitfield,
          localSize: local.byteSize, targetSize: target?.byteSize,
        };
      break;
    }
    default:
      throw fail(`sluice cannot resolve ${CoreReloKind[r.kind] ?? `kind ${r.kind}`} relocations (it has no kernel BTF)`);
  }
  if (v.target === undefined) return { opcode: CALL, dst: 0, src: 0, off: 0, imm: POISON_HELPER };
  return patch(insn, v, r.kind === CoreReloKind.FIELD_BYTE_OFFSET, fail);
}

/** Follows the access string through the local type and, by member name, the target. */
function walk(btf: Btf, root: BtfType, access: string, target: TargetType, fail: (why: string) => ObjectError) {
  if (!/^\d+(:\d+)*$/.test(access)) throw fail('malformed access string');
  const steps = access.split(':').map(Number);
  let t = btf.resolve(root.id);
  let tt: TargetType | undefined = target;
  const rootSize = btf.sizeof(root.id);
  let off = steps[0]! * rootSize * 8, tOff = steps[0]! * sizeOf(target) * 8;
  let bitSize = 0, tBitSize = 0;
  let fieldType = root.id;
  let tField: TargetType | undefined = target;
  for (const idx of steps.slice(1)) {
    bitSize = 0;
    if (t.kind === Kind.STRUCT || t.kind === Kind.UNION) {
      const m = t.members?.[idx];
      if (!m) throw fail(`member ${idx} of ${btf.describe(t.id)} does not exist`);
      off += m.bitOffset;
      bitSize = m.bitfieldSize;
      fieldType = m.type;
      if (m.name !== '') {
        const found: { field: TargetField; bitOffset: number } | undefined = tt && (tt.kind === 'struct' || tt.kind === 'union') ? findField(tt, m.name) : undefined;
        if (found) { tOff += found.bitOffset; tBitSize = found.field.bitfieldSize; tt = found.field.type; } else tt = undefined;
        tField = tt;
      }
      t = btf.resolve(m.type);
    } else if (t.kind === Kind.ARRAY) {
      const elemSize = btf.sizeof(t.array!.type);
      off += idx * elemSize * 8;
      fieldType = t.array!.type;
      if (tt?.kind === 'array') { tOff += idx * sizeOf(tt.elem) * 8; tt = tt.elem; tBitSize = 0; } else tt = undefined;
      tField = tt;
      t = btf.resolve(t.array!.type);
    } else {
      throw fail(`access step ${idx} into ${btf.describe(t.id)}, which is neither a struct, a union nor an array`);
    }
  }
  const signedLocal = (t.kind === Kind.INT && ((t.int?.encoding ?? 0) & 1) === 1) || ((t.kind === Kind.ENUM || t.kind === Kind.ENUM64) && t.kindFlag);
  const local = info(fail, off, bitSize, btf.sizeof(fieldType), signedLocal);
  const compatible = tField !== undefined && (
    t.kind === Kind.STRUCT || t.kind === Kind.UNION ? tField.kind === 'struct' || tField.kind === 'union'
      : t.kind === Kind.ARRAY ? tField.kind === 'array' : tField.kind === 'int');
  const targetInfo = compatible && tField
    ? info(fail, tOff, tBitSize, sizeOf(tField), tField.kind === 'int' && tField.signed) : undefined;
  return { local, target: targetInfo };
}

function findField(t: TargetType & { fields: readonly TargetField[] }, name: string): { field: TargetField; bitOffset: number } | undefined {
  for (const f of t.fields) {
    if (f.name === name) return { field: f, bitOffset: f.bitOffset };
    if (f.name === '' && (f.type.kind === 'struct' || f.type.kind === 'union')) {
      const inner = findField(f.type, name);
      if (inner) return { field: inner.field, bitOffset: f.bitOffset + inner.bitOffset };
    }
  }
  return undefined;
}

/** libbpf's field description: the smallest aligned load that covers a bitfield. */
function info(fail: (why: string) => ObjectError, bitOff: number, bitfield: number, typeSize: number, signed: boolean): FieldInfo {
  if (bitfield === 0) {
    if (bitOff % 8 !== 0) throw fail('field is not byte-aligned');
    const byteOff = bitOff / 8;
    return { byteOff, byteSize: typeSize, signed, lshift: 64 - typeSize * 8, rshift: 64 - typeSize * 8, bitfield: false };
  }
  let byteSize = typeSize;
  let byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
  while (bitOff + bitfield - byteOff * 8 > byteSize * 8) {
    if (byteSize >= 8) throw fail('bitfield straddles 8 bytes');
    byteSize *= 2;
    byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
  }
  return { byteOff, byteSize, signed, lshift: 64 - (bitOff + bitfield - byteOff * 8), rshift: 64 - bitfield, bitfield: true };
}

/** Writes the target value where the local one was, after checking the local one is there. */
function patch(insn: Instruction, v: Values, isOffset: boolean, fail: (why: string) => ObjectError): Instruction {
  const cls = classOf(insn.opcode);
  const expect = (got: number) => {
    if (v.validate !== false && got !== v.local) throw fail(`instruction holds ${got}, expected the local value ${v.local}`);
  };
  if (cls === Class.ALU || cls === Class.ALU64) {
    if (sourceOf(insn.opcode) !== Source.K) throw fail('ALU instruction with a register operand');
    expect(insn.imm);
    return { ...insn, imm: v.target! };
  }
  if (insn.opcode === LDDW) {
    expect(insn.imm);
    return { ...insn, imm: v.target!, imm2: 0 };
  }
  if ((cls === Class.LDX || cls === Class.ST || cls === Class.STX) && modeOf(insn.opcode) === Mode.MEM) {
    if (!isOffset) throw fail('memory access relocated by something other than a field offset');
    expect(insn.off);
    if (v.target! > 0x7fff) throw fail(`offset ${v.target} does not fit an instruction's 16-bit offset`);
    let opcode = insn.opcode;
    if (v.targetSize !== undefined && v.targetSize !== v.localSize) {
      if (![1, 2, 4, 8].includes(v.targetSize)) throw fail(`field of ${v.targetSize} bytes cannot be loaded in one access`);
      opcode = (insn.opcode & ~0x18) | sizeFromBytes(v.targetSize);
    }
    return { ...insn, opcode, off: v.target! };
  }
  throw fail(`cannot patch opcode 0x${insn.opcode.toString(16)}`);
}
