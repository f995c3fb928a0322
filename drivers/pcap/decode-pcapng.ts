// pcapng (draft-ietf-opsawg-pcapng): a file is a sequence of sections, each a
// section header block (SHB, which fixes the byte order) followed by interface
// description blocks (IDB) and packet blocks that refer to those interfaces.
// Every block is: type u32, total length u32, body, total length u32 again.
// Blocks we do not need (name resolution, statistics, custom, ...) are skipped.
import { Decoder, END, FRAME, MAX_BLOCK, MAX_SNAPLEN, NEED, type Status } from './decoder.ts';
import { MICROSECONDS, NO_CLOCK, UnitsClock, type CaptureInterface, type Clock, type Resolution } from './record.ts';

export const BLOCK_SHB = 0x0a0d0d0a;
export const BLOCK_IDB = 0x00000001;
export const BLOCK_OPB = 0x00000002; // obsolete packet block, still written by old tools
export const BLOCK_SPB = 0x00000003;
export const BLOCK_EPB = 0x00000006;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export const OPT_END = 0;
export const OPT_IF_NAME = 2;
export const OPT_IF_DESCRIPTION = 3;
export const OPT_IF_TSRESOL = 9;
export const OPT_IF_TSOFFSET = 14;

const pad4 = (n: number): number => (n + 3) & ~3;

export class PcapngDecoder extends Decoder {
  readonly format = 'pcapng' as const;
  private le = true;
  private clocks: Clock[] = [];
  sections = 0;
  version = '1.0';

  header(): boolean {
    if (this.available < 12) { this.more(12, 'section header block', 0); return false; }
    if (this.view.getUint32(this.pos, true) !== BLOCK_SHB) {
      throw this.error('bad magic: a pcapng file starts with a section header block', 0, 0);
    }
    return this.block(0) !== NEED;
  }

  step(): Status {
    for (;;) {
      const status = this.block(this.frames + 1);
      if (status !== undefined) return status;
    }
  }

  /** Consumes one block: FRAME, END, NEED, or undefined for a block that holds no frame. */
  private block(record: number): Status | undefined {
    const avail = this.bytes.length - this.pos;
    if (avail === 0) {
      if (this.eof) return END;
      this.needed = 12;
      return NEED;
    }
    if (avail < 12) return this.more(12, 'block header', record);
    const v = this.view;
    const p = this.pos;
    const type = v.getUint32(p, this.le);
    if (type === BLOCK_SHB) {
      // The SHB's type reads the same in both orders; its byte-order magic decides.
      const bom = v.getUint32(p + 8, true);
      if (bom === BYTE_ORDER_MAGIC) this.le = true;
      else if (bom === 0x4d3c2b1a) this.le = false;
      else throw this.error(`bad byte-order magic 0x${bom.toString(16)} in section header block`, record);
    }
    const le = this.le;
    const length = v.getUint32(p + 4, le);
    if (length < 12 || length % 4 !== 0 || length > MAX_BLOCK) {
      throw this.error(`bad block length ${length} in block type 0x${type.toString(16)} ` +
        `(must be a multiple of 4, at least 12 and at most ${MAX_BLOCK})`, record);
    }
    if (avail < length) return this.more(length, `block (type 0x${type.toString(16)})`, record);
    const trailer = v.getUint32(p + length - 4, le);
    if (trailer !== length) {
      throw this.error(`block length mismatch in block type 0x${type.toString(16)}: ${length} at the start, ${trailer} at the end`, record);
    }
    let result: Status | undefined;
    switch (type) {
      case BLOCK_SHB: this.section(p, length, record); break;
      case BLOCK_IDB: this.interfaceBlock(p, length, record); break;
      case BLOCK_EPB: result = this.packet(p, length, v.getUint32(p + 8, le), 28); break;
      case BLOCK_OPB: result = this.packet(p, length, v.getUint16(p + 8, le), 28); break;
      case BLOCK_SPB: result = this.simplePacket(p, length); break;
      default: break; // a block we do not need: skipped
    }
    this.pos = p + length;
    return result;
  }

  private section(p: number, length: number, record: number): void {
    if (length < 28) throw this.error(`section header block too short (${length} bytes)`, record);
    const major = this.view.getUint16(p + 12, this.le);
    const minor = this.view.getUint16(p + 14, this.le);
    if (major !== 1) throw this.error(`unsupported pcapng version ${major}.${minor} (expected 1.x)`, record);
    this.version = `${major}.${minor}`;
    this.byteOrder = this.le ? 'le' : 'be';
    this.sections++;
    // Interface ids are per section.
    this.interfaces = [];
    this.clocks = [];
  }

  private interfaceBlock(p: number, length: number, record: number): void {
    if (length < 20) throw this.error(`interface description block too short (${length} bytes)`, record);
    const v = this.view;
    const le = this.le;
    const iface: CaptureInterface = {
      id: this.interfaces.length,
      linkType: v.getUint16(p + 8, le),
      snaplen: v.getUint32(p + 12, le),
      resolution: MICROSECONDS,
      tsOffset: 0n,
    };
    this.options16(p + 16, p + length - 4, record, (code, at, len) => {
      if (code === OPT_IF_TSRESOL && len >= 1) iface.resolution = tsresol(this.bytes[at]!);
      else if (code === OPT_IF_TSOFFSET && len >= 8) iface.tsOffset = v.getBigInt64(at, le);
      else if (code === OPT_IF_NAME) iface.name = utf8(this.bytes.subarray(at, at + len));
      else if (code === OPT_IF_DESCRIPTION) iface.description = utf8(this.bytes.subarray(at, at + len));
    });
    if (iface.resolution.base === 10 && iface.resolution.exponent > 18) {
      throw this.error(`if_tsresol 10^-${iface.resolution.exponent} is finer than we can hold`, record);
    }
    this.interfaces.push(iface);
    this.clocks.push(new UnitsClock(iface.resolution, iface.tsOffset));
  }

  /** Walks options (code u16, length u16, value padded to 4) from `at` to `end`. */
  private options16(at: number, end: number, record: number, visit: (code: number, at: number, len: number) => void): void {
    while (at + 4 <= end) {
      const code = this.view.getUint16(at, this.le);
      const len = this.view.getUint16(at + 2, this.le);
      if (code === OPT_END) return;
      if (at + 4 + len > end) throw this.error(`option ${code} (${len} bytes) runs past the end of its block`, record);
      visit(code, at + 4, len);
      at += 4 + pad4(len);
    }
  }

  /** Enhanced (and obsolete) packet blocks: interface, timestamp, caplen, origlen, data at `dataAt`. */
  private packet(p: number, length: number, ifaceId: number, dataAt: number): Status {
    const v = this.view;
    const le = this.le;
    const iface = this.interfaces[ifaceId];
    if (iface === undefined) {
      throw this.error(`packet block refers to interface ${ifaceId}, but the section has ${this.interfaces.length}`);
    }
    if (this.options.linkType !== undefined) this.checkLinkType(iface);
    const caplen = v.getUint32(p + 20, le);
    if (caplen > MAX_SNAPLEN) throw this.error(`caplen ${caplen} is larger than the maximum ${MAX_SNAPLEN}`);
    if (dataAt + pad4(caplen) + 4 > length) {
      throw this.error(`caplen ${caplen} does not fit in a block of ${length} bytes`);
    }
    this.dataAt = p + dataAt;
    this.caplen = this.snap(caplen, iface);
    this.origLen = v.getUint32(p + 24, le);
    this.ifaceId = ifaceId;
    this.linkType = iface.linkType;
    this.clock = this.clocks[ifaceId]!;
    this.tsHigh = v.getUint32(p + 12, le);
    this.tsLow = v.getUint32(p + 16, le);
    this.recordAt = this.base + p;
    this.frames++;
    return FRAME;
  }

  /** Simple packet blocks: interface 0, no timestamp, caplen = min(origlen, snaplen, what the block holds). */
  private simplePacket(p: number, length: number): Status {
    const iface = this.interfaces[0];
    if (iface === undefined) throw this.error('simple packet block in a section with no interface');
    if (length < 16) throw this.error(`simple packet block too short (${length} bytes)`);
    if (this.options.linkType !== undefined) this.checkLinkType(iface);
    const origLen = this.view.getUint32(p + 8, this.le);
    let caplen = Math.min(origLen, length - 16);
    if (iface.snaplen !== 0) caplen = Math.min(caplen, iface.snaplen);
    this.dataAt = p + 12;
    this.caplen = caplen;
    this.origLen = origLen;
    this.ifaceId = 0;
    this.linkType = iface.linkType;
    this.clock = NO_CLOCK;
    this.tsHigh = 0;
    this.tsLow = 0;
    this.recordAt = this.base + p;
    this.frames++;
    return FRAME;
  }

  /** caplen above the interface's snaplen: keep snaplen bytes, as libpcap's pcapng reader does. */
  private snap(caplen: number, iface: CaptureInterface): number {
    if (iface.snaplen === 0 || caplen <= iface.snaplen) return caplen;
    this.warn(`caplen ${caplen} is larger than interface ${iface.id}'s snaplen ${iface.snaplen}; kept the first ${iface.snaplen} bytes as libpcap does`);
    return iface.snaplen;
  }
}

/** if_tsresol: high bit clear → 10^-n seconds, set → 2^-n seconds. */
function tsresol(value: number): Resolution {
  return value & 0x80 ? { base: 2, exponent: value & 0x7f } : { base: 10, exponent: value };
}

const decoder = new TextDecoder();
function utf8(bytes: Uint8Array): string {
  return decoder.decode(bytes).replace(/\0+$/, '');
}
