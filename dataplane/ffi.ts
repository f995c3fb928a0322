// The one file that declares every koffi binding into build/libsluice.so (the
// C shim, the native maps and helpers). Each part of the runtime keeps its
// bindings in its own marked section below; the library is loaded lazily, on
// the first binding asked for, so importing this file never fails by itself.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';
import { SluiceError } from '../jit/errors.ts';

/** The native library is missing or does not export what this file declares. */
export class NativeError extends SluiceError {}

export const LIBRARY_PATH = fileURLToPath(new URL('../build/libsluice.so', import.meta.url));

let library: ReturnType<typeof koffi.load> | undefined;

/** build/libsluice.so, loaded once. */
export function nativeLibrary(): ReturnType<typeof koffi.load> {
  if (library) return library;
  if (!existsSync(LIBRARY_PATH)) {
    throw new NativeError(`the native runtime ${LIBRARY_PATH} is missing: run \`npm run build:native\``);
  }
  try {
    library = koffi.load(LIBRARY_PATH);
  } catch (err) {
    throw new NativeError(`cannot load ${LIBRARY_PATH} (rebuild it with \`npm run build:native\`)`, { cause: err });
  }
  return library;
}

/** Declares one function of libsluice.so; a missing symbol names the rebuild to run. */
function declare(definition: string): ReturnType<ReturnType<typeof koffi.load>['func']> {
  try {
    return nativeLibrary().func(definition);
  } catch (err) {
    if (err instanceof NativeError) throw err;
    throw new NativeError(`libsluice.so lacks \`${definition}\` (stale build? run \`npm run build:native\`)`, { cause: err });
  }
}

/** koffi returns pointers as BigInt (v3), NULL as null or 0n: one form, 0n for NULL. */
export function toAddress(value: unknown): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  return koffi.address(value);
}

// ---------------------------------------------------------------------------
// Executable memory and JIT'd code (owner: the JIT, jit/x86; C in dataplane/shim/exec.c)
// ---------------------------------------------------------------------------

/** uint64_t burst(struct sluice_xdp_buff *buffs, uint32_t *verdicts, uint64_t n): see dataplane/shim/xdp.h. */
export type BurstFunction = (buffs: bigint | Uint8Array, verdicts: bigint | Uint32Array, n: number | bigint) => number | bigint;

export interface ExecBindings {
  /** Copies code into fresh read-execute pages (W^X); returns the address, 0n on failure. */
  install(code: Uint8Array): bigint;
  /** Unmaps code returned by install (same length). */
  free(address: bigint, length: number): void;
  /** A callable for a burst entry at a raw address (one FFI crossing per call). */
  burstAt(address: bigint): BurstFunction;
  /** A callable for JIT'd code compiled with entry 'function': uint64_t f(r1, r2, r3, r4, r5). */
  functionAt(address: bigint): (...args: bigint[]) => bigint;
}

let exec: ExecBindings | undefined;

export function execBindings(): ExecBindings {
  if (exec) return exec;
  const install = declare('void *sluice_exec_install(const uint8_t *code, size_t len)');
  const free = declare('int sluice_exec_free(void *addr, size_t len)');
  const errnoOf = declare('int sluice_exec_errno(void)');
  const burstProto = koffi.proto('uint64_t sluice_burst_fn(void *buffs, void *verdicts, uint64_t n)');
  const functionProto = koffi.proto('uint64_t sluice_jit_fn(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t)');
  exec = {
    install(code) {
      const address = toAddress(install(code, code.length));
      if (address === 0n) throw new NativeError(`installing ${code.length} bytes of code failed (errno ${errnoOf() as number})`);
      return address;
    },
    free(address, length) {
      if ((free(address, length) as number) !== 0) {
        throw new NativeError(`freeing code at 0x${address.toString(16)} failed (errno ${errnoOf() as number})`);
      }
    },
    burstAt(address) {
      return koffi.decode(address, burstProto) as BurstFunction;
    },
    functionAt(address) {
      const fn = koffi.decode(address, functionProto) as (...args: bigint[]) => number | bigint;
      return (...args) => {
        const full = [0, 1, 2, 3, 4].map((i) => BigInt.asUintN(64, args[i] ?? 0n));
        return BigInt.asUintN(64, BigInt(fn(...full)));
      };
    },
  };
  return exec;
}

// ---------------------------------------------------------------------------
// (end of the JIT section)
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// The guard and the sandbox for unverified raw programs (owner: the JIT, jit/x86;
// C in dataplane/shim/guard.c). Use dataplane/raw-jit.ts rather than these raw calls.
// ---------------------------------------------------------------------------

/** struct sluice_guard_fault (dataplane/shim/guard.h): a signal caught in a guarded call. */
export interface GuardFault {
  /** SIGSEGV, SIGBUS, SIGFPE or SIGILL; negative: -errno when the guard itself could not be set up. */
  signo: number;
  code: number;
  /** si_addr. */
  addr: bigint;
  /** The native instruction that faulted. */
  rip: bigint;
  /** r11 at the fault (the JIT's sandbox leaves the refused address there). */
  r11: bigint;
}

export interface GuardBindings {
  /** r0 = fn(r1, r2, r3) under the guard; `fault` set when it faulted (then r0 is 0). */
  call(fn: bigint, r1: bigint, r2: bigint, r3: bigint): { r0: bigint; fault: GuardFault | undefined };
  /** Nanoseconds for n calls of fn(0, 0, 0): direct, guarded, or guarded inside a session (the guard's cost, measured in C). */
  measure(fn: bigint, n: number, mode: 'direct' | 'guarded' | 'session'): bigint;
  /** Keeps the handlers and alternate stack installed on this thread until end() (calls in between are cheap). */
  begin(): void;
  end(): void;
  /** struct sluice_sandbox *: a copy of input and a stack between guard pages; throws NativeError on failure. */
  sandboxCreate(input: Uint8Array, stackSize: number, budget: bigint): bigint;
  /** The sandbox's input copy: its address (0n when empty) and length. */
  sandboxInput(sandbox: bigint): { address: bigint; length: number };
  /** The input bytes as the program left them. */
  sandboxRead(sandbox: bigint, length: number): Uint8Array;
  sandboxFree(sandbox: bigint): void;
}

let guard: GuardBindings | undefined;

export function guardBindings(): GuardBindings {
  if (guard) return guard;
  const call = declare('uint64_t sluice_guard_call(void *fn, uint64_t r1, uint64_t r2, uint64_t r3, void *fault)');
  const measure = declare('uint64_t sluice_guard_measure(void *fn, uint64_t n, int guarded)');
  const begin = declare('int sluice_guard_begin(void)');
  const end = declare('void sluice_guard_end(void)');
  const create = declare('void *sluice_sandbox_create(const uint8_t *input, size_t len, size_t stack_size, uint64_t budget)');
  const read = declare('void sluice_sandbox_read(void *sb, void *out, size_t len)');
  const free = declare('void sluice_sandbox_free(void *sb)');
  const faultBytes = new Uint8Array(32);
  const faultView = new DataView(faultBytes.buffer);
  guard = {
    call(fn, r1, r2, r3) {
      const r0 = BigInt.asUintN(64, BigInt(call(fn, r1, r2, r3, faultBytes) as number | bigint));
      const signo = faultView.getInt32(0, true);
      if (signo === 0) return { r0, fault: undefined };
      return { r0, fault: { signo, code: faultView.getInt32(4, true), addr: faultView.getBigUint64(8, true),
        rip: faultView.getBigUint64(16, true), r11: faultView.getBigUint64(24, true) } };
    },
    measure: (fn, n, mode) => BigInt(measure(fn, n, mode === 'direct' ? 0 : mode === 'guarded' ? 1 : 2) as number | bigint),
    begin() {
      const err = begin() as number;
      if (err !== 0) throw new NativeError(`setting up the guard failed (errno ${-err})`);
    },
    end() { end(); },
    sandboxCreate(input, stackSize, budget) {
      const sb = toAddress(create(input, input.length, stackSize, budget));
      if (sb === 0n) throw new NativeError(`creating a sandbox for ${input.length} bytes of input failed`);
      return sb;
    },
    sandboxInput(sandbox) {
      const view = new DataView(koffi.view(sandbox, 16) as ArrayBuffer);
      return { address: view.getBigUint64(0, true), length: Number(view.getBigUint64(8, true)) };
    },
    sandboxRead(sandbox, length) {
      const out = new Uint8Array(length);
      if (length > 0) read(sandbox, out, length);
      return out;
    },
    sandboxFree(sandbox) { free(sandbox); },
  };
  return guard;
}

// ---------------------------------------------------------------------------
// (end of the guard section)
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Maps, helpers and per-worker state (owner: maps/ and dataplane/shim/helpers*.c;
// C in maps/*.c, dataplane/shim/helpers*.c). Typed handles over these live in
// maps/handle.ts; use those rather than these raw calls.
// ---------------------------------------------------------------------------

type NativeFn = ReturnType<typeof declare>;
/** A pointer argument: an address, a buffer, or NULL. */
export type NativePointer = bigint | Uint8Array | null;

export interface MapBindings {
  /** struct sluice_map * or 0n; on 0n, err holds "map 'NAME': rule (kernel: -EXXX)". */
  create(name: string, type: number, keySize: number, valueSize: number, maxEntries: number,
    flags: number, ncpus: number, err: Uint8Array): bigint;
  /** 0, or -EBUSY when a map-in-map slot holds the map: freed when the last slot lets go. */
  free(map: bigint): number;
  /** The control plane's view (kernel errno results: 0 or -errno). Per-CPU values: ncpus slots. */
  lookup(map: bigint, key: NativePointer, value: Uint8Array): number;
  update(map: bigint, key: NativePointer, value: Uint8Array, flags: bigint): number;
  delete(map: bigint, key: NativePointer): number;
  getNextKey(map: bigint, key: NativePointer, next: Uint8Array): number;
  lookupAndDelete(map: bigint, key: NativePointer, value: Uint8Array): number;
  /** Address of the value storage (arrays, global data: BPF_PSEUDO_MAP_VALUE base). */
  valueBase(map: bigint): bigint;
  /** Address of `void *lookup(struct sluice_map *, const void *key)`, what bpf_map_lookup_elem calls for this map. */
  lookupFn(map: bigint): bigint;
  /** percpu_array: bytes from one CPU's copies to the next's (struct sluice_map.cpu_stride); 0 for other types. */
  cpuStride(map: bigint): bigint;
  /**
   * sluice_hash_layout (maps/map.h): for a plain hash map with a 4-, 8- or 16-byte key, the
   * words an inlined lookup needs, in the order of map.h's SLUICE_HL_* indexes; undefined for
   * any other map.
   */
  hashLayout(map: bigint): bigint[] | undefined;
  /** Bytes of one value as the control plane exchanges it (ncpus * round_up(value_size, 8) for per-CPU maps). */
  valueSizeSys(map: bigint): number;
  /** Process-wide map id (map-in-map values refer to inner maps by id). */
  id(map: bigint): number;
  /** Ring buffer / perf_event_array records as {u32 len; bytes; pad to 8}: bytes written, or -errno. */
  ringbufDrain(map: bigint, out: Uint8Array, cap: number): number;
  ringbufQuery(map: bigint, flags: bigint): bigint;
  perfDrain(map: bigint, out: Uint8Array, cap: number): number;
  /** Programs referred to by prog_array values: id -> entry address. */
  progRegister(id: number, address: bigint): number;
  progUnregister(id: number): number;
  /** Test support (maps/hammer.c). */
  hammerStart(map: bigint, threads: number, keys: number, writers: number): bigint;
  hammerStop(handle: bigint, out: BigUint64Array): number;
  /** Benchmark support (maps/bench.c): ns for `iterations` helper-path ops (0 lookup, 1 update); found[0] = successes. */
  bench(map: bigint, keys: Uint8Array, nkeys: number, iterations: number, op: number, value: Uint8Array, found: BigUint64Array): bigint;
  /** Bytes of native memory the map holds. */
  memory(map: bigint): bigint;
  /** Declares a struct bpf_spin_lock at byte `offset` of the values (from BTF): 0 or -EINVAL. */
  setSpinLock(map: bigint, offset: number): number;
  /** Batch dump: up to max entries in get_next_key order after key `after` (null: from the first); the count or -errno. */
  dump(map: bigint, after: NativePointer, keys: Uint8Array, values: Uint8Array, max: number): number;
}

export interface HelperBindings {
  /** Native address of a helper by kernel id; 0n when unsupported (and for tail_call, which the JIT inlines). */
  address(id: number): bigint;
  /** The helper's name when sluice supports the id (tail_call included), else null. */
  name(id: number): string | null;
  /** The kernel's name for any id in linux/bpf.h, else null. */
  kernelName(id: number): string | null;
  /** Calls a helper by id with r1..r5 (tests; programs call helpers natively). */
  call(id: number, ...args: bigint[]): bigint;
  traceDrain(out: Uint8Array, cap: number): number;
  setMtu(ifindex: number, mtu: number): number;
  redirectCommit(buff: NativePointer): number;
  /** The calling thread's worker slot (per-CPU index). */
  workerSet(cpu: number): void;
  workerGet(): number;
  /** Address of the calling thread's struct sluice_worker (maps/worker.h). */
  workerCurrent(): bigint;
  /** Offset of sluice_worker.cpu from the thread pointer (%fs base), the same in every thread (initial-exec TLS). */
  workerCpuTpOffset(): number;
  workerBegin(): void;
  workerEnd(): void;
  /** Waits until everything retired so far can be reclaimed (not inside a burst). */
  epochSynchronize(): void;
  /** uint64_t sluice_burst_run(fn, buffs, verdicts, n): one burst bracketed by workerBegin/End. */
  burstRunAddress(): bigint;
  /** bpf_fib_lookup's tables (dataplane/shim/helpers.h): 0 or -errno. Addresses in network order. */
  fibRouteSet(family: number, addr: Uint8Array, prefixlen: number, type: number, ifindex: number, gw: Uint8Array | null, metric: number): number;
  fibRouteDelete(family: number, addr: Uint8Array, prefixlen: number): number;
  fibNeighSet(family: number, addr: Uint8Array, mac: Uint8Array | null): number;
  fibDevSet(ifindex: number, mac: Uint8Array | null, src4: Uint8Array | null, src6: Uint8Array | null): number;
  /** Address of sluice_tail_call(ctx, prog_array, index) (dataplane/shim/helpers_tail.c): a tail call made as a call. */
  tailCallAddress(): bigint;
}

/** What sluice_tail_call returns when the tail call does not happen (the caller continues). */
export const TAIL_CALL_FAILED = 0x8000000000007a11n;

let maps: MapBindings | undefined;
/** SLUICE_HASH_LAYOUT_WORDS (maps/map.h). */
const HASH_LAYOUT_WORDS = 11;
let helpers: HelperBindings | undefined;

const num = (v: unknown): number => Number(v);

export function mapBindings(): MapBindings {
  if (maps) return maps;
  const create = declare('void *sluice_map_create(const char *name, uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries, uint32_t map_flags, uint32_t ncpus, void *err, uint32_t errlen)');
  const free = declare('long sluice_map_free(void *m)');
  const lookup = declare('long sluice_map_lookup(void *m, void *key, void *value)');
  const update = declare('long sluice_map_update(void *m, void *key, void *value, uint64_t flags)');
  const del = declare('long sluice_map_delete(void *m, void *key)');
  const next = declare('long sluice_map_get_next_key(void *m, void *key, void *next_key)');
  const lookupAndDelete = declare('long sluice_map_lookup_and_delete(void *m, void *key, void *value)');
  const valueBase = declare('uint64_t sluice_map_value_base(void *m)');
  const lookupFn = declare('uint64_t sluice_map_lookup_fn(void *m)');
  const cpuStride = declare('uint64_t sluice_map_cpu_stride(void *m)');
  const hashLayout = declare('long sluice_hash_layout(void *m, void *out)');
  const valueSizeSys = declare('uint32_t sluice_map_value_size_sys(void *m)');
  const id = declare('uint32_t sluice_map_id(void *m)');
  const rbDrain = declare('long sluice_ringbuf_drain(void *m, void *out, uint32_t cap)');
  const rbQuery = declare('uint64_t sluice_ringbuf_query(void *m, uint64_t flags)');
  const perfDrain = declare('long sluice_perf_drain(void *m, void *out, uint32_t cap)');
  const progRegister = declare('long sluice_prog_register(uint32_t id, uint64_t address)');
  const progUnregister = declare('long sluice_prog_unregister(uint32_t id)');
  const hammerStart = declare('void *sluice_hammer_start(void *m, uint32_t nthreads, uint32_t nkeys, uint32_t writers)');
  const hammerStop = declare('long sluice_hammer_stop(void *h, void *out)');
  const bench = declare('uint64_t sluice_bench_map(void *m, void *keys, uint32_t nkeys, uint64_t iterations, uint32_t op, void *value, void *found)');
  const memory = declare('uint64_t sluice_map_memory(void *m)');
  const setSpinLock = declare('long sluice_map_set_spin_lock(void *m, uint32_t off)');
  const dump = declare('long sluice_map_dump(void *m, void *after, void *keys, void *values, uint32_t max)');
  maps = {
    create: (name, type, k, v, n, f, c, err) => toAddress(create(name, type, k, v, n, f, c, err, err.length)),
    free: (m) => num(free(m)),
    lookup: (m, k, v) => num(lookup(m, k, v)),
    update: (m, k, v, f) => num(update(m, k, v, f)),
    delete: (m, k) => num(del(m, k)),
    getNextKey: (m, k, n) => num(next(m, k, n)),
    lookupAndDelete: (m, k, v) => num(lookupAndDelete(m, k, v)),
    valueBase: (m) => BigInt(valueBase(m) as number | bigint),
    lookupFn: (m) => BigInt(lookupFn(m) as number | bigint),
    cpuStride: (m) => BigInt(cpuStride(m) as number | bigint),
    hashLayout(m) {
      const out = new BigUint64Array(HASH_LAYOUT_WORDS);
      return num(hashLayout(m, out)) === 0 ? [...out] : undefined;
    },
    valueSizeSys: (m) => num(valueSizeSys(m)),
    id: (m) => num(id(m)),
    ringbufDrain: (m, out, cap) => num(rbDrain(m, out, cap)),
    ringbufQuery: (m, f) => BigInt(rbQuery(m, f) as number | bigint),
    perfDrain: (m, out, cap) => num(perfDrain(m, out, cap)),
    progRegister: (i, a) => num(progRegister(i, a)),
    progUnregister: (i) => num(progUnregister(i)),
    hammerStart: (m, t, k, w) => toAddress(hammerStart(m, t, k, w)),
    hammerStop: (h, out) => num(hammerStop(h, out)),
    bench: (m, keys, n, it, op, v, found) => BigInt(bench(m, keys, n, it, op, v, found) as number | bigint),
    memory: (m) => BigInt(memory(m) as number | bigint),
    dump: (m, a, k, v, max) => num(dump(m, a, k, v, max)),
    setSpinLock: (m, off) => num(setSpinLock(m, off)),
  };
  return maps;
}

export function helperBindings(): HelperBindings {
  if (helpers) return helpers;
  const address = declare('uint64_t sluice_helper_address(uint32_t id)');
  const name = declare('const char *sluice_helper_name(uint32_t id)');
  const kernelName = declare('const char *sluice_helper_kernel_name(uint32_t id)');
  const traceDrain = declare('long sluice_trace_drain(void *out, uint32_t cap)');
  const setMtu = declare('long sluice_set_mtu(uint32_t ifindex, uint32_t mtu)');
  const redirectCommit = declare('uint32_t sluice_redirect_commit(void *buff)');
  const workerSet = declare('void sluice_worker_set(uint32_t cpu)');
  const workerGet = declare('uint32_t sluice_worker_get(void)');
  const workerCurrent = declare('void *sluice_worker_current(void)');
  const workerCpuTpOffset = declare('int64_t sluice_worker_cpu_tpoff(void)');
  const workerBegin = declare('void sluice_worker_begin(void)');
  const workerEnd = declare('void sluice_worker_end(void)');
  const epochSynchronize = declare('void sluice_epoch_synchronize(void)');
  const proto = koffi.proto('uint64_t sluice_helper_fn(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t)');
  const fibRouteSet = declare('long sluice_fib_route_set(uint32_t family, void *addr, uint32_t prefixlen, uint32_t type, uint32_t ifindex, void *gw, uint32_t metric)');
  const fibRouteDelete = declare('long sluice_fib_route_delete(uint32_t family, void *addr, uint32_t prefixlen)');
  const fibNeighSet = declare('long sluice_fib_neigh_set(uint32_t family, void *addr, void *mac)');
  const fibDevSet = declare('long sluice_fib_dev_set(uint32_t ifindex, void *mac, void *src4, void *src6)');
  const callables = new Map<number, NativeFn>();
  helpers = {
    address: (id) => BigInt(address(id) as number | bigint),
    name: (id) => (name(id) as string | null) ?? null,
    kernelName: (id) => (kernelName(id) as string | null) ?? null,
    call(id, ...args) {
      let fn = callables.get(id);
      if (!fn) {
        const at = BigInt(address(id) as number | bigint);
        if (at === 0n) throw new NativeError(`no native helper with id ${id}`);
        fn = koffi.decode(at, proto) as NativeFn;
        callables.set(id, fn);
      }
      const full = [0, 1, 2, 3, 4].map((i) => BigInt.asUintN(64, args[i] ?? 0n));
      return BigInt.asUintN(64, BigInt(fn(...full) as number | bigint));
    },
    traceDrain: (out, cap) => num(traceDrain(out, cap)),
    setMtu: (i, m) => num(setMtu(i, m)),
    redirectCommit: (b) => num(redirectCommit(b)),
    workerSet: (c) => { workerSet(c); },
    workerGet: () => num(workerGet()),
    workerCurrent: () => toAddress(workerCurrent()),
    workerCpuTpOffset: () => Number(workerCpuTpOffset() as number | bigint),
    workerBegin: () => { workerBegin(); },
    workerEnd: () => { workerEnd(); },
    epochSynchronize: () => { epochSynchronize(); },
    burstRunAddress: () => toAddress(nativeLibrary().symbol('sluice_burst_run')),
    fibRouteSet: (f, a, p, t, i, g, m) => num(fibRouteSet(f, a, p, t, i, g, m)),
    fibRouteDelete: (f, a, p) => num(fibRouteDelete(f, a, p)),
    fibNeighSet: (f, a, m) => num(fibNeighSet(f, a, m)),
    fibDevSet: (i, m, s4, s6) => num(fibDevSet(i, m, s4, s6)),
    tailCallAddress: () => toAddress(nativeLibrary().symbol('sluice_tail_call')),
  };
  return helpers;
}

// ---------------------------------------------------------------------------
// (end of the maps and helpers section)
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Running bursts (owner: dataplane/pipeline; C in maps/worker.c)
// ---------------------------------------------------------------------------

/** sluice_burst_run(fn, buffs, verdicts, n): one burst of a JIT'd burst entry, bracketed as a worker read section. */
export type BurstRun = (entry: bigint, buffs: bigint, verdicts: bigint, n: number) => void;

/** sluice_burst_fill_run: fills a burst's xdp_buffs from one source buffer and, with a non-zero entry, runs it (dataplane/shim/burst_fill.c). */
export type BurstFill = (entry: bigint, buffs: bigint, verdicts: bigint, frames: bigint, frameSize: number,
  src: Uint8Array, offs: Uint32Array, lens: Uint32Array, n: number, ifindex: number, rxQueue: number) => void;

let burstFill: BurstFill | undefined;

export function burstFillBinding(): BurstFill {
  if (burstFill) return burstFill;
  const fill = declare('uint64_t sluice_burst_fill_run(void *entry, void *buffs, void *verdicts, void *frames, uint32_t frame_size, const uint8_t *src, const uint32_t *offs, const uint32_t *lens, uint64_t n, uint32_t ifindex, uint32_t rx_queue)');
  burstFill = (entry, buffs, verdicts, frames, frameSize, src, offs, lens, n, ifindex, rxQueue) => {
    fill(entry, buffs, verdicts, frames, frameSize, src, offs, lens, n, ifindex, rxQueue);
  };
  return burstFill;
}

/**
 * sluice_burst_fill_frags_run: as BurstFill, with packets beyond the linear room split into
 * fragments (lists: n struct sluice_xdp_frags; pool: one 4096-byte page per fragment).
 * False when a packet needs more than 17 fragments or the pool is too small (nothing ran).
 */
export type BurstFillFrags = (entry: bigint, buffs: bigint, verdicts: bigint, frames: bigint, frameSize: number,
  src: Uint8Array, offs: Uint32Array, lens: Uint32Array, n: number, ifindex: number, rxQueue: number,
  lists: bigint, pool: bigint, poolSize: number) => boolean;

let burstFillFrags: BurstFillFrags | undefined;

export function burstFillFragsBinding(): BurstFillFrags {
  if (burstFillFrags) return burstFillFrags;
  const fill = declare('uint64_t sluice_burst_fill_frags_run(void *entry, void *buffs, void *verdicts, void *frames, uint32_t frame_size, const uint8_t *src, const uint32_t *offs, const uint32_t *lens, uint64_t n, uint32_t ifindex, uint32_t rx_queue, void *lists, void *pool, uint64_t pool_size)');
  burstFillFrags = (entry, buffs, verdicts, frames, frameSize, src, offs, lens, n, ifindex, rxQueue, lists, pool, poolSize) =>
    BigInt(fill(entry, buffs, verdicts, frames, frameSize, src, offs, lens, n, ifindex, rxQueue, lists, pool, poolSize) as number | bigint) !== 0xffffffffffffffffn;
  return burstFillFrags;
}

/** The address of an exported function of libsluice.so (for JIT'd code that calls into the shim). */
export function shimSymbol(name: string): bigint {
  const address = toAddress(nativeLibrary().symbol(name));
  if (address === 0n) throw new NativeError(`libsluice.so does not export ${name} (stale build? run \`npm run build:native\`)`);
  return address;
}

let burstRun: BurstRun | undefined;

export function burstRunBinding(): BurstRun {
  if (burstRun) return burstRun;
  const run = declare('uint64_t sluice_burst_run(void *fn, void *buffs, void *verdicts, uint64_t n)');
  burstRun = (entry, buffs, verdicts, n) => { run(entry, buffs, verdicts, n); };
  return burstRun;
}

// ---------------------------------------------------------------------------
// The AF_XDP driver (owner: drivers/afxdp; C in drivers/afxdp/*.c, built into
// build/libsluice_afxdp.so only where libxdp is installed). It links against
// libsluice.so (program slot, worker state), loaded first so both share one copy.
// Use drivers/afxdp/afxdp.ts (startAfxdp) rather than these raw calls.
// ---------------------------------------------------------------------------

export const AFXDP_LIBRARY_PATH = fileURLToPath(new URL('../build/libsluice_afxdp.so', import.meta.url));

export interface AfxdpBindings {
  /** struct sluice_afxdp * holding a program slot with this burst entry; 0n when out of memory. */
  create(entry: bigint): bigint;
  error(h: bigint): string;
  /** 0 or -errno (message in error()). mode: 0 auto, 1 native, 2 skb; copy: 0 auto, 1 zero-copy, 2 copy; tap '' = none. */
  addIface(h: bigint, name: string, mode: number, copy: number, tap: string): number;
  addQueue(h: bigint, queue: number, cpu: number): number;
  setBurst(h: bigint, burst: number): number;
  start(h: bigint): number;
  workers(h: bigint): number;
  /** Copies a worker's counters (enum sluice_afxdp_stat order) into out; returns how many, or -errno. */
  stats(h: bigint, worker: number, out: BigUint64Array): number;
  /** bit 0 zero-copy, bit 1 native; ifindex in the upper 32 bits; -1n for a bad index. */
  ifaceInfo(h: bigint, i: number): bigint;
  /** The kernel's XDP_STATISTICS of every socket summed (afxdp.h order) into out; how many, or -errno. */
  xskStats(h: bigint, out: BigUint64Array): number;
  /** Publishes a new burst entry, waits until no worker runs the old one; returns the old entry. */
  swap(h: bigint, entry: bigint): bigint;
  stop(h: bigint): number;
  free(h: bigint): void;
}

let afxdp: AfxdpBindings | undefined;

export function afxdpBindings(): AfxdpBindings {
  if (afxdp) return afxdp;
  nativeLibrary();
  if (!existsSync(AFXDP_LIBRARY_PATH)) {
    throw new NativeError(`the AF_XDP driver ${AFXDP_LIBRARY_PATH} is missing: it is built only where libxdp is installed (apt-get install libxdp-dev libbpf-dev; npm run build:native)`);
  }
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load(AFXDP_LIBRARY_PATH);
  } catch (err) {
    throw new NativeError(`cannot load ${AFXDP_LIBRARY_PATH} (rebuild it with \`npm run build:native\`)`, { cause: err });
  }
  const fn = (definition: string): NativeFn => {
    try { return lib.func(definition); } catch (err) {
      throw new NativeError(`libsluice_afxdp.so lacks \`${definition}\` (stale build? run \`npm run build:native\`)`, { cause: err });
    }
  };
  const create = fn('void *sluice_afxdp_new(uint64_t entry)');
  const error = fn('const char *sluice_afxdp_error(void *h)');
  const addIface = fn('int sluice_afxdp_add_iface(void *h, const char *ifname, uint32_t mode, uint32_t copy, const char *tap)');
  const addQueue = fn('int sluice_afxdp_add_queue(void *h, uint32_t queue, int32_t cpu)');
  const setBurst = fn('int sluice_afxdp_set_burst(void *h, uint32_t burst)');
  const start = fn('int sluice_afxdp_start(void *h)');
  const workers = fn('uint32_t sluice_afxdp_workers(void *h)');
  const stats = fn('int sluice_afxdp_stats(void *h, uint32_t w, void *out, uint32_t n)');
  const ifaceInfo = fn('int64_t sluice_afxdp_iface_info(void *h, uint32_t i)');
  const xskStats = fn('int sluice_afxdp_xsk_stats(void *h, void *out, uint32_t n)');
  const swap = fn('uint64_t sluice_afxdp_swap(void *h, uint64_t entry)');
  const stop = fn('int sluice_afxdp_stop(void *h)');
  const free = fn('void sluice_afxdp_free(void *h)');
  afxdp = {
    create: (entry) => toAddress(create(entry)),
    error: (h) => (error(h) as string | null) ?? '',
    addIface: (h, name, mode, copy, tap) => num(addIface(h, name, mode, copy, tap)),
    addQueue: (h, queue, cpu) => num(addQueue(h, queue, cpu)),
    setBurst: (h, burst) => num(setBurst(h, burst)),
    start: (h) => num(start(h)),
    workers: (h) => num(workers(h)),
    stats: (h, w, out) => num(stats(h, w, out, out.length)),
    ifaceInfo: (h, i) => BigInt(ifaceInfo(h, i) as number | bigint),
    xskStats: (h, out) => num(xskStats(h, out, out.length)),
    swap: (h, entry) => BigInt.asUintN(64, BigInt(swap(h, entry) as number | bigint)),
    stop: (h) => num(stop(h)),
    free: (h) => { free(h); },
  };
  return afxdp;
}

// ---------------------------------------------------------------------------
// (end of the AF_XDP section)
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// `sluice bench`'s timed run loop (owner: dataplane/bench; C in dataplane/shim/bench_loop.c).
// Use dataplane/bench/measure.ts rather than these raw calls.
// ---------------------------------------------------------------------------

/** Counters per worker, in the order sluice_bench_poll copies them (enum bench_stat). */
export const BENCH_STATS = ['packets', 'bursts', 'runCycles', 'fillCycles', 'ns', 'tsc', 'helperCalls', 'helperCycles', 'done',
  'ABORTED', 'DROP', 'PASS', 'TX', 'REDIRECT', 'v5', 'v6', 'other'] as const;

export interface BenchBindings {
  /** Starts worker threads over a trace (src at offs/lens); 0n on failure. cpuBase < 0: no pinning. */
  start(entry: bigint, workers: number, src: Uint8Array, offs: Uint32Array, lens: Uint32Array, count: number, burst: number,
    durationNs: bigint, warmupNs: bigint, samples: Uint32Array | null, sampleCap: number, cpuBase: number): bigint;
  /** Copies BENCH_STATS.length counters per worker into out. */
  poll(h: bigint, out: BigUint64Array): void;
  stop(h: bigint): void;
  /** Joins the workers and frees the run (after poll shows them done). */
  join(h: bigint): void;
  /** TSC ticks per second, calibrated against CLOCK_MONOTONIC over `ms`. */
  tscHz(ms: number): number;
  /** Cycles of an empty rdtsc pair. */
  rdtscCost(): number;
  /** The counting trampoline for a helper id (profiling mode), 0n when there is no such helper. */
  trampoline(id: number): bigint;
}

let bench: BenchBindings | undefined;

export function benchBindings(): BenchBindings {
  if (bench) return bench;
  const start = declare('void *sluice_bench_start(void *entry, uint32_t workers, const uint8_t *src, const uint32_t *offs, const uint32_t *lens, uint64_t count, uint32_t burst, uint64_t duration_ns, uint64_t warmup_ns, uint32_t *samples, uint32_t sample_cap, int32_t cpu_base)');
  const poll = declare('uint32_t sluice_bench_poll(void *h, uint64_t *out)');
  const stop = declare('void sluice_bench_stop(void *h)');
  const join = declare('void sluice_bench_join(void *h)');
  const tscHz = declare('double sluice_bench_tsc_hz(uint32_t ms)');
  const rdtscCost = declare('uint64_t sluice_bench_rdtsc_cost(void)');
  const trampoline = declare('uint64_t sluice_bench_trampoline(uint32_t id)');
  bench = {
    start: (e, w, src, offs, lens, count, burst, d, wu, samples, cap, cpu) =>
      toAddress(start(e, w, src, offs, lens, count, burst, d, wu, samples, cap, cpu)),
    poll: (h, out) => { poll(h, out); },
    stop: (h) => { stop(h); },
    join: (h) => { join(h); },
    tscHz: (ms) => Number(tscHz(ms)),
    rdtscCost: () => Number(rdtscCost()),
    trampoline: (id) => BigInt(trampoline(id) as number | bigint),
  };
  return bench;
}

// ---------------------------------------------------------------------------
// (end of the bench section)
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Pinned maps (owner: maps/pin.c, maps/pin.ts). Use maps/pin.ts, not these.
// ---------------------------------------------------------------------------

export interface PinBindings {
  /** Creates (or reuses a compatible) pin at path: this process's struct sluice_map *, or 0n with err. */
  create(path: string, name: string, type: number, keySize: number, valueSize: number, maxEntries: number,
    flags: number, ncpus: number, byName: boolean, err: Uint8Array): bigint;
  /** Opens an existing pin as a user (not an owner): a map, or 0n with err. */
  open(path: string, err: Uint8Array): bigint;
  /** Header of a pin: 0 with def = [type, key, value, max_entries, flags, ncpus, owners, owner_pid], or -1 with err. */
  info(path: string, def: Uint32Array, name: Uint8Array, err: Uint8Array): number;
  /** Closes this process's map over a pin: 1 when the file was removed, 0, or -errno. */
  close(map: bigint): number;
  /** 1 when maps of this type can be pinned. */
  supported(type: number): boolean;
}

let pinBind: PinBindings | undefined;

export function pinBindings(): PinBindings {
  if (pinBind) return pinBind;
  const create = declare('void *sluice_pin_create(const char *path, const char *name, uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries, uint32_t map_flags, uint32_t ncpus, uint32_t by_name, void *err, uint32_t errlen)');
  const open = declare('void *sluice_pin_open(const char *path, void *err, uint32_t errlen)');
  const info = declare('long sluice_pin_info(const char *path, void *def, void *name, void *err, uint32_t errlen)');
  const close = declare('long sluice_pin_close(void *m)');
  const supported = declare('int sluice_pin_supported(uint32_t type)');
  pinBind = {
    create: (p, n, t, k, v, max, f, c, b, err) => toAddress(create(p, n, t, k, v, max, f, c, b ? 1 : 0, err, err.length)),
    open: (p, err) => toAddress(open(p, err, err.length)),
    info: (p, def, name, err) => Number(info(p, def, name, err, err.length)),
    close: (m) => Number(close(m)),
    supported: (t) => Number(supported(t)) !== 0,
  };
  return pinBind;
}

// ---------------------------------------------------------------------------
// (end of the pinned maps section)
// ---------------------------------------------------------------------------
