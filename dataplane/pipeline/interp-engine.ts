// The interpreter engine: the reference interpreter over the same native
// buffers the JIT uses, calling the same native helpers. Slow (FFI calls per
// packet and per helper call) and meant for tracing and cross-checking, never
// for line rate.
//
// The interpreter's address space holds real native addresses for everything
// native (the xdp_buffs, the frames, map values), so native helpers can be
// called with the program's pointers as they are. The one exception is the
// stack, which lives in interpreter memory at fixed fake addresses: a helper
// argument pointing into a stack frame is passed as a native shadow copy of
// that frame, copied back after the call.
import koffi from 'koffi';
import type { Program } from '../../jit/isa/instruction.ts';
import { Interpreter, type Helper, type HelperContext, type Region } from '../../jit/interp/interpreter.ts';
import { STACK_REGION_BASE, stackBase } from '../../jit/interp/memory.ts';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../../jit/isa/opcode.ts';
import { RunError } from '../../jit/errors.ts';
import type { MapHandle } from '../../maps/index.ts';
import { FRAME_SIZE, type FrameArena } from '../frame-arena.ts';
import { XDP_BUFF_SIZE } from '../../jit/x86/compile.ts';
import { helperBindings, type HelperBindings } from '../ffi.ts';
import type { Engine } from './engine.ts';

const BPF_FUNC_map_lookup_elem = 1;
const BPF_FUNC_ringbuf_reserve = 131;
const XDP_REDIRECT = 4;
const STACK_END = stackBase(MAX_CALL_FRAMES);

/** Wraps a helper call (tracing): gets the helper id, r1..r5 and the call itself; returns r0. */
export type HelperHook = (id: number, ctx: HelperContext, args: readonly bigint[], call: () => bigint) => bigint;

/** The interpreter set up over native memory and native helpers: what the engine and `sluice trace` share. */
export interface InterpVm {
  readonly vm: Interpreter;
  readonly native: HelperBindings;
  /** Maps an arena's xdp_buffs and frames into the interpreter (again only when the arena changes). */
  mapArena(arena: FrameArena): void;
  free(): void;
}

export interface InterpVmOptions {
  maxSteps?: number;
  /** Wraps every native helper call (tracing). */
  hook?: HelperHook;
  /** Helpers with no native implementation, by id, used as they are (the tracer's bpf_tail_call). */
  extraHelpers?: ReadonlyMap<number, Helper>;
}

export function createInterpVm(program: Program, maps: readonly MapHandle[], options: InterpVmOptions = {}): InterpVm {
  const native = helperBindings();
  const byAddress = new Map(maps.map((m) => [m.address, m]));
  const shadowBase = koffi.alloc('uint8_t', MAX_CALL_FRAMES * STACK_SIZE) as bigint;
  const shadow = new Uint8Array(koffi.view(shadowBase, MAX_CALL_FRAMES * STACK_SIZE) as ArrayBuffer);

  const callNative = (id: number): Helper => (ctx, ...args) => {
    const frames = new Set<number>();
    const translated = args.map((a) => {
      if (a < STACK_REGION_BASE || a >= STACK_END) return a;
      const frame = Number((a - STACK_REGION_BASE) / (stackBase(1) - stackBase(0)));
      frames.add(frame);
      shadow.set(ctx.memory.stacks[frame]!.bytes, frame * STACK_SIZE);
      return shadowBase + BigInt(frame * STACK_SIZE) + (a - stackBase(frame));
    });
    let r0: bigint;
    try {
      r0 = native.call(id, ...translated);
    } catch (err) {
      throw new RunError(`helper ${native.kernelName(id) ?? id}: ${(err as Error).message}`, ctx.pc, { cause: err });
    }
    for (const f of frames) ctx.memory.stacks[f]!.bytes.set(shadow.subarray(f * STACK_SIZE, (f + 1) * STACK_SIZE));
    if (r0 !== 0n && id === BPF_FUNC_map_lookup_elem) {
      const map = byAddress.get(args[0]!);
      if (map) mapNative(ctx, r0, map.valueSize, `map value of '${map.name}'`);
    } else if (r0 !== 0n && id === BPF_FUNC_ringbuf_reserve) {
      mapNative(ctx, r0, Number(args[1]!), 'ring buffer record');
    }
    return r0;
  };

  const helpers = new Map<number, Helper>();
  const hook = options.hook;
  for (let id = 1; id < 256; id++) {
    if (native.address(id) === 0n) continue;
    const call = callNative(id);
    helpers.set(id, hook ? (ctx, ...args) => hook(id, ctx, args, () => BigInt(call(ctx, ...args))) : call);
  }
  for (const [id, helper] of options.extraHelpers ?? []) if (!helpers.has(id)) helpers.set(id, helper);
  const vm = new Interpreter(program, { helpers, ...(options.maxSteps ? { maxSteps: options.maxSteps } : {}) });

  // Direct value access (global data, arrays) reads map storage in place.
  for (const m of maps) {
    if (m.perCpu || m.valueBase === 0n) continue;
    const size = m.maxEntries * roundUp8(m.valueSize);
    vm.memory.map(new Uint8Array(koffi.view(m.valueBase, size) as ArrayBuffer), { name: `map '${m.name}'`, at: m.valueBase });
  }
  let mapped: { arena: FrameArena; regions: Region[] } | undefined;
  return {
    vm, native,
    mapArena(arena) {
      if (mapped?.arena === arena) return;
      mapped?.regions.forEach((r) => vm.memory.unmap(r));
      mapped = { arena, regions: mapArena(vm, arena) };
    },
    free() { koffi.free(shadowBase); },
  };
}

export function interpEngine(program: Program, maps: readonly MapHandle[], maxSteps?: number): Engine {
  const { vm, native, mapArena: mapInto, free } = createInterpVm(program, maps, maxSteps ? { maxSteps } : {});
  return {
    kind: 'interp',
    runBurst(arena, n) {
      mapInto(arena);
      const verdicts = new Uint32Array(koffi.view(arena.verdicts, arena.capacity * 4) as ArrayBuffer);
      for (let i = 0; i < n; i++) {
        const buff = arena.buffs + BigInt(i * XDP_BUFF_SIZE);
        native.workerBegin();
        try {
          const { r0 } = vm.run({ args: [buff] });
          verdicts[i] = Number(r0 & 0xffffffffn);
          if (verdicts[i] === XDP_REDIRECT) native.redirectCommit(buff);
        } finally {
          native.workerEnd();
        }
      }
    },
    free,
  };
}

function mapArena(vm: Interpreter, arena: FrameArena): Region[] {
  const buffs = arena.capacity * XDP_BUFF_SIZE;
  const frames = arena.capacity * FRAME_SIZE;
  return [
    vm.memory.map(new Uint8Array(koffi.view(arena.buffs, buffs) as ArrayBuffer), { name: 'xdp_buff', at: arena.buffs }),
    vm.memory.map(new Uint8Array(koffi.view(arena.frames, frames) as ArrayBuffer), { name: 'packet', at: arena.frames }),
  ];
}

/** Maps native memory returned by a helper for the rest of the run, unless it is already mapped. */
function mapNative(ctx: HelperContext, at: bigint, size: number, name: string): void {
  const inside = ctx.memory.list().some((r) => r.start <= at && at + BigInt(size) <= r.end);
  if (!inside) ctx.memory.map(new Uint8Array(koffi.view(at, size) as ArrayBuffer), { name, at });
}

const roundUp8 = (n: number): number => (n + 7) & ~7;
