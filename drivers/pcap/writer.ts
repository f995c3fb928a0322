// Writing captures: classic pcap (either byte order, micro- or nanosecond
// timestamps) and pcapng (one section, any number of interfaces, enhanced
// packet blocks). Records are encoded into a buffer that is handed to a sink
// whenever it fills, so a writer streams: memory use does not grow with the
// number of frames.
import { closeSync, openSync, writeSync } from 'node:fs';
import { CaptureError } from './capture-error.ts';
import { MAX_SNAPLEN } from './decoder.ts';
import { PCAP_MAGIC_NS, PCAP_MAGIC_US } from './decode-pcap.ts';
import {
  BLOCK_EPB, BLOCK_IDB, BLOCK_SHB, BYTE_ORDER_MAGIC, OPT_IF_NAME, OPT_IF_TSRESOL,
} from './decode-pcapng.ts';
import { LinkType } from './linktype.ts';

export interface InterfaceOptions {
  /** LINKTYPE_ value (default LinkType.ETHERNET). */
  linkType?: number;
  /** Frames longer than this are truncated as a capture would (default 262144; 0 = no limit, pcapng only). */
  snaplen?: number;
  /** Timestamp resolution written for this interface (default: the writer's). */
  resolution?: 'us' | 'ns';
  /** pcapng if_name. */
  name?: string;
}

export interface WriteOptions {
  /** Default 'pcap'. */
  format?: 'pcap' | 'pcapng';
  /** Timestamp resolution (default 'ns': timestamps are kept exactly). */
  resolution?: 'us' | 'ns';
  /** Default 'le' (what x86 tools write). */
  byteOrder?: 'le' | 'be';
  /** Link type of the file (pcap) or of the single default interface (pcapng). Default ETHERNET. */
  linkType?: number;
  /** Snap length (default 262144). */
  snaplen?: number;
  /** pcapng only: the interfaces, in id order (default: one, from linkType/snaplen/resolution). */
  interfaces?: InterfaceOptions[];
}

/** A frame to write; a CaptureRecord from a reader is one too. */
export interface FrameToWrite {
  /** The captured bytes. */
  data: Uint8Array;
  /** Length on the wire (default and minimum: data.length). */
  origLen?: number;
  /** Nanoseconds since the epoch (default 0). */
  timestamp?: bigint;
  /** pcapng interface id (default 0). */
  interfaceId?: number;
}

/** Where encoded bytes go; `write` must consume (or copy) the bytes before returning. */
export interface ByteSink {
  write(bytes: Uint8Array): void;
  close?(): void;
}

const BUFFER_SIZE = 1 << 20;
const pad4 = (n: number): number => (n + 3) & ~3;
const encoder = new TextEncoder();
const SCRATCH = new DataView(new ArrayBuffer(8));

interface Iface { linkType: number; snaplen: number; nanos: boolean }

export class CaptureWriter {
  private buf = new Uint8Array(BUFFER_SIZE);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private readonly le: boolean;
  private readonly pcapng: boolean;
  private readonly ifaces: Iface[];
  private closed = false;
  /** Frames written so far. */
  frames = 0;
  /** Bytes handed to the sink or waiting in the buffer. */
  bytes = 0;

  constructor(private readonly sink: ByteSink, options: WriteOptions = {}) {
    this.le = (options.byteOrder ?? 'le') === 'le';
    this.pcapng = (options.format ?? 'pcap') === 'pcapng';
    const nanos = (options.resolution ?? 'ns') === 'ns';
    const specs = options.interfaces ?? [{}];
    if (!this.pcapng && specs.length !== 1) throw new CaptureError('a pcap file has exactly one interface; use format pcapng', 0, 0);
    if (specs.length === 0) throw new CaptureError('a pcapng file needs at least one interface', 0, 0);
    this.ifaces = specs.map((s) => ({
      linkType: s.linkType ?? options.linkType ?? LinkType.ETHERNET,
      snaplen: s.snaplen ?? options.snaplen ?? MAX_SNAPLEN,
      nanos: s.resolution === undefined ? nanos : s.resolution === 'ns',
    }));
    if (this.pcapng) this.pcapngHeader(specs);
    else this.pcapHeader();
  }

  /** Appends one frame (bare bytes get timestamp 0 and interface 0). */
  write(frame: Uint8Array | FrameToWrite): void {
    if (this.closed) throw new CaptureError('write after close', this.frames + 1, this.bytes);
    const f: FrameToWrite = frame instanceof Uint8Array ? { data: frame } : frame;
    const ifaceId = f.interfaceId ?? 0;
    const iface = this.ifaces[ifaceId];
    if (iface === undefined) {
      throw new CaptureError(`interface ${ifaceId} does not exist (the file has ${this.ifaces.length})`, this.frames + 1, this.bytes);
    }
    let data = f.data;
    const origLen = Math.max(f.origLen ?? data.length, data.length);
    if (iface.snaplen !== 0 && data.length > iface.snaplen) data = data.subarray(0, iface.snaplen);
    const ts = f.timestamp ?? 0n;
    if (ts < 0n) throw new CaptureError(`negative timestamp ${ts}`, this.frames + 1, this.bytes);
    if (this.pcapng) this.enhancedPacket(data, origLen, ifaceId, ts, iface);
    else this.pcapRecord(data, origLen, ts, iface);
    this.frames++;
  }

  /** Hands buffered bytes to the sink. */
  flush(): void {
    if (this.pos === 0) return;
    this.sink.write(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.sink.close?.();
  }

  /** Makes room for n more bytes; returns the write position. */
  private reserve(n: number): number {
    if (this.pos + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) {
        this.buf = new Uint8Array(n);
        this.view = new DataView(this.buf.buffer);
      }
    }
    const at = this.pos;
    this.pos += n;
    this.bytes += n;
    return at;
  }

  private pcapHeader(): void {
    const iface = this.ifaces[0]!;
    const v = this.view;
    const p = this.reserve(24);
    v.setUint32(p, iface.nanos ? PCAP_MAGIC_NS : PCAP_MAGIC_US, this.le);
    v.setUint16(p + 4, 2, this.le);
    v.setUint16(p + 6, 4, this.le);
    v.setInt32(p + 8, 0, this.le); // thiszone: always 0 in practice
    v.setUint32(p + 12, 0, this.le); // sigfigs
    v.setUint32(p + 16, iface.snaplen, this.le);
    v.setUint32(p + 20, iface.linkType, this.le);
  }

  private pcapRecord(data: Uint8Array, origLen: number, ts: bigint, iface: Iface): void {
    const seconds = ts / 1_000_000_000n;
    if (seconds > 0xffffffffn) throw new CaptureError(`timestamp ${ts} ns does not fit in pcap's 32-bit seconds`, this.frames + 1, this.bytes);
    const fraction = ts % 1_000_000_000n;
    const p = this.reserve(16 + data.length);
    const v = this.view;
    v.setUint32(p, Number(seconds), this.le);
    v.setUint32(p + 4, Number(iface.nanos ? fraction : fraction / 1000n), this.le);
    v.setUint32(p + 8, data.length, this.le);
    v.setUint32(p + 12, origLen, this.le);
    this.buf.set(data, p + 16);
  }

  private pcapngHeader(specs: InterfaceOptions[]): void {
    const app = encoder.encode('sluice');
    const shbLength = 28 + 4 + pad4(app.length) + 4;
    let p = this.reserve(shbLength);
    const v = this.view;
    v.setUint32(p, BLOCK_SHB, this.le);
    v.setUint32(p + 4, shbLength, this.le);
    v.setUint32(p + 8, BYTE_ORDER_MAGIC, this.le);
    v.setUint16(p + 12, 1, this.le);
    v.setUint16(p + 14, 0, this.le);
    v.setBigInt64(p + 16, -1n, this.le); // section length not specified
    p = this.option(p + 24, 4, app); // shb_userappl
    v.setUint32(p, 0, this.le); // opt_endofopt
    v.setUint32(p + 4, shbLength, this.le);
    specs.forEach((spec, i) => {
      const iface = this.ifaces[i]!;
      const name = spec.name === undefined ? undefined : encoder.encode(spec.name);
      const length = 16 + 8 + (name ? 4 + pad4(name.length) : 0) + 4 + 4;
      let q = this.reserve(length);
      v.setUint32(q, BLOCK_IDB, this.le);
      v.setUint32(q + 4, length, this.le);
      v.setUint16(q + 8, iface.linkType, this.le);
      v.setUint16(q + 10, 0, this.le);
      v.setUint32(q + 12, iface.snaplen, this.le);
      q = this.option(q + 16, OPT_IF_TSRESOL, Uint8Array.of(iface.nanos ? 9 : 6));
      if (name) q = this.option(q, OPT_IF_NAME, name);
      v.setUint32(q, 0, this.le);
      v.setUint32(q + 4, length, this.le);
    });
  }

  /** Writes one option at p (code, length, value, zero padding); returns the position after it. */
  private option(p: number, code: number, value: Uint8Array): number {
    this.view.setUint16(p, code, this.le);
    this.view.setUint16(p + 2, value.length, this.le);
    this.buf.set(value, p + 4);
    this.buf.fill(0, p + 4 + value.length, p + 4 + pad4(value.length));
    return p + 4 + pad4(value.length);
  }

  private enhancedPacket(data: Uint8Array, origLen: number, ifaceId: number, ts: bigint, iface: Iface): void {
    const units = iface.nanos ? ts : ts / 1000n; // the two resolutions a writer offers
    if (units > 0xffffffffffffffffn) throw new CaptureError(`timestamp ${ts} ns does not fit in 64 bits`, this.frames + 1, this.bytes);
    const length = 28 + pad4(data.length) + 4;
    const p = this.reserve(length);
    const v = this.view;
    v.setUint32(p, BLOCK_EPB, this.le);
    v.setUint32(p + 4, length, this.le);
    v.setUint32(p + 8, ifaceId, this.le);
    // Split the 64-bit count into its two words through a scratch view (cheaper than bigint shifts).
    SCRATCH.setBigUint64(0, units, true);
    v.setUint32(p + 12, SCRATCH.getUint32(4, true), this.le);
    v.setUint32(p + 16, SCRATCH.getUint32(0, true), this.le);
    v.setUint32(p + 20, data.length, this.le);
    v.setUint32(p + 24, origLen, this.le);
    this.buf.set(data, p + 28);
    this.buf.fill(0, p + 28 + data.length, p + 28 + pad4(data.length));
    v.setUint32(p + length - 4, length, this.le);
  }
}

/** A writer streaming to a new file (truncated if it exists); close() closes the file. */
export function createCaptureFile(path: string, options: WriteOptions = {}): CaptureWriter {
  const fd = openSync(path, 'w');
  try {
    return new CaptureWriter({
      write(bytes) {
        for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
      },
      close() { closeSync(fd); },
    }, options);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Encodes frames into one in-memory capture file. */
export function encodeCapture(frames: Iterable<Uint8Array | FrameToWrite>, options: WriteOptions = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const writer = new CaptureWriter({ write: (bytes) => { chunks.push(bytes.slice()); } }, options);
  for (const f of frames) writer.write(f);
  writer.close();
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}
