// Shared by the map and helper tests: native memory, errno constants from the
// kernel's headers (asm-generic/errno-base.h, errno.h), helper ids from
// linux/bpf.h, and a skip when the native library is not built.
import { existsSync } from 'node:fs';
import koffi from 'koffi';
import { LIBRARY_PATH, helperBindings } from '../../dataplane/ffi.ts';
import type { Requirement } from '../../scripts/testkit/skip.ts';

export const hasNativeLibrary = (): Requirement =>
  ({ ok: existsSync(LIBRARY_PATH), why: 'needs build/libsluice.so (`npm run build:native`)' });

export const E = { ENOENT: -2, E2BIG: -7, EBADF: -9, EAGAIN: -11, ENOMEM: -12, EACCES: -13, EFAULT: -14, EEXIST: -17, ENODEV: -19, EINVAL: -22, ENOSPC: -28, EOPNOTSUPP: -95 } as const;

/** enum bpf_func_id (linux/bpf.h __BPF_FUNC_MAPPER order). */
export const Fn = {
  map_lookup_elem: 1, map_update_elem: 2, map_delete_elem: 3, ktime_get_ns: 5, trace_printk: 6,
  get_prandom_u32: 7, get_smp_processor_id: 8, tail_call: 12, redirect: 23, perf_event_output: 25,
  csum_diff: 28, get_numa_node_id: 42, xdp_adjust_head: 44, redirect_map: 51, xdp_adjust_meta: 54,
  map_push_elem: 87, map_pop_elem: 88, map_peek_elem: 89, spin_lock: 93, spin_unlock: 94,
  xdp_adjust_tail: 65, ktime_get_boot_ns: 125, ringbuf_output: 130, ringbuf_reserve: 131,
  ringbuf_submit: 132, ringbuf_discard: 133, ringbuf_query: 134, for_each_map_elem: 164,
  loop: 181, xdp_get_buff_len: 188, xdp_load_bytes: 189, xdp_store_bytes: 190, trace_vprintk: 177,
  ktime_get_coarse_ns: 160, jiffies64: 118, check_mtu: 163,
} as const;

/** Native memory that C can keep pointers into (V8 may move small typed arrays). */
export class NativeBuf {
  readonly address: bigint;
  readonly bytes: Uint8Array;
  constructor(readonly size: number) {
    this.address = koffi.alloc('uint8_t', size) as bigint;
    this.bytes = new Uint8Array(koffi.view(this.address, size) as ArrayBuffer);
    this.bytes.fill(0);
  }
  /** Address of byte `offset`. */
  at(offset: number): bigint { return this.address + BigInt(offset); }
  free(): void { koffi.free(this.address); }
}

/** Reads `len` bytes at a native address. */
export function readAt(address: bigint, len: number): Uint8Array {
  return new Uint8Array(koffi.view(address, len) as ArrayBuffer).slice();
}

/** Writes bytes at a native address. */
export function writeAt(address: bigint, bytes: Uint8Array): void {
  new Uint8Array(koffi.view(address, bytes.length) as ArrayBuffer).set(bytes);
}

/** A helper's result as the signed long the kernel returns. */
export const signed = (v: bigint): number => Number(BigInt.asIntN(64, v));

/** Calls a helper by kernel id. */
export function call(id: number, ...args: (bigint | number)[]): bigint {
  return helperBindings().call(id, ...args.map((a) => BigInt(a)));
}
