// lru_hash and lru_percpu_hash: a full map keeps accepting new keys by
// evicting. The kernel approximates LRU with a reference bit that a lookup
// from a program sets (kernel/bpf/bpf_lru_list.c); control-plane lookups do
// not set it. Unreferenced elements are evicted oldest first; referenced ones
// get a second chance.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMap, MapType, UpdateFlag, u32, u64 } from '../index.ts';
import { requires } from '../../scripts/testkit/skip.ts';
import { E, Fn, NativeBuf, call, hasNativeLibrary } from './native.ts';

const present = (m: ReturnType<typeof createMap>): number[] =>
  [...m.keys()].map((k) => new DataView(k.buffer).getUint32(0, true)).sort((a, b) => a - b);

if (requires('LRU maps', hasNativeLibrary())) {
  test('a full LRU map evicts the least recently inserted unreferenced key', () => {
    const m = createMap({ name: 'lru', type: MapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 4 });
    try {
      for (let k = 1; k <= 4; k++) assert.is(m.tryUpdate(u32(k), u64(k)), 0);
      assert.is(m.tryUpdate(u32(5), u64(5)), 0);
      assert.equal(present(m), [2, 3, 4, 5]);
      assert.is(m.tryUpdate(u32(6), u64(6), UpdateFlag.NoExist), 0);
      assert.equal(present(m), [3, 4, 5, 6]);
      for (let k = 100; k < 1100; k++) assert.is(m.tryUpdate(u32(k), u64(k)), 0);
      assert.equal(present(m), [1096, 1097, 1098, 1099]);
      assert.equal(m.lookup(u32(1099)), u64(1099));
    } finally { m.close(); }
  });

  test('a key looked up by a program survives the next eviction (second chance)', () => {
    const m = createMap({ name: 'lruref', type: MapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 4 });
    const key = new NativeBuf(4);
    try {
      for (let k = 1; k <= 4; k++) m.update(u32(k), u64(k));
      key.bytes.set(u32(1));
      assert.ok(call(Fn.map_lookup_elem, m.address, key.address) !== 0n);
      m.update(u32(5), u64(5));
      assert.equal(present(m), [1, 3, 4, 5]);
      m.update(u32(6), u64(6));
      assert.equal(present(m), [1, 4, 5, 6]);
      // its bit was cleared by the scan: now it is the oldest unreferenced
      m.update(u32(7), u64(7));
      m.update(u32(8), u64(8));
      assert.equal(present(m), [5, 6, 7, 8]);
    } finally { m.close(); key.free(); }
  });

  test('a control-plane lookup does not refresh a key', () => {
    const m = createMap({ name: 'lrusys', type: MapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 2 });
    try {
      m.update(u32(1), u64(1));
      m.update(u32(2), u64(2));
      assert.ok(m.lookup(u32(1)));
      m.update(u32(3), u64(3));
      assert.equal(present(m), [2, 3]);
    } finally { m.close(); }
  });

  test('update flags and delete follow the hash map', () => {
    const m = createMap({ name: 'lruflags', type: MapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 2 });
    try {
      assert.is(m.tryUpdate(u32(1), u64(1), UpdateFlag.Exist), E.ENOENT);
      assert.is(m.tryUpdate(u32(1), u64(1), UpdateFlag.NoExist), 0);
      assert.is(m.tryUpdate(u32(1), u64(1), UpdateFlag.NoExist), E.EEXIST);
      assert.is(m.tryDelete(u32(1)), 0);
      assert.is(m.tryDelete(u32(1)), E.ENOENT);
      for (let i = 0; i < 3000; i++) assert.is(m.tryUpdate(u32(i % 5), u64(i)), 0);
      assert.is(present(m).length, 2);
    } finally { m.close(); }
  });

  test('lru_percpu_hash: per-CPU values, eviction by the same rule', () => {
    const m = createMap({ name: 'lrupcpu', type: MapType.LRU_PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 2, cpus: 2 });
    try {
      m.updatePerCpu(u32(1), [u32(1), u32(2)]);
      m.updatePerCpu(u32(2), [u32(3), u32(4)]);
      m.updatePerCpu(u32(1), [u32(5), u32(6)], UpdateFlag.Exist);
      assert.equal(m.lookupPerCpu(u32(1)), [u32(5), u32(6)]);
      m.updatePerCpu(u32(3), [u32(7), u32(8)]);
      assert.is(present(m).length, 2);
      assert.ok(m.lookupPerCpu(u32(3)));
    } finally { m.close(); }
  });
}

test.run();
