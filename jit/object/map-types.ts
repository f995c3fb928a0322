// enum bpf_map_type from linux/bpf.h: the kernel's numbering, which the object's
// map definitions use and which every later step (map creation, the verifier's
// helper checks) speaks.

export enum MapType {
  UNSPEC = 0,
  HASH = 1,
  ARRAY = 2,
  PROG_ARRAY = 3,
  PERF_EVENT_ARRAY = 4,
  PERCPU_HASH = 5,
  PERCPU_ARRAY = 6,
  STACK_TRACE = 7,
  CGROUP_ARRAY = 8,
  LRU_HASH = 9,
  LRU_PERCPU_HASH = 10,
  LPM_TRIE = 11,
  ARRAY_OF_MAPS = 12,
  HASH_OF_MAPS = 13,
  DEVMAP = 14,
  SOCKMAP = 15,
  CPUMAP = 16,
  XSKMAP = 17,
  SOCKHASH = 18,
  CGROUP_STORAGE = 19,
  REUSEPORT_SOCKARRAY = 20,
  PERCPU_CGROUP_STORAGE = 21,
  QUEUE = 22,
  STACK = 23,
  SK_STORAGE = 24,
  DEVMAP_HASH = 25,
  STRUCT_OPS = 26,
  RINGBUF = 27,
  INODE_STORAGE = 28,
  TASK_STORAGE = 29,
  BLOOM_FILTER = 30,
  USER_RINGBUF = 31,
}

/** The kernel's name for a map type ("BPF_MAP_TYPE_HASH"), or undefined for an unknown number. */
export function mapTypeName(type: number): string | undefined {
  const name = MapType[type];
  return name === undefined ? undefined : `BPF_MAP_TYPE_${name}`;
}

/** map_flags bits (linux/bpf.h) that the loader itself sets or checks. */
export const BPF_F_NO_PREALLOC = 1 << 0;
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_MMAPABLE = 1 << 10;
export const BPF_F_INNER_MAP = 1 << 12;

/** libbpf's `pinning` attribute values (bpf/libbpf.h, enum libbpf_pin_type). */
export enum Pinning {
  NONE = 0,
  BY_NAME = 1,
}
