// The register map: which x86-64 register holds each eBPF register, and the
// scratch registers the emitters may use inside one eBPF instruction.
//
//   eBPF   x86-64   why
//   r0     rax      return value of helpers and of the program
//   r1     rdi      r1-r5 are the helper arguments: on the System V argument
//   r2     rsi        registers, a helper call is a direct `call`, no shuffling
//   r3     rdx        (note: rdx is also div/mul's high half, handled in emit-alu)
//   r4     rcx        (note: cl is the only shift-count register, handled in emit-alu)
//   r5     r8
//   r6     rbx      r6-r9 survive calls in eBPF: on System V callee-saved registers,
//   r7     r13        so helpers preserve them for free
//   r8     r14
//   r9     r15
//   r10    rbp      the read-only frame pointer: top of the current 512-byte frame
//
//   r9, r10, r11    scratch (caller-saved: dead across helper calls, as eBPF r1-r5 are)
//   r12             the burst loop's packet index (callee-saved, untouched by programs)
//   rsp             the native stack: eBPF frames live on it

/** x86-64 general registers by their encoding number. */
export enum X {
  RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7,
  R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15,
}

/** REG_MAP[i] is the x86 register of eBPF register ri. */
export const REG_MAP: readonly X[] = [
  X.RAX, X.RDI, X.RSI, X.RDX, X.RCX, X.R8, X.RBX, X.R13, X.R14, X.R15, X.RBP,
];

/** Scratch registers, free inside one eBPF instruction's code. */
export const TMP1 = X.R11;
export const TMP2 = X.R10;
export const TMP3 = X.R9;
/** The burst loop's packet index. */
export const BURST_INDEX = X.R12;

/** Callee-saved registers a subprogram (or the burst entry) saves: the frame pointer and r6-r9. */
export const FRAME_SAVED: readonly X[] = [X.RBP, X.RBX, X.R13, X.R14, X.R15];

const NAMES64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];

export const regName = (r: X): string => NAMES64[r] ?? `r?${r}`;

/** The x86 register of an eBPF register; callers have checked 0 <= r <= 10. */
export function x86(ebpf: number): X {
  const r = REG_MAP[ebpf];
  if (r === undefined) throw new RangeError(`eBPF register r${ebpf} does not exist`);
  return r;
}
