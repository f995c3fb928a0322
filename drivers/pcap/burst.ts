// Frames in bursts without a per-frame allocation: a FrameBurst holds the
// numbers of up to `capacity` frames (where each starts in `bytes`, caplen,
// original length, interface, timestamp words) in typed arrays that are
// refilled in place. This is the shape a driver wants: it copies each frame
// from bytes[offset[i], offset[i] + caplen[i]) into its own buffers.
import { Decoder, FRAME, type Status } from './decoder.ts';
import { NO_CLOCK, type Clock } from './record.ts';

export class FrameBurst {
  /** The buffer every frame of this burst lies in (valid until the caller drops it; never reused). */
  bytes: Uint8Array = new Uint8Array(0);
  /** Frames filled by the last read. */
  count = 0;
  /** Index in `bytes` of each frame's first byte. */
  readonly offset: Uint32Array;
  readonly caplen: Uint32Array;
  readonly origLen: Uint32Array;
  readonly interfaceId: Uint32Array;
  /** 1-based frame number in the file. */
  readonly frame: Float64Array;
  /** Byte offset in the file of each frame's record or block. */
  readonly fileOffset: Float64Array;
  readonly tsHigh: Uint32Array;
  readonly tsLow: Uint32Array;
  readonly linkType: Uint32Array;
  private readonly clocks: Clock[];

  constructor(readonly capacity = 256) {
    this.offset = new Uint32Array(capacity);
    this.caplen = new Uint32Array(capacity);
    this.origLen = new Uint32Array(capacity);
    this.interfaceId = new Uint32Array(capacity);
    this.frame = new Float64Array(capacity);
    this.fileOffset = new Float64Array(capacity);
    this.tsHigh = new Uint32Array(capacity);
    this.tsLow = new Uint32Array(capacity);
    this.linkType = new Uint32Array(capacity);
    this.clocks = new Array<Clock>(capacity).fill(NO_CLOCK);
  }

  /** Frame i's bytes (a view: this allocates, the typed arrays do not). */
  data(i: number): Uint8Array {
    return this.bytes.subarray(this.offset[i]!, this.offset[i]! + this.caplen[i]!);
  }

  /** Frame i's timestamp in nanoseconds since the epoch. */
  timestamp(i: number): bigint {
    return this.clocks[i]!.nanos(this.tsHigh[i]!, this.tsLow[i]!);
  }

  /**
   * Steps the decoder until the burst is full or it stops with another status,
   * which is returned (FRAME when full). Frames already filled stay filled if
   * step() throws.
   */
  fill(d: Decoder): Status {
    this.bytes = d.bytes;
    let n = this.count;
    let status: Status = FRAME;
    try {
      while (n < this.capacity) {
        status = d.step();
        if (status !== FRAME) break;
        this.offset[n] = d.dataAt;
        this.caplen[n] = d.caplen;
        this.origLen[n] = d.origLen;
        this.interfaceId[n] = d.ifaceId;
        this.frame[n] = d.frames;
        this.fileOffset[n] = d.recordAt;
        this.tsHigh[n] = d.tsHigh;
        this.tsLow[n] = d.tsLow;
        this.linkType[n] = d.linkType;
        this.clocks[n] = d.clock;
        n++;
      }
    } finally {
      this.count = n;
    }
    return status;
  }
}
