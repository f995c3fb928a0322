// Native memory for bursts: n xdp_buffs, n verdicts and n frames at stable
// addresses, filled and run by one FFI call per burst (sluice_burst_fill_run in
// dataplane/shim/burst_fill.c). After a burst, verdicts and the packets as the
// program left them are read through views of that memory: no copies, and
// nothing crosses the FFI per packet.
//
// Packets longer than the linear room become multi-buffer frames, as in the
// kernel's test run (which does this for every XDP program, xdp.frags or not):
// the first MAX_PACKET bytes linear, the rest in up to 17 fragments of up to
// 4096 bytes (struct sluice_xdp_frags in dataplane/shim/xdp.h), filled by
// sluice_burst_fill_frags_run into memory allocated on the first such burst.
import koffi from 'koffi';
import { SluiceError } from '../jit/errors.ts';
import { XDP_BUFF_SIZE } from '../jit/x86/compile.ts';
import { burstFillBinding, burstFillFragsBinding } from './ffi.ts';

/** Bytes per frame: 256 of headroom, the packet, tailroom (a packet may grow to 3520 bytes, as in the kernel's test run). */
export const FRAME_SIZE = 4096;
export const XDP_HEADROOM = 256;
/** The largest packet a frame takes as input. */
export const MAX_PACKET = FRAME_SIZE - XDP_HEADROOM - 320;
/** Fragments of a multi-buffer frame: at most MAX_FRAGS (MAX_SKB_FRAGS), each up to FRAG_SIZE bytes. */
export const MAX_FRAGS = 17;
export const FRAG_SIZE = 4096;
/** The largest packet a frame takes with fragments (the kernel's test run: -ENOMEM beyond). */
export const MAX_MULTIBUFFER_PACKET = MAX_PACKET + MAX_FRAGS * FRAG_SIZE;
/** sizeof(struct sluice_xdp_frags): nr_frags, size, 17 × {data, len, reserved}. */
const FRAGS_SIZE = 8 + MAX_FRAGS * 16;

/** A packet that no frame takes, even with fragments. */
export class OversizedPacketError extends SluiceError {}

export interface FrameMeta {
  /** ctx->ingress_ifindex (default 1, as the kernel's test run). */
  ifindex?: number;
  /** ctx->rx_queue_index (default 0). */
  rxQueue?: number;
}

export class FrameArena {
  readonly buffs: bigint;
  readonly verdicts: bigint;
  readonly frames: bigint;
  private readonly base: bigint;
  private readonly memory: Uint8Array;
  private readonly view: DataView;
  private readonly verdictView: Uint32Array;
  /** Offsets and lengths of the next burst's packets in their source buffer. */
  readonly offs: Uint32Array;
  readonly lens: Uint32Array;
  private staging: Uint8Array;
  private freed = false;
  /** Fragment lists (capacity × struct sluice_xdp_frags) and their pages; allocated on the first multi-buffer burst. */
  private frags: { lists: bigint; pool: bigint; poolSize: number; memory: Uint8Array; view: DataView } | undefined;

  constructor(readonly capacity: number) {
    const size = 64 + capacity * (XDP_BUFF_SIZE + 4) + 64 + capacity * FRAME_SIZE;
    this.base = koffi.alloc('uint8_t', size) as bigint;
    this.memory = new Uint8Array(koffi.view(this.base, size) as ArrayBuffer);
    this.view = new DataView(this.memory.buffer);
    this.buffs = (this.base + 63n) & ~63n;
    this.verdicts = this.buffs + BigInt(capacity * XDP_BUFF_SIZE);
    this.frames = (this.verdicts + BigInt(capacity * 4) + 63n) & ~63n;
    this.verdictView = new Uint32Array(this.memory.buffer, Number(this.verdicts - this.base), capacity);
    this.offs = new Uint32Array(capacity);
    this.lens = new Uint32Array(capacity);
    this.staging = new Uint8Array(capacity * 128);
  }

  /**
   * Fills buffers 0..n-1 from `src` (packet i at offs[i], lens[i] bytes) and, with
   * an entry, runs the burst on it; with entry 0n it only fills (the interpreter runs it).
   */
  fillFrom(src: Uint8Array, n: number, meta: FrameMeta, entry: bigint): void {
    this.live();
    if (n > this.capacity) throw new RangeError(`a burst of ${n} packets does not fit an arena of ${this.capacity}`);
    let pages = 0;
    for (let i = 0; i < n; i++) {
      const len = this.lens[i]!;
      if (len <= MAX_PACKET) continue;
      if (len > MAX_MULTIBUFFER_PACKET) {
        throw new OversizedPacketError(`packet ${i} has ${len} bytes; a frame takes at most ${MAX_MULTIBUFFER_PACKET} ` +
          `(${MAX_PACKET} linear and ${MAX_FRAGS} fragments of ${FRAG_SIZE}; the kernel's test run fails with ENOMEM)`);
      }
      pages += Math.ceil((len - MAX_PACKET) / FRAG_SIZE);
    }
    const ifindex = meta.ifindex ?? 1, rxQueue = meta.rxQueue ?? 0;
    if (pages === 0) {
      burstFillBinding()(entry, this.buffs, this.verdicts, this.frames, FRAME_SIZE, src, this.offs, this.lens, n, ifindex, rxQueue);
      return;
    }
    const frags = this.fragMemory(pages * FRAG_SIZE);
    if (!burstFillFragsBinding()(entry, this.buffs, this.verdicts, this.frames, FRAME_SIZE, src, this.offs, this.lens, n,
      ifindex, rxQueue, frags.lists, frags.pool, frags.poolSize)) {
      throw new OversizedPacketError(`filling ${n} multi-buffer frames failed (${pages} fragment pages in a pool of ${frags.poolSize} bytes)`);
    }
  }

  /** The fragment lists and a pool of at least `bytes`, grown (and so moved) when too small. */
  private fragMemory(bytes: number): NonNullable<FrameArena['frags']> {
    if (this.frags && this.frags.poolSize >= bytes) return this.frags;
    if (this.frags) koffi.free(this.frags.lists);
    const listBytes = this.capacity * FRAGS_SIZE;
    const poolSize = Math.max(bytes, this.frags ? this.frags.poolSize * 2 : 0);
    const lists = koffi.alloc('uint8_t', listBytes + 64 + poolSize) as bigint;
    const pool = (lists + BigInt(listBytes) + 63n) & ~63n;
    const memory = new Uint8Array(koffi.view(lists, listBytes + 64 + poolSize) as ArrayBuffer);
    this.frags = { lists, pool, poolSize, memory, view: new DataView(memory.buffer) };
    return this.frags;
  }

  /** Fills from separate packets: they are gathered into one staging buffer first. */
  fill(packets: readonly Uint8Array[], meta: FrameMeta, entry: bigint): void {
    let total = 0;
    packets.forEach((p) => { total += p.length; });
    if (this.staging.length < total) this.staging = new Uint8Array(total * 2);
    let at = 0;
    packets.forEach((p, i) => {
      this.staging.set(p, at);
      this.offs[i] = at;
      this.lens[i] = p.length;
      at += p.length;
    });
    this.fillFrom(this.staging, packets.length, meta, entry);
  }

  verdict(i: number): number { return this.verdictView[i]!; }

  /**
   * Packet i as the program left it (data to data_end): a view, valid until the next burst.
   * A multi-buffer frame comes back whole (the linear part, then its fragments) as a copy.
   */
  packet(i: number): Uint8Array {
    const b = Number(this.buffs - this.base) + i * XDP_BUFF_SIZE;
    const data = Number(this.view.getBigUint64(b, true) - this.base);
    const end = Number(this.view.getBigUint64(b + 8, true) - this.base);
    const linear = this.memory.subarray(data, end);
    const list = this.view.getBigUint64(b + 56, true);
    if (list === 0n || !this.frags) return linear;
    const f = this.frags;
    const at = Number(list - f.lists);
    const nr = f.view.getUint32(at, true);
    if (nr === 0) return linear;
    const out = new Uint8Array(linear.length + f.view.getUint32(at + 4, true));
    out.set(linear);
    let to = linear.length;
    for (let k = 0; k < nr; k++) {
      const from = Number(f.view.getBigUint64(at + 8 + k * 16, true) - f.lists);
      const len = f.view.getUint32(at + 16 + k * 16, true);
      out.set(f.memory.subarray(from, from + len), to);
      to += len;
    }
    return out;
  }

  /** Bytes in packet i's fragments (0: a linear frame). */
  fragmentBytes(i: number): number {
    const list = this.view.getBigUint64(Number(this.buffs - this.base) + i * XDP_BUFF_SIZE + 56, true);
    if (list === 0n || !this.frags) return 0;
    return this.frags.view.getUint32(Number(list - this.frags.lists) + 4, true);
  }

  /** ctx->egress_ifindex after the burst: the redirect target of a REDIRECT verdict. */
  egressIfindex(i: number): number {
    return this.view.getUint32(Number(this.buffs - this.base) + i * XDP_BUFF_SIZE + 48, true);
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    koffi.free(this.base);
    if (this.frags) koffi.free(this.frags.lists);
    this.frags = undefined;
  }

  private live(): void {
    if (this.freed) throw new Error('FrameArena used after free()');
  }
}
