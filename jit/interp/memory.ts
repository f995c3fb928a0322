// The interpreter's address space: a table of regions, each a Uint8Array placed
// at a 64-bit virtual address. Pointers in registers are plain 64-bit values;
// every load and store looks its address up here, so an access outside every
// region, across a region's end, or a write to a read-only region is caught
// before it touches anything (the process never crashes, whatever the program).
//
// Regions are the call frames' stacks (fixed addresses, see stackBase), the
// input memory, and whatever helpers add at run time (a map value returned by
// a lookup, the packet, the context). A region may view native memory: it is
// any Uint8Array. Regions mapped while a run is in progress are dropped when
// the run ends; regions mapped between runs stay until unmapped.
import { STACK_SIZE, MAX_CALL_FRAMES } from '../isa/opcode.ts';

export interface Region {
  /** What the region holds, for error messages: 'stack[0]', 'input', 'map value'. */
  readonly name: string;
  /** The address of the first byte. */
  readonly start: bigint;
  /** The address just past the last byte. */
  readonly end: bigint;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Stores into the region fault (frozen .rodata, read-only map values). */
  readonly readonly: boolean;
  /** Kept across runs (mapped outside a run). */
  readonly persistent: boolean;
}

export interface MapOptions {
  /** For error messages and traces. Default 'region'. */
  name?: string;
  /** Stores fault. Default false. */
  readonly?: boolean;
  /** Place the region at this address (e.g. the real address of native memory). Default: the next free slot. */
  at?: bigint;
}

/** One memory access, as recorded while tracing. */
export interface Access {
  readonly kind: 'read' | 'write';
  readonly address: bigint;
  readonly size: number;
  readonly value: bigint;
}

/** Thrown by Memory on a bad access; the interpreter turns it into a VmError naming the pc. */
export class AccessFault extends Error {
  constructor(readonly kind: 'read' | 'write', readonly address: bigint, readonly size: number, readonly why: string) {
    super(`${kind} of ${size} byte${size === 1 ? '' : 's'} at ${hex(address)} ${why}`);
  }
}

export const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** Stack frame i occupies [stackBase(i), stackBase(i) + STACK_SIZE); r10 points at its end. */
export const STACK_REGION_BASE = 0x7ff0_0000_0000n;
const STACK_STRIDE = 0x1_0000n; // 64 KiB apart: an overflow of one frame never lands in the next
export const stackBase = (frame: number): bigint => STACK_REGION_BASE + BigInt(frame) * STACK_STRIDE;

/** Where regions without a fixed address go, each 64 KiB-aligned with an unmapped gap after it. */
export const HEAP_REGION_BASE = 0x1000_0000_0000n;
const GAP = 0x1_0000n;

const U64_MAX = (1n << 64n) - 1n;
/** Access sizes as bigints, so the hot path does not convert them. */
const SIZE_B: readonly bigint[] = [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n];
const alignUp = (v: bigint): bigint => (v + GAP - 1n) & ~(GAP - 1n);

export class Memory {
  /** Sorted by start address; regions never overlap. */
  private regions: Region[] = [];
  private last: Region | undefined;
  private next = HEAP_REGION_BASE;
  private running = false;
  /** While tracing: every access, in order. null when not tracing (no cost). */
  log: Access[] | null = null;
  /** The call frames' stacks, mapped once and reused. */
  readonly stacks: Region[] = [];

  constructor() {
    for (let i = 0; i < MAX_CALL_FRAMES; i++) {
      this.stacks.push(this.map(new Uint8Array(STACK_SIZE), { name: `stack[${i}]`, at: stackBase(i) }));
    }
  }

  /** Adds a region and returns it; its start is the address programs use. */
  map(bytes: Uint8Array, options: MapOptions = {}): Region {
    const size = BigInt(bytes.length);
    let start = options.at;
    if (start === undefined) {
      start = this.next;
      // Step over regions placed at fixed addresses in the way.
      for (let r = this.overlapping(start, start + size); r; r = this.overlapping(start, start + size)) start = alignUp(r.end + GAP);
      this.next = alignUp(start + size + GAP);
    }
    if (start < 0n || start + size > U64_MAX) throw new RangeError(`region at ${hex(start)} does not fit in 64 bits`);
    const region: Region = {
      name: options.name ?? 'region', start, end: start + size, bytes,
      view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      readonly: options.readonly ?? false, persistent: !this.running,
    };
    const clash = this.overlapping(region.start, region.end);
    if (clash) throw new RangeError(`region '${region.name}' at ${hex(start)} overlaps '${clash.name}'`);
    const at = this.regions.findIndex((r) => r.start > start);
    this.regions.splice(at < 0 ? this.regions.length : at, 0, region);
    return region;
  }

  private overlapping(start: bigint, end: bigint): Region | undefined {
    return this.regions.find((r) => r.start < end && start < r.end);
  }

  unmap(region: Region): void {
    this.regions = this.regions.filter((r) => r !== region);
    if (this.last === region) this.last = undefined;
  }

  /** Marks the start of a run: regions mapped from now on are transient. */
  beginRun(): void {
    this.running = true;
  }

  /** Drops the regions mapped during the run. */
  endRun(): void {
    this.running = false;
    if (this.regions.some((r) => !r.persistent)) this.regions = this.regions.filter((r) => r.persistent);
    this.last = undefined;
  }

  /** Every region, in address order (for traces and debugging). */
  list(): readonly Region[] {
    return this.regions;
  }

  /** The region holding [address, address + size), or an AccessFault. */
  resolve(kind: 'read' | 'write', address: bigint, size: number): Region {
    let r = this.last;
    if (r === undefined || address < r.start || address + (SIZE_B[size] ?? BigInt(size)) > r.end) {
      r = this.lookup(kind, address, size);
      this.last = r;
    }
    if (kind === 'write' && r.readonly) throw new AccessFault(kind, address, size, `into read-only region '${r.name}'`);
    return r;
  }

  private lookup(kind: 'read' | 'write', address: bigint, size: number): Region {
    const rs = this.regions;
    let lo = 0, hi = rs.length - 1;
    while (lo <= hi) { // the last region starting at or below address
      const mid = (lo + hi) >> 1;
      if (rs[mid]!.start <= address) lo = mid + 1; else hi = mid - 1;
    }
    const r = rs[hi];
    if (r === undefined || address >= r.end) {
      const near = r !== undefined && address - r.end < GAP ? ` (${address - r.end} bytes past the end of '${r.name}')` : '';
      const below = rs[hi + 1];
      const before = below !== undefined && below.start - address <= GAP ? ` (${below.start - address} bytes before '${below.name}')` : '';
      throw new AccessFault(kind, address, size, `is outside every region${near || before}`);
    }
    if (address + BigInt(size) > r.end) {
      throw new AccessFault(kind, address, size, `crosses the end of region '${r.name}' (${hex(r.start)}, ${r.bytes.length} bytes)`);
    }
    return r;
  }

  /** Loads 1, 2, 4 or 8 bytes, little-endian, zero-extended. */
  load(address: bigint, size: number): bigint {
    const r = this.resolve('read', address, size);
    const at = Number(address - r.start);
    let v: bigint;
    switch (size) {
      case 1: v = BigInt(r.bytes[at]!); break;
      case 2: v = BigInt(r.view.getUint16(at, true)); break;
      case 4: v = BigInt(r.view.getUint32(at, true)); break;
      default: v = r.view.getBigUint64(at, true);
    }
    if (this.log !== null) this.log.push({ kind: 'read', address, size, value: v });
    return v;
  }

  /** Stores the low `size` bytes of value, little-endian. */
  store(address: bigint, size: number, value: bigint): void {
    const r = this.resolve('write', address, size);
    const at = Number(address - r.start);
    switch (size) {
      case 1: r.bytes[at] = Number(value & 0xffn); break;
      case 2: r.view.setUint16(at, Number(value & 0xffffn), true); break;
      case 4: r.view.setUint32(at, Number(value & 0xffffffffn), true); break;
      default: r.view.setBigUint64(at, value, true);
    }
    if (this.log !== null) this.log.push({ kind: 'write', address, size, value: BigInt.asUintN(size * 8, value) });
  }

  /** A checked view of `length` bytes at address (for helpers that take a buffer). */
  bytesAt(address: bigint, length: number, kind: 'read' | 'write' = 'read'): Uint8Array {
    if (length === 0) return new Uint8Array(0);
    const r = this.resolve(kind, address, length);
    const at = Number(address - r.start);
    return r.bytes.subarray(at, at + length);
  }
}
