// The fields of an eBPF opcode byte (RFC 9669, section 3), each a small enum
// with its bit layout. An opcode is one of three shapes:
//
//   ALU / ALU64 / JMP / JMP32:   | op (4 bits) | source (1 bit) | class (3 bits) |
//   LD / LDX / ST / STX:         | mode (3 bits) | size (2 bits) | class (3 bits) |
//
// Bit 0 is the least significant; the class is always bits 0-2.

/** Instruction class, bits 0-2. */
export enum Class {
  LD = 0x00, // non-standard loads: lddw (imm64) and the legacy packet loads
  LDX = 0x01, // dst = *(size *)(src + off)
  ST = 0x02, // *(size *)(dst + off) = imm
  STX = 0x03, // *(size *)(dst + off) = src, and the atomics
  ALU = 0x04, // 32-bit arithmetic, results zero-extended to 64 bits
  JMP = 0x05, // 64-bit comparisons, call, exit
  JMP32 = 0x06, // 32-bit comparisons
  ALU64 = 0x07, // 64-bit arithmetic
}

/** Operand source, bit 3 of ALU and JMP opcodes. */
export enum Source {
  K = 0x00, // the 32-bit immediate
  X = 0x08, // the src register
}

/** ALU operation, bits 4-7 of ALU and ALU64 opcodes. */
export enum AluOp {
  ADD = 0x00,
  SUB = 0x10,
  MUL = 0x20,
  DIV = 0x30, // offset 1: signed (sdiv, v4)
  OR = 0x40,
  AND = 0x50,
  LSH = 0x60,
  RSH = 0x70,
  NEG = 0x80,
  MOD = 0x90, // offset 1: signed (smod, v4)
  XOR = 0xa0,
  MOV = 0xb0, // offset 8/16/32: sign-extending move (movsx, v4)
  ARSH = 0xc0,
  END = 0xd0, // byte swap: ALU|K = to little-endian, ALU|X = to big-endian, ALU64|K = bswap (v4)
}

/** Jump operation, bits 4-7 of JMP and JMP32 opcodes. */
export enum JmpOp {
  JA = 0x00, // JMP: pc += off; JMP32: pc += imm (gotol, v4)
  JEQ = 0x10,
  JGT = 0x20,
  JGE = 0x30,
  JSET = 0x40,
  JNE = 0x50,
  JSGT = 0x60,
  JSGE = 0x70,
  CALL = 0x80, // JMP only
  EXIT = 0x90, // JMP only
  JLT = 0xa0,
  JLE = 0xb0,
  JSLT = 0xc0,
  JSLE = 0xd0,
}

/** Access size, bits 3-4 of load and store opcodes. */
export enum Size {
  W = 0x00, // 4 bytes
  H = 0x08, // 2 bytes
  B = 0x10, // 1 byte
  DW = 0x18, // 8 bytes
}

/** Addressing mode, bits 5-7 of load and store opcodes. */
export enum Mode {
  IMM = 0x00, // lddw
  ABS = 0x20, // legacy packet load, absolute offset
  IND = 0x40, // legacy packet load, register offset
  MEM = 0x60, // regular load and store
  MEMSX = 0x80, // sign-extending load (v4)
  ATOMIC = 0xc0, // atomic read-modify-write, STX only
}

/** Atomic operation, carried in the immediate of STX|ATOMIC instructions. */
export enum AtomicOp {
  ADD = 0x00,
  OR = 0x40,
  AND = 0x50,
  XOR = 0xa0,
  XCHG = 0xe1, // always fetches
  CMPXCHG = 0xf1, // always fetches; compares with r0
}
/** The fetch flag of atomic operations: the old value is returned in src (r0 for cmpxchg). */
export const ATOMIC_FETCH = 0x01;

/** The src field of lddw: what the 64-bit immediate means (linux/bpf.h). */
export enum PseudoLd {
  IMM64 = 0, // a plain constant
  MAP_FD = 1, // BPF_PSEUDO_MAP_FD: imm is a map fd
  MAP_VALUE = 2, // BPF_PSEUDO_MAP_VALUE: imm is a map fd, next imm an offset into its value
  BTF_ID = 3, // BPF_PSEUDO_BTF_ID: a kernel variable by BTF id
  FUNC = 4, // BPF_PSEUDO_FUNC: imm is the pc-relative address of a subprogram
  MAP_IDX = 5, // BPF_PSEUDO_MAP_IDX: imm is an index into the program's map table
  MAP_IDX_VALUE = 6, // BPF_PSEUDO_MAP_IDX_VALUE: map index and value offset
}

/** The src field of call instructions (linux/bpf.h). */
export enum PseudoCall {
  HELPER = 0, // imm is a helper id
  LOCAL = 1, // BPF_PSEUDO_CALL: imm is the pc-relative offset of a subprogram
  KFUNC = 2, // BPF_PSEUDO_KFUNC_CALL: imm is a kernel function's BTF id
}

export const classOf = (opcode: number): Class => opcode & 0x07;
export const sourceOf = (opcode: number): Source => opcode & 0x08;
export const opOf = (opcode: number): number => opcode & 0xf0;
export const sizeOf = (opcode: number): Size => opcode & 0x18;
export const modeOf = (opcode: number): Mode => opcode & 0xe0;

export const isAluClass = (c: Class): boolean => c === Class.ALU || c === Class.ALU64;
export const isJmpClass = (c: Class): boolean => c === Class.JMP || c === Class.JMP32;
export const isMemClass = (c: Class): boolean => c <= Class.STX;

/** Bytes accessed by a load or store of the given size. */
export function sizeBytes(size: Size): 1 | 2 | 4 | 8 {
  switch (size) {
    case Size.B: return 1;
    case Size.H: return 2;
    case Size.W: return 4;
    case Size.DW: return 8;
  }
}

export function sizeFromBytes(bytes: number): Size {
  switch (bytes) {
    case 1: return Size.B;
    case 2: return Size.H;
    case 4: return Size.W;
    case 8: return Size.DW;
    default: throw new RangeError(`no access size of ${bytes} bytes`);
  }
}

/** The lddw opcode (LD | IMM | DW): the only instruction two slots wide. */
export const LDDW = Class.LD | Mode.IMM | Size.DW;
export const CALL = Class.JMP | JmpOp.CALL;
export const CALLX = Class.JMP | Source.X | JmpOp.CALL;
export const EXIT = Class.JMP | JmpOp.EXIT;

/** The number of general registers: r0-r9 and the read-only frame pointer r10. */
export const REGISTER_COUNT = 11;
export const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;
export const R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;
/** The frame pointer: points just past the top of the current 512-byte stack frame. */
export const FP = R10;
export const STACK_SIZE = 512;
/** Call frames allowed at once, as in the kernel (MAX_CALL_FRAMES). */
export const MAX_CALL_FRAMES = 8;
