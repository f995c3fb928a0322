// The sandbox (JitOptions.sandbox): code for raw programs that no verifier has proved
// safe (`sluice vm exec --engine jit`, the semantics files). Every load, store and
// atomic is bounds-checked at run time against the two regions a raw program owns —
// its input and the live eBPF stack frames — callx may only enter one of the
// program's own subprograms, and every backward jump and bpf-to-bpf call spends one
// unit of a budget, so neither a loop nor a fan of nested calls can run forever. A failed check jumps to a trap: an out-of-line `ud2`
// per site, which the C guard (dataplane/shim/guard.c) turns into a reported fault;
// the trap's native offset names the eBPF pc and what went wrong (JitResult.traps).
//
// Registers: r12 holds `struct sluice_sandbox *` (dataplane/shim/guard.h) for the whole
// run (callee-saved, so helpers keep it); the checks use the scratch registers r9-r11,
// which are free before an instruction's own code runs. The address checked is left
// in r11 at the trap, where the guard reads it from the signal context.
//
// Frames: the eBPF stack is a region of its own (MAX_CALL_FRAMES × 512 bytes in a
// mapping with guard pages), not the native stack, so no eBPF access can reach a
// return address or a saved register. The main program's r10 is the region's top;
// each subprogram's frame lies just below its caller's (rbp -= 512). The live frames
// are therefore exactly [r10 - 512, top): what the checks allow on the stack side.
import { STACK_SIZE } from '../isa/opcode.ts';
import { Cond, type Label } from './code-buffer.ts';
import { Alu, type Asm, type Mem } from './encoder.ts';
import { TMP1, TMP2, TMP3, X } from './regs.ts';

/** Offsets in struct sluice_sandbox (dataplane/shim/guard.h). */
export const SANDBOX_INPUT = 0, SANDBOX_INPUT_LEN = 8, SANDBOX_STACK_LO = 16, SANDBOX_STACK_HI = 24, SANDBOX_BUDGET = 32;
/** The register holding struct sluice_sandbox * while sandboxed code runs. */
export const SANDBOX_REG = X.R12;

export type TrapKind = 'memory' | 'step-limit' | 'callx';

/** A trap site: where its ud2 is (native offset) and what it means. */
export interface Trap {
  offset: number;
  pc: number;
  kind: TrapKind;
  /** For memory traps: the access refused. */
  access?: { write: boolean; size: number };
}

interface Site { label: Label; pc: number; kind: TrapKind; access?: { write: boolean; size: number } }

export class SandboxEmitter {
  private readonly sites: Site[] = [];

  constructor(private readonly a: Asm) {}

  /** A jump to a new trap site for the current pc. */
  private trapJump(cond: Cond | undefined, kind: TrapKind, access?: Site['access']): void {
    const label = this.a.newLabel();
    this.sites.push({ label, pc: this.a.pc, kind, ...(access ? { access } : {}) });
    if (cond === undefined) this.a.jmp(label);
    else this.a.jcc(cond, label);
  }

  /**
   * Checks that [base + off, + size) lies in the input or in the live stack frames; jumps to a
   * trap otherwise. Accesses of the current frame at a constant offset need no code.
   */
  checkAccess(base: X, off: number, size: number, write: boolean): void {
    if (base === X.RBP && off >= -STACK_SIZE && off + size <= 0) return; // r10 is read-only: always this frame
    const a = this.a;
    const r12 = (disp: number): Mem => ({ base: SANDBOX_REG, disp });
    const stack = a.newLabel(), ok = a.newLabel();
    a.lea(TMP1, { base, disp: off }); // the address, kept in r11 for the report
    // Input: A - input < len, and A - input + size <= len (the first test rules out wrapping).
    a.movRR(TMP2, TMP1, true);
    a.aluRM(Alu.SUB, TMP2, r12(SANDBOX_INPUT), true);
    a.aluRM(Alu.CMP, TMP2, r12(SANDBOX_INPUT_LEN), true);
    a.jcc(Cond.AE, stack);
    a.lea(TMP2, { base: TMP2, disp: size });
    a.aluRM(Alu.CMP, TMP2, r12(SANDBOX_INPUT_LEN), true);
    a.jcc(Cond.BE, ok);
    a.bind(stack);
    // Stack: the live frames are [rbp - 512, stack_hi): offset A - (rbp - 512) below their span, and its end too.
    a.lea(TMP2, { base: TMP1, disp: STACK_SIZE });
    a.aluRR(Alu.SUB, TMP2, X.RBP, true);
    a.load(8, TMP3, r12(SANDBOX_STACK_HI));
    a.aluRR(Alu.SUB, TMP3, X.RBP, true);
    a.lea(TMP3, { base: TMP3, disp: STACK_SIZE });
    a.aluRR(Alu.CMP, TMP2, TMP3, true);
    this.trapJump(Cond.AE, 'memory', { write, size });
    a.lea(TMP2, { base: TMP2, disp: size });
    a.aluRR(Alu.CMP, TMP2, TMP3, true);
    this.trapJump(Cond.A, 'memory', { write, size });
    a.bind(ok);
  }

  /** Before a backward jump or a call: one unit of the budget, a trap when it is spent. Flags are set before the jump's own compare. */
  countBackEdge(): void {
    this.a.aluRI(Alu.SUB, { base: SANDBOX_REG, disp: SANDBOX_BUDGET }, 1, true);
    this.trapJump(Cond.B, 'step-limit');
  }

  /** Before callx: the target must be the entry of one of the program's subprograms. */
  checkCallTarget(target: X, entries: readonly Label[]): void {
    const a = this.a;
    const ok = a.newLabel();
    for (const entry of entries) {
      a.leaLabel(TMP1, entry);
      a.aluRR(Alu.CMP, target, TMP1, true);
      a.jcc(Cond.E, ok);
    }
    a.movRR(TMP1, target, true); // the refused address, for the report
    this.trapJump(undefined, 'callx');
    a.bind(ok);
  }

  /** The trap stubs, one ud2 each (after all code, so checks that pass cost a not-taken jump). */
  emitTraps(): void {
    const a = this.a;
    a.pc = -1;
    for (const s of this.sites) {
      a.bind(s.label);
      a.ud2();
    }
  }

  /** The trap sites with their final offsets. */
  traps(offsetOf: (label: Label) => number): Trap[] {
    return this.sites.map((s) => ({ offset: offsetOf(s.label), pc: s.pc, kind: s.kind, ...(s.access ? { access: s.access } : {}) }));
  }
}
