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

/** REG_MAP[i] is the x86 register of eBPF register ri: the map above, which the burst entry and native callers need. */
export const REG_MAP: readonly X[] = [
  X.RAX, X.RDI, X.RSI, X.RDX, X.RCX, X.R8, X.RBX, X.R13, X.R14, X.R15, X.RBP,
];

/** The map the compiler is using now (withRegisterMap). */
let current: readonly X[] = REG_MAP;

/**
 * Another assignment, for testing the emitters (whose special cases depend on which eBPF
 * register sits in rax, rcx or rdx): r0-r5 on {rax, rdi, rsi, rdx, rcx, r8} and r6-r9 on the
 * callee-saved {rbx, r13, r14, r15}, in any order; r10 stays rbp. Returns what is wrong, if anything.
 */
export function registerMapProblem(map: readonly X[]): string | undefined {
  const name = (rs: readonly X[]): string => rs.map(regName).join(', ');
  if (map.length !== 11) return `a register map has 11 entries (r0-r10), not ${map.length}`;
  if (new Set(map).size !== 11) return `a register map maps two eBPF registers to one x86 register: ${name(map)}`;
  if (map[10] !== X.RBP) return 'r10 must stay rbp (every frame is addressed from it)';
  const callerSaved = new Set(REG_MAP.slice(0, 6)), calleeSaved = new Set(REG_MAP.slice(6, 10));
  if (!map.slice(0, 6).every((r) => callerSaved.has(r))) return `r0-r5 must be on ${name([...callerSaved])}`;
  if (!map.slice(6, 10).every((r) => calleeSaved.has(r))) return `r6-r9 must be on ${name([...calleeSaved])} (they survive calls)`;
  return undefined;
}

/** Runs fn with `map` as the register map (compilation is synchronous: nothing else sees it). */
export function withRegisterMap<T>(map: readonly X[], fn: () => T): T {
  const saved = current;
  current = map;
  try { return fn(); } finally { current = saved; }
}

/** The System V argument registers, first to fifth: where native callers pass r1-r5 and helpers expect them. */
export const SYSV_ARGS: readonly X[] = [X.RDI, X.RSI, X.RDX, X.RCX, X.R8];

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
  const r = current[ebpf];
  if (r === undefined) throw new RangeError(`eBPF register r${ebpf} does not exist`);
  return r;
}
