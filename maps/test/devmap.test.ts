// devmap, devmap_hash, xskmap, prog_array and map-in-map: redirect targets,
// tail-call slots and inner maps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMap, MapType, registerProgram, UpdateFlag, u32, u64 } from '../index.ts';
import { helperBindings } from '../../dataplane/ffi.ts';
import { requires } from '../../scripts/testkit/skip.ts';
import { E, Fn, NativeBuf, call, hasNativeLibrary, readAt } from './native.ts';

const XDP_DROP = 1n, XDP_PASS = 2n, XDP_REDIRECT = 4n, XDP_ABORTED = 0n;

if (requires('devmap, xskmap, prog_array, map-in-map', hasNativeLibrary())) {
  test('devmap: ifindex slots; 0 means empty; NOEXIST is -EEXIST', () => {
    const d = createMap({ name: 'tx', type: MapType.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 4 });
    try {
      assert.is(d.lookup(u32(1)), undefined);
      d.update(u32(1), u32(7));
      assert.equal(d.lookup(u32(1)), u32(7));
      assert.is(d.tryUpdate(u32(1), u32(8), UpdateFlag.NoExist), E.EEXIST);
      assert.is(d.tryUpdate(u32(4), u32(8)), E.E2BIG);
      assert.is(d.delete(u32(1)), true);
      assert.is(d.lookup(u32(1)), undefined);
      const d8 = createMap({ name: 'tx8', type: MapType.DEVMAP, keySize: 4, valueSize: 8, maxEntries: 2 });
      const val = new Uint8Array(8);
      val.set(u32(3));
      val.set(u32(0xffffffff), 4); // bpf_prog.fd = -1: no program
      d8.update(u32(0), val);
      assert.equal(d8.lookup(u32(0)), val);
      val.set(u32(5), 4);
      assert.is(d8.tryUpdate(u32(0), val), E.EINVAL, 'devmap programs are not supported');
      d8.close();
    } finally { d.close(); }
  });

  test('bpf_redirect_map: a present slot redirects; an empty one returns the fallback in flags', () => {
    const d = createMap({ name: 'txr', type: MapType.DEVMAP_HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
    const h = helperBindings();
    const buff = new NativeBuf(64);
    try {
      d.update(u32(100), u32(9));
      assert.is(call(Fn.redirect_map, d.address, 100, 0), XDP_REDIRECT);
      assert.is(h.redirectCommit(buff.address), 1);
      assert.is(new DataView(buff.bytes.buffer, buff.bytes.byteOffset).getUint32(48, true), 9);
      assert.is(call(Fn.redirect_map, d.address, 5, XDP_PASS), XDP_PASS);
      assert.is(call(Fn.redirect_map, d.address, 5, 0), XDP_ABORTED);
      assert.is(call(Fn.redirect_map, d.address, 100, 1n << 8n), XDP_ABORTED, 'unknown flag');
      assert.is(h.redirectCommit(buff.address), 0, 'nothing pending after a commit');
      assert.is(call(Fn.redirect, 12, 0), XDP_REDIRECT);
      assert.is(h.redirectCommit(buff.address), 1);
      assert.is(new DataView(buff.bytes.buffer, buff.bytes.byteOffset).getUint32(48, true), 12);
      assert.is(call(Fn.redirect, 12, 1), XDP_ABORTED);
    } finally { d.close(); buff.free(); }
  });

  test('xskmap: sockets by queue; not readable back; redirect_map picks the socket', () => {
    const x = createMap({ name: 'xsks', type: MapType.XSKMAP, keySize: 4, valueSize: 4, maxEntries: 4 });
    const h = helperBindings();
    const buff = new NativeBuf(64);
    try {
      assert.is(x.tryUpdate(u32(0), u32(33), UpdateFlag.Exist), E.ENOENT);
      x.update(u32(0), u32(33));
      assert.is(x.tryUpdate(u32(0), u32(34), UpdateFlag.NoExist), E.EEXIST);
      assert.throws(() => x.lookup(u32(0)), /-EOPNOTSUPP/);
      assert.is(call(Fn.redirect_map, x.address, 0, XDP_DROP), XDP_REDIRECT);
      assert.is(h.redirectCommit(buff.address), 2);
      assert.is(call(Fn.redirect_map, x.address, 1, XDP_DROP), XDP_DROP);
    } finally { x.close(); buff.free(); }
  });

  test('prog_array: values are program ids; slots hold entry addresses for the JIT', () => {
    const p = createMap({ name: 'jmp', type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    try {
      assert.is(p.tryUpdate(u32(0), u32(777)), E.EBADF, 'an id no program was registered under');
      registerProgram(777, 0x1234000n);
      assert.is(p.tryUpdate(u32(1), u32(777), UpdateFlag.NoExist), E.EINVAL, 'fd arrays take BPF_ANY only');
      p.update(u32(1), u32(777));
      assert.equal(p.lookup(u32(1)), u32(777));
      assert.is(p.lookup(u32(0)), undefined);
      // the JIT-visible layout: *(u64 *)(map + 32) = slots, slot i = entry address
      const slots = new DataView(readAt(p.address + 32n, 8).buffer).getBigUint64(0, true);
      assert.equal(readAt(slots + 8n, 8), u64(0x1234000n));
      assert.equal(readAt(p.address + 12n, 4), u32(4), 'max_entries at offset 12');
      assert.is(p.delete(u32(1)), true);
      assert.equal(readAt(slots + 8n, 8), u64(0));
      assert.is(helperBindings().name(Fn.tail_call), 'tail_call');
      assert.is(helperBindings().address(Fn.tail_call), 0n);
    } finally { p.close(); }
  });

  test('array_of_maps and hash_of_maps: values are map ids; the helper lookup returns the inner map', () => {
    const inner = createMap({ name: 'inner', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 });
    const aom = createMap({ name: 'aom', type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2 });
    const hom = createMap({ name: 'hom', type: MapType.HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2 });
    const key = new NativeBuf(4);
    try {
      aom.update(u32(1), u32(inner.id));
      hom.update(u32(9), u32(inner.id));
      assert.equal(aom.lookup(u32(1)), u32(inner.id));
      assert.equal(hom.lookup(u32(9)), u32(inner.id));
      key.bytes.set(u32(1));
      assert.is(call(Fn.map_lookup_elem, aom.address, key.address), inner.address);
      key.bytes.set(u32(9));
      assert.is(call(Fn.map_lookup_elem, hom.address, key.address), inner.address);
      key.bytes.set(u32(0));
      assert.is(call(Fn.map_lookup_elem, aom.address, key.address), 0n);
      assert.is(aom.tryUpdate(u32(0), u32(999999)), E.EBADF);
      assert.is(aom.tryUpdate(u32(0), u32(hom.id)), E.EINVAL, 'no map-in-map inside map-in-map');
      // closing an inner map that slots hold: it lives on for them, without its id
      const innerAddress = inner.address, innerId = inner.id;
      inner.update(u32(0), u64(0x5151));
      inner.close();
      assert.is(aom.tryUpdate(u32(0), u32(innerId)), E.EBADF, 'the id is gone');
      key.bytes.set(u32(1));
      assert.is(call(Fn.map_lookup_elem, aom.address, key.address), innerAddress);
      key.bytes.set(u32(0));
      const v = call(Fn.map_lookup_elem, innerAddress, key.address);
      assert.equal(readAt(v, 8), u64(0x5151), 'still readable through the outer map');
      aom.delete(u32(1));
      hom.delete(u32(9)); // the last hold: destroyed now (after a grace period)
    } finally { aom.close(); hom.close(); if (!inner.isClosed) inner.close(); key.free(); }
  });
}

test.run();
