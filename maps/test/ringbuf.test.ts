// ringbuf (reserve / submit / discard / output / query) and perf_event_array,
// driven through the helpers and consumed from TypeScript.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMap, MapType, RingBufQuery, u32 } from '../index.ts';
import { requires } from '../../scripts/testkit/skip.ts';
import { E, Fn, NativeBuf, call, hasNativeLibrary, signed, writeAt } from './native.ts';

const text = (s: string) => new TextEncoder().encode(s);
const BPF_RB_NO_WAKEUP = 1, BPF_F_CURRENT_CPU = 0xffffffffn;

if (requires('ringbuf and perf_event_array', hasNativeLibrary())) {
  test('submitted records arrive in order; discarded ones never do', () => {
    const rb = createMap({ name: 'rb', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 });
    try {
      const a = call(Fn.ringbuf_reserve, rb.address, 5, 0);
      const b = call(Fn.ringbuf_reserve, rb.address, 3, 0);
      const c = call(Fn.ringbuf_reserve, rb.address, 8, 0);
      assert.ok(a && b && c);
      writeAt(a, text('hello'));
      writeAt(b, text('bye'));
      writeAt(c, text('12345678'));
      call(Fn.ringbuf_submit, c, 0);
      assert.equal(rb.drain(), [], 'a record behind an uncommitted one waits');
      call(Fn.ringbuf_discard, b, 0);
      call(Fn.ringbuf_submit, a, BPF_RB_NO_WAKEUP);
      assert.equal(rb.drain().map((r) => new TextDecoder().decode(r)), ['hello', '12345678']);
      assert.equal(rb.drain(), []);
    } finally { rb.close(); }
  });

  test('reserve fails (NULL) on a full ring, output with -EAGAIN; space returns when consumed', () => {
    const rb = createMap({ name: 'rbfull', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 });
    const mem = new NativeBuf(4096);
    try {
      // 8-byte header + 1016 bytes: four records fill 4096 exactly
      for (let i = 0; i < 4; i++) assert.is(signed(call(Fn.ringbuf_output, rb.address, mem.address, 1016, 0)), 0);
      assert.is(rb.query(RingBufQuery.AvailData), 4096n);
      assert.is(rb.query(RingBufQuery.RingSize), 4096n);
      assert.is(call(Fn.ringbuf_reserve, rb.address, 1, 0), 0n);
      assert.is(signed(call(Fn.ringbuf_output, rb.address, mem.address, 1, 0)), E.EAGAIN);
      assert.is(call(Fn.ringbuf_query, rb.address, RingBufQuery.ProdPos), 4096n);
      assert.is(rb.drain().length, 4);
      assert.is(rb.query(RingBufQuery.ConsPos), 4096n);
      assert.is(call(Fn.ringbuf_reserve, rb.address, 4096, 0), 0n, 'larger than the ring');
      assert.is(call(Fn.ringbuf_reserve, rb.address, 8, 1), 0n, 'reserve takes no flags');
      assert.is(signed(call(Fn.ringbuf_output, rb.address, mem.address, 1, 4)), E.EINVAL);
    } finally { rb.close(); mem.free(); }
  });

  test('records that wrap around the end of the ring stay whole', () => {
    const rb = createMap({ name: 'rbwrap', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 });
    const mem = new NativeBuf(1000);
    try {
      let seq = 0;
      for (let round = 0; round < 50; round++) {
        const sent: number[] = [];
        for (let i = 0; i < 3; i++) {
          const len = 300 + ((round * 7 + i * 13) % 400);
          mem.bytes.fill(seq & 0xff, 0, len);
          assert.is(signed(call(Fn.ringbuf_output, rb.address, mem.address, len, 0)), 0);
          sent.push(len);
          seq++;
        }
        const got = rb.drain();
        assert.equal(got.map((r) => r.length), sent);
        got.forEach((r, i) => assert.ok(r.every((b) => b === ((seq - 3 + i) & 0xff)), `record ${seq - 3 + i} intact`));
      }
    } finally { rb.close(); mem.free(); }
  });

  test('watch delivers records as events, in order, until stopped', async () => {
    const rb = createMap({ name: 'rbwatch', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 });
    const mem = new NativeBuf(16);
    try {
      const seen: string[] = [];
      const stop = rb.watch((r) => seen.push(new TextDecoder().decode(r)), 2);
      mem.bytes.set(text('one'));
      call(Fn.ringbuf_output, rb.address, mem.address, 3, 0);
      mem.bytes.set(text('two'));
      call(Fn.ringbuf_output, rb.address, mem.address, 3, 0);
      for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
      stop();
      assert.equal(seen, ['one', 'two']);
      call(Fn.ringbuf_output, rb.address, mem.address, 3, 0);
      await new Promise((r) => setTimeout(r, 20));
      assert.is(seen.length, 2, 'nothing after stop');
    } finally { rb.close(); mem.free(); }
  });

  test('perf_event_array: output to an open slot (this CPU or an index), with packet bytes', () => {
    const pe = createMap({ name: 'events', type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
    const mem = new NativeBuf(128);
    try {
      // an xdp_buff over 20 packet bytes at offset 64
      const view = new DataView(mem.bytes.buffer, mem.bytes.byteOffset);
      view.setBigUint64(0, mem.at(64), true);
      view.setBigUint64(8, mem.at(84), true);
      for (let i = 0; i < 20; i++) mem.bytes[64 + i] = i;
      mem.bytes.set(text('abc'), 100);
      assert.is(signed(call(Fn.perf_event_output, mem.address, pe.address, BPF_F_CURRENT_CPU, mem.at(100), 3)), E.ENOENT);
      pe.update(u32(0), u32(1));
      pe.update(u32(1), u32(1));
      assert.is(signed(call(Fn.perf_event_output, mem.address, pe.address, BPF_F_CURRENT_CPU, mem.at(100), 3)), 0);
      assert.is(signed(call(Fn.perf_event_output, mem.address, pe.address, 1n | (4n << 32n), mem.at(100), 3)), 0);
      assert.is(signed(call(Fn.perf_event_output, mem.address, pe.address, 5n, mem.at(100), 3)), E.E2BIG);
      assert.is(signed(call(Fn.perf_event_output, mem.address, pe.address, 1n | (21n << 32n), mem.at(100), 3)), E.EFAULT);
      const recs = pe.drainPerf();
      assert.is(recs.length, 2);
      assert.equal(recs[0], { cpu: 0, data: text('abc') });
      assert.equal(recs[1], { cpu: 1, data: Uint8Array.from([...text('abc'), 0, 1, 2, 3]) });
    } finally { pe.close(); mem.free(); }
  });
}

test.run();
