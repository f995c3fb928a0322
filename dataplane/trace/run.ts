// Runs one packet through a program on the reference interpreter, one
// instruction at a time, and records a Trace (model.ts). The interpreter is
// set up exactly as the 'interp' engine sets it up (createInterpVm: native
// xdp_buff and frame, native helpers, map storage in place), with a hook
// around helper calls to record their arguments and results.
import koffi from 'koffi';
import { RunError } from '../../jit/errors.ts';
import { Class, JmpOp, classOf, opOf } from '../../jit/isa/opcode.ts';
import { layout } from '../../jit/isa/instruction.ts';
import { listingRows } from '../../jit/object/source-listing.ts';
import type { SourceLine } from '../../jit/object/spec.ts';
import { dissect, diffPackets, type FieldValue } from '../../drivers/packet/packet.ts';
import { FRAME_SIZE, FrameArena } from '../frame-arena.ts';
import { createInterpVm, type HelperHook, type InterpVm } from '../pipeline/interp-engine.ts';
import { helperBindings } from '../ffi.ts';
import type { Helper } from '../../jit/interp/interpreter.ts';
import type { Memory } from '../../jit/interp/memory.ts';
import { verdictName, type PacketMeta, type XdpObject, type XdpProgram } from '../runtime.ts';
import { describeArgs, describeResult } from './helpers.ts';
import type { AccessView, HelperCallView, PacketView, SourcePos, Step, Trace, TraceEnd } from './model.ts';
import { sourceFiles } from './sources.ts';
import { hexBytes, Namer, type PacketState, scalar } from './symbols.ts';

export interface TraceOptions extends PacketMeta {
  /** Instructions before the run is stopped (a step-limit fault). Default 100,000. */
  maxSteps?: number;
  /** Where the packet came from, for the header ("frame 3 of demo.pcap"). Default "packet". */
  origin?: string;
  /** The object file's path, to find the C source next to it for the HTML page. Default: none (line info only). */
  objectPath?: string;
}

const XDP_REDIRECT = 4;
const BPF_FUNC_tail_call = 12;
/** The kernel's MAX_TAIL_CALL_CNT. */
const MAX_TAIL_CALLS = 33;

/** Thrown by the tracer's bpf_tail_call to end the running program's execution; the trace goes on in `target`. */
class TailCall extends Error {
  constructor(readonly target: string) {
    super(`tail call into ${target}`);
  }
}

/**
 * Traces `packet` through `program` (of `object`), following tail calls into the
 * programs a prog_array's `.values` names. Faults end the trace; they are not thrown.
 */
export function tracePacket(object: XdpObject, program: XdpProgram, packet: Uint8Array, options: TraceOptions = {}): Trace {
  const maps = [...object.maps.values()];
  const native = helperBindings();
  const arena = new FrameArena(1);
  let namer: Namer | undefined;
  let memory: Memory | undefined;
  let call: HelperCallView | undefined;
  let moved = false;
  let tailCalls = 0;

  const hook: HelperHook = (id, ctx, args, invoke) => {
    const kernel = native.kernelName(id) ?? `helper_${id}`;
    const name = kernel.startsWith('bpf_') ? kernel : `bpf_${kernel}`;
    const described = namer ? describeArgs(name, args, namer, ctx.memory) : [];
    const before = state();
    const r0 = invoke();
    const after = state();
    moved ||= before.data !== after.data || before.dataEnd !== after.dataEnd;
    if (namer) {
      namer.packetVersion++; // helpers may write the packet (xdp_store_bytes, adjust_*)
      call = { id, name, args: described, result: describeResult(name, r0, args, namer, ctx.memory) };
    }
    return r0;
  };
  // bpf_tail_call(ctx, prog_array, index): the kernel jumps to the slot's program and never
  // returns; an empty slot, an index out of range or the 33rd tail call falls through.
  const tailCall: Helper = (ctx, r1, r2, r3) => {
    const map = namer?.map(r2);
    const index = Number(r3 & 0xffffffffn);
    const target = map && tailCalls < MAX_TAIL_CALLS ? slotProgram(object, map.name, index) : undefined;
    call = {
      id: BPF_FUNC_tail_call, name: 'bpf_tail_call', args: [namer?.value(r1) ?? 'ctx', map ? `map '${map.name}'` : namer?.value(r2) ?? '?', String(index)],
      result: target ? `tail call into ${target}` : 'no program there: falls through',
    };
    if (!target) return BigInt.asUintN(64, -2n); // -ENOENT
    tailCalls++;
    throw new TailCall(target);
  };
  const vms: InterpVm[] = [];
  const vmFor = (p: XdpProgram): InterpVm => {
    const vm = createInterpVm(p.instructions, maps, { maxSteps: options.maxSteps ?? 100_000, hook, extraHelpers: new Map([[BPF_FUNC_tail_call, tailCall]]) });
    vms.push(vm);
    vm.mapArena(arena);
    return vm;
  };
  const buffView = (): DataView => new DataView(koffi.view(arena.buffs, 64) as ArrayBuffer);
  function state(): PacketState {
    const v = buffView();
    return {
      data: v.getBigUint64(0, true), dataEnd: v.getBigUint64(8, true),
      frameStart: arena.frames, frameEnd: arena.frames + BigInt(FRAME_SIZE),
      bytes: () => arena.packet(0),
    };
  }

  const steps: Step[] = [];
  const traced: XdpProgram[] = [program];
  let end: TraceEnd = { kind: 'fault', message: 'the run did not end', pc: 0, steps: 0 };
  let output: Uint8Array | undefined;
  try {
    arena.fill([packet], options, 0n);
    namer = new Namer(arena.buffs, state, () => memory!, maps);
    const names = namer;
    native.workerBegin();
    try {
      let current: XdpProgram | undefined = program;
      let source: SourcePos | undefined;
      while (current) {
        const prog: XdpProgram = current;
        current = undefined;
        const vm = vmFor(prog);
        memory = vm.vm.memory;
        const rows = listingRows(prog.spec);
        const { indexOf } = layout(prog.spec.instructions);
        const ex = vm.vm.start({ args: [arena.buffs] });
        const where = (pc: number): { text: string; source?: SourcePos } => {
          const index = indexOf[pc] ?? -1;
          const row = rows[index];
          const line = prog.spec.lines[index];
          if (line) source = sourcePos(line);
          return { text: row ? row.text + (row.reference !== undefined ? `  ; ${row.reference}` : '') : '?', ...(source ? { source } : {}) };
        };
        const inProgram = prog === program ? {} : { program: prog.name };
        while (!ex.done) {
          call = undefined;
          moved = false;
          let event;
          try {
            event = ex.step();
          } catch (err) {
            if (!(err instanceof RunError)) throw err;
            if (err.cause instanceof TailCall && call) {
              steps.push({ n: steps.length, pc: err.pc, depth: ex.depth, ...where(err.pc), ...inProgram, regs: [], accesses: [], call });
              current = object.program(err.cause.target);
              traced.push(current);
              break;
            }
            end = { kind: 'fault', message: err.message, pc: err.pc, steps: steps.length };
            break;
          }
          const accesses = event.accesses.map((a): AccessView => describeAccess(names, a));
          const wrote = event.accesses.some((a) => a.kind === 'write' && names.packetOffset(a.address) !== undefined);
          if (wrote) names.packetVersion++;
          const step: Step = {
            n: steps.length, pc: event.pc, depth: event.depth, ...where(event.pc), ...inProgram,
            regs: event.changes.map((c) => ({ reg: c.reg, before: names.value(c.before), after: names.value(c.after) })),
            accesses,
          };
          if (isConditionalJump(event.insn.opcode) && !ex.done) step.branch = ex.pc === event.pc + 1 ? 'not taken' : 'taken';
          if (call) step.call = call;
          if (moved) step.packet = packetView(arena.packet(0));
          else if (wrote) step.fields = packetView(arena.packet(0)).fields;
          steps.push(step);
          if (ex.done) {
            const retval = Number(ex.result!.r0 & 0xffffffffn);
            end = { kind: 'verdict', retval, verdict: `XDP_${verdictName(retval)}`, steps: steps.length };
          }
        }
      }
      const redirectKind = native.redirectCommit(arena.buffs); // also clears the worker's pending redirect
      if (end.kind === 'verdict') {
        if (end.retval === XDP_REDIRECT && redirectKind !== 0) end.redirect = arena.egressIfindex(0);
        output = arena.packet(0).slice();
      }
    } finally {
      native.workerEnd();
    }
  } finally {
    vms.forEach((vm) => vm.free());
    arena.free();
  }

  return {
    object: object.spec.name,
    program: program.name,
    origin: options.origin ?? 'packet',
    input: packetView(packet),
    steps,
    end,
    ...(output ? { output: packetView(output) } : {}),
    diff: output ? diffPackets(packet, output).map((d) => ({ name: d.name, offset: d.offset, before: show(d.expected), after: show(d.actual) })) : [],
    sources: sourceFiles(traced.flatMap((p) => p.spec.lines), steps, options.objectPath),
  };
}

/** The program a prog_array slot names in the object's `.values` initialisation. */
function slotProgram(object: XdpObject, mapName: string, index: number): string | undefined {
  return object.spec.maps.find((m) => m.name === mapName)?.slots?.find((s) => s.index === index)?.name;
}

function describeAccess(namer: Namer, a: { kind: 'read' | 'write'; address: bigint; size: number; value: bigint }): AccessView {
  const base = { kind: a.kind, size: a.size };
  const offset = namer.packetOffset(a.address);
  if (offset !== undefined) {
    let wire = '';
    for (let i = 0; i < a.size; i++) wire += Number((a.value >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0');
    const reading = namer.fieldReading(offset, a.size);
    const warning = namer.outsidePacket(a.address, a.size);
    return {
      ...base, where: namer.value(a.address), value: `0x${wire}`, packetOffset: offset, fields: namer.fieldsAt(offset, a.size),
      ...(reading !== undefined ? { reading } : {}), ...(warning !== undefined ? { warning } : {}),
    };
  }
  const ctxField = namer.ctxField(a.address);
  if (ctxField !== undefined) return { ...base, where: `ctx->${ctxField}`, value: namer.value(a.value), ctxField };
  return { ...base, where: namer.value(a.address), value: a.size === 8 ? namer.value(a.value) : scalar(a.value) };
}

function isConditionalJump(opcode: number): boolean {
  const cls = classOf(opcode);
  if (cls !== Class.JMP && cls !== Class.JMP32) return false;
  const op = opOf(opcode);
  return op !== JmpOp.JA && op !== JmpOp.CALL && op !== JmpOp.EXIT;
}

const sourcePos = (l: SourceLine): SourcePos => ({ file: l.file, line: l.line, text: l.text });

export function packetView(bytes: Uint8Array): PacketView {
  return {
    hex: hexBytes(bytes), length: bytes.length,
    fields: dissect(bytes).fields.map((f) => ({
      name: `${f.layer}.${f.field}`, offset: f.offset, length: f.length,
      value: `${show(f.value)}${f.text !== undefined ? ` ${f.text}` : ''}`,
    })),
  };
}

function show(v: FieldValue | undefined): string {
  if (v === undefined) return '(absent)';
  return typeof v === 'number' && v >= 10 ? `${v} (0x${v.toString(16)})` : String(v);
}
