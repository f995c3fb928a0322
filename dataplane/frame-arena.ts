// Native memory for bursts: n xdp_buffs, n verdicts and n frames at stable
// addresses, filled and run by one FFI call per burst (sluice_burst_fill_run in
// dataplane/shim/burst_fill.c). After a burst, verdicts and the packets as the
// program left them are read through views of that memory: no copies, and
// nothing crosses the FFI per packet.
import koffi from 'koffi';
import { XDP_BUFF_SIZE } from '../jit/x86/compile.ts';
import { burstFillBinding } from './ffi.ts';

/** Bytes per frame: 256 of headroom, the packet, tailroom (a packet may grow to 3520 bytes, as in the kernel's test run). */
export const FRAME_SIZE = 4096;
export const XDP_HEADROOM = 256;
/** The largest packet a frame takes as input. */
export const MAX_PACKET = FRAME_SIZE - XDP_HEADROOM - 320;

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
    burstFillBinding()(entry, this.buffs, this.verdicts, this.frames, FRAME_SIZE, src, this.offs, this.lens, n,
      meta.ifindex ?? 1, meta.rxQueue ?? 0);
  }

  /** Fills from separate packets: they are gathered into one staging buffer first. */
  fill(packets: readonly Uint8Array[], meta: FrameMeta, entry: bigint): void {
    let total = 0;
    packets.forEach((p, i) => {
      if (p.length > MAX_PACKET) throw new RangeError(`packet ${i} has ${p.length} bytes; a frame takes at most ${MAX_PACKET}`);
      total += p.length;
    });
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

  /** Packet i as the program left it (data to data_end): a view, valid until the next burst. */
  packet(i: number): Uint8Array {
    const b = Number(this.buffs - this.base) + i * XDP_BUFF_SIZE;
    const data = Number(this.view.getBigUint64(b, true) - this.base);
    const end = Number(this.view.getBigUint64(b + 8, true) - this.base);
    return this.memory.subarray(data, end);
  }

  /** ctx->egress_ifindex after the burst: the redirect target of a REDIRECT verdict. */
  egressIfindex(i: number): number {
    return this.view.getUint32(Number(this.buffs - this.base) + i * XDP_BUFF_SIZE + 48, true);
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    koffi.free(this.base);
  }

  private live(): void {
    if (this.freed) throw new Error('FrameArena used after free()');
  }
}
