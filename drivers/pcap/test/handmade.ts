// Capture files assembled byte by byte from the format specifications
// (pcap-savefile(5), draft-ietf-opsawg-pcapng), independently of writer.ts,
// so reader tests do not check the reader against itself.

export class Bytes {
  private out: number[] = [];
  constructor(readonly le: boolean) {}
  get length(): number { return this.out.length; }
  u8(v: number): this { this.out.push(v & 0xff); return this; }
  u16(v: number): this {
    const b = [v & 0xff, (v >> 8) & 0xff];
    this.out.push(...(this.le ? b : b.reverse()));
    return this;
  }
  u32(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    this.out.push(...(this.le ? b : b.reverse()));
    return this;
  }
  raw(bytes: ArrayLike<number>): this { this.out.push(...Array.from(bytes)); return this; }
  pad4(): this { while (this.out.length % 4) this.out.push(0); return this; }
  bytes(): Uint8Array { return Uint8Array.from(this.out); }
}

/** A frame whose bytes say which frame it is: byte i = (seed + i) & 0xff. */
export function frame(seed: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed + i) & 0xff);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export function pcapHeader(le: boolean, magic: number, snaplen = 65535, linkType = 1): Uint8Array {
  return new Bytes(le).u32(magic).u16(2).u16(4).u32(0).u32(0).u32(snaplen).u32(linkType).bytes();
}

export function pcapRecord(le: boolean, sec: number, frac: number, data: Uint8Array, origLen = data.length, caplen = data.length): Uint8Array {
  return new Bytes(le).u32(sec).u32(frac).u32(caplen).u32(origLen).raw(data).bytes();
}

/** A pcapng block: type, total length, body (padded to 4), total length. */
export function block(le: boolean, type: number, body: Uint8Array, lengthOverride?: number, trailerOverride?: number): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const total = 12 + padded;
  const b = new Bytes(le).u32(type).u32(lengthOverride ?? total).raw(body);
  b.pad4();
  return b.u32(trailerOverride ?? total).bytes();
}

export function shb(le: boolean): Uint8Array {
  // byte-order magic, version 1.0, section length -1 (unknown), no options
  return block(le, 0x0a0d0d0a, new Bytes(le).u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff).bytes());
}

export interface IdbOptions { linkType?: number; snaplen?: number; tsresol?: number; tsoffset?: number; name?: string }

export function idb(le: boolean, o: IdbOptions = {}): Uint8Array {
  const b = new Bytes(le).u16(o.linkType ?? 1).u16(0).u32(o.snaplen ?? 0);
  if (o.name !== undefined) {
    const text = new TextEncoder().encode(o.name);
    b.u16(2).u16(text.length).raw(text).pad4();
  }
  if (o.tsresol !== undefined) b.u16(9).u16(1).u8(o.tsresol).pad4();
  if (o.tsoffset !== undefined) {
    b.u16(14).u16(8);
    // a signed 64-bit count of seconds, small and positive here
    if (le) b.u32(o.tsoffset).u32(0); else b.u32(0).u32(o.tsoffset);
  }
  b.u16(0).u16(0);
  return block(le, 1, b.bytes());
}

export function epb(le: boolean, iface: number, tsHigh: number, tsLow: number, data: Uint8Array, origLen = data.length, caplen = data.length): Uint8Array {
  return block(le, 6, new Bytes(le).u32(iface).u32(tsHigh).u32(tsLow).u32(caplen).u32(origLen).raw(data).pad4().bytes());
}

export function spb(le: boolean, data: Uint8Array, origLen = data.length): Uint8Array {
  return block(le, 3, new Bytes(le).u32(origLen).raw(data).pad4().bytes());
}
