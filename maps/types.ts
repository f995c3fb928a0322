// Map types, flags and definitions, with the kernel's numbers
// (enum bpf_map_type and the BPF_F_* / BPF_* constants of linux/bpf.h).

export enum MapType {
  Hash = 1,
  Array = 2,
  ProgArray = 3,
  PerfEventArray = 4,
  PerCpuHash = 5,
  PerCpuArray = 6,
  LruHash = 9,
  LruPerCpuHash = 10,
  LpmTrie = 11,
  ArrayOfMaps = 12,
  HashOfMaps = 13,
  DevMap = 14,
  XskMap = 17,
  Queue = 22,
  Stack = 23,
  DevMapHash = 25,
  RingBuf = 27,
}

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

const PER_CPU = new Set<MapType>([MapType.PerCpuArray, MapType.PerCpuHash, MapType.LruPerCpuHash]);
export const isPerCpu = (t: MapType): boolean => PER_CPU.has(t);

const NAMES: Record<number, string> = {
  [MapType.Hash]: 'hash', [MapType.Array]: 'array', [MapType.ProgArray]: 'prog_array',
  [MapType.PerfEventArray]: 'perf_event_array', [MapType.PerCpuHash]: 'percpu_hash',
  [MapType.PerCpuArray]: 'percpu_array', [MapType.LruHash]: 'lru_hash',
  [MapType.LruPerCpuHash]: 'lru_percpu_hash', [MapType.LpmTrie]: 'lpm_trie',
  [MapType.ArrayOfMaps]: 'array_of_maps', [MapType.HashOfMaps]: 'hash_of_maps',
  [MapType.DevMap]: 'devmap', [MapType.XskMap]: 'xskmap', [MapType.Queue]: 'queue',
  [MapType.Stack]: 'stack', [MapType.DevMapHash]: 'devmap_hash', [MapType.RingBuf]: 'ringbuf',
};

/** The kernel's (and bpftool's) name of a map type. */
export function mapTypeName(t: number): string {
  return NAMES[t] ?? `type ${t}`;
}

/** Map type by bpftool name ('lru_hash'), or undefined. */
export function mapTypeByName(name: string): MapType | undefined {
  for (const [k, v] of Object.entries(NAMES)) if (v === name) return Number(k) as MapType;
  return undefined;
}
