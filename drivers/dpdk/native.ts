// koffi bindings into build/libsluice_dpdk.so (native/: the pool, the ports'
// queues, the worker threads and their counters). Loaded after libsluice.so,
// which it links against: both must be the same instance for the program
// slot, the per-worker state and the maps to be shared.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';
import { nativeLibrary, toAddress } from '../../dataplane/ffi.ts';
import { DpdkError, INSTALL_HINT } from './eal.ts';

/** SLUICE_DPDK_LIBRARY overrides it: a variant build of the data path, for benchmarking one change against another. */
export const DPDK_LIBRARY_PATH = process.env.SLUICE_DPDK_LIBRARY || fileURLToPath(new URL('../../build/libsluice_dpdk.so', import.meta.url));
export const NO_TAP = 0xffff;

/** enum sluice_dpdk_counter (native/sluice_dpdk.h), in order. */
export const COUNTERS = [
  'rxPackets', 'rxBytes', 'aborted', 'drop', 'pass', 'tx', 'redirect', 'other',
  'txPackets', 'txDropped', 'redirectErrors', 'passDropped', 'fromKernel', 'bursts', 'multiSeg',
] as const;
export type CounterName = (typeof COUNTERS)[number];

export interface DpdkNative {
  argv(args: readonly string[]): unknown;
  errno(): number;
  affinitySave(): number;
  affinityRestore(): number;
  /** struct sluice_dpdk *, or throws with the native message. */
  create(ports: readonly number[], taps: readonly number[], workers: number, mbufs: number): bigint;
  start(handle: bigint, entry: bigint, cpus: readonly number[] | null): void;
  counters(handle: bigint, worker: number): BigUint64Array;
  swap(handle: bigint, entry: bigint): bigint;
  stop(handle: bigint): void;
  free(handle: bigint): void;
  poolFill(handle: bigint, frame: Uint8Array): number;
  /** The last frame worker `worker` saw ABORTED, or undefined when it saw none. */
  lastAborted(handle: bigint, worker: number): AbortedFrame | undefined;
  /** Where struct rte_mbuf keeps the packet, and the REDIRECT commit for programs that take mbufs. */
  mbufContext(): { bufAddr: number; dataOff: number; dataLen: number; port: number; egress: number };
}

/** Bit 0 of an entry: the program takes the mbufs themselves (SLUICE_DPDK_ENTRY_MBUF, native/sluice_dpdk.h). */
export const ENTRY_MBUF = 1n;

export interface AbortedFrame {
  /** ABORTED verdicts on this worker so far. */
  count: number;
  port: number;
  /** The frame's length as the program left it, and its first bytes (at most 96). */
  length: number;
  bytes: Uint8Array;
}

const ABORTED_RECORD = 16 + 96; // see sluice_dpdk_last_aborted

let native: DpdkNative | undefined;

export const dpdkBuilt = (): boolean => existsSync(DPDK_LIBRARY_PATH);

export function dpdkNative(): DpdkNative {
  if (native) return native;
  if (!dpdkBuilt()) {
    throw new DpdkError(`${DPDK_LIBRARY_PATH} is not built. ${INSTALL_HINT}`);
  }
  nativeLibrary(); // libsluice.so first, so that libsluice_dpdk.so binds to this very instance
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load(DPDK_LIBRARY_PATH);
  } catch (err) {
    throw new DpdkError(`cannot load ${DPDK_LIBRARY_PATH} (rebuild: scripts/build-dpdk.sh). ${INSTALL_HINT}`, { cause: err });
  }
  const argv = lib.func('void *sluice_dpdk_argv(int argc, const char **argv)');
  const errno = lib.func('int sluice_dpdk_errno(void)');
  const save = lib.func('int sluice_dpdk_affinity_save(void)');
  const restore = lib.func('int sluice_dpdk_affinity_restore(void)');
  const create = lib.func('void *sluice_dpdk_new(const uint16_t *ports, const uint16_t *taps, uint32_t nports, uint32_t workers, uint32_t mbufs, _Out_ uint8_t *err, uint32_t errlen)');
  const start = lib.func('int sluice_dpdk_start(void *d, uint64_t entry, const int32_t *cpus, _Out_ uint8_t *err, uint32_t errlen)');
  const counters = lib.func('int sluice_dpdk_counters(void *d, uint32_t worker, _Out_ uint64_t *out)');
  const swap = lib.func('uint64_t sluice_dpdk_swap(void *d, uint64_t entry)');
  const stop = lib.func('void sluice_dpdk_stop(void *d)');
  const free = lib.func('void sluice_dpdk_free(void *d)');
  const fill = lib.func('int sluice_dpdk_pool_fill(void *d, const uint8_t *frame, uint32_t len)');
  const lastAborted = lib.func('int64_t sluice_dpdk_last_aborted(void *d, uint32_t worker, _Out_ uint8_t *out)');
  const mbufLayout = lib.func('void sluice_dpdk_mbuf_layout(_Out_ uint32_t *out)');
  const message = (buf: Uint8Array): string => {
    const end = buf.indexOf(0);
    return new TextDecoder().decode(buf.subarray(0, end < 0 ? buf.length : end));
  };
  native = {
    argv: (args) => argv(args.length, [...args]),
    errno: () => errno() as number,
    affinitySave: () => save() as number,
    affinityRestore: () => restore() as number,
    create(ports, taps, workers, mbufs) {
      const err = new Uint8Array(512);
      const handle = toAddress(create(Uint16Array.from(ports), Uint16Array.from(taps), ports.length, workers, mbufs, err, err.length));
      if (handle === 0n) throw new DpdkError(message(err));
      return handle;
    },
    start(handle, entry, cpus) {
      const err = new Uint8Array(512);
      if ((start(handle, entry, cpus ? Int32Array.from(cpus) : null, err, err.length) as number) !== 0) throw new DpdkError(message(err));
    },
    counters(handle, worker) {
      const out = new BigUint64Array(COUNTERS.length);
      counters(handle, worker, out);
      return out;
    },
    swap: (handle, entry) => BigInt(swap(handle, entry) as number | bigint),
    stop: (handle) => { stop(handle); },
    free: (handle) => { free(handle); },
    poolFill: (handle, frame) => fill(handle, frame, frame.length) as number,
    lastAborted(handle, worker) {
      const out = new Uint8Array(ABORTED_RECORD);
      if (Number(lastAborted(handle, worker, out) as number | bigint) <= 0) return undefined;
      const view = new DataView(out.buffer);
      const captured = view.getUint16(10, true);
      return { count: Number(view.getBigUint64(0, true)), port: view.getUint16(8, true), length: view.getUint32(12, true), bytes: out.slice(16, 16 + captured) };
    },
    mbufContext() {
      const at = new Uint32Array(5);
      mbufLayout(at);
      if (at[4] === 0xffffffff) throw new DpdkError('the mbuf field for REDIRECT targets is not registered yet (sluice_dpdk_new first)');
      return { bufAddr: at[0]!, dataOff: at[1]!, dataLen: at[2]!, port: at[3]!, egress: at[4]! };
    },
  };
  return native;
}
