// A struct bpf_spin_lock inside map values (its offset comes from BTF): the
// control plane's copies leave it alone, as the kernel's copy_map_value does,
// and BPF_F_LOCK copies under it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMap, MapType, UpdateFlag, u32 } from '../index.ts';
import { requires } from '../../scripts/testkit/skip.ts';
import { E, Fn, NativeBuf, call, hasNativeLibrary, readAt } from './native.ts';

const value = (fill: number, lock = 0) => { const v = new Uint8Array(16).fill(fill); new DataView(v.buffer).setUint32(8, lock, true); return v; };
const lockWord = (addr: bigint) => new DataView(readAt(addr + 8n, 4).buffer).getUint32(0, true);

if (requires('bpf_spin_lock in map values', hasNativeLibrary())) {
  test('array: updates skip the lock word; BPF_F_LOCK needs a declared lock', () => {
    const m = createMap({ name: 'locked', type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 2 });
    try {
      assert.is(m.tryUpdate(u32(0), value(1), UpdateFlag.Lock), E.EINVAL, 'no lock declared');
      m.setSpinLock(8);
      const v0 = m.valueBase;
      call(Fn.spin_lock, v0 + 8n); // a program holds the lock
      m.update(u32(0), value(5, 0));
      assert.is(lockWord(v0), 1, 'still held');
      assert.equal(readAt(v0, 8), new Uint8Array(8).fill(5));
      call(Fn.spin_unlock, v0 + 8n);
      assert.is(m.tryUpdate(u32(0), value(6, 0xffffffff), UpdateFlag.Lock | UpdateFlag.Exist), 0);
      assert.is(lockWord(v0), 0, 'released after the locked copy');
      assert.equal(readAt(v0 + 12n, 4), new Uint8Array(4).fill(6));
      assert.throws(() => m.setSpinLock(6), /no bpf_spin_lock/);
      assert.throws(() => m.setSpinLock(16), /no bpf_spin_lock/);
    } finally { m.close(); }
  });

  test('hash: a new element\'s lock starts free; BPF_F_LOCK updates an element in place', () => {
    const m = createMap({ name: 'hlocked', type: MapType.HASH, keySize: 4, valueSize: 16, maxEntries: 4 });
    const key = new NativeBuf(4);
    try {
      m.setSpinLock(8);
      m.update(u32(1), value(1, 0xffffffff));
      key.bytes.set(u32(1));
      const p = call(Fn.map_lookup_elem, m.address, key.address);
      assert.is(lockWord(p), 0);
      assert.is(m.tryUpdate(u32(1), value(2), UpdateFlag.Lock), 0);
      assert.is(call(Fn.map_lookup_elem, m.address, key.address), p, 'same element');
      assert.equal(readAt(p, 8), new Uint8Array(8).fill(2));
      assert.is(m.tryUpdate(u32(1), value(3), UpdateFlag.Lock | UpdateFlag.NoExist), E.EEXIST);
      assert.is(m.tryUpdate(u32(2), value(3), UpdateFlag.Lock | UpdateFlag.Exist), E.ENOENT);
      assert.is(m.tryUpdate(u32(2), value(3), UpdateFlag.Lock), 0, 'absent: inserted');
      assert.equal(m.lookup(u32(2))!.slice(0, 8), new Uint8Array(8).fill(3));
      const pc = createMap({ name: 'pclock', type: MapType.PERCPU_HASH, keySize: 4, valueSize: 16, maxEntries: 4 });
      assert.throws(() => pc.setSpinLock(8), /no bpf_spin_lock/, 'not in per-CPU maps');
      pc.close();
    } finally { m.close(); key.free(); }
  });
}

test.run();
