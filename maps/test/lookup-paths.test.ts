// The specialised program-side lookup paths (maps/hash_lookup.c: sluice_hash_lookup4/8/16 for
// plain hash maps; maps/lpm.c: the word-wise prefix compare) against references
// computed here from the kernel's semantics: a hash lookup finds exactly the keys
// stored; an lpm_trie lookup with key prefixlen L finds the longest stored prefix
// P with P.len <= L whose first P.len bits equal the key's (kernel/bpf/lpm_trie.c).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMap, MapFlag, MapType, u32 } from '../index.ts';
import { helperBindings } from '../../dataplane/ffi.ts';
import { requires } from '../../scripts/testkit/skip.ts';
import { Fn, NativeBuf, call, hasNativeLibrary, readAt } from './native.ts';

let seed = 0x2545f491;
const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
const randomBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rnd() & 0xff);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const readU32 = (p: bigint): number => new DataView(readAt(p, 4).buffer).getUint32(0, true);

if (requires('map lookups from programs', hasNativeLibrary())) {
  for (const [type, label] of [[MapType.HASH, 'hash'], [MapType.LRU_HASH, 'lru_hash']] as const) {
  for (const keySize of [4, 8, 16, 12]) {
    for (const flags of [0, MapFlag.ZeroSeed]) {
      test(`${label}, ${keySize}-byte keys${flags ? ', BPF_F_ZERO_SEED' : ''}: the helper finds every stored key and no other`, () => {
        const m = createMap({ name: 'hk', type, keySize, valueSize: 4, maxEntries: 512, flags });
        const key = new NativeBuf(keySize);
        const stored = new Map<string, number>();
        try {
          for (let i = 0; i < 400; i++) {
            const k = randomBytes(keySize);
            // keys alike but in one byte: the hash must still tell them apart
            if (i % 4 === 0) k.fill(0, 0, keySize - 1);
            m.update(k, u32(i));
            stored.set(hex(k), i);
          }
          [...stored.keys()].forEach((h, n) => { if (n % 3 === 0) { m.delete(Buffer.from(h, 'hex')); stored.delete(h); } });
          for (const [h, v] of stored) {
            key.bytes.set(Buffer.from(h, 'hex'));
            const p = call(Fn.map_lookup_elem, m.address, key.address);
            assert.ok(p !== 0n, `stored key ${h} found`);
            assert.is(readU32(p), v);
          }
          for (let i = 0; i < 400; i++) {
            const k = randomBytes(keySize);
            if (stored.has(hex(k))) continue;
            key.bytes.set(k);
            assert.is(call(Fn.map_lookup_elem, m.address, key.address), 0n, `absent key ${hex(k)}`);
          }
        } finally { m.close(); key.free(); }
      });
    }
  }
  }

  test('hash, 16-byte keys, BPF_F_ZERO_SEED: keys whose first 8 bytes are 0 (::ffff:a.b.c.d) spread over buckets', () => {
    // get_next_key walks bucket by bucket (kernel order); keys sharing one bucket come back as
    // their chain holds them, newest first. 64 keys all in one chain would come back exactly so.
    const m = createMap({ name: 'hz', type: MapType.HASH, keySize: 16, valueSize: 4, maxEntries: 128, flags: MapFlag.ZeroSeed });
    try {
      const keys = Array.from({ length: 64 }, (_, i) => Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, i]));
      for (const k of keys) m.update(k, u32(1));
      const order = [...m.keys()].map(hex);
      assert.is(order.length, 64);
      assert.not.equal(order, keys.map(hex).reverse(), 'every key in one bucket');
    } finally { m.close(); }
  });

  // Per-CPU hash values: each worker's slot of a key in its own cache line (two workers counting
  // the same flow must not write one line), for elements from the pool and, with
  // BPF_F_NO_PREALLOC beyond the spares, elements allocated on demand.
  for (const [type, flags, label] of [[MapType.PERCPU_HASH, 0, 'percpu_hash'], [MapType.PERCPU_HASH, MapFlag.NoPrealloc, 'percpu_hash, BPF_F_NO_PREALLOC'], [MapType.LRU_PERCPU_HASH, 0, 'lru_percpu_hash']] as const) {
    test(`${label}: every CPU's value right, and in a cache line no other CPU's value shares`, () => {
      const cpus = 3, n = 400;
      const m = createMap({ name: 'pch', type, keySize: 4, valueSize: 12, maxEntries: 1000, flags, cpus });
      const key = new NativeBuf(4);
      const h = helperBindings();
      const value = (k: number, c: number) => Uint8Array.from({ length: 12 }, (_, i) => (k * 7 + c * 31 + i) & 0xff);
      try {
        for (let k = 0; k < n; k++) m.updatePerCpu(u32(k), Array.from({ length: cpus }, (_, c) => value(k, c)));
        for (let k = 0; k < n; k += 3) m.delete(u32(k)); // recycled elements must not mix values
        for (let k = 0; k < n; k += 6) m.updatePerCpu(u32(k), Array.from({ length: cpus }, (_, c) => value(k + 1000, c)));
        for (let k = 0; k < n; k++) {
          const want = k % 6 === 0 ? (c: number) => value(k + 1000, c) : k % 3 === 0 ? undefined : (c: number) => value(k, c);
          const got = m.lookupPerCpu(u32(k));
          if (!want) { assert.is(got, undefined, `key ${k} deleted`); continue; }
          assert.equal(got, Array.from({ length: cpus }, (_, c) => want(c)), `key ${k} through the control plane`);
          key.bytes.set(u32(k));
          const lines: bigint[] = [];
          for (let c = 0; c < cpus; c++) {
            h.workerSet(c);
            const p = call(Fn.map_lookup_elem, m.address, key.address);
            assert.equal(readAt(p, 12), want(c), `key ${k}, CPU ${c} through the helper`);
            lines.push(p / 64n, (p + 11n) / 64n);
          }
          for (let c = 0; c < cpus; c++)
            for (let d = c + 1; d < cpus; d++)
              assert.ok(!lines.slice(2 * c, 2 * c + 2).some((l) => lines.slice(2 * d, 2 * d + 2).includes(l)), `key ${k}: CPUs ${c} and ${d} share a line`);
        }
      } finally { h.workerSet(0); m.close(); key.free(); }
    });
  }

  // data sizes: IPv4 (4-byte compare), IPv6 (two 8-byte compares), 6 and 11 bytes (byte tails)
  for (const dataSize of [4, 16, 6, 11]) {
    test(`lpm_trie, ${dataSize}-byte data: random prefixes and lookups of any prefixlen agree with a linear scan`, () => {
      const bits = dataSize * 8;
      const m = createMap({ name: 'lpmk', type: MapType.LPM_TRIE, keySize: 4 + dataSize, valueSize: 4, maxEntries: 600, flags: MapFlag.NoPrealloc });
      const key = new NativeBuf(4 + dataSize);
      const bitOf = (d: Uint8Array, i: number): number => (d[i >> 3]! >> (7 - (i & 7))) & 1;
      const masked = (d: Uint8Array, len: number): Uint8Array => d.map((b, i) => (i * 8 >= len ? 0 : i * 8 + 8 <= len ? b : b & (0xff << (8 - (len - i * 8)))));
      const keyOf = (len: number, d: Uint8Array): Uint8Array => { const k = new Uint8Array(4 + dataSize); new DataView(k.buffer).setUint32(0, len, true); k.set(d, 4); return k; };
      // prefixes clustered under a few roots, so the trie has depth and near-misses
      const roots = Array.from({ length: 4 }, () => randomBytes(dataSize));
      const routes = new Map<string, { len: number; data: Uint8Array; v: number }>();
      try {
        for (let i = 0; i < 500; i++) {
          const d = roots[rnd() % roots.length]!.slice();
          for (let flip = rnd() % 4; flip > 0; flip--) { const at = rnd() % bits; d[at >> 3]! ^= 0x80 >> (at & 7); }
          const len = rnd() % (bits + 1);
          const data = masked(d, len);
          m.update(keyOf(len, data), u32(i));
          routes.set(`${len}/${hex(data)}`, { len, data, v: i });
        }
        for (let q = 0; q < 1500; q++) {
          const d = roots[rnd() % roots.length]!.slice();
          for (let flip = rnd() % 3; flip > 0; flip--) { const at = rnd() % bits; d[at >> 3]! ^= 0x80 >> (at & 7); }
          const qlen = q % 3 === 0 ? rnd() % (bits + 1) : bits;
          let best: { len: number; v: number } | undefined;
          for (const r of routes.values()) {
            if (r.len > qlen || (best && r.len <= best.len)) continue;
            let same = true;
            for (let i = 0; i < r.len && same; i++) same = bitOf(r.data, i) === bitOf(d, i);
            if (same) best = r;
          }
          key.bytes.set(keyOf(qlen, d));
          const p = call(Fn.map_lookup_elem, m.address, key.address);
          assert.is(p === 0n ? undefined : readU32(p), best?.v, `lookup ${hex(d)}/${qlen}`);
        }
      } finally { m.close(); key.free(); }
    });
  }
}

test.run();
