// Raw programs on the JIT, safely: `sluice vm exec --engine jit` and the semantics files.
// A raw program (r1 = its input, r2 = the input's length, helper 5 echoes r1) has no
// verifier's proof behind it, so it is compiled with the JIT's sandbox (jit/x86/sandbox.ts:
// every access bounds-checked, callx checked, backward jumps budgeted) and run in a
// sandbox mapping (input and stack between guard pages) under the C guard
// (dataplane/shim/guard.c), which turns any fault into a RawJitError naming the eBPF pc.
import { RunError } from '../jit/errors.ts';
import type { Program } from '../jit/isa/instruction.ts';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../jit/isa/opcode.ts';
import { JitError } from '../jit/x86/errors.ts';
import { AluOp, Class, JmpOp, Source } from '../jit/isa/opcode.ts';
import type { JitResult } from '../jit/x86/compile.ts';
import { guardBindings, type GuardFault } from './ffi.ts';
import { JitProgram } from './jit-program.ts';

/** Why a raw run on the JIT failed; `kind` uses the interpreter's names (jit/interp/errors.ts) where one fits. */
export type RawFaultKind = 'memory' | 'step-limit' | 'call-depth' | 'bad-jump' | 'helper' | 'unsupported' | 'unrelocated' | 'callx' | 'signal';

export class RawJitError extends RunError {
  constructor(readonly kind: RawFaultKind | undefined, message: string, pc: number, options?: { cause?: unknown }) {
    super(message, pc, options);
  }
}

export interface RawJitOptions {
  /** Constant blinding (jit/x86/blind.ts). Default false. */
  blindConstants?: boolean;
  /** Backward jumps and bpf-to-bpf calls a run may make before it stops with a 'step-limit' error. Default 10,000,000. */
  budget?: number;
  /** The CPU's optional instructions; default this host's. */
  cpu?: { bmi2?: boolean };
}

export const DEFAULT_BUDGET = 10_000_000;
const SIGNALS: Record<number, string> = { 4: 'SIGILL', 7: 'SIGBUS', 8: 'SIGFPE', 11: 'SIGSEGV' };
const hex = (v: bigint): string => `0x${v.toString(16)}`;

let echo: JitProgram | undefined;
/** Helper 5 of the raw convention (r0 = r1), itself JIT'd: a native function returning its first argument. */
function echoHelper(): bigint {
  echo ??= JitProgram.compile([
    { opcode: Class.ALU64 | AluOp.MOV | Source.X, dst: 0, src: 1, off: 0, imm: 0 },
    { opcode: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, off: 0, imm: 0 },
  ], { entry: 'function', rewriteContext: false });
  return echo.entry;
}

/** Compile-time refusals, named as the interpreter names the same problems at run time. */
const COMPILE_KINDS: [RegExp, RawFaultKind][] = [
  [/unknown helper/, 'helper'], [/call chain|recursive call/, 'call-depth'],
  [/legacy packet loads|kfunc/, 'unsupported'], [/must be relocated/, 'unrelocated'],
  [/falls through|jump to pc|into an lddw|not an instruction|not a subprogram/, 'bad-jump'],
];

/** Compiles a raw program for the sandbox. Errors are RawJitErrors with the pc and a kind. */
export function compileRaw(program: Program, opts: RawJitOptions = {}): JitProgram {
  try {
    return JitProgram.compile(program, {
      entry: 'function', rewriteContext: false, sandbox: true, blindConstants: opts.blindConstants === true,
      helperAddress: (id) => (id === 5 ? echoHelper() : undefined), ...(opts.cpu ? { cpu: opts.cpu } : {}),
    });
  } catch (err) {
    if (!(err instanceof JitError)) throw err;
    const kind = COMPILE_KINDS.find(([re]) => re.test(err.message))?.[1];
    throw new RawJitError(kind, err.message.replace(/^jit: (pc -?\d+: )?/, ''), err.pc, { cause: err });
  }
}

/** The eBPF pc whose code holds native offset `at` (the last pc starting at or before it), -1 if none. */
export function pcAt(jit: JitResult, at: number): number {
  let best = -1;
  for (let pc = 0; pc < jit.pcMap.length - 1; pc++) {
    const off = jit.pcMap[pc]!;
    if (off !== -1 && off <= at && (best === -1 || off >= jit.pcMap[best]!)) best = pc;
  }
  return best;
}

/** A caught fault as an error naming the eBPF pc. */
export function describeFault(p: JitProgram, fault: GuardFault, budget: number): RawJitError {
  if (fault.signo < 0) return new RawJitError(undefined, `the guard could not be set up (errno ${-fault.signo})`, -1);
  const offset = fault.rip - p.address;
  const inCode = offset >= 0n && offset < BigInt(p.jit.code.length);
  const trap = inCode ? p.jit.traps.find((t) => BigInt(t.offset) === offset) : undefined;
  if (fault.signo === 4 && trap) {
    switch (trap.kind) {
      case 'memory': {
        const a = trap.access!;
        return new RawJitError('memory', `${a.write ? 'write' : 'read'} of ${a.size} byte${a.size === 1 ? '' : 's'} at ${hex(fault.r11)} is outside every region (the input and the live stack frames)`, trap.pc);
      }
      case 'step-limit':
        return new RawJitError('step-limit', `step limit: more than ${budget} backward jumps and calls`, trap.pc);
      case 'callx':
        return new RawJitError('callx', `callx to ${hex(fault.r11)}, which is not a subprogram of the program`, trap.pc);
    }
  }
  const signal = SIGNALS[fault.signo] ?? `signal ${fault.signo}`;
  const where = inCode ? `native code +0x${offset.toString(16)}` : `native address ${hex(fault.rip)} (outside the program)`;
  const kind: RawFaultKind = fault.signo === 11 || fault.signo === 7 ? 'memory' : 'signal';
  return new RawJitError(kind, `${signal} at address ${hex(fault.addr)}, ${where}`, inCode ? pcAt(p.jit, Number(offset)) : -1);
}

/**
 * Runs a raw program on the JIT in the sandbox and under the guard: r1 = a copy of `memory`
 * (0 when empty), r2 = its length. Returns r0 and the memory as the program left it; a fault
 * is a RawJitError (kind 'memory', 'step-limit', 'callx', …) with the eBPF pc. The process never
 * takes the fault itself.
 */
export function runRawJit(program: Program, memory: Uint8Array, opts: RawJitOptions = {}): { r0: bigint; memory: Uint8Array } {
  const budget = opts.budget ?? DEFAULT_BUDGET;
  const p = compileRaw(program, opts);
  const guard = guardBindings();
  let sandbox = 0n;
  try {
    sandbox = guard.sandboxCreate(memory, MAX_CALL_FRAMES * STACK_SIZE, BigInt(budget));
    const input = guard.sandboxInput(sandbox);
    const { r0, fault } = guard.call(p.entry, input.address, BigInt(input.length), sandbox);
    if (fault) throw describeFault(p, fault, budget);
    return { r0, memory: guard.sandboxRead(sandbox, memory.length) };
  } finally {
    if (sandbox !== 0n) guard.sandboxFree(sandbox);
    p.free();
  }
}
