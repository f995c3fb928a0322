// An ObjectSpec's program in the kernel, for frame-by-frame comparison with
// sluice: the object's maps are created in the kernel (global data with its
// initial bytes), lddw map references become map indexes the harness turns
// into fds, and each frame is one BPF_PROG_TEST_RUN — all in one helper
// process, so map state carries from frame to frame as it does in sluice.
import { encode } from '../../jit/isa/codec.ts';
import { LDDW, PseudoLd } from '../../jit/isa/opcode.ts';
import type { Instruction } from '../../jit/isa/instruction.ts';
import type { ObjectSpec } from '../../jit/object/load.ts';
import { kernelBatch, KernelHarnessError, KernelStatus, type KernelRequest } from './kernel.ts';

export interface KernelFrameResult { retval: number; dataOut: Uint8Array; /** Mean ns per run of the kernel's test-run loop. */ durationNs: number }

export interface KernelObjectRun {
  frames: KernelFrameResult[];
  /** Values of the asked-for map keys after the last frame (per-CPU maps: every CPU's slot, 8-byte aligned). */
  lookups: (Uint8Array | undefined)[];
}

export interface MapKey { map: string; key: Uint8Array; valueSize: number }

/** The program with its map references as kernel map indexes (the harness patches in the fds). */
export function withMapIndexes(instructions: readonly Instruction[], spec: ObjectSpec): Instruction[] {
  return instructions.map((insn) => {
    if (insn.opcode !== LDDW || (insn.src !== PseudoLd.MAP_FD && insn.src !== PseudoLd.MAP_VALUE)) return insn;
    const index = spec.maps.findIndex((m) => m.name === insn.reference);
    if (index < 0) throw new KernelHarnessError(`lddw refers to map '${insn.reference}', which the object does not define`);
    return { ...insn, imm: index };
  });
}

export function kernelRunObject(spec: ObjectSpec, programName: string, frames: readonly Uint8Array[],
  setup: readonly { map: string; key: Uint8Array; value: Uint8Array }[] = [], lookups: readonly MapKey[] = [], repeat = 1): KernelObjectRun {
  const program = spec.programs.find((p) => p.name === programName);
  if (!program) throw new KernelHarnessError(`no program '${programName}' in ${spec.name}`);
  const mapIndex = (name: string) => {
    const i = spec.maps.findIndex((m) => m.name === name);
    if (i < 0) throw new KernelHarnessError(`no map '${name}' in ${spec.name}`);
    return i;
  };
  const requests: KernelRequest[] = [];
  for (const m of spec.maps) {
    requests.push({ kind: 'map-create', mapType: Number(m.type), keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags });
  }
  spec.maps.forEach((m, i) => {
    if (m.data && m.data.some((b) => b !== 0)) requests.push({ kind: 'map-update', map: i, key: new Uint8Array(4), value: m.data });
  });
  for (const s of setup) requests.push({ kind: 'map-update', map: mapIndex(s.map), key: s.key, value: s.value });
  const insns = encode(withMapIndexes(program.instructions, spec));
  for (const packet of frames) requests.push({ kind: 'program', insns, packet, repeat });
  for (const l of lookups) requests.push({ kind: 'map-lookup', map: mapIndex(l.map), key: l.key, valueSize: l.valueSize });

  const replies = kernelBatch(requests);
  const bad = replies.find((r) => r.tag !== 'L' && r.status !== KernelStatus.OK);
  if (bad) {
    const log = Buffer.from(bad.c).toString().trim().split('\n').slice(-3).join(' | ');
    throw new KernelHarnessError(`kernel request '${bad.tag}' failed (status ${bad.status}, errno ${bad.errno}): ${log}`);
  }
  const runs = replies.filter((r) => r.tag === 'P');
  const looked = replies.slice(replies.length - lookups.length);
  return {
    frames: runs.map((r) => ({ retval: r.value, dataOut: r.a, durationNs: r.durationNs })),
    lookups: lookups.length ? looked.map((r) => (r.status === KernelStatus.OK ? r.a : undefined)) : [],
  };
}
