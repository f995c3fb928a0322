// queue (FIFO) and stack (LIFO): kernel/bpf/queue_stack_maps.c semantics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMap, MapType, UpdateFlag, u32 } from '../index.ts';
import { requires } from '../../scripts/testkit/skip.ts';
import { E, Fn, NativeBuf, call, hasNativeLibrary, signed } from './native.ts';

const n = (v: Uint8Array | undefined) => v && new DataView(v.buffer).getUint32(0, true);

if (requires('queue and stack maps', hasNativeLibrary())) {
  test('queue: FIFO; full -E2BIG unless BPF_EXIST drops the oldest; empty -ENOENT', () => {
    const q = createMap({ name: 'q', type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 3 });
    try {
      assert.is(q.pop(), undefined);
      assert.is(q.peek(), undefined);
      for (const v of [1, 2, 3]) q.push(u32(v));
      assert.is(q.tryPush(u32(4)), E.E2BIG);
      assert.is(q.tryPush(u32(4), UpdateFlag.NoExist), E.EINVAL);
      assert.is(q.tryPush(u32(4), UpdateFlag.Exist), 0);
      assert.is(n(q.peek()), 2);
      assert.equal([n(q.pop()), n(q.pop()), n(q.pop()), q.pop()], [2, 3, 4, undefined]);
      assert.is(q.tryDelete(new Uint8Array(0)), E.EINVAL);
      assert.throws(() => q.nextKey(), /get_next_key failed: -EINVAL/);
    } finally { q.close(); }
  });

  test('stack: LIFO; BPF_EXIST on a full stack drops the oldest', () => {
    const s = createMap({ name: 's', type: MapType.STACK, keySize: 0, valueSize: 4, maxEntries: 3 });
    try {
      for (const v of [1, 2, 3]) s.push(u32(v));
      assert.is(s.tryPush(u32(4)), E.E2BIG);
      assert.is(s.tryPush(u32(4), UpdateFlag.Exist), 0);
      assert.equal([n(s.pop()), n(s.pop()), n(s.pop()), s.pop()], [4, 3, 2, undefined]);
    } finally { s.close(); }
  });

  test('push, pop and peek helpers', () => {
    const q = createMap({ name: 'qh', type: MapType.QUEUE, keySize: 0, valueSize: 4, maxEntries: 2 });
    const mem = new NativeBuf(8);
    try {
      mem.bytes.set(u32(42));
      assert.is(signed(call(Fn.map_push_elem, q.address, mem.address, 0)), 0);
      assert.is(signed(call(Fn.map_push_elem, q.address, mem.address, 0)), 0);
      assert.is(signed(call(Fn.map_push_elem, q.address, mem.address, 0)), E.E2BIG);
      assert.is(signed(call(Fn.map_peek_elem, q.address, mem.at(4))), 0);
      assert.is(n(mem.bytes.slice(4, 8)), 42);
      assert.is(signed(call(Fn.map_pop_elem, q.address, mem.at(4))), 0);
      assert.is(signed(call(Fn.map_pop_elem, q.address, mem.at(4))), 0);
      assert.is(signed(call(Fn.map_pop_elem, q.address, mem.at(4))), E.ENOENT);
      assert.is(call(Fn.map_lookup_elem, q.address, 0n), 0n);
    } finally { q.close(); mem.free(); }
  });
}

test.run();
