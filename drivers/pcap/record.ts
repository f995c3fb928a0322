// What a reader yields: one captured frame, plus the interface it came from.
//
// A record's bytes are a view (subarray) into the buffer the reader read the
// file into; the reader never reuses a buffer, so a view stays valid for as
// long as the caller keeps it. Timestamps are computed only when asked for:
// a bigint per frame costs more than the rest of the parse.

/** How a capture counts time: 10^-exponent or 2^-exponent seconds per unit. */
export interface Resolution {
  base: 10 | 2;
  exponent: number;
}

export const MICROSECONDS: Resolution = { base: 10, exponent: 6 };
export const NANOSECONDS: Resolution = { base: 10, exponent: 9 };

/** One capture interface: the pcap header, or a pcapng interface description block. */
export interface CaptureInterface {
  /** Index in its section (pcapng interface id); 0 for pcap. */
  id: number;
  /** LINKTYPE_ value (see linktype.ts). */
  linkType: number;
  /** Snap length as written in the file (0 in pcapng means "no limit"). */
  snaplen: number;
  resolution: Resolution;
  /** pcapng if_tsoffset: seconds added to every timestamp (usually 0). */
  tsOffset: bigint;
  name?: string;
  description?: string;
}

/** Turns the two 32-bit timestamp words of a record into nanoseconds since the epoch. */
export interface Clock {
  nanos(high: number, low: number): bigint;
}

/** Classic pcap: seconds and a fraction in micro- or nanoseconds. */
export class SecondsClock implements Clock {
  private readonly scale: bigint;
  constructor(nanosPerUnit: number) { this.scale = BigInt(nanosPerUnit); }
  nanos(seconds: number, fraction: number): bigint {
    return BigInt(seconds) * 1_000_000_000n + BigInt(fraction) * this.scale;
  }
}

/** pcapng: one 64-bit count of units (if_tsresol) plus if_tsoffset seconds. */
export class UnitsClock implements Clock {
  constructor(private readonly resolution: Resolution, private readonly offsetSeconds: bigint) {}
  nanos(high: number, low: number): bigint {
    const units = (BigInt(high) << 32n) | BigInt(low);
    return unitsToNanos(units, this.resolution) + this.offsetSeconds * 1_000_000_000n;
  }
}

/** Simple packet blocks carry no timestamp: they read as 0. */
export const NO_CLOCK: Clock = { nanos: () => 0n };

/** Converts a count of `resolution` units to nanoseconds (rounding down below 1 ns). */
export function unitsToNanos(units: bigint, resolution: Resolution): bigint {
  if (resolution.base === 2) return (units * 1_000_000_000n) >> BigInt(resolution.exponent);
  const e = resolution.exponent;
  return e <= 9 ? units * 10n ** BigInt(9 - e) : units / 10n ** BigInt(e - 9);
}

/** Converts nanoseconds to a count of `resolution` units (rounding down). */
export function nanosToUnits(nanos: bigint, resolution: Resolution): bigint {
  if (resolution.base === 2) return (nanos << BigInt(resolution.exponent)) / 1_000_000_000n;
  const e = resolution.exponent;
  return e <= 9 ? nanos / 10n ** BigInt(9 - e) : nanos * 10n ** BigInt(e - 9);
}

export class CaptureRecord {
  constructor(
    /** The captured bytes (caplen = data.length), a view into the reader's buffer. */
    readonly data: Uint8Array,
    /** The frame's length on the wire; larger than data.length when the capture truncated it. */
    readonly origLen: number,
    /** The pcapng interface id (0 for pcap). */
    readonly interfaceId: number,
    /** LINKTYPE_ of the interface. */
    readonly linkType: number,
    /** 1-based frame number in the file. */
    readonly frame: number,
    /** Byte offset in the file of the record header (pcap) or block (pcapng). */
    readonly offset: number,
    private readonly clock: Clock,
    private readonly tsHigh: number,
    private readonly tsLow: number,
  ) {}

  /** Nanoseconds since the Unix epoch. */
  get timestamp(): bigint { return this.clock.nanos(this.tsHigh, this.tsLow); }

  get caplen(): number { return this.data.length; }

  /** True when the capture kept fewer bytes than the frame had on the wire. */
  get truncated(): boolean { return this.data.length < this.origLen; }
}
