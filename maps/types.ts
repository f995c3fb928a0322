// Map types, flags and definitions, with the kernel's numbers
// (enum bpf_map_type and the BPF_F_* / BPF_* constants of linux/bpf.h).

// The kernel's enum bpf_map_type, shared with the object loader; NAMES below says which
// of them sluice's native maps implement.
import { MapType } from '../jit/object/map-types.ts';
export { MapType };

/** Update flags (BPF_ANY, BPF_NOEXIST, BPF_EXIST; BPF_F_LOCK may be or'ed in). */
export enum UpdateFlag {
  Any = 0,
  NoExist = 1,
  Exist = 2,
  /** BPF_F_LOCK: copy under the value's bpf_spin_lock (MapHandle.setSpinLock). */
  Lock = 4,
}

/** Map creation flags (map_flags). */
export const MapFlag = {
  NoPrealloc: 1 << 0,
  NoCommonLru: 1 << 1,
  NumaNode: 1 << 2,
  RdOnly: 1 << 3,
  WrOnly: 1 << 4,
  ZeroSeed: 1 << 6,
  RdOnlyProg: 1 << 7,
  WrOnlyProg: 1 << 8,
  Mmapable: 1 << 10,
  PreserveElems: 1 << 11,
  InnerMap: 1 << 12,
} as const;

/** bpf_ringbuf_query flags. */
export enum RingBufQuery {
  AvailData = 0,
  RingSize = 1,
  ConsPos = 2,
  ProdPos = 3,
}

export interface MapDef {
  /** At most 15 bytes (BPF_OBJ_NAME_LEN - 1). */
  name: string;
  type: MapType;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** map_flags; default 0 (an lpm_trie needs MapFlag.NoPrealloc, as in the kernel). */
  flags?: number;
  /** Per-CPU slots: default the runtime's worker count (setWorkerCount). */
  cpus?: number;
}

const PER_CPU = new Set<MapType>([MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH]);
export const isPerCpu = (t: MapType): boolean => PER_CPU.has(t);

const NAMES: Record<number, string> = {
  [MapType.HASH]: 'hash', [MapType.ARRAY]: 'array', [MapType.PROG_ARRAY]: 'prog_array',
  [MapType.PERF_EVENT_ARRAY]: 'perf_event_array', [MapType.PERCPU_HASH]: 'percpu_hash',
  [MapType.PERCPU_ARRAY]: 'percpu_array', [MapType.LRU_HASH]: 'lru_hash',
  [MapType.LRU_PERCPU_HASH]: 'lru_percpu_hash', [MapType.LPM_TRIE]: 'lpm_trie',
  [MapType.ARRAY_OF_MAPS]: 'array_of_maps', [MapType.HASH_OF_MAPS]: 'hash_of_maps',
  [MapType.DEVMAP]: 'devmap', [MapType.XSKMAP]: 'xskmap', [MapType.QUEUE]: 'queue',
  [MapType.STACK]: 'stack', [MapType.DEVMAP_HASH]: 'devmap_hash', [MapType.RINGBUF]: 'ringbuf',
};

/** True for the map types sluice's native storage implements. */
export const isSupportedMapType = (t: number): boolean => NAMES[t] !== undefined;

/** The kernel's (and bpftool's) name of a map type. */
export function mapTypeName(t: number): string {
  return NAMES[t] ?? `type ${t}`;
}

/** Map type by bpftool name ('lru_hash'), or undefined. */
export function mapTypeByName(name: string): MapType | undefined {
  for (const [k, v] of Object.entries(NAMES)) if (v === name) return Number(k) as MapType;
  return undefined;
}
