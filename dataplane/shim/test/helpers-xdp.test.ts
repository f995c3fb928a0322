// Packet helpers on a native struct sluice_xdp_buff (dataplane/shim/xdp.h),
// with the kernel's limits (net/core/filter.c): 40 bytes of headroom stay
// reserved for the xdp_frame, at least ETH_HLEN (14) bytes stay in the packet,
// metadata is a multiple of 4 up to 255 bytes (kernel 6.x), the tail grows up to frame_end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { helperBindings } from '../../ffi.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { E, Fn, NativeBuf, call, hasNativeLibrary, signed } from '../../../maps/test/native.ts';

const HEADROOM = 256, FRAME = 1024, XDP_FRAME_SIZE = 40, ETH_HLEN = 14;

/** A frame: [xdp_buff struct (64 bytes)][buffer: 256 headroom, packet, tailroom to FRAME]. */
class Frame {
  readonly mem = new NativeBuf(64 + FRAME);
  readonly view = new DataView(this.mem.bytes.buffer, this.mem.bytes.byteOffset, 64);
  readonly hard = this.mem.at(64);
  constructor(packet: Uint8Array, ifindex = 3) {
    this.mem.bytes.set(packet, 64 + HEADROOM);
    this.set(0, this.hard + BigInt(HEADROOM));
    this.set(8, this.hard + BigInt(HEADROOM + packet.length));
    this.set(16, this.hard + BigInt(HEADROOM));
    this.set(24, this.hard);
    this.set(32, this.hard + BigInt(FRAME));
    this.view.setUint32(40, ifindex, true);
  }
  get ctx(): bigint { return this.mem.address; }
  private set(off: number, v: bigint): void { this.view.setBigUint64(off, v, true); }
  private get(off: number): bigint { return this.view.getBigUint64(off, true); }
  /** data, data_end, data_meta as offsets from data_hard_start. */
  get data(): number { return Number(this.get(0) - this.hard); }
  get end(): number { return Number(this.get(8) - this.hard); }
  get meta(): number { return Number(this.get(16) - this.hard); }
  get packet(): Uint8Array { return this.mem.bytes.slice(64 + this.data, 64 + this.end); }
  get metadata(): Uint8Array { return this.mem.bytes.slice(64 + this.meta, 64 + this.data); }
  free(): void { this.mem.free(); }
}

const pkt = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 1) & 0xff);

if (requires('xdp helpers', hasNativeLibrary())) {
  test('adjust_head: up to the headroom less the xdp_frame; the packet keeps 14 bytes; failures change nothing', () => {
    const f = new Frame(pkt(60));
    try {
      const maxGrow = HEADROOM - XDP_FRAME_SIZE;
      assert.is(signed(call(Fn.xdp_adjust_head, f.ctx, -(maxGrow + 1))), E.EINVAL);
      assert.is(f.data, HEADROOM);
      assert.equal(f.packet, pkt(60));
      assert.is(signed(call(Fn.xdp_adjust_head, f.ctx, 60 - ETH_HLEN + 1)), E.EINVAL);
      assert.is(signed(call(Fn.xdp_adjust_head, f.ctx, 60 - ETH_HLEN)), 0);
      assert.is(f.packet.length, ETH_HLEN);
      assert.is(signed(call(Fn.xdp_adjust_head, f.ctx, -(60 - ETH_HLEN) - maxGrow)), 0);
      assert.is(f.data, XDP_FRAME_SIZE);
      assert.is(f.packet.length, 60 + maxGrow);
      assert.equal(f.packet.slice(maxGrow), pkt(60), 'the original bytes are where they were');
      assert.is(f.meta, f.data, 'data_meta follows data when there is no metadata');
    } finally { f.free(); }
  });

  test('adjust_meta: 4-byte multiples (-EACCES), inside the headroom (-EINVAL); adjust_head carries it', () => {
    const f = new Frame(pkt(64));
    try {
      assert.is(signed(call(Fn.xdp_adjust_meta, f.ctx, 4)), E.EINVAL, 'meta beyond data');
      assert.is(signed(call(Fn.xdp_adjust_meta, f.ctx, -3)), E.EACCES);
      assert.is(signed(call(Fn.xdp_adjust_meta, f.ctx, -(HEADROOM - XDP_FRAME_SIZE) - 4)), E.EINVAL, 'into the xdp_frame');
      assert.is(signed(call(Fn.xdp_adjust_meta, f.ctx, -(HEADROOM - XDP_FRAME_SIZE))), 0);
      assert.is(f.data - f.meta, HEADROOM - XDP_FRAME_SIZE);
      assert.is(signed(call(Fn.xdp_adjust_meta, f.ctx, 2)), E.EACCES, "214 bytes: not a multiple of 4");
      assert.is(signed(call(Fn.xdp_adjust_meta, f.ctx, HEADROOM - XDP_FRAME_SIZE - 32)), 0);
      assert.is(f.data - f.meta, 32);
      assert.is(signed(call(Fn.xdp_adjust_meta, f.ctx, 28)), 0);
      assert.is(f.data - f.meta, 4);
      f.mem.bytes.set([0xde, 0xad, 0xbe, 0xef], 64 + f.meta);
      // with 4 bytes of metadata, head room shrinks by 4
      assert.is(signed(call(Fn.xdp_adjust_head, f.ctx, -(HEADROOM - XDP_FRAME_SIZE - 4) - 1)), E.EINVAL);
      assert.is(signed(call(Fn.xdp_adjust_head, f.ctx, -20)), 0);
      assert.equal(f.metadata, Uint8Array.from([0xde, 0xad, 0xbe, 0xef]), 'metadata moved with data');
      assert.is(f.data, HEADROOM - 20);
    } finally { f.free(); }
  });

  test('adjust_tail: grows to frame_end with zeroes, shrinks to 14 bytes, no further', () => {
    const f = new Frame(pkt(100));
    try {
      f.mem.bytes.fill(0xee, 64 + HEADROOM + 100, 64 + FRAME);
      const room = FRAME - HEADROOM - 100;
      assert.is(signed(call(Fn.xdp_adjust_tail, f.ctx, room + 1)), E.EINVAL);
      assert.is(f.packet.length, 100);
      assert.is(signed(call(Fn.xdp_adjust_tail, f.ctx, room)), 0);
      assert.is(f.end, FRAME);
      assert.ok(f.packet.slice(100).every((b) => b === 0), 'grown bytes are zeroed');
      assert.is(signed(call(Fn.xdp_adjust_tail, f.ctx, -(FRAME - HEADROOM - ETH_HLEN) - 1)), E.EINVAL);
      assert.is(signed(call(Fn.xdp_adjust_tail, f.ctx, -(FRAME - HEADROOM - ETH_HLEN))), 0);
      assert.equal(f.packet, pkt(ETH_HLEN));
      assert.is(call(Fn.xdp_get_buff_len, f.ctx), BigInt(ETH_HLEN));
    } finally { f.free(); }
  });

  test('load_bytes / store_bytes: bounds are the packet; offsets over 0xffff are -EFAULT', () => {
    const f = new Frame(pkt(40));
    const buf = new NativeBuf(64);
    try {
      assert.is(signed(call(Fn.xdp_load_bytes, f.ctx, 30, buf.address, 10)), 0);
      assert.equal(buf.bytes.slice(0, 10), pkt(40).slice(30));
      assert.is(signed(call(Fn.xdp_load_bytes, f.ctx, 31, buf.address, 10)), E.EINVAL);
      assert.is(signed(call(Fn.xdp_load_bytes, f.ctx, 0x10000, buf.address, 1)), E.EFAULT);
      buf.bytes.set([9, 8, 7]);
      assert.is(signed(call(Fn.xdp_store_bytes, f.ctx, 37, buf.address, 3)), 0);
      assert.equal(f.packet.slice(37), Uint8Array.from([9, 8, 7]));
      assert.is(signed(call(Fn.xdp_store_bytes, f.ctx, 38, buf.address, 3)), E.EINVAL);
      assert.is(call(Fn.xdp_get_buff_len, f.ctx), 40n);
    } finally { f.free(); buf.free(); }
  });

  test('check_mtu: MTU + ETH_HLEN fits, one more byte needs fragmentation; mtu_len in and out', () => {
    const f = new Frame(pkt(500), 3);
    const out = new NativeBuf(4);
    const mtu = () => new DataView(out.bytes.buffer, out.bytes.byteOffset).getUint32(0, true);
    const setMtuLen = (v: number) => new DataView(out.bytes.buffer, out.bytes.byteOffset).setUint32(0, v, true);
    try {
      assert.is(signed(call(Fn.check_mtu, f.ctx, 0, out.address, 1514 - 500, 0)), 0);
      assert.is(mtu(), 1500);
      setMtuLen(0);
      assert.is(signed(call(Fn.check_mtu, f.ctx, 0, out.address, 1514 - 500 + 1, 0)), 1);
      setMtuLen(1501);
      assert.is(signed(call(Fn.check_mtu, f.ctx, 0, out.address, 0, 0)), 1);
      setMtuLen(0);
      helperBindings().setMtu(7, 9000);
      assert.is(signed(call(Fn.check_mtu, f.ctx, 7, out.address, 9014 - 500, 0)), 0);
      assert.is(mtu(), 9000);
      assert.is(signed(call(Fn.check_mtu, f.ctx, 0, out.address, 0, 1)), E.EINVAL);
    } finally { f.free(); out.free(); }
  });
}

test.run();
