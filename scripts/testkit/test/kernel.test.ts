// The kernel harness against behaviour fixed by RFC 9669 and linux/bpf.h:
// verdicts, division by zero, packet writes, verifier rejections, the 14-byte
// frame minimum, and maps patched into lddw. Root only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requires } from '../skip.ts';
import { kernelAvailable, kernelBatch, kernelRun, KernelStatus, XDP_DROP, XDP_PASS } from '../kernel.ts';

/** One raw instruction: opcode, dst, src, off, imm (the wire format of RFC 9669 section 3). */
function ins(opcode: number, dst: number, src: number, off: number, imm: number): number[] {
  const b = Buffer.alloc(8);
  b.writeUInt8(opcode, 0);
  b.writeUInt8((src << 4) | dst, 1);
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return [...b];
}
const prog = (...insns: number[][]) => Uint8Array.from(insns.flat());
const EXIT = ins(0x95, 0, 0, 0, 0);
const mov = (dst: number, imm: number) => ins(0xb7, dst, 0, 0, imm);
const packet = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);

const BPF_MAP_TYPE_ARRAY = 2, BPF_FUNC_map_lookup_elem = 1, EACCES = 13, EINVAL = 22;

/** r1 = map; *(u32 *)(fp - 4) = 0; r2 = fp - 4; r0 = lookup(r1, r2); if r0 == 0 exit 0; ...then */
const lookupKey0 = (map: number, then: number[][]) => prog(
  ins(0x18, 1, 1, 0, map), ins(0, 0, 0, 0, 0),
  ins(0x62, 10, 0, -4, 0), ins(0xbf, 2, 10, 0, 0), ins(0x07, 2, 0, 0, -4),
  ins(0x85, 0, 0, 0, BPF_FUNC_map_lookup_elem),
  ins(0x55, 0, 0, 2, 0), mov(0, 0), EXIT,
  ...then,
);

if (requires('kernel harness tests', kernelAvailable())) {
  test('verdicts come back as retval, the packet unchanged', () => {
    const [drop, pass] = kernelRun([
      { insns: prog(mov(0, XDP_DROP), EXIT), packet: packet(64) },
      { insns: prog(mov(0, XDP_PASS), EXIT), packet: packet(20), repeat: 100 },
    ]);
    assert.ok(drop?.ran && pass?.ran);
    assert.is(drop!.retval, XDP_DROP);
    assert.is(pass!.retval, XDP_PASS);
    assert.equal(drop!.dataOut, packet(64));
    assert.equal(pass!.dataOut, packet(20));
    assert.type(pass!.durationNs, 'number');
  });

  test('division by a zero register gives 0, modulo leaves the dividend (RFC 9669 4.1)', () => {
    const [div, mod] = kernelRun([
      { insns: prog(mov(0, 7), mov(2, 0), ins(0x3f, 0, 2, 0, 0), EXIT), packet: packet(14) },
      { insns: prog(mov(0, 7), mov(2, 0), ins(0x9f, 0, 2, 0, 0), EXIT), packet: packet(14) },
    ]);
    assert.is(div?.retval, 0);
    assert.is(mod?.retval, 7);
  });

  test('a program writes the packet through ctx->data after a bounds check', () => {
    const insns = prog(
      ins(0x61, 2, 1, 0, 0), // r2 = ctx->data
      ins(0x61, 3, 1, 4, 0), // r3 = ctx->data_end
      ins(0xbf, 4, 2, 0, 0), ins(0x07, 4, 0, 0, 14),
      ins(0x2d, 4, 3, 3, 0), // if r4 > r3 goto drop
      ins(0x72, 2, 0, 3, 0xab), // *(u8 *)(r2 + 3) = 0xab
      mov(0, XDP_PASS), EXIT,
      mov(0, XDP_DROP), EXIT,
    );
    const [r] = kernelRun([{ insns, packet: packet(32) }]);
    assert.ok(r?.ran, r?.log);
    const expected = packet(32);
    expected[3] = 0xab;
    assert.is(r?.retval, XDP_PASS);
    assert.equal(r?.dataOut, expected);
  });

  test('a rejected program reports the verifier log; a short frame fails the run', () => {
    const [rejected, short] = kernelRun([
      { insns: prog(EXIT), packet: packet(64) }, // r0 never written
      { insns: prog(mov(0, XDP_PASS), EXIT), packet: packet(13) },
    ]);
    assert.is(rejected?.loaded, false);
    assert.is(rejected?.errno, EACCES);
    assert.match(rejected?.log ?? '', /R0/);
    assert.is(short?.loaded, true);
    assert.is(short?.ran, false);
    assert.is(short?.errno, EINVAL);
  });

  test('maps: lddw carries a map index that the harness patches to the fd', () => {
    const value = Buffer.alloc(8);
    value.writeBigUInt64LE(0x1122334455667788n);
    const replies = kernelBatch([
      { kind: 'map-create', mapType: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 },
      { kind: 'map-update', map: 0, key: new Uint8Array(4), value },
      // r0 = *(u32 *)value
      { kind: 'program', insns: lookupKey0(0, [ins(0x61, 0, 0, 0, 0), EXIT]), packet: packet(14) },
      // *(u64 *)value = 42
      { kind: 'program', insns: lookupKey0(0, [ins(0x7a, 0, 0, 0, 42), mov(0, XDP_PASS), EXIT]), packet: packet(14) },
      { kind: 'map-lookup', map: 0, key: new Uint8Array(4), valueSize: 8 },
      { kind: 'program', insns: lookupKey0(5, [EXIT]), packet: packet(14) }, // no map 5
      { kind: 'map-reset' },
      { kind: 'map-update', map: 0, key: new Uint8Array(4), value },
    ]);
    assert.equal(replies.map((r) => r.status), [
      KernelStatus.OK, KernelStatus.OK, KernelStatus.OK, KernelStatus.OK, KernelStatus.OK,
      KernelStatus.BAD_REQUEST, KernelStatus.OK, KernelStatus.MAP_ERROR,
    ]);
    assert.is(replies[0]?.value, 0);
    assert.is(replies[2]?.value, 0x55667788);
    assert.is(replies[3]?.value, XDP_PASS);
    assert.is(Buffer.from(replies[4]!.a).readBigUInt64LE(), 42n);
    assert.match(Buffer.from(replies[5]!.c).toString(), /map index/);
  });

  test('a context (struct xdp_md) goes in and comes back out', () => {
    // xdp_md: data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex (u32 each).
    const ctx = (ifindex: number) => Uint8Array.from(Buffer.from(Uint32Array.from([0, 32, 0, ifindex, 0, 0]).buffer));
    const [r, bad] = kernelRun([
      { insns: prog(ins(0x61, 0, 1, 12, 0), EXIT), packet: packet(32), ctx: ctx(1) }, // r0 = ctx->ingress_ifindex
      // egress_ifindex is an output only: a non-zero input is refused.
      { insns: prog(mov(0, XDP_PASS), EXIT), packet: packet(32), ctx: Uint8Array.from(Buffer.from(Uint32Array.from([0, 32, 0, 0, 0, 1]).buffer)) },
    ]);
    assert.ok(r?.ran, r?.log ?? `errno ${r?.errno}`);
    assert.is(r!.retval, 1); // lo
    assert.is(r!.ctxOut?.length, 24);
    assert.is(bad?.ran, false);
    assert.is(bad?.errno, EINVAL);
  });

  test('a thousand programs in one batch', () => {
    const programs = Array.from({ length: 1000 }, (_, i) => ({ insns: prog(mov(0, i), EXIT), packet: packet(14) }));
    const results = kernelRun(programs);
    assert.equal(results.map((r) => r.retval), programs.map((_, i) => i));
  });
}

test.run();
