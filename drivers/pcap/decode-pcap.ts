// Classic pcap (tcpdump.org/manpages/pcap-savefile.5.html, draft-ietf-opsawg-pcap):
// a 24-byte global header, then records of a 16-byte header and caplen bytes.
// The magic number gives both the byte order and the timestamp resolution.
import { Decoder, END, FRAME, MAX_SNAPLEN, NEED, type Status } from './decoder.ts';
import { linkTypeName } from './linktype.ts';
import { MICROSECONDS, NANOSECONDS, SecondsClock } from './record.ts';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
/** Alexey Kuznetzov's patched format: same magic idea, longer record headers. */
const PCAP_MAGIC_KUZNETZOV = 0xa1b2cd34;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

export class PcapDecoder extends Decoder {
  readonly format = 'pcap' as const;
  private le = true;
  /** The snaplen records are held to: the header's, or MAX_SNAPLEN when it is 0 or absurd (as libpcap). */
  private snaplen = MAX_SNAPLEN;
  nanosecond = false;
  version = '2.4';

  header(): boolean {
    if (this.available < GLOBAL_HEADER) { this.more(GLOBAL_HEADER, 'pcap file header', 0); return false; }
    const v = this.view;
    const p = this.pos;
    const magicLE = v.getUint32(p, true);
    const magicBE = v.getUint32(p, false);
    if (magicLE === PCAP_MAGIC_US || magicLE === PCAP_MAGIC_NS) this.le = true;
    else if (magicBE === PCAP_MAGIC_US || magicBE === PCAP_MAGIC_NS) this.le = false;
    else if (magicLE === PCAP_MAGIC_KUZNETZOV || magicBE === PCAP_MAGIC_KUZNETZOV) {
      throw this.error('the modified (Kuznetzov) pcap format is not supported; rewrite it with `editcap -F pcap`', 0, 0);
    } else {
      throw this.error(`bad magic 0x${magicBE.toString(16).padStart(8, '0')}: not a pcap file`, 0, 0);
    }
    const le = this.le;
    this.byteOrder = le ? 'le' : 'be';
    this.nanosecond = v.getUint32(p, le) === PCAP_MAGIC_NS;
    this.clock = new SecondsClock(this.nanosecond ? 1 : 1000);
    const major = v.getUint16(p + 4, le);
    const minor = v.getUint16(p + 6, le);
    this.version = `${major}.${minor}`;
    if (major !== 2) throw this.error(`unsupported pcap version ${major}.${minor} (expected 2.x)`, 0, 0);
    const snaplen = v.getUint32(p + 16, le);
    // The top bits of the link-type word carry FCS information, not the type.
    this.linkType = v.getUint32(p + 20, le) & 0x03ffffff;
    this.snaplen = snaplen === 0 || snaplen > MAX_SNAPLEN ? MAX_SNAPLEN : snaplen;
    this.interfaces = [{
      id: 0,
      linkType: this.linkType,
      snaplen,
      resolution: this.nanosecond ? NANOSECONDS : MICROSECONDS,
      tsOffset: 0n,
    }];
    const wanted = this.options.linkType;
    if (wanted !== undefined && wanted !== this.linkType) {
      throw this.error(`link type ${linkTypeName(this.linkType)} is not supported here; expected ${linkTypeName(wanted)}`, 0, 0);
    }
    this.pos += GLOBAL_HEADER;
    return true;
  }

  step(): Status {
    const avail = this.bytes.length - this.pos;
    if (avail === 0) {
      if (this.eof) return END;
      this.needed = RECORD_HEADER;
      return NEED;
    }
    if (avail < RECORD_HEADER) return this.more(RECORD_HEADER, 'record header', this.frames + 1);
    const v = this.view;
    const p = this.pos;
    const le = this.le;
    const caplen = v.getUint32(p + 8, le);
    if (caplen > MAX_SNAPLEN) {
      // Checked before asking for the bytes: a corrupt length must not become an allocation.
      throw this.error(`caplen ${caplen} is larger than the maximum ${MAX_SNAPLEN} (corrupt record header?)`);
    }
    const total = RECORD_HEADER + caplen;
    if (avail < total) return this.more(total, 'record', this.frames + 1);
    let kept = caplen;
    if (caplen > this.snaplen) {
      // libpcap keeps the first snaplen bytes and skips the rest (sf-pcap.c: captures
      // from old Solaris systems wrote a wrong snaplen). We do the same, and say so.
      this.warn(`caplen ${caplen} is larger than the file's snaplen ${this.snaplen}; kept the first ${this.snaplen} bytes as libpcap does`);
      kept = this.snaplen;
    }
    this.dataAt = p + RECORD_HEADER;
    this.caplen = kept;
    this.origLen = v.getUint32(p + 12, le);
    this.tsHigh = v.getUint32(p, le);
    this.tsLow = v.getUint32(p + 4, le);
    this.recordAt = this.base + p;
    this.frames++;
    this.pos = p + total;
    return FRAME;
  }
}
