// Helper prototypes for the helpers XDP programs call (ids and argument meanings
// from /usr/include/linux/bpf.h; argument kinds as the kernel's bpf_func_proto
// declares them). A helper outside this table is refused as unknown.

export enum Arg {
  ANYTHING = 'anything',
  CTX = 'ctx',
  CONST_MAP_PTR = 'map_ptr',
  MAP_KEY = 'map_key', // pointer to key_size initialised bytes
  MAP_VALUE = 'map_value', // pointer to value_size initialised bytes
  UNINIT_MAP_VALUE = 'uninit_map_value', // pointer to value_size writable bytes
  MEM = 'mem', // pointer to initialised memory of the size given by the next argument
  UNINIT_MEM = 'uninit_mem', // pointer to writable memory of the size given by the next argument
  SIZE = 'size', // bounded size (> 0) of the previous argument
  SIZE_OR_ZERO = 'size_or_zero',
  CONST_ALLOC_SIZE = 'const_alloc_size', // constant size, ringbuf_reserve
  RINGBUF_MEM = 'ringbuf_mem', // a reserved ring-buffer record (released)
  SPIN_LOCK = 'spin_lock',
  FUNC = 'func', // a callback (subprogram address)
  INT = 'int_ptr', // pointer to a writable 4-byte int
  OPTIONAL_MEM = 'optional_mem', // like MEM, or NULL
}

export enum Ret {
  INTEGER = 'integer',
  VOID = 'void',
  MAP_VALUE_OR_NULL = 'map_value_or_null',
  MEM_OR_NULL = 'mem_or_null', // ringbuf_reserve: record of the constant size, or NULL
}

export interface HelperProto {
  readonly id: number;
  readonly name: string;
  readonly args: readonly Arg[];
  readonly ret: Ret;
  /** May move or resize the packet: every packet pointer is invalidated. */
  readonly changesPacket?: boolean;
  /** The kernel lets only privileged loaders use it (strict mode refuses it). */
  readonly privileged?: boolean;
}

const A = Arg;
const table: HelperProto[] = [
  { id: 1, name: 'map_lookup_elem', args: [A.CONST_MAP_PTR, A.MAP_KEY], ret: Ret.MAP_VALUE_OR_NULL },
  { id: 2, name: 'map_update_elem', args: [A.CONST_MAP_PTR, A.MAP_KEY, A.MAP_VALUE, A.ANYTHING], ret: Ret.INTEGER },
  { id: 3, name: 'map_delete_elem', args: [A.CONST_MAP_PTR, A.MAP_KEY], ret: Ret.INTEGER },
  { id: 5, name: 'ktime_get_ns', args: [], ret: Ret.INTEGER },
  { id: 6, name: 'trace_printk', args: [A.MEM, A.SIZE], ret: Ret.INTEGER, privileged: true },
  { id: 7, name: 'get_prandom_u32', args: [], ret: Ret.INTEGER },
  { id: 8, name: 'get_smp_processor_id', args: [], ret: Ret.INTEGER },
  { id: 12, name: 'tail_call', args: [A.CTX, A.CONST_MAP_PTR, A.ANYTHING], ret: Ret.VOID },
  { id: 23, name: 'redirect', args: [A.ANYTHING, A.ANYTHING], ret: Ret.INTEGER },
  { id: 25, name: 'perf_event_output', args: [A.CTX, A.CONST_MAP_PTR, A.ANYTHING, A.MEM, A.SIZE_OR_ZERO], ret: Ret.INTEGER },
  { id: 28, name: 'csum_diff', args: [A.OPTIONAL_MEM, A.SIZE_OR_ZERO, A.OPTIONAL_MEM, A.SIZE_OR_ZERO, A.ANYTHING], ret: Ret.INTEGER },
  { id: 42, name: 'get_numa_node_id', args: [], ret: Ret.INTEGER },
  { id: 44, name: 'xdp_adjust_head', args: [A.CTX, A.ANYTHING], ret: Ret.INTEGER, changesPacket: true },
  { id: 51, name: 'redirect_map', args: [A.CONST_MAP_PTR, A.ANYTHING, A.ANYTHING], ret: Ret.INTEGER },
  { id: 54, name: 'xdp_adjust_meta', args: [A.CTX, A.ANYTHING], ret: Ret.INTEGER, changesPacket: true },
  { id: 65, name: 'xdp_adjust_tail', args: [A.CTX, A.ANYTHING], ret: Ret.INTEGER, changesPacket: true },
  { id: 69, name: 'fib_lookup', args: [A.CTX, A.MEM, A.SIZE, A.ANYTHING], ret: Ret.INTEGER },
  { id: 87, name: 'map_push_elem', args: [A.CONST_MAP_PTR, A.MAP_VALUE, A.ANYTHING], ret: Ret.INTEGER },
  { id: 88, name: 'map_pop_elem', args: [A.CONST_MAP_PTR, A.UNINIT_MAP_VALUE], ret: Ret.INTEGER },
  { id: 89, name: 'map_peek_elem', args: [A.CONST_MAP_PTR, A.UNINIT_MAP_VALUE], ret: Ret.INTEGER },
  { id: 93, name: 'spin_lock', args: [A.SPIN_LOCK], ret: Ret.VOID },
  { id: 94, name: 'spin_unlock', args: [A.SPIN_LOCK], ret: Ret.VOID },
  { id: 118, name: 'jiffies64', args: [], ret: Ret.INTEGER },
  { id: 125, name: 'ktime_get_boot_ns', args: [], ret: Ret.INTEGER },
  { id: 130, name: 'ringbuf_output', args: [A.CONST_MAP_PTR, A.MEM, A.SIZE_OR_ZERO, A.ANYTHING], ret: Ret.INTEGER },
  { id: 131, name: 'ringbuf_reserve', args: [A.CONST_MAP_PTR, A.CONST_ALLOC_SIZE, A.ANYTHING], ret: Ret.MEM_OR_NULL },
  { id: 132, name: 'ringbuf_submit', args: [A.RINGBUF_MEM, A.ANYTHING], ret: Ret.VOID },
  { id: 133, name: 'ringbuf_discard', args: [A.RINGBUF_MEM, A.ANYTHING], ret: Ret.VOID },
  { id: 134, name: 'ringbuf_query', args: [A.CONST_MAP_PTR, A.ANYTHING], ret: Ret.INTEGER },
  { id: 160, name: 'ktime_get_coarse_ns', args: [], ret: Ret.INTEGER },
  { id: 163, name: 'check_mtu', args: [A.CTX, A.ANYTHING, A.INT, A.ANYTHING, A.ANYTHING], ret: Ret.INTEGER },
  { id: 164, name: 'for_each_map_elem', args: [A.CONST_MAP_PTR, A.FUNC, A.ANYTHING, A.ANYTHING], ret: Ret.INTEGER },
  { id: 181, name: 'loop', args: [A.ANYTHING, A.FUNC, A.ANYTHING, A.ANYTHING], ret: Ret.INTEGER },
  { id: 188, name: 'xdp_get_buff_len', args: [A.CTX], ret: Ret.INTEGER },
  { id: 189, name: 'xdp_load_bytes', args: [A.CTX, A.ANYTHING, A.UNINIT_MEM, A.SIZE], ret: Ret.INTEGER },
  { id: 190, name: 'xdp_store_bytes', args: [A.CTX, A.ANYTHING, A.MEM, A.SIZE], ret: Ret.INTEGER, changesPacket: true },
  { id: 208, name: 'ktime_get_tai_ns', args: [], ret: Ret.INTEGER },
];

export const HELPERS: ReadonlyMap<number, HelperProto> = new Map(table.map((h) => [h.id, h]));
