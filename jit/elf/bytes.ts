// Bounded little-endian reads over a slice of the object file. Every read checks
// its range first and throws an ElfError naming the region (a section, the ELF
// header, a table) and the byte offset, so malformed input never surfaces as a
// RangeError from DataView.
import { SluiceError } from '../errors.ts';

/** The object file is not a well-formed ELF64 little-endian BPF relocatable. */
export class ElfError extends SluiceError {}

export class Bytes {
  private readonly view: DataView;

  /**
   * @param bytes the whole file (offsets in errors are relative to `base` in it)
   * @param where the region's name for error messages, e.g. "section '.BTF'"
   * @param base file offset of the region, added to offsets in messages
   */
  constructor(readonly bytes: Uint8Array, readonly where: string, readonly base = 0) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number { return this.bytes.length; }

  /** Throws unless [offset, offset+size) lies inside the region. */
  check(offset: number, size: number, what: string): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0 ||
      offset + size > this.bytes.length) {
      throw new ElfError(`${this.where}: ${what} at offset ${offset} (${size} bytes) runs past the end ` +
        `(${this.bytes.length} bytes)${this.base ? ` [file offset ${this.base + offset}]` : ''}`);
    }
  }

  u8(offset: number, what = 'byte'): number { this.check(offset, 1, what); return this.view.getUint8(offset); }
  u16(offset: number, what = 'u16'): number { this.check(offset, 2, what); return this.view.getUint16(offset, true); }
  u32(offset: number, what = 'u32'): number { this.check(offset, 4, what); return this.view.getUint32(offset, true); }
  i32(offset: number, what = 'i32'): number { this.check(offset, 4, what); return this.view.getInt32(offset, true); }

  /** A u64 that must fit a JavaScript number (offsets and sizes always do in a sane file). */
  u64(offset: number, what = 'u64'): number {
    this.check(offset, 8, what);
    const v = this.view.getBigUint64(offset, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ElfError(`${this.where}: ${what} at offset ${offset} is too large (${v})`);
    }
    return Number(v);
  }

  /** A sub-region, bounds-checked, sharing the same memory. */
  slice(offset: number, size: number, where: string): Bytes {
    this.check(offset, size, where);
    return new Bytes(this.bytes.subarray(offset, offset + size), where, this.base + offset);
  }

  /** The NUL-terminated string at offset (a string table entry). */
  cstring(offset: number, what = 'string'): string {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.bytes.length) {
      throw new ElfError(`${this.where}: ${what} offset ${offset} is outside the string table (${this.bytes.length} bytes)`);
    }
    const end = this.bytes.indexOf(0, offset);
    if (end < 0) throw new ElfError(`${this.where}: ${what} at offset ${offset} is not NUL-terminated`);
    return decoder.decode(this.bytes.subarray(offset, end));
  }
}

const decoder = new TextDecoder('utf-8');
