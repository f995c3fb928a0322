// The prologue and epilogue around a fuzz body, one pair per engine, so that
// every register the body leaves can be compared — not just a 32-bit return
// value. The random body is the same for both engines; only how the program
// finds its packet differs:
//
//   kernel (an XDP program, r1 = struct xdp_md *):
//     rC = r1
//     <body>
//     *(u64 *)(r10 - 8(i+1)) = ri        spill each body register
//     r2 = *(u32 *)(rC + 0)              ctx->data (the verifier rewrites it into a pointer load)
//     r3 = *(u32 *)(rC + 4)              ctx->data_end
//     r4 = r2; r4 += 80
//     if r4 > r3 goto fail               the bounds check the verifier demands
//     r5 = *(u64 *)(r10 - 8(i+1)); *(u64 *)(r2 + 8i) = r5     for each body register
//     r0 = XDP_PASS; exit
//   fail: r0 = XDP_ABORTED; exit
//
//   interp (r1 = the packet itself, as `sluice vm exec` passes memory):
//     the same, but r2 = rC and r3 = rC + 128 replace the two context loads.
//
// The interpreter does not need to know xdp_md or the verifier's context
// rewriting for this, and the body's pcs are identical in both programs.
import { AluOp, Class, JmpOp, Mode, R0, R1, R2, R3, R4, R5, R10, Size, Source, EXIT } from '../isa/opcode.ts';
import type { Instruction } from '../isa/instruction.ts';
import { type FuzzProgram, PACKET_SIZE } from './generate.ts';

export type Engine = 'kernel' | 'interp';

/** Bytes at the packet's start that the epilogue checks it may write. */
export const RESULT_BYTES = 80;
export const XDP_ABORTED = 0;
export const XDP_PASS = 2;

const insn = (opcode: number, dst: number, src: number, off: number, imm: number): Instruction =>
  ({ opcode, dst, src, off, imm });
const mov64 = (dst: number, src: number) => insn(Class.ALU64 | Source.X | AluOp.MOV, dst, src, 0, 0);
const movImm = (dst: number, imm: number) => insn(Class.ALU64 | Source.K | AluOp.MOV, dst, 0, 0, imm);
const addImm = (dst: number, imm: number) => insn(Class.ALU64 | Source.K | AluOp.ADD, dst, 0, 0, imm);
const ldx = (size: Size, dst: number, src: number, off: number) => insn(Class.LDX | Mode.MEM | size, dst, src, off, 0);
const stx = (size: Size, dst: number, src: number, off: number) => insn(Class.STX | Mode.MEM | size, dst, src, off, 0);
const exit = () => insn(EXIT, 0, 0, 0, 0);

/** Instructions before the body. */
export function prologue(p: FuzzProgram): Instruction[] {
  return [mov64(p.ctxReg, R1)];
}

/** Instructions after the body; the body's jumps to its end land on the first one. */
export function epilogue(p: FuzzProgram, engine: Engine): Instruction[] {
  const spill = p.regs.map((r, i) => stx(Size.DW, R10, r, -8 * (i + 1)));
  const locate = engine === 'kernel'
    ? [ldx(Size.W, R2, p.ctxReg, 0), ldx(Size.W, R3, p.ctxReg, 4)]
    : [mov64(R2, p.ctxReg), mov64(R3, p.ctxReg), addImm(R3, PACKET_SIZE)];
  const copy = p.regs.flatMap((_, i) => [ldx(Size.DW, R5, R10, -8 * (i + 1)), stx(Size.DW, R2, R5, 8 * i)]);
  const pass = [movImm(R0, XDP_PASS), exit()];
  const check = insn(Class.JMP | Source.X | JmpOp.JGT, R4, R3, copy.length + pass.length, 0);
  return [
    ...spill, ...locate, mov64(R4, R2), addImm(R4, RESULT_BYTES), check,
    ...copy, ...pass,
    movImm(R0, XDP_ABORTED), exit(),
  ];
}

/** The whole program for one engine. */
export function frame(p: FuzzProgram, engine: Engine): Instruction[] {
  return [...prologue(p), ...p.body, ...epilogue(p, engine)];
}

/** The registers the body left, read back from the packet the program wrote: index = register number. */
export function registersFrom(p: FuzzProgram, packetOut: Uint8Array): (bigint | undefined)[] {
  const regs: (bigint | undefined)[] = new Array(11).fill(undefined);
  const view = new DataView(packetOut.buffer, packetOut.byteOffset, packetOut.byteLength);
  p.regs.forEach((r, i) => {
    if (8 * i + 8 <= packetOut.length) regs[r] = view.getBigUint64(8 * i, true);
  });
  return regs;
}

