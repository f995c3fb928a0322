// Bytes <-> instructions. The wire format (RFC 9669 section 3), little-endian:
//
//   byte 0      opcode
//   byte 1      dst register (low nibble), src register (high nibble)
//   bytes 2-3   off, signed 16-bit
//   bytes 4-7   imm, signed 32-bit
//
// lddw takes a second slot whose only non-zero field may be imm. decode() then
// encode() gives back the same bytes; every invalid encoding is a DecodeError
// naming the pc and showing the bytes.
import { DecodeError } from '../errors.ts';
import {
  AluOp as AluOp_, AtomicOp as AtomicOp_, ATOMIC_FETCH as ATOMIC_FETCH_, Class as Class_, JmpOp as JmpOp_, LDDW as LDDW_, Mode as Mode_, PseudoCall as PseudoCall_, PseudoLd as PseudoLd_, Size as Size_, Source as Source_, REGISTER_COUNT as REGISTER_COUNT_, classOf as classOf_, modeOf as modeOf_, opOf as opOf_, sizeOf as sizeOf_, sourceOf as sourceOf_,
} from './opcode.ts';
import { type Instruction, type Program, width as width_ } from './instruction.ts';

// Imports copied into locals: under tsx every use of an imported binding is a getter call,
// which validating every instruction of every compile feels.
const AluOp = AluOp_, AtomicOp = AtomicOp_, ATOMIC_FETCH = ATOMIC_FETCH_, Class = Class_, JmpOp = JmpOp_, LDDW = LDDW_, Mode = Mode_, PseudoCall = PseudoCall_, PseudoLd = PseudoLd_, Size = Size_, Source = Source_, REGISTER_COUNT = REGISTER_COUNT_, classOf = classOf_, modeOf = modeOf_, opOf = opOf_, sizeOf = sizeOf_, sourceOf = sourceOf_, width = width_;

export const INSN_SIZE = 8;

const hex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

/**
 * Why an instruction's encoding is invalid, or undefined when it is valid.
 * Checks the opcode and the fields RFC 9669 says must be zero for it.
 */
export function encodingProblem(insn: Instruction): string | undefined {
  const { opcode, dst, src, off, imm } = insn;
  if (dst >= REGISTER_COUNT) return `dst register r${dst} does not exist`;
  const cls = classOf(opcode);
  if (cls === Class.LD && opcode === LDDW) {
    if (src > PseudoLd.MAP_IDX_VALUE) return `unknown lddw source kind ${src}`;
    return off !== 0 ? 'lddw with a non-zero offset' : undefined;
  }
  if (src >= REGISTER_COUNT) return `src register r${src} does not exist`;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: return aluProblem(opcode, src, off, imm);
    case Class.JMP:
    case Class.JMP32: return jmpProblem(opcode, dst, src, off, imm);
    case Class.LD: {
      const mode = modeOf(opcode);
      if ((mode !== Mode.ABS && mode !== Mode.IND) || sizeOf(opcode) === Size.DW) return 'unknown LD opcode';
      if (dst !== 0 || off !== 0 || (mode === Mode.ABS && src !== 0)) return 'reserved fields of a packet load are not zero';
      return undefined;
    }
    case Class.LDX: {
      const mode = modeOf(opcode);
      if (mode === Mode.MEMSX && sizeOf(opcode) === Size.DW) return 'sign-extending load of 8 bytes';
      if (mode !== Mode.MEM && mode !== Mode.MEMSX) return 'unknown LDX mode';
      return imm !== 0 ? 'load with a non-zero immediate' : undefined;
    }
    case Class.ST:
      if (modeOf(opcode) !== Mode.MEM) return 'unknown ST mode';
      return src !== 0 ? 'store of an immediate with a src register' : undefined;
    case Class.STX: {
      const mode = modeOf(opcode);
      if (mode === Mode.MEM) return imm !== 0 ? 'store with a non-zero immediate' : undefined;
      if (mode !== Mode.ATOMIC) return 'unknown STX mode';
      if (sizeOf(opcode) !== Size.W && sizeOf(opcode) !== Size.DW) return 'atomic operation on 1 or 2 bytes';
      const op = imm & ~ATOMIC_FETCH;
      const known = op === AtomicOp.ADD || op === AtomicOp.OR || op === AtomicOp.AND || op === AtomicOp.XOR ||
        imm === AtomicOp.XCHG || imm === AtomicOp.CMPXCHG;
      return known ? undefined : `unknown atomic operation 0x${(imm >>> 0).toString(16)}`;
    }
  }
}

function aluProblem(opcode: number, src: number, off: number, imm: number): string | undefined {
  const op = opOf(opcode);
  const x = sourceOf(opcode) === Source.X;
  const is64 = classOf(opcode) === Class.ALU64;
  if (op > AluOp.END) return 'unknown ALU operation';
  if (op === AluOp.END) {
    if (is64 && x) return 'unknown byte swap';
    if (src !== 0 || off !== 0) return 'reserved fields of a byte swap are not zero';
    return imm === 16 || imm === 32 || imm === 64 ? undefined : `byte swap of ${imm} bits`;
  }
  if (op === AluOp.NEG) return x || src !== 0 || imm !== 0 || off !== 0 ? 'reserved fields of neg are not zero' : undefined;
  if (x ? imm !== 0 : src !== 0) return x ? 'register operation with a non-zero immediate' : 'immediate operation with a src register';
  if (off === 0) return undefined;
  if ((op === AluOp.DIV || op === AluOp.MOD) && off === 1) return undefined; // sdiv, smod
  if (op === AluOp.MOV && x && (off === 8 || off === 16 || (is64 && off === 32))) return undefined; // movsx
  return `offset ${off} is not valid for this ALU operation`;
}

function jmpProblem(opcode: number, dst: number, src: number, off: number, imm: number): string | undefined {
  const op = opOf(opcode);
  const x = sourceOf(opcode) === Source.X;
  const is32 = classOf(opcode) === Class.JMP32;
  if (op > JmpOp.JSLE) return 'unknown jump operation';
  switch (op) {
    case JmpOp.JA:
      if (x || dst !== 0 || src !== 0) return 'reserved fields of ja are not zero';
      if (is32 ? off !== 0 : imm !== 0) return is32 ? 'gotol with a non-zero offset' : 'goto with a non-zero immediate';
      return undefined;
    case JmpOp.CALL:
      if (is32) return 'call in the JMP32 class';
      if (x) return src !== 0 || off !== 0 || imm !== 0 ? 'reserved fields of callx are not zero' : undefined;
      if (dst !== 0 || off !== 0) return 'reserved fields of call are not zero';
      return src > PseudoCall.KFUNC ? `unknown call kind ${src}` : undefined;
    case JmpOp.EXIT:
      if (is32) return 'exit in the JMP32 class';
      return x || dst !== 0 || src !== 0 || off !== 0 || imm !== 0 ? 'reserved fields of exit are not zero' : undefined;
    default:
      if (x ? imm !== 0 : src !== 0) return x ? 'register comparison with a non-zero immediate' : 'immediate comparison with a src register';
      return undefined;
  }
}

/** Decodes a program. `basePc` offsets the pcs in errors (for code that starts mid-section). */
export function decode(bytes: Uint8Array, basePc = 0): Instruction[] {
  if (bytes.length % INSN_SIZE !== 0) {
    throw new DecodeError(`${bytes.length} bytes is not a whole number of 8-byte instructions`, basePc + Math.floor(bytes.length / INSN_SIZE));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slots = bytes.length / INSN_SIZE;
  const out: Instruction[] = [];
  for (let pc = 0; pc < slots; pc++) {
    const at = pc * INSN_SIZE;
    const raw = () => hex(bytes.subarray(at, Math.min(at + 16, bytes.length)));
    const regs = view.getUint8(at + 1);
    let insn: Instruction = {
      opcode: view.getUint8(at),
      dst: regs & 0x0f,
      src: regs >> 4,
      off: view.getInt16(at + 2, true),
      imm: view.getInt32(at + 4, true),
    };
    if (insn.opcode === LDDW) {
      if (pc + 1 >= slots) throw new DecodeError(`lddw without its second slot (${raw()})`, basePc + pc);
      const next = at + INSN_SIZE;
      if (view.getUint8(next) !== 0 || view.getUint8(next + 1) !== 0 || view.getInt16(next + 2, true) !== 0) {
        throw new DecodeError(`second slot of lddw must be zero but for its immediate (${raw()})`, basePc + pc);
      }
      insn = { ...insn, imm2: view.getInt32(next + 4, true) };
    }
    const problem = encodingProblem(insn);
    if (problem) throw new DecodeError(`${problem} (${raw()})`, basePc + pc);
    out.push(insn);
    pc += width(insn) - 1;
  }
  return out;
}

/** Encodes a program; the inverse of decode(). */
export function encode(program: Program): Uint8Array {
  const slots = program.reduce((n, insn) => n + width(insn), 0);
  const bytes = new Uint8Array(slots * INSN_SIZE);
  const view = new DataView(bytes.buffer);
  let at = 0;
  program.forEach((insn, i) => {
    const problem = encodingProblem(insn);
    if (problem) throw new DecodeError(`cannot encode instruction ${i}: ${problem}`, at / INSN_SIZE);
    view.setUint8(at, insn.opcode);
    view.setUint8(at + 1, (insn.src << 4) | insn.dst);
    view.setInt16(at + 2, insn.off, true);
    view.setInt32(at + 4, insn.imm, true);
    at += INSN_SIZE;
    if (insn.opcode === LDDW) {
      view.setInt32(at + 4, insn.imm2 ?? 0, true);
      at += INSN_SIZE;
    }
  });
  return bytes;
}
