// The part of capture parsing both formats share: a window over the file's
// bytes that the reader refills, and the limits that keep a corrupt length
// field from turning into a huge allocation.
//
// A decoder parses from `pos` in `bytes`. When the next record is not wholly
// in the window it returns MORE and sets `needed` (bytes from `pos`); the
// streaming reader then reads more of the file into a fresh buffer and calls
// again. At the end of the file (`eof`) a partial record is an error instead.
import { CaptureError, type CaptureWarning } from './capture-error.ts';
import { linkTypeName } from './linktype.ts';
import { CaptureRecord, NO_CLOCK, type CaptureInterface, type Clock } from './record.ts';

/** libpcap's MAXIMUM_SNAPLEN: the largest caplen it accepts for Ethernet, and ours. */
export const MAX_SNAPLEN = 262_144;
/** The largest pcapng block we accept (libpcap grows its buffer to 16 MiB at most). */
export const MAX_BLOCK = 16 * 1024 * 1024;
/** Warnings kept on the reader; further ones are only counted. */
const MAX_WARNINGS = 100;

export const MORE = Symbol('need more bytes');
export type Step = CaptureRecord | null | typeof MORE;

/** What step() found: the end of the file, a frame (see Decoder's frame fields), or a need for more bytes. */
export const END = 0;
export const FRAME = 1;
export const NEED = 2;
export type Status = typeof END | typeof FRAME | typeof NEED;

export type CaptureFormat = 'pcap' | 'pcapng';
export type ByteOrder = 'le' | 'be';

export interface DecodeOptions {
  /** Refuse frames from interfaces of any other link type (e.g. LinkType.ETHERNET). Default: accept all. */
  linkType?: number;
  /** Called for each warning as it happens (they are also kept on the reader). */
  onWarning?: (warning: CaptureWarning) => void;
}

export abstract class Decoder {
  abstract readonly format: CaptureFormat;
  bytes: Uint8Array = new Uint8Array(0);
  view: DataView = new DataView(this.bytes.buffer);
  /** Parse position in `bytes`. */
  pos = 0;
  /** File offset of bytes[0]. */
  base = 0;
  eof = false;
  /** After MORE: how many bytes from `pos` the next step needs. */
  needed = 0;
  /** Frames read so far. */
  frames = 0;
  readonly warnings: CaptureWarning[] = [];
  warningCount = 0;
  /** Interfaces of the current section (pcap: the one from the header). */
  interfaces: CaptureInterface[] = [];
  byteOrder: ByteOrder = 'le';

  constructor(protected readonly options: DecodeOptions) {}

  /** Points the decoder at a new window: `bytes[0]` is file offset `base`, parsing resumes at `pos`. */
  setWindow(bytes: Uint8Array, base: number, pos: number, eof: boolean): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.base = base;
    this.pos = pos;
    this.eof = eof;
  }

  // The frame step() found last, as plain numbers so a burst reader can copy
  // them without allocating: its bytes are bytes[dataAt, dataAt + caplen).
  dataAt = 0;
  caplen = 0;
  origLen = 0;
  ifaceId = 0;
  linkType = 1;
  /** File offset of the frame's record (pcap) or block (pcapng). */
  recordAt = 0;
  clock: Clock = NO_CLOCK;
  tsHigh = 0;
  tsLow = 0;

  /** Parses the file header; false if the window is too short (then `needed` says how much). */
  abstract header(): boolean;
  /** Parses the next frame into the fields above (FRAME), or finds the end (END), or asks for bytes (NEED). */
  abstract step(): Status;

  /** The next frame as a record, null at a clean end of file, or MORE. */
  next(): Step {
    const status = this.step();
    if (status === FRAME) return this.record();
    return status === END ? null : MORE;
  }

  /** The frame step() found last, as a record viewing the window's bytes. */
  record(): CaptureRecord {
    return new CaptureRecord(
      new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + this.dataAt, this.caplen),
      this.origLen, this.ifaceId, this.linkType, this.frames, this.recordAt, this.clock, this.tsHigh, this.tsLow,
    );
  }

  get available(): number { return this.bytes.length - this.pos; }

  /** Either asks for more bytes or, at end of file, reports what was cut short. */
  protected more(needed: number, what: string, record: number): typeof NEED {
    if (this.eof) {
      throw this.error(`truncated ${what}: needs ${needed} bytes, the file ends after ${this.available}`, record);
    }
    this.needed = needed;
    return NEED;
  }

  error(message: string, record = this.frames + 1, offset = this.base + this.pos): CaptureError {
    return new CaptureError(message, record, offset);
  }

  warn(message: string, offset = this.base + this.pos): void {
    const warning = { record: this.frames + 1, offset, message };
    this.warningCount++;
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(warning);
    this.options.onWarning?.(warning);
  }

  /** Enforces DecodeOptions.linkType for a frame from `iface`. */
  protected checkLinkType(iface: CaptureInterface): void {
    const wanted = this.options.linkType;
    if (wanted !== undefined && iface.linkType !== wanted) {
      throw this.error(
        `link type ${linkTypeName(iface.linkType)} on interface ${iface.id} is not supported here; ` +
          `expected ${linkTypeName(wanted)}`,
      );
    }
  }
}
