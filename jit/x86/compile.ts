// jitCompile: an eBPF program → x86-64 machine code with the burst entry around it.
//
// Layout of the code (offsets in the returned pcMap / entryOffset):
//
//   burst:   push rbp, rbx, r12-r15; sub rsp, 584; rbp = rsp + 584 (r10: top of the 512-byte frame,
//            with 32 bytes of slots for fused loads' base pointers below it)
//            [rsp] = buffs, [rsp+8] = verdicts, [rsp+16] = n, [rsp+24] = &pc 0, [rsp+32] = 0
//            (tail calls); r12 = 0; if n == 0 goto done
//   pc 0:    the main program, with rdi (r1) = &buffs[i] (with a descriptor context: buffs[i], the
//            i-th descriptor pointer); every exit jumps to `next`
//   next:    verdicts[r12] = eax; r12++; if r12 == n goto done; rdi = buffs + r12 * 64 (or buffs[r12]);
//            goto [rsp+24]
//   done:    rax = n; restore; ret
//   subprograms: each pushes rbp, rbx, r13-r15 and takes a fresh 512-byte frame (+ 32 bytes of slots)
//            (r10 = the top of its own frame); their exits share one epilogue.
//
// A subprogram is an ordinary System V function (arguments r1-r5, result in rax,
// callee-saved registers preserved), so native helpers can call callbacks too.
import { STACK_SIZE as STACK_SIZE_, classOf as classOf_, isAluClass as isAluClass_, isJmpClass as isJmpClass_ } from '../isa/opcode.ts';
import { layout, width as width_, type Program } from '../isa/instruction.ts';
import { encodingProblem as encodingProblem_ } from '../isa/codec.ts';
import { Cond as Cond_, type Label } from './code-buffer.ts';
import { Alu as Alu_, Asm, Shift as Shift_ } from './encoder.ts';
import { emitAlu } from './emit-alu.ts';
import { emitJmp, moveArguments } from './emit-jmp.ts';
import type { HashMapLayout } from './inline-hash.ts';
export type { HashMapLayout } from './inline-hash.ts';
import { emitMem } from './emit-mem.ts';
import { rewriteContextAccess } from './ctx-rewrite.ts';
import { descriptorProblem, emitDescriptorLoad, type DescriptorContext } from './descriptor.ts';
import { BURST_INDEX as BURST_INDEX_, FRAME_SAVED as FRAME_SAVED_, SYSV_ARGS, TMP1 as TMP1_, X as X_, registerMapProblem, withRegisterMap, x86 as x86_ } from './regs.ts';
import { JitError } from './errors.ts';
import { randomSource } from './blind.ts';
import { SANDBOX_STACK_HI, SandboxEmitter, type Trap } from './sandbox.ts';
import { Class as Class_, JmpOp as JmpOp_, LDDW as LDDW_, PseudoCall as PseudoCall_, PseudoLd as PseudoLd_, Source as Source_, opOf as opOf_, sizeBytes as sizeBytes_, sizeOf as sizeOf_, sourceOf as sourceOf_ } from '../isa/opcode.ts';
import { checkCallDepth, constantR1AtLookups, endsFlow, findFunctions, findJumpTargets, writesFramePointer } from './analysis.ts';
import { SITE_SLOTS, frameSlot, planFusions, type Fusion, type PeepholeContext } from './peephole.ts';
import { provenance } from './provenance.ts';
import { liveness, usesDefs as usesDefs_, type Run } from './liveness.ts';

// Imports copied into locals: under tsx every use of an imported binding is a getter
// call, which the per-instruction paths of the JIT feel (compile time).
const STACK_SIZE = STACK_SIZE_, classOf = classOf_, isAluClass = isAluClass_, isJmpClass = isJmpClass_, width = width_,
  encodingProblem = encodingProblem_, Cond = Cond_, Alu = Alu_, Shift = Shift_, BURST_INDEX = BURST_INDEX_,
  FRAME_SAVED = FRAME_SAVED_, TMP1 = TMP1_, X = X_, x86 = x86_, Class = Class_, JmpOp = JmpOp_, LDDW = LDDW_,
  PseudoCall = PseudoCall_, PseudoLd = PseudoLd_, Source = Source_, opOf = opOf_, sizeBytes = sizeBytes_, sizeOf = sizeOf_,
  sourceOf = sourceOf_, usesDefs = usesDefs_;
type X = X_;

/** sizeof(struct sluice_xdp_buff) (dataplane/shim/xdp.h). */
export const XDP_BUFF_SIZE = 64;
const XDP_REDIRECT = 4;
/** How many packets ahead the burst loop prefetches (memory latency is many packets' work). */
const PREFETCH_AHEAD = 4;

export interface JitOptions {
  /** The native address of a helper by its kernel id; undefined for an unknown id (a compile error). Default: none known. */
  helperAddress?: (helperId: number) => bigint | undefined;
  /** Rewrite xdp_md loads into sluice_xdp_buff loads (ctx-rewrite.ts). Default true; false when the verifier already did. */
  rewriteContext?: boolean;
  /**
   * 'burst' (default): the burst entry above. 'function': the main program as a plain System V
   * function `uint64_t f(r1, r2, r3, r4, r5)` returning r0 (for test runs and the semantics
   * files, where r1 is not a context).
   */
  entry?: 'burst' | 'function';
  /**
   * Inlining of bpf_map_lookup_elem on array maps, as the kernel does: given the address an
   * lddw put in r1 before a `call 1`, the map's layout when it is an array or a per-CPU array
   * (with `perCpu`), else undefined. The lookup becomes a bounds check and an address
   * computation. Default: none.
   */
  arrayMapAt?: (mapAddress: bigint) => ArrayMapLayout | undefined;
  /**
   * For a `call 1` whose map is such a constant and is not an inlined array: the address of the
   * map's own lookup, `void *lookup(struct sluice_map *, const void *key)`, which the helper would
   * dispatch to (maps/map.c sluice_map_lookup_fn); the JIT calls it directly. Default: none.
   */
  mapLookupAt?: (mapAddress: bigint) => bigint | undefined;
  /**
   * Inlining of bpf_map_lookup_elem on plain hash maps (BPF_MAP_TYPE_HASH; not LRU, per-CPU,
   * hash-of-maps or devmap_hash) with 4-, 8- or 16-byte keys: given the address an lddw put in r1
   * before a `call 1`, the map's fixed lookup constants (maps/map.h sluice_hash_layout,
   * MapHandle.hashLayout), else undefined. The lookup becomes the map's own hash, bucket walk and
   * key compare in place (inline-hash.ts), with no call. Asked only when arrayMapAt said no.
   * Default: none.
   */
  hashMapAt?: (mapAddress: bigint) => HashMapLayout | undefined;
  /** Optional instructions the CPU running the code has. Default: none (baseline x86-64). */
  cpu?: { bmi2?: boolean };
  /**
   * The address of `uint32_t sluice_redirect_commit(struct sluice_xdp_buff *)` (dataplane/shim/helpers.h).
   * When given, the burst loop calls it for every packet whose verdict is XDP_REDIRECT, so the
   * target bpf_redirect*() chose lands in that packet's xdp_buff (egress_ifindex) before the next
   * packet runs. With a descriptor context it is called with the address of the descriptor's
   * `egress` field instead (sluice_redirect_commit_u32). Default: none (redirect targets are not recorded).
   */
  redirectCommit?: bigint;
  /**
   * Prefetch the first cache line of the packet 4 ahead while the current one runs. Default false:
   * measured here it saves ~0.25 ns a packet on cold, scattered frames and costs ~0.3 ns on hot ones.
   */
  prefetch?: boolean;
  /**
   * Constant blinding, as the kernel does for untrusted loaders (blind.ts): no immediate the
   * program chose appears verbatim in the code. Default false. Costs one or two instructions
   * per immediate and turns off the mov+add → lea fusion (its displacement is an immediate).
   */
  blindConstants?: boolean;
  /**
   * Raw programs no verifier has checked (sandbox.ts): every memory access bounds-checked against
   * the input and the live stack frames, callx only to the program's subprograms, backward jumps
   * counted against a budget; a failed check traps (ud2) for dataplane/shim/guard.c to report.
   * Needs entry 'function'; the function is then `uint64_t f(r1, r2, struct sluice_sandbox *)`
   * (eBPF r3 starts at 0) and its frames live in the sandbox's stack region. Default false.
   */
  sandbox?: boolean;
  /**
   * Which x86 register holds each eBPF register (regs.ts registerMapProblem says what is
   * allowed). For testing the emitters under other assignments: needs entry 'function', and no
   * function addresses where helpers could call them (native code calls with the System V
   * registers). Default: regs.ts REG_MAP.
   */
  registerMap?: readonly X[];
  /** Peephole fusions and the dead code they leave (peephole.ts, store-runs.ts). Default true; false for one-to-one code. */
  fusions?: boolean;
  /**
   * The context is the driver's own packet descriptor, not an xdp_buff (descriptor.ts): the burst
   * entry takes an array of descriptor pointers, and the context loads at `descriptor.loads` read
   * the packet's place from the descriptor. A program that does not qualify (descriptorProblem)
   * is a compile error. Needs the burst entry; not with prefetch. Default: xdp_buffs.
   */
  descriptor?: DescriptorContext;
}

/**
 * An array map's storage: values[i] at values + i * elemSize for i < maxEntries (maps/map.h).
 * A per-CPU array gives `perCpu`: its storage is CPU-major, the calling worker's copy of
 * values[i] at values + cpu * cpuStride + i * elemSize, where cpu is the u32 at `tpOffset` from
 * the thread pointer (the %fs base): sluice_worker.cpu (maps/worker.h), whose offset
 * sluice_worker_cpu_tpoff() returns. Element sizes below 2^31; the worker's cpu is not
 * checked against the map's CPU count (the helper's lookup does not check it either).
 */
export interface ArrayMapLayout {
  maxEntries: number;
  elemSize: number;
  values: bigint;
  perCpu?: { cpuStride: number | bigint; tpOffset: number };
}

export interface JitResult {
  code: Uint8Array;
  /** Offset of the burst entry: uint64_t burst(struct sluice_xdp_buff *, uint32_t *verdicts, uint64_t n). */
  entryOffset: number;
  /** pcMap[pc]: native offset of the instruction at pc (-1 for lddw's second slot); pcMap[slots] is the end of the main program. */
  pcMap: Int32Array;
  /**
   * Where a tail call into this program jumps (its main body, entered with the caller's burst
   * frame and r1 = ctx): the address to register for prog_array slots, or -1 for a function entry.
   */
  tailCallEntry: number;
  /** Native offsets of the burst loop's pieces and of each subprogram, for `sluice jit dump`. */
  labels: { name: string; offset: number }[];
  /** With sandbox: every trap site (its ud2's native offset, the eBPF pc, why). Empty otherwise. */
  traps: Trap[];
}

// The burst frame under rsp: the saved arguments, the address of the program body the loop
// returns to (a tail call leaves it running another program's code, whose `next` must come
// back here), the tail-call count, then the main program's 512 bytes.
// Below the 512 bytes, every frame keeps SITE_SLOTS words for the base pointers of fused loads (peephole.ts frameSlot).
const BUFFS = 0, VERDICTS = 8, COUNT = 16, BODY = 24, TAIL_CALLS = 32;
const FRAME = STACK_SIZE + 8 * SITE_SLOTS;
const BURST_FRAME = 40 + FRAME; // 6 pushes + return address + 584 keep rsp 16-byte aligned at calls

export function jitCompile(program: Program, opts: JitOptions = {}): JitResult {
  if (program.length === 0) throw new JitError('empty program', -1);
  const map = opts.registerMap;
  if (!map) return compile(program, opts);
  const problem = registerMapProblem(map);
  if (problem) throw new JitError(problem, -1);
  if (opts.entry !== 'function' || opts.sandbox) throw new JitError("another register map needs entry: 'function' (and no sandbox)", -1);
  // A function's address may reach a helper (bpf_loop, for_each_map_elem), which would call it with the System V registers.
  const callback = program.findIndex((insn) => insn.opcode === LDDW && insn.src === PseudoLd.FUNC);
  const helper = program.some((insn) => insn.opcode === (Class.JMP | JmpOp.CALL) && insn.src === PseudoCall.HELPER);
  if (callback >= 0 && helper) throw new JitError('callbacks (lddw of a function) in a program that calls helpers need the standard register map', layout(program).pcOf[callback]!);
  return withRegisterMap(map, () => compile(program, opts));
}

function compile(program: Program, opts: JitOptions): JitResult {
  program.forEach((insn, i) => {
    const problem = encodingProblem(insn) ?? (writesFramePointer(insn) ? 'r10 (the frame pointer) is read-only' : undefined);
    if (problem) throw new JitError(problem, layout(program.slice(0, i)).pcOf[i]!);
  });
  const prog = opts.rewriteContext === false ? [...program] : rewriteContextAccess(program);
  const { pcOf, indexOf } = layout(prog);
  const descriptor = opts.descriptor;
  if (descriptor) {
    const problem = descriptorProblem(prog, descriptor) ??
      (opts.entry === 'function' ? 'it needs the burst entry' : opts.prefetch ? 'not with prefetch' : undefined);
    if (problem) throw new JitError(`a descriptor context: ${problem}`, -1);
  }
  const slots = pcOf[prog.length]!;
  const functions = findFunctions(prog, pcOf, slots);
  checkCallDepth(prog, pcOf, functions);

  const jumpTargets = findJumpTargets(prog, pcOf, slots);
  const r1Constants = opts.arrayMapAt || opts.mapLookupAt || opts.hashMapAt ? constantR1AtLookups(prog, pcOf, jumpTargets) : new Map<number, bigint>();
  // Fusions change which instructions carry immediates and where memory is touched: not with
  // constant blinding (every immediate goes through blind.ts) nor in the sandbox (a check per access).
  const peephole: PeepholeContext | undefined = opts.blindConstants || opts.sandbox || opts.fusions === false
    ? undefined
    : { prog, pcOf, jumpTargets, liveOut: liveness(prog, pcOf, indexOf, functions).liveOut, end: 0, opaque: descriptor?.loads };
  // Where narrow loads assemble wider values across blocks, the byte dataflow lets runs start from it.
  const provenanceOf = peephole && prog.some(narrowLoad) ? provenance(prog, pcOf, indexOf, functions, descriptor?.loads) : undefined;
  const siteSlots = provenanceOf ? new Map<number, number>() : undefined; // frame slots by site pc (planFusions)
  if (peephole && provenanceOf) { peephole.before = provenanceOf.before; peephole.slots = siteSlots; }
  // Every function's fusions first (a run may need a base saved at an earlier pc), then the
  // liveness of the code as it will be compiled: what only fused runs used to read is dead now.
  const runs = new Map<number, Run>();
  const fusions = new Map<number, Fusion>();
  if (peephole) {
    for (const f of functions) {
      peephole.end = f.end;
      for (const [i, fusion] of planFusions(peephole, f.start, indexOf, siteSlots ?? new Map(), runs)) fusions.set(i, fusion);
    }
  }
  const compiledLiveOut = !peephole ? undefined : fusions.size > 0 ? liveness(prog, pcOf, indexOf, functions, runs).liveOut : peephole.liveOut;
  const a = new Asm();
  a.bmi2 = opts.cpu?.bmi2 === true;
  const blind = opts.blindConstants === true;
  if (blind) a.blind = randomSource();
  const pcLabels: Label[] = Array.from({ length: slots }, () => a.newLabel());
  const subLabels = new Map<number, Label>(functions.slice(1).map((f) => [f.start, a.newLabel()]));
  const next = a.newLabel(), done = a.newLabel(), subExit = a.newLabel();
  const entry = a.newLabel();

  const burst = opts.entry !== 'function';
  if (opts.sandbox && burst) throw new JitError("the sandbox runs raw programs: it needs entry: 'function'", -1);
  const sb = opts.sandbox ? new SandboxEmitter(a) : undefined;
  const sandboxExit = a.newLabel();
  const subEntries = [...subLabels.values()];
  // The burst entry's prologue.
  if (burst) a.bind(entry);
  if (burst) for (const r of [X.RBP, X.RBX, X.R12, X.R13, X.R14, X.R15]) a.push(r);
  if (burst) {
    a.aluRI(Alu.SUB, X.RSP, BURST_FRAME, true);
    a.lea(X.RBP, { base: X.RSP, disp: BURST_FRAME });
    a.store(8, { base: X.RSP, disp: BUFFS }, X.RDI);
    a.store(8, { base: X.RSP, disp: VERDICTS }, X.RSI);
    a.store(8, { base: X.RSP, disp: COUNT }, X.RDX);
    a.leaLabel(TMP1, pcLabels[0]!);
    a.store(8, { base: X.RSP, disp: BODY }, TMP1);
    a.storeImm(4, { base: X.RSP, disp: TAIL_CALLS }, 0);
    a.movRI(BURST_INDEX, 0, false);
    a.testRR(X.RDX, X.RDX, true);
    a.jcc(Cond.E, done);
    if (descriptor) a.load(8, X.RDI, { base: X.RDI, disp: 0 }); // the first descriptor
    if (opts.prefetch) {
      const skip = a.newLabel();
      a.aluRI(Alu.CMP, X.RDX, 1, true);
      a.jcc(Cond.BE, skip);
      a.load(8, TMP1, { base: X.RDI, disp: XDP_BUFF_SIZE }); // buffs[1].data
      a.prefetch({ base: TMP1, disp: 0 });
      a.bind(skip);
    }
  }

  for (const f of functions) {
    const isMain = f.start === 0 && burst;
    if (!isMain) {
      a.pc = -1;
      a.bind(f.start === 0 ? entry : subLabels.get(f.start)!);
      for (const r of FRAME_SAVED) a.push(r);
      if (sb && f.start === 0) { // sandbox entry (r1, r2, sandbox): r12 = sandbox, r10 = top of the eBPF stack region
        a.push(X.R12);
        a.aluRI(Alu.SUB, X.RSP, 8, true); // 6 pushes + return address: keep rsp 16-byte aligned for helper calls
        a.movRR(X.R12, X.RDX, true);
        // r0, r3 and r6-r9 start at 0, as in the interpreter (and no native values leak to the program).
        for (const r of [X.RAX, X.RDX, X.RBX, X.R13, X.R14, X.R15]) a.aluRR(Alu.XOR, r, r, false);
        a.load(8, X.RBP, { base: X.R12, disp: SANDBOX_STACK_HI });
      } else if (sb) {
        a.lea(X.RBP, { base: X.RBP, disp: -STACK_SIZE }); // the frame just below the caller's, in the region
      } else {
        a.movRR(X.RBP, X.RSP, true);
        a.aluRI(Alu.SUB, X.RSP, FRAME, true);
        if (f.start === 0) moveArguments(a, SYSV_ARGS, [1, 2, 3, 4, 5].map(x86)); // a function entry: r1-r5 from the caller
      }
    }
    const exit = isMain ? next : sb && f.start === 0 ? sandboxExit : subExit;
    const target = (pc: number): Label | undefined =>
      pc >= f.start && pc < f.end && indexOf[pc] !== -1 ? pcLabels[pc] : undefined;
    const subprogram = (pc: number): Label | undefined => subLabels.get(pc);
    const tailCalls = isMain ? { counter: { base: X.RSP, disp: TAIL_CALLS } } : undefined;
    const inlineLookup = (pc: number): ArrayMapLayout | undefined => {
      const map = r1Constants.get(pc);
      return map === undefined ? undefined : opts.arrayMapAt?.(map);
    };
    const inlineHash = (pc: number): HashMapLayout | undefined => {
      const map = r1Constants.get(pc);
      return map === undefined ? undefined : opts.hashMapAt?.(map);
    };
    const directLookup = (pc: number): bigint | undefined => {
      const map = r1Constants.get(pc);
      return map === undefined ? undefined : opts.mapLookupAt?.(map);
    };
    const jmpContext = { target, exit, subprogram, helperAddress: opts.helperAddress ?? (() => undefined), tailCalls, inlineLookup, inlineHash, directLookup };
    const memContext = { subprogram };
    for (let pc = f.start; pc < f.end; pc++) {
      const i = indexOf[pc]!;
      if (i < 0) continue;
      const insn = prog[i]!;
      a.pc = pc;
      a.bind(pcLabels[pc]!);
      const slot = siteSlots?.get(pc);
      if (slot !== undefined) a.store(8, frameSlot(slot), x86(provenanceOf!.bases.get(pc)!)); // a later fused run reads this base
      const fusion = fusions.get(i);
      if (fusion) { // a run the x86 does in fewer instructions (peephole.ts); its pcs all map here
        for (let k = 1; k < fusion.count; k++) a.bind(pcLabels[pcOf[i + k]!]!);
        fusion.emit(a);
        pc = pcOf[i + fusion.count - 1]!;
        if (pc + 1 === f.end) a.fail('the last instruction of a function falls through past its end');
        continue;
      }
      const cls = classOf(insn.opcode);
      if (sb) sandboxChecks(sb, insn, pc, subEntries);
      const field = descriptor?.loads.get(pc);
      if (compiledLiveOut && deadCode(insn, compiledLiveOut[pc]!)) { /* nothing to emit: e.g. byte loads only a fused run read */ }
      else if (field !== undefined) emitDescriptorLoad(a, insn, field, descriptor!);
      else if (isAluClass(cls)) emitAlu(a, insn);
      else if (isJmpClass(cls)) emitJmp(a, insn, pc, jmpContext);
      else emitMem(a, insn, pc, memContext);
      if (pc + width(insn) === f.end && !endsFlow(insn)) a.fail('the last instruction of a function falls through past its end');
    }
    if (isMain) {
      // next: store the verdict, advance to the next buffer, loop.
      a.pc = -1;
      a.bind(next);
      a.load(8, TMP1, { base: X.RSP, disp: VERDICTS });
      a.store(4, { base: TMP1, index: BURST_INDEX, scale: 4, disp: 0 }, X.RAX);
      // rdi = the context of packet BURST_INDEX: &buffs[i], or the i-th descriptor pointer.
      const contextOf = (): void => {
        if (descriptor) {
          a.load(8, TMP1, { base: X.RSP, disp: BUFFS });
          a.load(8, X.RDI, { base: TMP1, index: BURST_INDEX, scale: 8, disp: 0 });
          return;
        }
        a.movRR(X.RDI, BURST_INDEX, true);
        a.shiftRI(Shift.SHL, X.RDI, Math.log2(XDP_BUFF_SIZE), true);
        a.aluRM(Alu.ADD, X.RDI, { base: X.RSP, disp: BUFFS }, true);
      };
      if (opts.redirectCommit !== undefined) {
        // verdict == XDP_REDIRECT: record the target with the packet (rsp is 16-byte aligned here).
        const kept = a.newLabel();
        a.aluRI(Alu.CMP, X.RAX, XDP_REDIRECT, false);
        a.jcc(Cond.NE, kept);
        contextOf();
        if (descriptor) a.lea(X.RDI, { base: X.RDI, disp: descriptor.egress }); // the descriptor's field for it
        a.movRI(X.RAX, opts.redirectCommit, true);
        a.callR(X.RAX);
        a.bind(kept);
      }
      a.incR(BURST_INDEX, true);
      a.aluRM(Alu.CMP, BURST_INDEX, { base: X.RSP, disp: COUNT }, true);
      a.jcc(Cond.AE, done);
      contextOf();
      if (opts.prefetch) { // packet i+1 runs next: start loading packet i+1+PREFETCH_AHEAD if there is one
        const skip = a.newLabel();
        a.lea(TMP1, { base: BURST_INDEX, disp: PREFETCH_AHEAD });
        a.aluRM(Alu.CMP, TMP1, { base: X.RSP, disp: COUNT }, true);
        a.jcc(Cond.AE, skip);
        a.load(8, TMP1, { base: X.RDI, disp: PREFETCH_AHEAD * XDP_BUFF_SIZE });
        a.prefetch({ base: TMP1, disp: 0 });
        a.bind(skip);
      }
      if (descriptor) {
        // A descriptor program makes no tail calls and is never tail-called into (the engine
        // registers only its ordinary entry), so its own body is always the one to run again.
        a.jmp(pcLabels[0]!);
      } else {
        a.storeImm(4, { base: X.RSP, disp: TAIL_CALLS }, 0);
        a.jmpIndirect({ base: X.RSP, disp: BODY }); // the burst's own program, even after a tail call
      }
      a.bind(done);
      a.load(8, X.RAX, { base: X.RSP, disp: COUNT });
      a.aluRI(Alu.ADD, X.RSP, BURST_FRAME, true);
      for (const r of [X.R15, X.R14, X.R13, X.R12, X.RBX, X.RBP]) a.pop(r);
      a.ret();
    }
  }
  a.bind(subExit);
  if (sb) {
    if (functions.length > 1) { // subprogram frames are in the region: rsp never moved, only the pushes to undo
      for (const r of [...FRAME_SAVED].reverse()) a.pop(r);
      a.ret();
    }
    a.bind(sandboxExit);
    a.aluRI(Alu.ADD, X.RSP, 8, true);
    a.pop(X.R12);
    for (const r of [...FRAME_SAVED].reverse()) a.pop(r);
    a.ret();
    sb.emitTraps();
  } else if (functions.length > 1 || !burst) {
    // The function entry returns r0 in rax; a subprogram's caller reads r0 where the map keeps it
    // (and everything else in r0-r5 is dead after a call): one move serves both.
    if (x86(0) !== X.RAX) a.movRR(X.RAX, x86(0), true);
    a.movRR(X.RSP, X.RBP, true);
    for (const r of [...FRAME_SAVED].reverse()) a.pop(r);
    a.ret();
  }

  if (!burst) { a.bind(next); a.bind(done); } // unused by a function entry
  const out = a.finish();
  const pcMap = new Int32Array(slots + 1).fill(-1);
  for (let pc = 0; pc < slots; pc++) if (indexOf[pc] !== -1) pcMap[pc] = out.offsetOf(pcLabels[pc]!);
  pcMap[slots] = out.offsetOf(next);
  const labels = [
    { name: burst ? 'burst' : 'function', offset: out.offsetOf(entry) },
    ...(burst ? [{ name: 'burst.next', offset: out.offsetOf(next) }, { name: 'burst.done', offset: out.offsetOf(done) }] : []),
    ...functions.slice(1).map((f) => ({ name: `subprogram@pc${f.start}`, offset: out.offsetOf(subLabels.get(f.start)!) })),
    ...(functions.length > 1 || !burst ? [{ name: 'subprogram.exit', offset: out.offsetOf(subExit) }] : []),
  ];
  if (sb) labels.push({ name: 'sandbox.exit', offset: out.offsetOf(sandboxExit) });
  const traps = sb ? sb.traps(out.offsetOf) : [];
  return { code: out.code, entryOffset: out.offsetOf(entry), pcMap, tailCallEntry: burst ? pcMap[0]! : -1, labels, traps };
}

/** The sandbox's checks that go before an instruction's own code (sandbox.ts). */
function sandboxChecks(sb: SandboxEmitter, insn: Program[number], pc: number, subEntries: readonly Label[]): void {
  const cls = classOf(insn.opcode);
  if (cls === Class.LDX) return sb.checkAccess(x86(insn.src), insn.off, sizeBytes(sizeOf(insn.opcode)), false);
  if (cls === Class.ST || cls === Class.STX) return sb.checkAccess(x86(insn.dst), insn.off, sizeBytes(sizeOf(insn.opcode)), true);
  if (!isJmpClass(cls)) return;
  const op = opOf(insn.opcode);
  if (op === JmpOp.CALL) {
    // Calls spend budget too: straight-line code calling straight-line code 8 deep still multiplies.
    if (sourceOf(insn.opcode) === Source.X) { sb.countBackEdge(); sb.checkCallTarget(x86(insn.dst), subEntries); }
    else if (insn.src === PseudoCall.LOCAL) sb.countBackEdge();
    return;
  }
  if (op === JmpOp.EXIT) return;
  const offset = cls === Class.JMP32 && op === JmpOp.JA ? insn.imm : insn.off;
  if (offset < 0) sb.countBackEdge(); // a backward jump: one unit of the budget
}

/** A load of 1, 2 or 4 bytes through a pointer other than r10: what byte assembly starts from. */
function narrowLoad(insn: Program[number]): boolean {
  return classOf(insn.opcode) === Class.LDX && insn.src !== 10 && sizeBytes(sizeOf(insn.opcode)) < 8;
}

/**
 * An instruction with no effect but its register, which nothing reads: an ALU operation or a
 * plain load (verified programs' loads cannot fault). Never a lddw, store, atomic or jump.
 */
function deadCode(insn: Program[number], liveOut: number): boolean {
  const cls = classOf(insn.opcode);
  if (!isAluClass(cls) && !(cls === Class.LDX)) return false;
  return (usesDefs(insn).defs & liveOut) === 0;
}
