// The JIT engine: compile once, install W^X, then one FFI call per burst
// (sluice_burst_run brackets the burst as a worker read section for the maps).
import type { Program } from '../../jit/isa/instruction.ts';
import type { ArrayMapLayout, HashMapLayout, JitOptions } from '../../jit/x86/compile.ts';
import { descriptorProblem } from '../../jit/x86/descriptor.ts';
import { MapType, type MapHandle } from '../../maps/index.ts';
import { JitProgram } from '../jit-program.ts';
import { burstRunBinding, helperBindings, shimSymbol } from '../ffi.ts';
import type { DescriptorLayout, Engine } from './engine.ts';

/**
 * Compiles and installs a relocated program. `maps` lets the JIT inline lookups in
 * array and per-CPU array maps as the kernel does (a bounds check and an address
 * computation instead of a helper call), and in plain hash maps with 4-, 8- or 16-byte
 * keys (the map's own hash and bucket walk); their storage never moves once created.
 */
export function jitEngine(program: Program, maps: readonly MapHandle[] = [],
  options: { blindConstants?: boolean; fusions?: boolean; ctxLoads?: ReadonlyMap<number, string> } = {}): Engine {
  const helpers = helperBindings();
  // Per-CPU arrays too: the worker's copy is cpu * cpu_stride further on, cpu read from its
  // thread-local slot at a fixed offset from %fs (maps/map.h, maps/worker.h).
  let tpOffset: number | undefined;
  const arrays = new Map<bigint, ArrayMapLayout>(maps
    .filter((m) => m.type === MapType.ARRAY || m.type === MapType.PERCPU_ARRAY)
    .map((m) => {
      const layout: ArrayMapLayout = { maxEntries: m.maxEntries, elemSize: (m.valueSize + 7) & ~7, values: m.valueBase };
      if (m.type === MapType.PERCPU_ARRAY) layout.perCpu = { cpuStride: m.cpuStride, tpOffset: tpOffset ??= helpers.workerCpuTpOffset() };
      return [m.address, layout];
    }));
  // Plain hash maps with 4-, 8- or 16-byte keys: the hash, bucket walk and key compare inlined
  // with the map's fixed constants (maps/map.h sluice_hash_layout; undefined for other maps).
  const hashes = new Map<bigint, HashMapLayout>();
  for (const m of maps) {
    const layout = m.type === MapType.HASH ? m.hashLayout : undefined;
    if (layout) hashes.set(m.address, layout);
  }
  // Every map's own lookup: calls with a constant map skip the helper's dispatch through ops.
  const lookups = new Map<bigint, bigint>(maps.map((m) => [m.address, m.lookupFn]));
  const compileOptions: JitOptions = {
    helperAddress: (id) => { const at = helpers.address(id); return at === 0n ? undefined : at; },
    rewriteContext: false, // the pipeline rewrote ctx accesses already, for both engines
    redirectCommit: shimSymbol('sluice_redirect_commit'),
    arrayMapAt: (address) => arrays.get(address),
    hashMapAt: (address) => hashes.get(address),
    mapLookupAt: (address) => lookups.get(address),
    blindConstants: options.blindConstants === true,
    fusions: options.fusions !== false,
  };
  const jit = JitProgram.compile(program, compileOptions);
  const run = burstRunBinding();
  // Variants for drivers' descriptors, compiled when a driver first asks, by layout.
  const variants = new Map<string, JitProgram>();
  return {
    kind: 'jit',
    entry: jit.entry,
    tailCallEntry: jit.tailCallEntry,
    native: jit.jit,
    runBurst(arena, n) { run(jit.entry, arena.buffs, arena.verdicts, n); },
    descriptorEntry(layout: DescriptorLayout) {
      const descriptor = { ...layout, loads: options.ctxLoads ?? new Map<number, string>() };
      const problem = options.ctxLoads === undefined ? 'the verifier did not say which loads read the context' : descriptorProblem(program, descriptor);
      if (problem) return { problem };
      const key = JSON.stringify(layout, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      let variant = variants.get(key);
      if (!variant) {
        variant = JitProgram.compile(program, { ...compileOptions, descriptor, redirectCommit: shimSymbol('sluice_redirect_commit_u32') });
        variants.set(key, variant);
      }
      return { entry: variant.entry };
    },
    free() {
      jit.free();
      for (const v of variants.values()) v.free();
    },
  };
}
