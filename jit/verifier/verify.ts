// The verifier's entry point: structure first, then a depth-first walk of every
// path with abstract states, pruned where a state falls within one already proven
// safe at the same jump target, as the kernel's verifier does.
import { Class as Class$, JmpOp as JmpOp$, LDDW as LDDW$, Mode as Mode$, PseudoCall as PseudoCall$, PseudoLd as PseudoLd$, classOf as classOf$, modeOf as modeOf$, opOf as opOf$, sizeBytes as sizeBytes$, sizeOf as sizeOf$, ATOMIC_FETCH as ATOMIC_FETCH$, AtomicOp as AtomicOp$, MAX_CALL_FRAMES as MAX_CALL_FRAMES$ } from '../isa/opcode.ts';
import { type Instruction, imm64 as imm64$ } from '../isa/instruction.ts';
import { disassemble as disassemble$ } from '../isa/disasm.ts';
import type { MapSpec, ProgramSpec } from '../object/spec.ts';
import * as S$ from './scalar.ts';
import { VerifierError as VerifierError$ } from './errors.ts';
import { isCallbackCall as isCallbackCall$, analyseStructure as analyseStructure$, checkStackDepth as checkStackDepth$, isCall as isCall$, isExit as isExit$, jumpTarget as jumpTarget$, type Structure } from './structure.ts';
import { type Checkpoint, type Frame, type Reg, RegType as RegType$, type VState, NOT_INIT as NOT_INIT$, cloneState as cloneState$, cur as cur$, pointer as pointer$, scalar as scalar$, isPointer as isPointer$, showReg as showReg$, showState as showState$, stateWithin as stateWithin$ } from './state.ts';
import { access as access$, type Env } from './memory.ts';
import { alu as alu$, readReg as readReg$ } from './alu.ts';
import { condJump as condJump$ } from './branch.ts';
import { helperCall as helperCall$ } from './calls.ts';
// Local copies: esbuild-compiled imports read through a getter on every use, which
// dominated the verifier's profile.
const Class = Class$;
const JmpOp = JmpOp$;
const LDDW = LDDW$;
const Mode = Mode$;
const PseudoCall = PseudoCall$;
const PseudoLd = PseudoLd$;
const classOf = classOf$;
const modeOf = modeOf$;
const opOf = opOf$;
const sizeBytes = sizeBytes$;
const sizeOf = sizeOf$;
const ATOMIC_FETCH = ATOMIC_FETCH$;
const AtomicOp = AtomicOp$;
const MAX_CALL_FRAMES = MAX_CALL_FRAMES$;
const imm64 = imm64$;
const disassemble = disassemble$;
const S = { ...S$ };
const VerifierError = VerifierError$;
const analyseStructure = analyseStructure$;
const isCallbackCall = isCallbackCall$;
const checkStackDepth = checkStackDepth$;
const isCall = isCall$;
const isExit = isExit$;
const jumpTarget = jumpTarget$;
const RegType = RegType$;
const NOT_INIT = NOT_INIT$;
const cloneState = cloneState$;
const cur = cur$;
const pointer = pointer$;
const scalar = scalar$;
const isPointer = isPointer$;
const showReg = showReg$;
const showState = showState$;
const stateWithin = stateWithin$;
const access = access$;
const alu = alu$;
const readReg = readReg$;
const condJump = condJump$;
const helperCall = helperCall$;

export { VerifierError } from './errors.ts';

export type CtxField = 'data' | 'data_end' | 'data_meta' | 'ingress_ifindex' | 'rx_queue_index' | 'egress_ifindex';

export interface VerifierFacts {
  /** pc of each load from the context -> the xdp_md field it reads. */
  readonly ctxLoads: ReadonlyMap<number, CtxField>;
  /** Stack bytes each subprogram uses (by subprogram start pc). */
  readonly stackDepth: ReadonlyMap<number, number>;
  /** The deepest call chain's combined stack, as the kernel rounds it. */
  readonly maxStack: number;
  /** Start pcs of the subprograms. */
  readonly subprograms: readonly number[];
}

export interface VerifyStats {
  /** Instructions processed over all paths (the kernel's "processed N insns"). */
  insnsProcessed: number;
  /** States stored for pruning. */
  states: number;
  /** Largest number of states stored at once. */
  peakStates: number;
  /** States dropped because an explored state covered them. */
  pruned: number;
  ms: number;
}

export interface VerifyResult {
  facts: VerifierFacts;
  stats: VerifyStats;
  /** The full state log, when asked for (like the kernel's log level 2). */
  log?: string;
}

export interface VerifyOptions {
  /** Unprivileged rules: no pointer leaks, no uninitialised stack reads, no privileged helpers. */
  strict?: boolean;
  /** Keep the state log. */
  log?: boolean;
  /** Processed-instruction limit (default 1,000,000 as the kernel's). */
  insnLimit?: number;
}

export const INSN_LIMIT = 1_000_000;
/** Log lines kept (at least; at most twice as many). */
const LOG_LINES = 100_000;

interface Work { pc: number; st: VState }

export function verify(program: ProgramSpec, maps: readonly MapSpec[], opts: VerifyOptions = {}): VerifyResult {
  return new Verifier(program, maps, opts).run();
}

class Verifier implements Env {
  readonly strict: boolean;
  private readonly logLines: string[] | undefined;
  private logDropped = 0;
  private st!: Structure;
  private pc = 0;
  private ids = 0;
  private processed = 0;
  private stored = 0;
  private peak = 0;
  private pruned = 0;
  private total = 0;
  private jumps = 0;
  private lastAdd = 0;
  private lastAddJumps = 0;
  private readonly explored = new Map<number, Checkpoint[]>();
  private readonly ctxLoads = new Map<number, CtxField>();
  private readonly viaCtx = new Map<number, boolean>();
  private readonly depth: number[] = [];
  private readonly mapsByName: Map<string, MapSpec>;
  private readonly limit: number;

  constructor(private readonly prog: ProgramSpec, maps: readonly MapSpec[], opts: VerifyOptions) {
    this.strict = opts.strict ?? false;
    this.logLines = opts.log ? [] : undefined;
    this.mapsByName = new Map(maps.map((m) => [m.name, m]));
    this.limit = opts.insnLimit ?? INSN_LIMIT;
  }

  newId(): number { return ++this.ids; }

  /** The log keeps its last LOG_LINES lines: what led to an error is at the end. */
  private logLine(line: string): void {
    const lines = this.logLines!;
    lines.push(line);
    if (lines.length >= 2 * LOG_LINES) { lines.splice(0, LOG_LINES); this.logDropped += LOG_LINES; }
  }

  private logHead(): string[] {
    return this.logDropped ? [`... ${this.logDropped} earlier lines dropped`] : [];
  }

  fail(message: string, pc = this.pc): never {
    const idx = this.st ? this.st.layout.indexOf[pc] : pc;
    const insn = idx !== undefined && idx >= 0 ? this.prog.instructions[idx] : undefined;
    const text = insn ? disassemble(insn) : '';
    const source = idx !== undefined && idx >= 0 ? this.prog.lines[idx] : undefined;
    const log = this.logLines ? [...this.logHead(), ...this.logLines, `pc ${pc}: ${message}`].join('\n') : undefined;
    throw new VerifierError(message, pc, text, source, this.prog.name, log);
  }

  run(): VerifyResult {
    const t0 = performance.now();
    this.st = analyseStructure(this.prog.instructions, this.prog.funcInfo, (pc, m) => this.fail(m, pc));
    this.st.subprogs.forEach((_, i) => { this.depth[i] = 0; });
    const main = this.frame(-1, 0, [pointer(RegType.CTX)]);
    main.regs[10] = pointer(RegType.STACK, { frame: 0 });
    const entry: VState = { frames: [main], refs: [] };
    const stack: Work[] = [{ pc: 0, st: entry }];
    while (stack.length > 0) {
      const w = stack.pop()!;
      this.path(w.pc, w.st, stack);
    }
    const maxStack = checkStackDepth(this.st, this.depth, (pc, m) => this.fail(m, pc));
    const stats: VerifyStats = {
      insnsProcessed: this.processed, states: this.total, peakStates: this.peak, pruned: this.pruned,
      ms: Math.round((performance.now() - t0) * 100) / 100,
    };
    const facts: VerifierFacts = {
      ctxLoads: this.ctxLoads,
      stackDepth: new Map(this.st.subprogs.map((pc, i) => [pc, this.depth[i]!])),
      maxStack, subprograms: this.st.subprogs,
    };
    const result: VerifyResult = { facts, stats };
    if (this.logLines) result.log = [...this.logHead(), ...this.logLines].join('\n');
    return result;
  }

  private frame(callsite: number, subprog: number, args: Reg[], callback = false): Frame {
    const regs: Reg[] = new Array(11).fill(NOT_INIT);
    args.forEach((r, i) => { regs[i + 1] = r; });
    const f: Frame = { regs, stack: new Array(64).fill(undefined), callsite, subprog, depth: 0, callback };
    return f;
  }

  /** Follows one path until it exits, is pruned, or fails; pushes the other side of each branch. */
  private path(pc: number, st: VState, work: Work[]): void {
    for (;;) {
      this.pc = pc;
      if (++this.processed > this.limit) {
        this.fail(`the program is too complex: more than ${this.limit} instructions processed (a loop whose bound the verifier cannot see?)`);
      }
      if (this.st.jumpTargets[pc] && this.visit(pc, st)) return this.release(st.parent);
      const insn = this.prog.instructions[this.st.layout.indexOf[pc]!]!;
      if (this.logLines) this.logLine(`${pc}: ${disassemble(insn)}    ; ${showState(st)}`);
      const next = this.step(pc, insn, st, work);
      if (next < 0) return this.release(st.parent);
      pc = next;
    }
  }

  /** Pruning and loop detection at a jump target; true when the path stops here. */
  private visit(pc: number, st: VState): boolean {
    const list = this.explored.get(pc);
    if (list) {
      // Live registers per frame: the innermost at this pc; callers' r6-r9 after their call returns.
      const n = st.frames.length;
      const live: number[] = new Array(n);
      for (let i = 0; i < n; i++) live[i] = i === n - 1 ? this.st.live[pc]! : this.st.live[st.frames[i + 1]!.callsite + 1]! & 0x7c0;
      for (let k = 0; k < list.length; k++) {
        const cp = list[k]!;
        if (!stateWithin(cp.state, st, this.strict, live)) {
          // States that keep failing to cover anything only cost time (the kernel evicts them too;
          // its n for checkpoints is 64: a smaller one made a TCP-options loop explode).
          if (++cp.miss > cp.hit * 64 + 64) { list.splice(k, 1); k--; this.stored--; }
          continue;
        }
        if (cp.branches > 0 && isCallbackCall(this.prog.instructions[this.st.layout.indexOf[pc]!]!)) {
          // Another call of a callback from a state within an earlier one: the iterations have
          // reached a fixed point (the kernel prunes here on unfinished states too).
          cp.hit++;
          this.pruned++;
          return true;
        }
        if (cp.branches > 0) {
          // Its exploration is not finished, so it proves nothing (the kernel does not prune
          // on it either). The same state again on this very path is a loop that can run forever.
          if ((cp.state.unroll ?? 0) === (st.unroll ?? 0) && stateWithin(st, cp.state, this.strict, live) && this.onPath(st, cp)) {
            const pcs: number[] = [];
            for (let b = st.parent; b && b !== cp; b = b.parent) pcs.push(b.pc);
            this.fail(`infinite loop: the state at pc ${pc} comes back unchanged (loop through pcs ${[cp.pc, ...pcs.reverse(), pc].join(' -> ')}); nothing bounds the iterations`);
          }
          continue;
        }
        cp.hit++;
        this.pruned++;
        if (this.logLines) this.logLine(`${pc}: safe (state covered by an explored one)`);
        return true;
      }
    }
    // Inside a loop, a state every few instructions only costs memory (the kernel's heuristic).
    if (list && this.processed - this.lastAdd < 100 && this.jumps - this.lastAddJumps < 20 && list.some((c) => c.branches > 0)) return false;
    this.lastAdd = this.processed;
    this.lastAddJumps = this.jumps;
    const cp: Checkpoint = { pc, state: cloneState(st), parent: st.parent, hit: 0, miss: 0, branches: 1 };
    this.total++;
    if (list) list.push(cp); else this.explored.set(pc, [cp]);
    st.parent = cp;
    this.stored++;
    this.peak = Math.max(this.peak, this.stored);
    return false;
  }

  /** A path below `cp` ended: when none is left, cp's exploration is complete, and so on upwards. */
  private release(cp: Checkpoint | undefined): void {
    for (; cp; cp = cp.parent) if (--cp.branches > 0) return;
  }

  private onPath(st: VState, cp: Checkpoint): boolean {
    for (let a = st.parent; a; a = a.parent) if (a === cp) return true;
    return false;
  }

  /** Applies one instruction; returns the next pc, or -1 when the path ends. */
  private step(pc: number, insn: Instruction, st: VState, work: Work[]): number {
    const cls = classOf(insn.opcode);
    const frame = cur(st);
    switch (cls) {
      case Class.ALU:
      case Class.ALU64:
        alu(this, st, insn, () => this.newId());
        return pc + 1;
      case Class.LD:
        if (insn.opcode !== LDDW) this.fail('legacy packet loads (LD_ABS/LD_IND) are not allowed in XDP programs');
        if (insn.dst === 10) this.fail('r10 (the frame pointer) is read-only');
        frame.regs[insn.dst] = this.lddw(insn, pc);
        return pc + 2;
      case Class.LDX: {
        if (insn.dst === 10) this.fail('r10 (the frame pointer) is read-only');
        const base = readReg(this, st, insn.src);
        this.notePointerKind(pc, insn.src, base);
        const size = sizeBytes(sizeOf(insn.opcode));
        const r = access(this, st, insn.src, base, insn.off, size, 'read');
        if (r.ctxField) {
          if (modeOf(insn.opcode) === Mode.MEMSX && r.value?.type !== RegType.SCALAR) {
            this.fail(`invalid access to xdp_md: a sign-extending load of ${r.ctxField}, a pointer field (the kernel refuses it too)`);
          }
          this.noteCtx(pc, r.ctxField as CtxField);
        }
        let v = r.value ?? scalar();
        if (modeOf(insn.opcode) === Mode.MEMSX) v = scalar(S.sext(v.type === RegType.SCALAR ? v.v : S.UNKNOWN, (size * 8) as 8 | 16 | 32));
        frame.regs[insn.dst] = v;
        this.depthOf(st);
        return pc + 1;
      }
      case Class.ST:
      case Class.STX:
        this.store(st, insn);
        this.depthOf(st);
        return pc + 1;
      case Class.JMP:
      case Class.JMP32: {
        const op = opOf(insn.opcode);
        if (isExit(insn)) return this.exit(st, work);
        if (isCall(insn)) return this.call(pc, insn, st);
        this.jumps++;
        if (op === JmpOp.JA) return jumpTarget(insn, pc)!;
        const out = condJump(this, st, insn);
        const target = jumpTarget(insn, pc)!;
        if (out.taken && out.fall) {
          // The path object goes on as the fall-through; the queued side must be its own copy.
          work.push({ pc: target, st: out.taken === st ? cloneState(st) : out.taken });
          if (st.parent) st.parent.branches++;
          return this.continueWith(st, out.fall, pc + 1);
        }
        if (out.taken) return this.continueWith(st, out.taken, target);
        if (out.fall) return this.continueWith(st, out.fall, pc + 1);
        return -1;
      }
    }
    return this.fail(`unknown instruction class ${cls}`);
  }

  /** The path goes on with `next` (which may be a different object than `st`). */
  private continueWith(st: VState, next: VState, pc: number): number {
    if (next !== st) { st.frames = next.frames; st.refs = next.refs; st.parent = next.parent; st.unroll = next.unroll; }
    return pc;
  }

  private depthOf(st: VState): void {
    for (const f of st.frames) this.depth[f.subprog] = Math.max(this.depth[f.subprog]!, f.depth);
  }

  /**
   * One memory instruction must go through the context on every path or on none: the
   * kernel refuses the mix ("same insn cannot be used with different pointers"), and the
   * JIT rewrites ctx loads per instruction.
   */
  private notePointerKind(pc: number, regno: number, base: Reg): void {
    const isCtx = base.type === RegType.CTX;
    const seen = this.viaCtx.get(pc);
    if (seen === undefined) this.viaCtx.set(pc, isCtx);
    else if (seen !== isCtx) {
      this.fail(`the same instruction cannot be used with different pointers: r${regno} is ${isCtx ? 'the context' : showReg(base)} here, ${seen ? 'the context' : 'another pointer'} on another path`);
    }
  }

  private noteCtx(pc: number, field: CtxField): void {
    const seen = this.ctxLoads.get(pc);
    if (seen !== undefined && seen !== field) this.fail(`this load reads xdp_md->${seen} on one path and xdp_md->${field} on another`);
    this.ctxLoads.set(pc, field);
  }

  private lddw(insn: Instruction, pc: number): Reg {
    switch (insn.src) {
      case PseudoLd.IMM64: return scalar(S.constant(imm64(insn)));
      case PseudoLd.MAP_FD:
      case PseudoLd.MAP_VALUE: {
        const map = insn.reference === undefined ? undefined : this.mapsByName.get(insn.reference);
        if (!map) this.fail(`lddw refers to ${insn.reference === undefined ? 'a map without a name (unrelocated fd)' : `map '${insn.reference}', which the object does not define`}`);
        if (insn.src === PseudoLd.MAP_FD) return pointer(RegType.MAP_PTR, { map });
        const off = insn.imm2 ?? 0;
        if (off < 0 || off >= map.valueSize) this.fail(`lddw of map '${map.name}' value at offset ${off}, outside its ${map.valueSize}-byte value`);
        return pointer(RegType.MAP_VALUE, { map, off });
      }
      case PseudoLd.FUNC: return pointer(RegType.FUNC, { off: pc + 1 + insn.imm });
    }
    return this.fail(`lddw with pseudo source ${insn.src} is not supported`);
  }

  private store(st: VState, insn: Instruction): void {
    const cls = classOf(insn.opcode);
    const size = sizeBytes(sizeOf(insn.opcode));
    const base = readReg(this, st, insn.dst);
    this.notePointerKind(this.pc, insn.dst, base);
    if (cls === Class.ST) {
      if (modeOf(insn.opcode) !== Mode.MEM) this.fail('invalid store mode');
      const imm = scalar(S.truncTo(S.constant(BigInt(insn.imm)), (size * 8) as 8 | 16 | 32 | 64));
      access(this, st, insn.dst, base, insn.off, size, 'write', size === 8 ? scalar(S.constant(BigInt(insn.imm))) : imm);
      return;
    }
    const value = readReg(this, st, insn.src);
    if (modeOf(insn.opcode) === Mode.ATOMIC) {
      if (size !== 4 && size !== 8) this.fail(`atomic operations take 4 or 8 bytes, not ${size}`);
      if (base.type === RegType.CTX || base.type === RegType.PKT || base.type === RegType.PKT_META) {
        this.fail(`atomic operation through r${insn.dst} (${base.type}) is not allowed: only the stack, map values and records`);
      }
      if (isPointer(value) && this.strict) this.fail(`atomic operation with a pointer (r${insn.src}) leaks its address`);
      if (insn.imm === AtomicOp.CMPXCHG) readReg(this, st, 0);
      access(this, st, insn.dst, base, insn.off, size, 'atomic', scalar());
      if (insn.imm & ATOMIC_FETCH) {
        const target = insn.imm === AtomicOp.CMPXCHG ? 0 : insn.src;
        cur(st).regs[target] = scalar(S.unknownOfSize(size));
      }
      return;
    }
    access(this, st, insn.dst, base, insn.off, size, 'write', size === 8 ? value : value.type === RegType.SCALAR ? scalar(S.truncTo(value.v, (size * 8) as 8 | 16 | 32)) : value);
  }

  private call(pc: number, insn: Instruction, st: VState): number {
    if (insn.src === PseudoCall.LOCAL) {
      const target = pc + 1 + insn.imm;
      const args = [1, 2, 3, 4, 5].map((r) => cur(st).regs[r]!);
      return this.enter(st, pc, target, args);
    }
    const saved = [1, 2, 3, 4, 5].map((r) => cur(st).regs[r]!);
    const { callback } = helperCall(this, st, insn.imm, pc);
    if (callback) {
      const fn = this.st.subprogs.indexOf(callback.target);
      if (fn < 0) this.fail(`the callback at pc ${callback.target} is not a subprogram`);
      return this.enter(st, pc, callback.target, callback.args, saved);
    }
    return pc + 1;
  }

  private enter(st: VState, pc: number, target: number, args: Reg[], callArgs?: readonly Reg[]): number {
    if (st.frames.length >= MAX_CALL_FRAMES) {
      this.fail(`the call stack of ${st.frames.length + 1} frames is too deep (at most ${MAX_CALL_FRAMES})`);
    }
    const subprog = this.st.subprogOf[target]!;
    if (this.st.subprogs[subprog] !== target) this.fail(`call to pc ${target}, which is not the start of a function`);
    for (const f of st.frames) if (f.subprog === subprog) this.fail(`recursive call of the function at pc ${target}`);
    const frame: Frame = { ...this.frame(pc, subprog, args, callArgs !== undefined), ...(callArgs ? { callArgs } : {}) };
    frame.regs[10] = pointer(RegType.STACK, { frame: st.frames.length });
    st.frames = [...st.frames, frame];
    return target;
  }

  private exit(st: VState, work: Work[]): number {
    const frame = cur(st);
    const r0 = frame.regs[0]!;
    // A static function may leave r0 unset (its caller then must not read it), as in the kernel.
    if (r0.type === RegType.NOT_INIT && (st.frames.length === 1 || frame.callback)) this.fail('r0 is not set at exit: the function must return a value');
    if (st.frames.length === 1) {
      if (st.refs.length > 0) this.fail(`a ring-buffer record reserved on this path is neither submitted nor discarded before exit (reference ${st.refs.join(', ')})`);
      if (r0.type !== RegType.SCALAR) {
        // The kernel lets a privileged program return an address (the dataplane treats it as an unknown action).
        if (this.strict) this.fail(`r0 is a pointer (${showReg(r0)}): returning it leaks an address`);
      }
      return -1;
    }
    if (frame.callback) {
      if (r0.type !== RegType.SCALAR || r0.v.umax > 1n) {
        this.fail(`a callback must return 0 or 1, but r0 is ${showReg(r0)}`);
      }
    }
    if (r0.type === RegType.STACK && r0.frame === st.frames.length - 1) this.fail("returns a pointer to the function's own stack frame, which ends at the return");
    const frames = st.frames.slice(0, -1);
    const caller = { ...frames[frames.length - 1]!, regs: frames[frames.length - 1]!.regs.slice() };
    frames[frames.length - 1] = caller;
    caller.regs[0] = frame.callback ? scalar() : r0;
    for (let r = 1; r <= 5; r++) caller.regs[r] = NOT_INIT;
    st.frames = frames;
    if (frame.callArgs) {
      // The helper may call the callback again, with whatever the callback left in the caller's
      // stack: explore that too, until a call finds a state within an earlier one.
      const again = cloneState(st);
      again.unroll = (st.unroll ?? 0) + 1;
      const c = again.frames[again.frames.length - 1]!;
      frame.callArgs.forEach((r, i) => { c.regs[i + 1] = r; });
      work.push({ pc: frame.callsite, st: again });
      if (st.parent) st.parent.branches++;
    }
    return frame.callsite + 1;
  }
}

