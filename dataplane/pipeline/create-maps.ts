// Creating the object's maps in native memory, global data included: each
// .data/.rodata/.bss map starts with the bytes the object holds for it, and a
// map-in-map slot list from `.values = { … }` is filled once its inner maps exist.
// prog_array slots need installed programs and are filled by the runtime.
import { createMap, isSupportedMapType, MapHandle, MapType } from '../../maps/index.ts';
import { canPin, createPinnedMap } from '../../maps/pin.ts';
import type { MapSpec } from '../../jit/object/load.ts';
import { PipelineError } from './errors.ts';

const KERNEL_NAME_MAX = 15; // BPF_OBJ_NAME_LEN - 1: the kernel and libbpf truncate names too

/** Pinning (maps/pin.ts): LIBBPF_PIN_BY_NAME maps always pin (kept after close, reused on reload);
 *  `maps` pins others too (removed on close): true = every pinnable map but global data, or names. */
export interface PinRequest {
  dir?: string;
  maps?: boolean | readonly string[];
}

export function createMaps(specs: readonly MapSpec[], cpus?: number, pin: PinRequest = {}): Map<string, MapHandle> {
  const created = new Map<string, MapHandle>();
  try {
    for (const spec of specs) {
      const handle = createOne(spec, cpus, pin);
      created.set(spec.name, handle);
      if (spec.data && spec.data.some((b) => b !== 0)) handle.update(new Uint8Array(4), spec.data);
    }
    for (const spec of specs) fillMapSlots(spec, created);
  } catch (err) {
    for (const handle of created.values()) handle.close();
    throw err;
  }
  return created;
}

function createOne(spec: MapSpec, cpus: number | undefined, pin: PinRequest): MapHandle {
  if (!isSupportedMapType(Number(spec.type))) {
    throw new PipelineError('create maps', `map '${spec.name}'`, `${spec.typeName} is not supported by sluice`);
  }
  try {
    const def = {
      name: spec.name.slice(0, KERNEL_NAME_MAX), type: spec.type as number as MapType,
      keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: spec.maxEntries, flags: spec.flags,
      ...(cpus === undefined ? {} : { cpus }),
    };
    const byName = Number(spec.pinning) === 1; // LIBBPF_PIN_BY_NAME
    const asked = pin.maps === true ? !spec.globalData && canPin(def.type) : Array.isArray(pin.maps) && pin.maps.includes(spec.name);
    if (byName || asked) return createPinnedMap(def, { byName, ...(pin.dir === undefined ? {} : { dir: pin.dir }) });
    return createMap(def);
  } catch (err) {
    throw new PipelineError('create maps', `map '${spec.name}'`, (err as Error).message, { cause: err });
  }
}

/** array_of_maps / hash_of_maps `.values`: slot i holds the inner map's id. */
function fillMapSlots(spec: MapSpec, created: ReadonlyMap<string, MapHandle>): void {
  if (!spec.slots || (spec.type !== MapType.ARRAY_OF_MAPS && spec.type !== MapType.HASH_OF_MAPS)) return;
  const outer = created.get(spec.name)!;
  for (const slot of spec.slots) {
    const inner = created.get(slot.name);
    if (!inner) throw new PipelineError('create maps', `map '${spec.name}'`, `slot ${slot.index} names map '${slot.name}', which does not exist`);
    outer.update(u32(slot.index), u32(inner.id));
  }
}

export function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}
