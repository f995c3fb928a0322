// Typed handles on native maps (aya style): each operation checks key and
// value sizes against the definition before crossing into C, and returns the
// kernel's errno results. The native struct's address is what relocation
// writes into a program's lddw.
import { availableParallelism } from 'node:os';
import { mapBindings, type MapBindings } from '../dataplane/ffi.ts';
import { MapError, MapOpError } from './errors.ts';
import { MapType, UpdateFlag, isPerCpu, mapTypeName, type MapDef, RingBufQuery } from './types.ts';
import type { HashMapLayout } from '../jit/x86/inline-hash.ts';

const ENOENT = -2;
let workerCount = availableParallelism();

/** The number of per-CPU slots new maps get by default (the runtime's worker count). */
export function setWorkerCount(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new MapError(`worker count ${n} is not in 1..256`);
  workerCount = n;
}
export function getWorkerCount(): number { return workerCount; }

/** maps/map.h sluice_hash_layout, word by word (SLUICE_HL_* order): what the JIT inlines a lookup from. */
export type HashLayout = HashMapLayout;

export interface Entry { key: Uint8Array; value: Uint8Array }
export interface PerCpuEntry { key: Uint8Array; values: Uint8Array[] }
/** One perf_event_array record: the slot (CPU) it was written to and its bytes. */
export interface PerfRecord { cpu: number; data: Uint8Array }

export class MapHandle {
  readonly name: string;
  readonly type: MapType;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly cpus: number;
  /** Native address of the struct sluice_map (what an lddw map reference becomes). */
  readonly address: bigint;
  /** Process-wide id (values of map-in-map and what `sluice map` lists). */
  readonly id: number;
  /** Bytes of one value as exchanged here: cpus * round_up(valueSize, 8) for per-CPU maps. */
  readonly valueSizeSys: number;
  private closed = false;
  private readonly native: MapBindings;

  /** Where the map is pinned (maps/pin.ts), or undefined. */
  readonly pinPath: string | undefined;
  private readonly release: ((address: bigint) => void) | undefined;

  /** `release` replaces the native free on close (pinned maps: maps/pin.ts). */
  constructor(def: MapDef, address: bigint, native: MapBindings, pin?: { path: string; release: (address: bigint) => void }) {
    this.pinPath = pin?.path;
    this.release = pin?.release;
    this.name = def.name;
    this.type = def.type;
    this.keySize = def.keySize;
    this.valueSize = def.valueSize;
    this.maxEntries = def.maxEntries;
    this.flags = def.flags ?? 0;
    this.cpus = def.cpus ?? workerCount;
    this.address = address;
    this.native = native;
    this.id = native.id(address);
    this.valueSizeSys = native.valueSizeSys(address);
  }

  get perCpu(): boolean { return isPerCpu(this.type); }
  /** Address of the value storage: arrays and global data (BPF_PSEUDO_MAP_VALUE base). */
  get valueBase(): bigint { return this.native.valueBase(this.live()); }
  /** The native lookup bpf_map_lookup_elem dispatches to for this map (the JIT calls it directly). */
  get lookupFn(): bigint { return this.native.lookupFn(this.live()); }
  /** percpu_array: bytes from one CPU's copies to the next's (CPU-major storage, maps/map.h); 0n for other types. */
  get cpuStride(): bigint { return this.native.cpuStride(this.live()); }
  /**
   * A plain hash map with a 4-, 8- or 16-byte key: the fixed words its lookup reads (buckets,
   * mask, seeds, struct offsets; maps/map.h sluice_hash_layout), for the JIT to inline it.
   * undefined for every other map.
   */
  get hashLayout(): HashLayout | undefined {
    const w = this.native.hashLayout(this.live());
    if (!w) return undefined;
    const n = (i: number): number => Number(w[i]!);
    return {
      buckets: w[0]!, bucketMask: n(1), keySize: n(2), keyBytes: n(3), seed: w[4]!, seed2: w[5]!,
      bucketSize: n(6), headOffset: n(7), nextOffset: n(8), hashOffset: n(9), dataOffset: n(10),
    };
  }

  /** The value for key, or undefined. Per-CPU maps: all slots concatenated (see lookupPerCpu). */
  lookup(key: Uint8Array): Uint8Array | undefined {
    const value = new Uint8Array(this.valueSizeSys);
    const rc = this.native.lookup(this.live(), this.checkKey(key), value);
    if (rc === ENOENT) return undefined;
    if (rc < 0) throw new MapOpError(this.name, 'lookup', rc);
    return value;
  }

  /** One value per CPU (each valueSize bytes), or undefined. */
  lookupPerCpu(key: Uint8Array): Uint8Array[] | undefined {
    this.requirePerCpu('lookupPerCpu');
    const all = this.lookup(key);
    return all && this.split(all);
  }

  /** Declares the struct bpf_spin_lock at byte `offset` of each value (the loader reads it from BTF):
   *  updates then leave that word alone, and UpdateFlag.Lock takes it around the copy. */
  setSpinLock(offset: number): void {
    const rc = this.native.setSpinLock(this.live(), offset);
    if (rc < 0) throw new MapError(`map '${this.name}': no bpf_spin_lock at byte ${offset} (a 4-aligned offset inside the value, in an array or hash map)`);
  }

  /** 0 or the kernel's -errno (-EEXIST, -ENOENT, -E2BIG, -EINVAL, ...). */
  tryUpdate(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.Any): number {
    return this.native.update(this.live(), this.checkKey(key), this.checkValue(value), BigInt(flags));
  }

  update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.Any): void {
    const rc = this.tryUpdate(key, value, flags);
    if (rc < 0) throw new MapOpError(this.name, 'update', rc);
  }

  /** Per-CPU update: one valueSize-byte value per CPU. */
  updatePerCpu(key: Uint8Array, values: Uint8Array[], flags: UpdateFlag = UpdateFlag.Any): void {
    this.requirePerCpu('updatePerCpu');
    if (values.length !== this.cpus) throw new MapError(`map '${this.name}': ${values.length} per-CPU values given, the map has ${this.cpus} CPUs`);
    const stride = this.valueSizeSys / this.cpus;
    const all = new Uint8Array(this.valueSizeSys);
    values.forEach((v, i) => {
      if (v.length !== this.valueSize) throw new MapError(`map '${this.name}': value for CPU ${i} is ${v.length} bytes, valueSize is ${this.valueSize}`);
      all.set(v, i * stride);
    });
    this.update(key, all, flags);
  }

  /** 0 or -errno. */
  tryDelete(key: Uint8Array): number {
    return this.native.delete(this.live(), this.checkKey(key));
  }

  /** true when the key was there; false on -ENOENT; throws on other errors (arrays: -EINVAL). */
  delete(key: Uint8Array): boolean {
    const rc = this.tryDelete(key);
    if (rc === ENOENT) return false;
    if (rc < 0) throw new MapOpError(this.name, 'delete', rc);
    return true;
  }

  /** get_next_key: the key after `key` (the first when undefined or absent), or undefined at the end. */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    const next = new Uint8Array(this.keySize);
    const rc = this.native.getNextKey(this.live(), key ? this.checkKey(key) : null, next);
    if (rc === ENOENT) return undefined;
    if (rc < 0) throw new MapOpError(this.name, 'get_next_key', rc);
    return next;
  }

  *keys(): IterableIterator<Uint8Array> {
    for (let k = this.nextKey(); k; k = this.nextKey(k)) yield k;
  }

  [Symbol.iterator](): IterableIterator<Uint8Array> { return this.keys(); }

  /** Every entry, in get_next_key order (bpftool map dump), in native batches of up to `batch` entries
   *  (default: what fits in 16 MiB). */
  dump(batch = Math.max(1, Math.floor((16 << 20) / (this.keySize + this.valueSizeSys)))): Entry[] {
    const size = Math.min(batch, this.maxEntries);
    const keys = new Uint8Array(size * this.keySize), values = new Uint8Array(size * this.valueSizeSys);
    const out: Entry[] = [];
    let after: Uint8Array | null = null;
    for (;;) {
      const n = this.native.dump(this.live(), after, keys, values, size);
      if (n < 0) throw new MapOpError(this.name, 'dump', n);
      for (let i = 0; i < n; i++) {
        out.push({
          key: keys.slice(i * this.keySize, (i + 1) * this.keySize),
          value: values.slice(i * this.valueSizeSys, (i + 1) * this.valueSizeSys),
        });
      }
      if (n < size || out.length > 4 * this.maxEntries) return out; // (a map churning under us: stop)
      after = out[out.length - 1]!.key;
    }
  }

  dumpPerCpu(): PerCpuEntry[] {
    this.requirePerCpu('dumpPerCpu');
    return this.dump().map(({ key, value }) => ({ key, values: this.split(value) }));
  }

  // --- queue and stack -------------------------------------------------------

  /** 0 or -errno (-E2BIG when full without UpdateFlag.Exist). */
  tryPush(value: Uint8Array, flags: UpdateFlag = UpdateFlag.Any): number {
    return this.native.update(this.live(), null, this.checkValue(value), BigInt(flags));
  }

  push(value: Uint8Array, flags: UpdateFlag = UpdateFlag.Any): void {
    const rc = this.tryPush(value, flags);
    if (rc < 0) throw new MapOpError(this.name, 'push', rc);
  }

  /** The oldest (queue) or newest (stack) value, removed; undefined when empty. */
  pop(): Uint8Array | undefined {
    const value = new Uint8Array(this.valueSizeSys);
    const rc = this.native.lookupAndDelete(this.live(), null, value);
    if (rc === ENOENT) return undefined;
    if (rc < 0) throw new MapOpError(this.name, 'pop', rc);
    return value;
  }

  peek(): Uint8Array | undefined {
    const value = new Uint8Array(this.valueSizeSys);
    const rc = this.native.lookup(this.live(), null, value);
    if (rc === ENOENT) return undefined;
    if (rc < 0) throw new MapOpError(this.name, 'peek', rc);
    return value;
  }

  // --- ringbuf and perf_event_array -------------------------------------------

  /** Committed ring buffer records, oldest first, consumed (discarded ones are skipped). */
  drain(maxBytes = 1 << 20): Uint8Array[] {
    this.requireType(MapType.RINGBUF, 'drain');
    return this.records((out, cap) => this.native.ringbufDrain(this.live(), out, cap), maxBytes);
  }

  /** Calls onRecord for each ring buffer record as it arrives (polled every intervalMs,
   *  default 10); returns a function that stops watching. */
  watch(onRecord: (record: Uint8Array) => void, intervalMs = 10): () => void {
    this.requireType(MapType.RINGBUF, 'watch');
    const timer = setInterval(() => {
      if (this.closed) { clearInterval(timer); return; }
      for (const r of this.drain()) onRecord(r);
    }, intervalMs);
    return () => clearInterval(timer);
  }

  /** bpf_ringbuf_query from the control plane. */
  query(what: RingBufQuery): bigint {
    this.requireType(MapType.RINGBUF, 'query');
    return this.native.ringbufQuery(this.live(), BigInt(what));
  }

  /** perf_event_array records ({cpu, data}), oldest first, consumed. */
  drainPerf(maxBytes = 1 << 20): PerfRecord[] {
    this.requireType(MapType.PERF_EVENT_ARRAY, 'drainPerf');
    return this.records((out, cap) => this.native.perfDrain(this.live(), out, cap), maxBytes)
      .map((r) => ({ cpu: new DataView(r.buffer, r.byteOffset).getUint32(0, true), data: r.subarray(4) }));
  }

  /** Frees the native map; the handle is unusable afterwards (closing twice is a no-op).
   *  A map that map-in-map slots still hold lives on for them (without its id) until the last lets go. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.release) this.release(this.address);
    else this.native.free(this.address);
  }

  get isClosed(): boolean { return this.closed; }

  toString(): string {
    return `${mapTypeName(this.type)} '${this.name}' (key ${this.keySize}, value ${this.valueSize}, max_entries ${this.maxEntries})`;
  }

  // --- internals ---------------------------------------------------------------

  private live(): bigint {
    if (this.closed) throw new MapError(`map '${this.name}' is closed`);
    return this.address;
  }

  private checkKey(key: Uint8Array): Uint8Array {
    if (key.length !== this.keySize) throw new MapError(`map '${this.name}': key is ${key.length} bytes, keySize is ${this.keySize}`);
    return key;
  }

  private checkValue(value: Uint8Array): Uint8Array {
    if (value.length !== this.valueSizeSys) {
      const what = this.perCpu ? `${this.valueSizeSys} (${this.cpus} CPUs x ${this.valueSizeSys / this.cpus}; use updatePerCpu)` : String(this.valueSizeSys);
      throw new MapError(`map '${this.name}': value is ${value.length} bytes, expected ${what}`);
    }
    return value;
  }

  private split(all: Uint8Array): Uint8Array[] {
    const stride = this.valueSizeSys / this.cpus;
    return Array.from({ length: this.cpus }, (_, i) => all.slice(i * stride, i * stride + this.valueSize));
  }

  private requirePerCpu(op: string): void {
    if (!this.perCpu) throw new MapError(`map '${this.name}': ${op} is for per-CPU maps, this is a ${mapTypeName(this.type)}`);
  }

  private requireType(t: MapType, op: string): void {
    if (this.type !== t) throw new MapError(`map '${this.name}': ${op} is for ${mapTypeName(t)} maps, this is a ${mapTypeName(this.type)}`);
  }

  private records(drain: (out: Uint8Array, cap: number) => number, maxBytes: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let buf = new Uint8Array(Math.min(maxBytes, 1 << 16));
    for (;;) {
      const n = drain(buf, buf.length);
      if (n === -28 /* ENOSPC: one record larger than buf */) {
        if (buf.length >= maxBytes * 2) throw new MapError(`map '${this.name}': a record exceeds ${maxBytes} bytes`);
        buf = new Uint8Array(buf.length * 2);
        continue;
      }
      if (n < 0) throw new MapOpError(this.name, 'drain', n);
      if (n === 0) return out;
      const view = new DataView(buf.buffer, buf.byteOffset, n);
      for (let at = 0; at < n;) {
        const len = view.getUint32(at, true);
        out.push(buf.slice(at + 4, at + 4 + len));
        at += (4 + len + 7) & ~7;
      }
    }
  }
}

/** Creates a native map; a definition the kernel would refuse throws MapError naming the map and the rule. */
export function createMap(def: MapDef): MapHandle {
  const native = mapBindings();
  const cpus = def.cpus ?? workerCount;
  for (const [field, v] of [['keySize', def.keySize], ['valueSize', def.valueSize], ['maxEntries', def.maxEntries], ['flags', def.flags ?? 0]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new MapError(`map '${def.name}': ${field} ${v} is not a u32`);
  }
  const err = new Uint8Array(512);
  const address = native.create(def.name, def.type, def.keySize, def.valueSize, def.maxEntries, def.flags ?? 0, cpus, err);
  if (address === 0n) {
    const text = new TextDecoder().decode(err.subarray(0, Math.max(0, err.indexOf(0))));
    throw new MapError(text || `map '${def.name}': creation failed`);
  }
  return new MapHandle({ ...def, cpus }, address, native);
}

/** Makes program `id` (an installed program's entry address) what prog_array values `id` refer to. */
export function registerProgram(id: number, address: bigint): void {
  const rc = mapBindings().progRegister(id, address);
  if (rc < 0) throw new MapError(`program id ${id}: cannot register entry 0x${address.toString(16)} (-EINVAL)`);
}

export function unregisterProgram(id: number): void {
  mapBindings().progUnregister(id);
}
