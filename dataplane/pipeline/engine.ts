// An engine runs a relocated, ctx-rewritten program over a burst of xdp_buffs in
// a FrameArena. 'jit' is native code with one FFI call per burst; 'interp' is
// the reference interpreter over the same native buffers (for tracing, and as
// the oracle the JIT is checked against).
import type { FrameArena } from '../frame-arena.ts';
import type { JitResult } from '../../jit/x86/compile.ts';
import type { DescriptorContext } from '../../jit/x86/descriptor.ts';

/** A driver's packet descriptor (jit/x86/descriptor.ts), for descriptorEntry. */
export type DescriptorLayout = Omit<DescriptorContext, 'loads'>;

export type EngineKind = 'jit' | 'interp';
export const ENGINE_KINDS: readonly EngineKind[] = ['jit', 'interp'];

export interface Engine {
  readonly kind: EngineKind;
  /** JIT only: the installed burst entry, uint64_t burst(struct sluice_xdp_buff *, uint32_t *, uint64_t), for live drivers' C run loops. */
  readonly entry?: bigint;
  /** JIT only: where a tail call into this program jumps (what prog_array slots hold, through registerProgram). */
  readonly tailCallEntry?: bigint;
  /** JIT only: the generated code and where each eBPF pc landed in it (`sluice jit dump`). */
  readonly native?: JitResult;
  /**
   * Runs the program over the filled buffers 0..n-1 of the arena and writes their verdicts.
   * (The JIT is usually run by FrameArena.fillFrom with `entry`, filling and running in one FFI call.)
   */
  runBurst(arena: FrameArena, n: number): void;
  /**
   * JIT only: the burst entry of this program compiled to take `layout`'s descriptors as its
   * context (an array of descriptor pointers instead of xdp_buffs; compiled once per layout and
   * freed with the engine), or why the program cannot run that way (it then runs on xdp_buffs).
   */
  descriptorEntry?(layout: DescriptorLayout): { entry: bigint } | { problem: string };
  /** Releases native code and memory. */
  free(): void;
}
