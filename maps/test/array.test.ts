// array and percpu_array: kernel/bpf/arraymap.c semantics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMap, MapType, UpdateFlag, u32, u64 } from '../index.ts';
import { helperBindings } from '../../dataplane/ffi.ts';
import { requires } from '../../scripts/testkit/skip.ts';
import { E, Fn, call, hasNativeLibrary, readAt, signed } from './native.ts';

if (requires('array maps', hasNativeLibrary())) {
  test('elements exist from the start, zeroed; NOEXIST is -EEXIST; out of range is -E2BIG', () => {
    const m = createMap({ name: 'arr', type: MapType.ARRAY, keySize: 4, valueSize: 12, maxEntries: 3 });
    try {
      assert.equal(m.lookup(u32(2)), new Uint8Array(12));
      assert.is(m.lookup(u32(3)), undefined);
      const v = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
      assert.is(m.tryUpdate(u32(1), v, UpdateFlag.Any), 0);
      assert.is(m.tryUpdate(u32(1), v, UpdateFlag.Exist), 0);
      assert.is(m.tryUpdate(u32(1), v, UpdateFlag.NoExist), E.EEXIST);
      assert.is(m.tryUpdate(u32(3), v), E.E2BIG);
      assert.is(m.tryUpdate(u32(0), v, 3 as UpdateFlag), E.EINVAL);
      assert.equal(m.lookup(u32(1)), v);
      assert.is(m.tryDelete(u32(1)), E.EINVAL);
      assert.throws(() => m.lookup(new Uint8Array(8)), /key is 8 bytes, keySize is 4/);
      assert.throws(() => m.update(u32(0), new Uint8Array(8)), /value is 8 bytes, expected 12/);
    } finally { m.close(); }
  });

  test('get_next_key: first for absent or out-of-range keys, -ENOENT after the last', () => {
    const m = createMap({ name: 'arrnext', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 3 });
    try {
      assert.equal(m.nextKey(), u32(0));
      assert.equal(m.nextKey(u32(0)), u32(1));
      assert.equal(m.nextKey(u32(1)), u32(2));
      assert.is(m.nextKey(u32(2)), undefined);
      assert.equal(m.nextKey(u32(77)), u32(0));
      assert.equal([...m.keys()], [u32(0), u32(1), u32(2)]);
      assert.is(m.dump().length, 3);
    } finally { m.close(); }
  });

  test('the helper lookup is values + index * round_up(value_size, 8), NULL out of range', () => {
    const m = createMap({ name: 'arraddr', type: MapType.ARRAY, keySize: 4, valueSize: 12, maxEntries: 3 });
    try {
      const key = new Uint8Array(4);
      // the key must be native memory for the helper: use the map's own storage trick via a small helper map
      const keys = createMap({ name: 'keys', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
      keys.update(u32(0), u32(2));
      keys.update(u32(1), u32(3));
      const k2 = keys.valueBase, k3 = keys.valueBase + 8n;
      assert.is(call(Fn.map_lookup_elem, m.address, k2), m.valueBase + 2n * 16n);
      assert.is(call(Fn.map_lookup_elem, m.address, k3), 0n);
      m.update(u32(2), Uint8Array.from({ length: 12 }, () => 0xab));
      assert.equal(readAt(m.valueBase + 32n, 12), new Uint8Array(12).fill(0xab));
      // a helper update writes in place
      const val = createMap({ name: 'val', type: MapType.ARRAY, keySize: 4, valueSize: 12, maxEntries: 1 });
      val.update(u32(0), new Uint8Array(12).fill(7));
      assert.is(signed(call(Fn.map_update_elem, m.address, k2, val.valueBase, UpdateFlag.Exist)), 0);
      assert.equal(m.lookup(u32(2)), new Uint8Array(12).fill(7));
      assert.is(signed(call(Fn.map_update_elem, m.address, k3, val.valueBase, UpdateFlag.Any)), E.E2BIG);
      assert.is(signed(call(Fn.map_delete_elem, m.address, k2)), E.EINVAL);
      keys.close(); val.close();
      void key;
    } finally { m.close(); }
  });

  test('percpu_array: one value per CPU; programs see their worker\'s slot', () => {
    const m = createMap({ name: 'pcpu', type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, cpus: 3 });
    const keys = createMap({ name: 'pkeys', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const h = helperBindings();
    try {
      assert.is(m.valueSizeSys, 3 * 8);
      m.updatePerCpu(u32(1), [u32(10), u32(11), u32(12)]);
      assert.equal(m.lookupPerCpu(u32(1)), [u32(10), u32(11), u32(12)]);
      keys.update(u32(0), u32(1));
      // CPU-major storage (maps/array.c): each CPU's copies start on their own 128-byte block, so
      // two workers bumping the same counter never share a cache line (64 bytes).
      const lines = new Set<bigint>();
      for (const cpu of [0, 1, 2]) {
        h.workerSet(cpu);
        const p = call(Fn.map_lookup_elem, m.address, keys.valueBase);
        assert.equal(readAt(p, 4), u32(10 + cpu));
        assert.is(p, m.valueBase + BigInt(cpu * 128 + 1 * 8));
        lines.add(p / 64n);
      }
      assert.is(lines.size, 3, 'one cache line per CPU');
      h.workerSet(1);
      const v = createMap({ name: 'pv', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
      v.update(u32(0), u32(99));
      assert.is(signed(call(Fn.map_update_elem, m.address, keys.valueBase, v.valueBase, 0)), 0);
      assert.equal(m.lookupPerCpu(u32(1)), [u32(10), u32(99), u32(12)]);
      v.close();
      // bpf_map_lookup_percpu_elem reads any CPU's slot
      for (const cpu of [0, 1, 2]) assert.equal(readAt(call(195, m.address, keys.valueBase, cpu), 4), m.lookupPerCpu(u32(1))![cpu]);
      assert.is(call(195, m.address, keys.valueBase, 3), 0n, 'beyond the map\'s CPUs');
      assert.is(h.workerGet(), 1, 'the worker\'s own CPU is unchanged');
      assert.throws(() => m.updatePerCpu(u32(0), [u32(1)]), /1 per-CPU values given, the map has 3 CPUs/);
      assert.throws(() => m.update(u32(0), u64(1)), /use updatePerCpu/);
    } finally { h.workerSet(0); m.close(); keys.close(); }
  });

  test('a closed handle refuses operations', () => {
    const m = createMap({ name: 'closed', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    m.close();
    m.close();
    assert.throws(() => m.lookup(u32(0)), /closed/);
  });
}

test.run();
