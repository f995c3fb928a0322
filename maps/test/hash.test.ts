// hash and percpu_hash: kernel/bpf/hashtab.c semantics and errno results.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMap, MapType, UpdateFlag, u32, u64 } from '../index.ts';
import { helperBindings } from '../../dataplane/ffi.ts';
import { requires } from '../../scripts/testkit/skip.ts';
import { E, Fn, NativeBuf, call, hasNativeLibrary, readAt, signed } from './native.ts';

if (requires('hash maps', hasNativeLibrary())) {
  test('update flags: NOEXIST on a present key -EEXIST, EXIST on an absent one -ENOENT, others -EINVAL', () => {
    const m = createMap({ name: 'h', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4 });
    try {
      assert.is(m.tryUpdate(u32(1), u64(10), UpdateFlag.Exist), E.ENOENT);
      assert.is(m.tryUpdate(u32(1), u64(10), UpdateFlag.NoExist), 0);
      assert.is(m.tryUpdate(u32(1), u64(11), UpdateFlag.NoExist), E.EEXIST);
      assert.is(m.tryUpdate(u32(1), u64(12), UpdateFlag.Exist), 0);
      assert.is(m.tryUpdate(u32(1), u64(12), 4 as UpdateFlag), E.EINVAL);
      assert.equal(m.lookup(u32(1)), u64(12));
      assert.is(m.lookup(u32(2)), undefined);
      assert.is(m.delete(u32(1)), true);
      assert.is(m.delete(u32(1)), false);
      assert.is(m.tryDelete(u32(1)), E.ENOENT);
    } finally { m.close(); }
  });

  test('a full map refuses new keys with -E2BIG but still replaces existing ones', () => {
    const m = createMap({ name: 'hfull', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4 });
    try {
      for (let k = 0; k < 4; k++) assert.is(m.tryUpdate(u32(k), u64(k)), 0);
      assert.is(m.tryUpdate(u32(9), u64(9)), E.E2BIG);
      assert.is(m.tryUpdate(u32(2), u64(22)), 0);
      assert.is(m.tryUpdate(u32(2), u64(23), UpdateFlag.Exist), 0);
      assert.equal(m.lookup(u32(2)), u64(23));
      m.delete(u32(0));
      assert.is(m.tryUpdate(u32(9), u64(9)), 0);
      // replacing many times recycles elements (after grace periods) without running dry
      for (let i = 0; i < 5000; i++) assert.is(m.tryUpdate(u32(3), u64(i)), 0);
      assert.equal(m.lookup(u32(3)), u64(4999));
    } finally { m.close(); }
  });

  test('iteration visits every key once; an absent key restarts from the first', () => {
    const m = createMap({ name: 'hiter', type: MapType.HASH, keySize: 8, valueSize: 4, maxEntries: 100 });
    try {
      for (let k = 0; k < 100; k++) m.update(u64(k * 7919), u32(k));
      const seen = [...m.keys()].map((k) => new DataView(k.buffer).getBigUint64(0, true));
      assert.is(seen.length, 100);
      assert.is(new Set(seen).size, 100);
      assert.equal(m.nextKey(u64(123456789)), m.nextKey());
      const dump = m.dump();
      assert.is(dump.length, 100);
      assert.equal(m.dump(7).map((e) => e.key), dump.map((e) => e.key), 'batches of 7 give the same entries in the same order');
      for (const { key, value } of dump) {
        assert.is(new DataView(key.buffer).getBigUint64(0, true), BigInt(new DataView(value.buffer).getUint32(0, true) * 7919));
      }
      assert.is(createMap({ name: 'hempty', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 1 }).nextKey(), undefined);
    } finally { m.close(); }
  });

  test('helpers: lookup returns the value in place; a replace publishes a new element', () => {
    const m = createMap({ name: 'hhelp', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4 });
    const mem = new NativeBuf(64);
    try {
      mem.bytes.set(u32(5), 0);
      mem.bytes.set(u64(55), 8);
      assert.is(call(Fn.map_lookup_elem, m.address, mem.at(0)), 0n);
      assert.is(signed(call(Fn.map_update_elem, m.address, mem.at(0), mem.at(8), UpdateFlag.NoExist)), 0);
      const p = call(Fn.map_lookup_elem, m.address, mem.at(0));
      assert.equal(readAt(p, 8), u64(55));
      assert.is(signed(call(Fn.map_update_elem, m.address, mem.at(0), mem.at(8), UpdateFlag.NoExist)), E.EEXIST);
      mem.bytes.set(u64(56), 8);
      assert.is(signed(call(Fn.map_update_elem, m.address, mem.at(0), mem.at(8), UpdateFlag.Exist)), 0);
      const q = call(Fn.map_lookup_elem, m.address, mem.at(0));
      assert.ok(q !== p, 'a replace links a new element');
      assert.equal(readAt(p, 8), u64(55), 'the old element is intact until a grace period passes');
      assert.equal(readAt(q, 8), u64(56));
      assert.is(signed(call(Fn.map_delete_elem, m.address, mem.at(0))), 0);
      assert.is(signed(call(Fn.map_delete_elem, m.address, mem.at(0))), E.ENOENT);
    } finally { m.close(); mem.free(); }
  });

  test('percpu_hash: the control plane writes every CPU; a program insert zeroes the other CPUs', () => {
    const m = createMap({ name: 'phash', type: MapType.PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 4, cpus: 2 });
    const mem = new NativeBuf(16);
    const h = helperBindings();
    try {
      m.updatePerCpu(u32(1), [u32(100), u32(101)]);
      assert.equal(m.lookupPerCpu(u32(1)), [u32(100), u32(101)]);
      mem.bytes.set(u32(2), 0);
      mem.bytes.set(u32(7), 4);
      h.workerSet(1);
      assert.is(signed(call(Fn.map_update_elem, m.address, mem.at(0), mem.at(4), 0)), 0);
      assert.equal(m.lookupPerCpu(u32(2)), [u32(0), u32(7)]);
      mem.bytes.set(u32(8), 4);
      h.workerSet(0);
      assert.is(signed(call(Fn.map_update_elem, m.address, mem.at(0), mem.at(4), UpdateFlag.Exist)), 0);
      assert.equal(m.lookupPerCpu(u32(2)), [u32(8), u32(7)]);
      assert.equal(readAt(call(Fn.map_lookup_elem, m.address, mem.at(0)), 4), u32(8));
      assert.equal(m.dumpPerCpu().length, 2);
    } finally { h.workerSet(0); m.close(); mem.free(); }
  });

  test('for_each_map_elem visits every element and stops when the callback returns 1', async () => {
    const koffi = (await import('koffi')).default;
    const m = createMap({ name: 'hfe', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8 });
    try {
      for (let k = 1; k <= 5; k++) m.update(u32(k), u64(k * 10));
      let sum = 0n, calls = 0;
      const proto = koffi.proto('uint64_t fe_cb(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t)');
      const cb = koffi.register((map: bigint, key: bigint, value: bigint, ctx: bigint) => {
        calls++;
        assert.is(BigInt(map), m.address);
        assert.is(BigInt(ctx), 1234n);
        sum += new DataView(readAt(BigInt(value), 8).buffer).getBigUint64(0, true);
        void key;
        return 0n;
      }, koffi.pointer(proto));
      const n = call(Fn.for_each_map_elem, m.address, koffi.address(cb), 1234, 0);
      assert.is(n, 5n);
      assert.is(calls, 5);
      assert.is(sum, 150n);
      koffi.unregister(cb);
      const stop = koffi.register(() => 1n, koffi.pointer(proto));
      assert.is(call(Fn.for_each_map_elem, m.address, koffi.address(stop), 0, 0), 1n);
      assert.is(signed(call(Fn.for_each_map_elem, m.address, koffi.address(stop), 0, 1)), E.EINVAL);
      koffi.unregister(stop);
    } finally { m.close(); }
  });
}

test.run();
