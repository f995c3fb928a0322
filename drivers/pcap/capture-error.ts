// Errors and warnings about capture files. Every problem names the frame being
// read and the byte offset in the file where its record (or block) starts, so a
// user can open the file in a hex editor or cut it with `dd` and see for
// themselves.
import { SluiceError } from '../../jit/errors.ts';

/**
 * A capture that cannot be read (or written) any further.
 *
 * `record` is the 1-based number of the frame being read when the problem was
 * found (frames already read + 1), the numbering tcpdump -# and Wireshark use;
 * 0 means the file header (the pcap global header or the first section header
 * block). `offset` is the byte offset in the file of the record or block that
 * is wrong (for the file header: 0).
 */
export class CaptureError extends SluiceError {
  constructor(message: string, readonly record: number, readonly offset: number, options?: { cause?: unknown }) {
    super(`${record === 0 ? 'file header' : `frame ${record}`} at byte offset ${offset}: ${message}`, options);
  }
}

/** Something odd that the reader worked around the way libpcap does. */
export interface CaptureWarning {
  record: number;
  offset: number;
  message: string;
}
