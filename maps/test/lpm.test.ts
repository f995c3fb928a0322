// lpm_trie: longest-prefix match (kernel/bpf/lpm_trie.c). Keys are struct
// bpf_lpm_trie_key: u32 prefixlen, then the address in network order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMap, ipv4Key, ipv6Key, MapFlag, MapType, UpdateFlag, u32 } from '../index.ts';
import { requires } from '../../scripts/testkit/skip.ts';
import { E, Fn, NativeBuf, call, hasNativeLibrary, readAt } from './native.ts';

const v4 = (maxEntries = 64) => createMap({ name: 'lpm4', type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries, flags: MapFlag.NoPrealloc });
const v6 = () => createMap({ name: 'lpm6', type: MapType.LPM_TRIE, keySize: 20, valueSize: 4, maxEntries: 64, flags: MapFlag.NoPrealloc });
const val = (m: ReturnType<typeof createMap>, key: Uint8Array): number | undefined => {
  const v = m.lookup(key);
  return v && new DataView(v.buffer).getUint32(0, true);
};

if (requires('lpm_trie', hasNativeLibrary())) {
  test('IPv4: the longest matching prefix wins; /0 matches everything; /32 only itself', () => {
    const m = v4();
    try {
      m.update(ipv4Key('0.0.0.0', 0), u32(1));
      m.update(ipv4Key('10.0.0.0', 8), u32(8));
      m.update(ipv4Key('10.1.0.0', 16), u32(16));
      m.update(ipv4Key('10.1.2.0', 24), u32(24));
      m.update(ipv4Key('10.1.2.3', 32), u32(32));
      assert.is(val(m, ipv4Key('10.1.2.3', 32)), 32);
      assert.is(val(m, ipv4Key('10.1.2.4', 32)), 24);
      assert.is(val(m, ipv4Key('10.1.3.4', 32)), 16);
      assert.is(val(m, ipv4Key('10.2.3.4', 32)), 8);
      assert.is(val(m, ipv4Key('11.2.3.4', 32)), 1);
      // the key's prefixlen bounds the match
      assert.is(val(m, ipv4Key('10.1.2.3', 24)), 24);
      assert.is(val(m, ipv4Key('10.1.2.3', 0)), 1);
      m.delete(ipv4Key('0.0.0.0', 0));
      assert.is(val(m, ipv4Key('11.2.3.4', 32)), undefined);
      m.delete(ipv4Key('10.1.2.0', 24));
      assert.is(val(m, ipv4Key('10.1.2.4', 32)), 16);
      assert.is(val(m, ipv4Key('10.1.2.3', 32)), 32);
      // bits beyond the prefix length do not matter for the entry's identity
      assert.is(m.tryUpdate(ipv4Key('10.255.255.255', 8), u32(88), UpdateFlag.Exist), 0);
      assert.is(val(m, ipv4Key('10.9.9.9', 32)), 88);
    } finally { m.close(); }
  });

  test('update flags, -ENOSPC when full (replacing still works), -EINVAL for a prefix too long', () => {
    const m = v4(2);
    try {
      assert.is(m.tryUpdate(ipv4Key('192.168.0.0', 16), u32(1), UpdateFlag.Exist), E.ENOENT);
      assert.is(m.tryUpdate(ipv4Key('192.168.0.0', 16), u32(1), UpdateFlag.NoExist), 0);
      assert.is(m.tryUpdate(ipv4Key('192.168.0.0', 16), u32(2), UpdateFlag.NoExist), E.EEXIST);
      assert.is(m.tryUpdate(ipv4Key('192.168.1.0', 24), u32(3)), 0);
      assert.is(m.tryUpdate(ipv4Key('192.168.2.0', 24), u32(4)), E.ENOSPC);
      assert.is(m.tryUpdate(ipv4Key('192.168.0.0', 16), u32(5)), 0);
      assert.is(val(m, ipv4Key('192.168.7.7', 32)), 5);
      assert.is(m.tryUpdate(ipv4Key('1.2.3.4', 33), u32(1)), E.EINVAL);
      assert.is(m.tryDelete(ipv4Key('192.168.0.0', 17)), E.ENOENT);
      assert.is(m.tryDelete(ipv4Key('192.168.0.0', 16)), 0);
      assert.is(m.tryDelete(ipv4Key('192.168.0.0', 16)), E.ENOENT);
      assert.is(val(m, ipv4Key('192.168.1.9', 32)), 3);
    } finally { m.close(); }
  });

  test('get_next_key walks in postorder: more specific prefixes first (the kernel\'s example)', () => {
    const m = v4();
    try {
      m.update(ipv4Key('192.168.0.0', 16), u32(1));
      m.update(ipv4Key('192.168.0.0', 24), u32(2));
      m.update(ipv4Key('192.168.128.0', 24), u32(3));
      m.update(ipv4Key('192.168.1.0', 24), u32(4));
      const order = [...m.keys()];
      assert.equal(order, [ipv4Key('192.168.0.0', 24), ipv4Key('192.168.1.0', 24), ipv4Key('192.168.128.0', 24), ipv4Key('192.168.0.0', 16)]);
      assert.equal(m.nextKey(ipv4Key('10.0.0.0', 8)), ipv4Key('192.168.0.0', 24));
      assert.is(m.nextKey(ipv4Key('192.168.0.0', 16)), undefined);
    } finally { m.close(); }
  });

  test('IPv6: /128, /64, /0', () => {
    const m = v6();
    try {
      m.update(ipv6Key('::', 0), u32(0));
      m.update(ipv6Key('2001:db8::', 32), u32(32));
      m.update(ipv6Key('2001:db8:1:2::', 64), u32(64));
      m.update(ipv6Key('2001:db8:1:2::1', 128), u32(128));
      assert.is(val(m, ipv6Key('2001:db8:1:2::1', 128)), 128);
      assert.is(val(m, ipv6Key('2001:db8:1:2::2', 128)), 64);
      assert.is(val(m, ipv6Key('2001:db8:ffff::1', 128)), 32);
      assert.is(val(m, ipv6Key('fe80::1', 128)), 0);
      assert.is(m.tryUpdate(ipv6Key('::', 129), u32(1)), E.EINVAL);
      assert.is([...m.keys()].length, 4);
    } finally { m.close(); }
  });

  test('the helper lookup returns the longest match\'s value in place', () => {
    const m = v4();
    const key = new NativeBuf(8);
    try {
      m.update(ipv4Key('10.0.0.0', 8), u32(8));
      key.bytes.set(ipv4Key('10.20.30.40', 32));
      const p = call(Fn.map_lookup_elem, m.address, key.address);
      assert.equal(readAt(p, 4), u32(8));
      key.bytes.set(ipv4Key('11.0.0.1', 32));
      assert.is(call(Fn.map_lookup_elem, m.address, key.address), 0n);
    } finally { m.close(); key.free(); }
  });

  test('many random prefixes agree with a linear longest-match scan', () => {
    const m = v4(2000);
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0);
    const routes = new Map<string, { addr: number; len: number; v: number }>();
    try {
      for (let i = 0; i < 1500; i++) {
        const len = rnd() % 33, addr = (rnd() & (len === 0 ? 0 : (~0 << (32 - len)))) >>> 0;
        const key = `${addr}/${len}`;
        const k = new Uint8Array(8);
        new DataView(k.buffer).setUint32(0, len, true);
        new DataView(k.buffer).setUint32(4, addr, false);
        if (i % 5 === 4 && routes.size) {
          const victim = [...routes.values()][rnd() % routes.size]!;
          const vk = new Uint8Array(8);
          new DataView(vk.buffer).setUint32(0, victim.len, true);
          new DataView(vk.buffer).setUint32(4, victim.addr, false);
          assert.is(m.tryDelete(vk), 0);
          routes.delete(`${victim.addr}/${victim.len}`);
          continue;
        }
        m.update(k, u32(i));
        routes.set(key, { addr, len, v: i });
      }
      for (let q = 0; q < 2000; q++) {
        const addr = rnd() >>> 0;
        let best: { len: number; v: number } | undefined;
        for (const r of routes.values()) {
          const mask = r.len === 0 ? 0 : (~0 << (32 - r.len)) >>> 0;
          if (((addr & mask) >>> 0) === r.addr && (!best || r.len > best.len)) best = r;
        }
        const k = new Uint8Array(8);
        new DataView(k.buffer).setUint32(0, 32, true);
        new DataView(k.buffer).setUint32(4, addr, false);
        assert.is(val(m, k), best?.v, `lookup ${addr}`);
      }
      assert.is([...m.keys()].length, routes.size);
      assert.equal(m.dump(13).map((e) => e.key), [...m.keys()], 'batched dump follows get_next_key');
    } finally { m.close(); }
  });
}

test.run();
