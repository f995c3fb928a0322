// Names for the numbers a trace shows. A register or an address is a pointer
// when it falls in something the run knows: the xdp_buff (ctx), the packet
// (pkt+N, pkt_end, relative to the packet's start *now*, which moves with
// bpf_xdp_adjust_head), a stack frame (fp-N), a map (map 'name') or a map
// value (map_value(name)+N). Anything else is a scalar. Names never contain
// native addresses, so traces are the same on every run.
import { STACK_REGION_BASE, stackBase, type Memory } from '../../jit/interp/memory.ts';
import { MAX_CALL_FRAMES, STACK_SIZE } from '../../jit/isa/opcode.ts';
import type { MapHandle } from '../../maps/index.ts';
import { dissect, fieldAt, fieldsAt, type Dissection, type Field } from '../../drivers/packet/packet.ts';

const STACK_STRIDE = stackBase(1) - stackBase(0);
const STACK_END = stackBase(MAX_CALL_FRAMES);
const TOP_BIT = 1n << 63n;

/** struct sluice_xdp_buff (dataplane/shim/xdp.h): offset → field. */
const XDP_BUFF_FIELDS: readonly [number, number, string][] = [
  [0, 8, 'data'], [8, 8, 'data_end'], [16, 8, 'data_meta'], [24, 8, 'data_hard_start'], [32, 8, 'frame_end'],
  [40, 4, 'ingress_ifindex'], [44, 4, 'rx_queue_index'], [48, 4, 'egress_ifindex'], [52, 4, 'flags'], [56, 8, 'frags'],
];
const XDP_BUFF_BYTES = 64;

/** A scalar as text: small numbers in decimal, small negative ones signed, the rest in hex. */
export function scalar(v: bigint): string {
  if (v < 10n) return v.toString();
  if (v & TOP_BIT && (1n << 64n) - v <= 0xffffffffn) return `-${(1n << 64n) - v}`;
  return `0x${v.toString(16)}`;
}

const plus = (base: string, off: bigint): string => (off === 0n ? base : off > 0n ? `${base}+${off}` : `${base}${off}`);

/** The packet as it is now: where it starts and ends, and its dissection (recomputed when it changes). */
export interface PacketState {
  data: bigint;
  dataEnd: bigint;
  frameStart: bigint;
  frameEnd: bigint;
  bytes(): Uint8Array;
}

export class Namer {
  private readonly mapsByAddress: Map<bigint, MapHandle>;
  private dissection: { at: bigint; end: bigint; version: number; d: Dissection } | undefined;
  /** Bumped on every packet write, so the dissection is redone after a program rewrites headers. */
  packetVersion = 0;

  constructor(
    private readonly ctx: bigint,
    private readonly packet: () => PacketState,
    private readonly memory: () => Memory,
    maps: readonly MapHandle[],
  ) {
    this.mapsByAddress = new Map(maps.map((m) => [m.address, m]));
  }

  map(address: bigint): MapHandle | undefined {
    return this.mapsByAddress.get(address);
  }

  /** A register value: a pointer's name, or the scalar. */
  value(v: bigint): string {
    return this.pointer(v) ?? scalar(v);
  }

  /**
   * The name of a pointer, or undefined when v points at nothing known. Stack
   * frames are named absolutely: fp is the entry function's r10, fp[1] the first
   * callee's, so a value keeps its name across calls.
   */
  pointer(v: bigint): string | undefined {
    if (v === 0n) return undefined;
    if (v >= this.ctx && v < this.ctx + BigInt(XDP_BUFF_BYTES)) return plus('ctx', v - this.ctx);
    const p = this.packet();
    if (v >= p.frameStart && v <= p.frameEnd) return v === p.dataEnd ? 'pkt_end' : plus('pkt', v - p.data);
    if (v >= STACK_REGION_BASE && v <= STACK_END) {
      const frame = Math.min(Number((v - STACK_REGION_BASE) / STACK_STRIDE), MAX_CALL_FRAMES - 1);
      const fp = stackBase(frame) + BigInt(STACK_SIZE);
      return plus(frame === 0 ? 'fp' : `fp[${frame}]`, v - fp);
    }
    const map = this.mapsByAddress.get(v);
    if (map) return `map '${map.name}'`;
    for (const r of this.memory().list()) {
      if (v < r.start || v > r.end) continue;
      const named = /^map value of '(.*)'$/.exec(r.name) ?? /^map '(.*)'$/.exec(r.name);
      if (named) return plus(`map_value(${named[1]})`, v - r.start);
      if (r.name === 'ring buffer record') return plus('ringbuf_record', v - r.start);
    }
    return undefined;
  }

  /** The packet offset of an address inside the packet's frame, or undefined. */
  packetOffset(address: bigint): number | undefined {
    const p = this.packet();
    return address >= p.frameStart && address < p.frameEnd ? Number(address - p.data) : undefined;
  }

  /**
   * Why an access inside the packet's frame is not inside the packet, or undefined
   * when it is. The interpreter lets such an access through (the frame is mapped);
   * the kernel's verifier would have refused the program.
   */
  outsidePacket(address: bigint, size: number): string | undefined {
    const p = this.packet();
    const length = Number(p.dataEnd - p.data);
    const why = 'the kernel\'s verifier refuses a program that can do this';
    if (address < p.data) return `before the packet's start (headroom): ${why}`;
    if (address + BigInt(size) > p.dataEnd) return `past pkt_end, the packet has ${length} byte${length === 1 ? '' : 's'}: ${why}`;
    return undefined;
  }

  /** The xdp_buff field at ctx+offset ("data_end"). */
  ctxField(address: bigint): string | undefined {
    const off = Number(address - this.ctx);
    if (off < 0 || off >= XDP_BUFF_BYTES) return undefined;
    const f = XDP_BUFF_FIELDS.find(([at, size]) => off >= at && off < at + size);
    return f && (off === f[0] ? f[2] : `${f[2]}+${off - f[0]}`);
  }

  /**
   * The header fields behind packet bytes [offset, offset+size): each field wholly
   * inside the range, then for bytes still uncovered the smallest field holding them.
   */
  fieldsAt(offset: number, size: number): string[] {
    const d = this.currentDissection();
    const inside = fieldsAt(d, offset, size).filter((f) => f.offset >= offset && f.offset + f.length <= offset + size && !isBulk(f));
    const names = inside.map(fieldName);
    for (let i = offset; i < offset + size; i++) {
      if (inside.some((f) => f.offset <= i && i < f.offset + f.length)) continue;
      const f = fieldAt(d, i);
      if (f && !names.includes(fieldName(f))) names.push(fieldName(f));
    }
    return names;
  }

  /**
   * A reading of the field an access covers exactly (`ipv4.src = 192.0.2.1`,
   * `tcp.dport = 445`, `eth.type: IPv4`), or undefined when it covers none or several.
   */
  fieldReading(offset: number, size: number): string | undefined {
    const exact = fieldsAt(this.currentDissection(), offset, size).filter((f) => f.offset === offset && f.length === size && !f.bits && !isBulk(f));
    if (exact.length !== 1) return undefined;
    const f = exact[0]!;
    return f.text !== undefined ? `${fieldName(f)}: ${f.text}` : `${fieldName(f)} = ${f.value}`;
  }

  private currentDissection(): Dissection {
    const p = this.packet();
    const c = this.dissection;
    if (c && c.at === p.data && c.end === p.dataEnd && c.version === this.packetVersion) return c.d;
    const d = dissect(p.bytes());
    this.dissection = { at: p.data, end: p.dataEnd, version: this.packetVersion, d };
    return d;
  }
}

const isBulk = (f: Field): boolean => f.layer === 'payload' || f.layer === 'trailer';
export const fieldName = (f: Field): string => `${f.layer}.${f.field}`;

/** Bytes as one hex string, in memory order. */
export function hexBytes(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
