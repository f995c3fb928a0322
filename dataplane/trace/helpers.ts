// Helper calls as a trace shows them: `bpf_map_lookup_elem(map 'blocked_v4',
// key c0000205) → NULL`. The argument kinds of the helpers XDP programs use
// come from their prototypes in /usr/include/linux/bpf.h; a helper not listed
// shows r1..r5 named as pointers or scalars. Key and value arguments are shown
// as the bytes they point at (the map's key or value size), read before the
// call without going through the traced memory (so they are not counted as
// the program's own accesses).
import type { Memory } from '../../jit/interp/memory.ts';
import type { MapHandle } from '../../maps/index.ts';
import { hexBytes, type Namer, scalar } from './symbols.ts';

/** How to show one argument. */
/** 'int' is a C int (the low 32 bits, signed); 'u64' a full register. */
type Arg = 'map' | 'key' | 'value' | 'ctx' | 'int' | 'u64' | 'flags' | 'ptr' | 'size';

/** By kernel name without the bpf_ prefix: the arguments (prototypes in linux/bpf.h). */
const PROTOTYPES: Record<string, readonly Arg[]> = {
  map_lookup_elem: ['map', 'key'],
  map_update_elem: ['map', 'key', 'value', 'flags'],
  map_delete_elem: ['map', 'key'],
  map_push_elem: ['map', 'value', 'flags'],
  map_pop_elem: ['map', 'ptr'],
  map_peek_elem: ['map', 'ptr'],
  ktime_get_ns: [], ktime_get_boot_ns: [], ktime_get_coarse_ns: [], jiffies64: [],
  get_prandom_u32: [], get_smp_processor_id: [], get_numa_node_id: [],
  trace_printk: ['ptr', 'size', 'u64', 'u64', 'u64'],
  tail_call: ['ctx', 'map', 'int'],
  redirect: ['int', 'flags'],
  redirect_map: ['map', 'int', 'flags'],
  csum_diff: ['ptr', 'size', 'ptr', 'size', 'u64'],
  xdp_adjust_head: ['ctx', 'int'],
  xdp_adjust_meta: ['ctx', 'int'],
  xdp_adjust_tail: ['ctx', 'int'],
  xdp_get_buff_len: ['ctx'],
  xdp_load_bytes: ['ctx', 'int', 'ptr', 'size'],
  xdp_store_bytes: ['ctx', 'int', 'ptr', 'size'],
  fib_lookup: ['ctx', 'ptr', 'size', 'flags'],
  check_mtu: ['ctx', 'int', 'ptr', 'int', 'flags'],
  ringbuf_output: ['map', 'ptr', 'size', 'flags'],
  ringbuf_reserve: ['map', 'size', 'flags'],
  ringbuf_submit: ['ptr', 'flags'],
  ringbuf_discard: ['ptr', 'flags'],
  perf_event_output: ['ctx', 'map', 'flags', 'ptr', 'size'],
  loop: ['int', 'ptr', 'ptr', 'flags'],
  spin_lock: ['ptr'], spin_unlock: ['ptr'],
};

/** Helpers whose r0 is a pointer to a map value or NULL. */
const RETURNS_POINTER = new Set(['map_lookup_elem', 'ringbuf_reserve']);
/** Helpers whose r0 is 0 or a negative errno. */
const RETURNS_ERRNO = new Set([
  'map_update_elem', 'map_delete_elem', 'map_push_elem', 'map_pop_elem', 'map_peek_elem', 'xdp_adjust_head',
  'xdp_adjust_meta', 'xdp_adjust_tail', 'xdp_load_bytes', 'xdp_store_bytes', 'ringbuf_output', 'tail_call',
]);

const ERRNO: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 7: 'E2BIG', 12: 'ENOMEM', 14: 'EFAULT', 16: 'EBUSY', 17: 'EEXIST', 22: 'EINVAL',
  28: 'ENOSPC', 34: 'ERANGE', 95: 'EOPNOTSUPP',
};

const XDP_ACTION_NAMES = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

/** What is known before the call: the arguments as text (pointed-at bytes read now, before the helper changes them). */
export function describeArgs(name: string, args: readonly bigint[], namer: Namer, memory: Memory): string[] {
  const kinds = PROTOTYPES[name.replace(/^bpf_/, '')];
  let map: MapHandle | undefined;
  const show = (kind: Arg, v: bigint): string => {
    switch (kind) {
      case 'map': {
        map = namer.map(v);
        return map ? `map '${map.name}'` : namer.value(v);
      }
      case 'key': return map ? `key ${bytesAt(memory, v, map.keySize) ?? namer.value(v)}` : namer.value(v);
      case 'value': return map ? `value ${bytesAt(memory, v, map.valueSize) ?? namer.value(v)}` : namer.value(v);
      case 'ctx': return namer.value(v);
      case 'int': return BigInt.asIntN(32, v).toString();
      case 'u64': return signed(v);
      case 'size': return v.toString();
      case 'flags': return v === 0n ? '0' : `0x${v.toString(16)}`;
      case 'ptr': return namer.value(v);
    }
  };
  if (!kinds) return args.map((v) => namer.value(v));
  return kinds.map((k, i) => show(k, args[i] ?? 0n));
}

/** r0 as text, after the call. */
export function describeResult(name: string, r0: bigint, args: readonly bigint[], namer: Namer, memory: Memory): string {
  const short = name.replace(/^bpf_/, '');
  if (RETURNS_POINTER.has(short)) {
    if (r0 === 0n) return 'NULL';
    const map = namer.map(args[0] ?? 0n);
    const target = namer.value(r0);
    const value = map && short === 'map_lookup_elem' ? bytesAt(memory, r0, map.valueSize) : undefined;
    return value === undefined ? target : `${target} = ${value}`;
  }
  if (RETURNS_ERRNO.has(short)) return errno(r0);
  if (short === 'redirect' || short === 'redirect_map') return XDP_ACTION_NAMES[Number(r0)] ?? scalar(r0);
  return namer.value(r0);
}

/** "0", or "-ENOENT (-2)". */
function errno(v: bigint): string {
  const s = BigInt.asIntN(64, v);
  if (s >= 0n) return scalar(v);
  const name = ERRNO[Number(-s)];
  return name ? `-${name} (${s})` : s.toString();
}

function signed(v: bigint): string {
  const s = BigInt.asIntN(64, v);
  return s < 0n && s >= -0xffffffffn ? s.toString() : scalar(v);
}

/** The bytes at an interpreter address, read straight from the region (not logged as an access); undefined when not mapped. */
function bytesAt(memory: Memory, address: bigint, size: number): string | undefined {
  for (const r of memory.list()) {
    if (address >= r.start && address + BigInt(size) <= r.end) {
      const at = Number(address - r.start);
      return hexBytes(r.bytes.subarray(at, at + size));
    }
  }
  return undefined;
}
