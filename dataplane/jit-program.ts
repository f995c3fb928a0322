// A JIT-compiled program installed in executable memory, run a burst at a time:
// one FFI call per burst, the loop over packets is in the generated code.
import { readFileSync } from 'node:fs';
import type { Program } from '../jit/isa/instruction.ts';
import { jitCompile, type JitOptions, type JitResult } from '../jit/x86/compile.ts';
import { execBindings, type BurstFunction } from './ffi.ts';


let host: { bmi2: boolean } | undefined;

/** The optional x86 instructions this machine has (from /proc/cpuinfo; none when unreadable). */
export function hostCpu(): { bmi2: boolean } {
  if (host) return host;
  let flags = '';
  try {
    flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch { /* not Linux, or no /proc: baseline x86-64 */ }
  host = { bmi2: flags.split(/\s+/).includes('bmi2') };
  return host;
}

export class JitProgram {
  private freed = false;
  private readonly fn: BurstFunction;
  private callable: ((...args: bigint[]) => bigint) | undefined;

  private constructor(readonly jit: JitResult, readonly address: bigint) {
    this.fn = execBindings().burstAt(address + BigInt(jit.entryOffset));
  }

  /** Compiles and installs (W^X) a program; the CPU's optional instructions default to this host's. */
  static compile(program: Program, opts: JitOptions = {}): JitProgram {
    const jit = jitCompile(program, { ...opts, cpu: opts.cpu ?? hostCpu() });
    return new JitProgram(jit, execBindings().install(jit.code));
  }

  /** The burst entry's address: uint64_t burst(struct sluice_xdp_buff *, uint32_t *, uint64_t). */
  get entry(): bigint { return this.address + BigInt(this.jit.entryOffset); }

  /** Where tail calls into this program jump: the address prog_array slots hold (sluice_prog_register). */
  get tailCallEntry(): bigint {
    if (this.jit.tailCallEntry < 0) throw new Error("a program compiled with entry: 'function' cannot be tail-called");
    return this.address + BigInt(this.jit.tailCallEntry);
  }

  /** Runs the program over n xdp_buffs at native addresses, writing n verdicts. */
  burst(buffs: bigint, verdicts: bigint, n: number): void {
    if (this.freed) throw new Error('JitProgram used after free()');
    this.fn(buffs, verdicts, n);
  }

  /** Calls a program compiled with `entry: 'function'`: r1-r5 in, r0 out. */
  call(...args: bigint[]): bigint {
    if (this.freed) throw new Error('JitProgram used after free()');
    if (this.jit.labels[0]?.name !== 'function') throw new Error("call() needs a program compiled with entry: 'function'");
    this.callable ??= execBindings().functionAt(this.entry);
    return this.callable(...args);
  }

  /** Unmaps the code. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    execBindings().free(this.address, this.jit.code.length);
  }
}
