// Reading captures: `readCapture` over bytes already in memory, `openCapture`
// streaming a file of any size in chunks. Both yield CaptureRecords whose
// `data` are views into the buffers read (never reused, so views stay valid).
//
// A problem in the file header throws at once (from readCapture/openCapture).
// A problem later stops iteration after every good frame before it has been
// yielded: by default by throwing the CaptureError, or with onError: 'stop' by
// simply ending, the error left on `reader.error` - so a caller can count and
// write out what it got before reporting.
import { open, type FileHandle } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { CaptureError, type CaptureWarning } from './capture-error.ts';
import { Decoder, FRAME, MORE, NEED, type ByteOrder, type CaptureFormat, type DecodeOptions } from './decoder.ts';
import type { FrameBurst } from './burst.ts';
import { PcapDecoder } from './decode-pcap.ts';
import { BLOCK_SHB, PcapngDecoder } from './decode-pcapng.ts';
import type { CaptureInterface, CaptureRecord } from './record.ts';

export interface ReadOptions extends DecodeOptions {
  /** 'throw' (default): iteration throws the CaptureError; 'stop': it ends and the error is on `reader.error`. */
  onError?: 'throw' | 'stop';
}

export interface StreamOptions extends ReadOptions {
  /** Bytes read from the file at a time (default 1 MiB). */
  chunkSize?: number;
}

/** Picks the decoder from the first four bytes. */
function decoderFor(head: Uint8Array, options: DecodeOptions): Decoder {
  if (head.length < 4) {
    throw new CaptureError(head.length === 0 ? 'empty file: no capture header' : `file too short for a capture header (${head.length} bytes)`, 0, 0);
  }
  const magic = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
  if (magic === BLOCK_SHB) return new PcapngDecoder(options);
  // Anything else goes to the pcap decoder, which checks its magic and words the error.
  return new PcapDecoder(options);
}

/** What both readers tell about the file, valid once the header is read. */
abstract class CaptureSource {
  error: CaptureError | undefined;
  constructor(protected readonly decoder: Decoder, protected readonly onError: 'throw' | 'stop') {}
  get format(): CaptureFormat { return this.decoder.format; }
  /** Byte order of the file (pcapng: of the section being read). */
  get byteOrder(): ByteOrder { return this.decoder.byteOrder; }
  /** Classic pcap only: nanosecond magic. */
  get nanosecond(): boolean { return this.decoder instanceof PcapDecoder && this.decoder.nanosecond; }
  /** The interfaces of the current section (pcap: exactly one; pcapng: those described so far). */
  get interfaces(): readonly CaptureInterface[] { return this.decoder.interfaces; }
  /** Link type of interface 0 (the only one in pcap); undefined before a pcapng IDB is seen. */
  get linkType(): number | undefined { return this.decoder.interfaces[0]?.linkType; }
  /** Frames read so far. */
  get frames(): number { return this.decoder.frames; }
  /** The first 100 warnings (caplen above snaplen, ...); `warningCount` counts them all. */
  get warnings(): readonly CaptureWarning[] { return this.decoder.warnings; }
  get warningCount(): number { return this.decoder.warningCount; }

  /** Applies onError to a failure during iteration; true means "stop quietly". */
  protected failed(err: unknown): true {
    if (!(err instanceof CaptureError) || this.onError === 'throw') throw err;
    this.error = err;
    return true;
  }

  /** An error met while filling a burst that already held frames: reported on the next read. */
  protected pending: unknown;
  protected finished = false;

  /** Fills `burst` from the current window; returns the decoder's last status, or undefined once finished. */
  protected fillBurst(burst: FrameBurst): number | undefined {
    burst.count = 0;
    if (this.pending !== undefined) {
      const err = this.pending;
      this.pending = undefined;
      this.finished = true;
      this.failed(err);
    }
    if (this.finished) return undefined;
    try {
      const status = burst.fill(this.decoder);
      if (status !== FRAME && status !== NEED) this.finished = true;
      return status;
    } catch (err) {
      if (burst.count > 0) { this.pending = err; return FRAME; }
      this.finished = true;
      this.failed(err);
      return undefined;
    }
  }
}

/** Synchronous reader over a capture held in memory. */
export class CaptureReader extends CaptureSource implements Iterable<CaptureRecord> {
  /** The next frame, or null at the end (or after an error with onError 'stop'). */
  next(): CaptureRecord | null {
    if (this.pending !== undefined) {
      const err = this.pending;
      this.pending = undefined;
      this.finished = true;
      this.failed(err);
    }
    if (this.finished) return null;
    try {
      const step = this.decoder.next();
      // The whole file is in the window with eof set, so MORE cannot happen.
      if (step === null || step === MORE) { this.finished = true; return null; }
      return step;
    } catch (err) {
      this.finished = true;
      this.failed(err);
      return null;
    }
  }

  *[Symbol.iterator](): Iterator<CaptureRecord> {
    for (let r = this.next(); r !== null; r = this.next()) yield r;
  }

  /**
   * Fills `burst` with up to burst.capacity frames, without allocating per
   * frame; returns how many (0 at the end). Errors follow onError, after the
   * frames before them have been returned.
   */
  readBurst(burst: FrameBurst): number {
    this.fillBurst(burst);
    return burst.count;
  }

  /** Every remaining frame. */
  all(): CaptureRecord[] {
    const out: CaptureRecord[] = [];
    for (let r = this.next(); r !== null; r = this.next()) out.push(r);
    return out;
  }
}

/** Reads a capture held in memory. Throws a CaptureError if the file header is bad. */
export function readCapture(bytes: Uint8Array, options: ReadOptions = {}): CaptureReader {
  const decoder = decoderFor(bytes, options);
  decoder.setWindow(bytes, 0, 0, true);
  decoder.header();
  return new CaptureReader(decoder, options.onError ?? 'throw');
}

/** Reads a whole (small) capture file into memory; use openCapture for large ones. */
export function readCaptureFile(path: string, options: ReadOptions = {}): CaptureReader {
  return readCapture(readFileSync(path), options);
}

/** Streaming reader over a file: async-iterable frames, or batches of frames per chunk read. */
export class CaptureStream extends CaptureSource implements AsyncIterable<CaptureRecord> {
  private closed = false;

  constructor(
    decoder: Decoder, onError: 'throw' | 'stop',
    private readonly file: FileHandle, private readonly chunkSize: number, private fileOffset: number,
  ) {
    super(decoder, onError);
  }

  /**
   * The frames in each chunk read from the file, in order (never an empty batch).
   * Closes the file when done, when the consumer breaks out, or on an error.
   */
  async *batches(): AsyncGenerator<CaptureRecord[]> {
    const d = this.decoder;
    try {
      for (;;) {
        const batch: CaptureRecord[] = [];
        let step;
        try {
          while ((step = d.next()) !== null && step !== MORE) batch.push(step);
        } catch (err) {
          if (batch.length > 0) yield batch;
          this.failed(err);
          return;
        }
        if (batch.length > 0) yield batch;
        if (step === null) return;
        await this.refill(d.needed);
      }
    } finally {
      await this.close();
    }
  }

  /**
   * Fills `burst` with up to burst.capacity frames, all from one buffer read
   * from the file; returns how many (0 at the end, when the file is closed).
   */
  async readBurst(burst: FrameBurst): Promise<number> {
    try {
      for (;;) {
        const status = this.fillBurst(burst);
        if (status === NEED && burst.count === 0) { await this.refill(this.decoder.needed); continue; }
        if (burst.count === 0) await this.close();
        return burst.count;
      }
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<CaptureRecord> {
    for await (const batch of this.batches()) yield* batch;
  }

  /** Every frame, in memory (for tests and small files). */
  async all(): Promise<CaptureRecord[]> {
    const out: CaptureRecord[] = [];
    for await (const batch of this.batches()) for (const r of batch) out.push(r);
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
  }

  /**
   * Moves the unparsed tail into a fresh buffer (records already yielded keep
   * viewing the old one) and fills the rest from the file.
   */
  async refill(needed: number): Promise<void> {
    const d = this.decoder;
    const tail = d.bytes.subarray(d.pos);
    const next = new Uint8Array(Math.max(this.chunkSize, needed, tail.length + 1));
    next.set(tail);
    let filled = tail.length;
    let eof = false;
    while (filled < next.length) {
      const { bytesRead } = await this.file.read(next, filled, next.length - filled, this.fileOffset);
      if (bytesRead === 0) { eof = true; break; }
      filled += bytesRead;
      this.fileOffset += bytesRead;
    }
    d.setWindow(next.subarray(0, filled), d.base + d.pos, 0, eof);
  }
}

/** Opens a capture file for streaming. Throws a CaptureError if the file header is bad. */
export async function openCapture(path: string, options: StreamOptions = {}): Promise<CaptureStream> {
  const chunkSize = Math.max(64, options.chunkSize ?? 1 << 20);
  const file = await open(path, 'r');
  try {
    const head = new Uint8Array(chunkSize);
    let filled = 0;
    let eof = false;
    while (filled < head.length) {
      const { bytesRead } = await file.read(head, filled, head.length - filled, filled);
      if (bytesRead === 0) { eof = true; break; }
      filled += bytesRead;
    }
    const decoder = decoderFor(head.subarray(0, filled), options);
    decoder.setWindow(head.subarray(0, filled), 0, 0, eof);
    const stream = new CaptureStream(decoder, options.onError ?? 'throw', file, chunkSize, filled);
    while (!decoder.header()) await stream.refill(decoder.needed);
    return stream;
  } catch (err) {
    await file.close();
    throw err;
  }
}
