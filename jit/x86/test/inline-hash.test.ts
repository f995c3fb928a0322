// map_lookup_elem on a plain hash map inlined (JitOptions.hashMapAt, jit/x86/inline-hash.ts):
// differential against the map's own lookup (maps/hash_lookup.c sluice_hash_lookup4/8/16, called directly as
// the JIT does without inlining) on real maps filled until their buckets chain, and against
// what the control plane put in them. Keys that share a bucket and keys that share the whole
// 32-bit hash are found here by brute force through hash_key.h's function (mum(k ^ seed, seed2)),
// written from its definition; that the model is right is checked against the hash C stored
// in each element, read through the layout's offsets.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import koffi from 'koffi';
import { assemble } from '../../isa/asm.ts';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import type { HashMapLayout, JitOptions } from '../compile.ts';
import { X } from '../regs.ts';
import { hasNativeLibrary, runBurst } from './native.ts';
import { JitProgram } from '../../../dataplane/jit-program.ts';
import { helperBindings } from '../../../dataplane/ffi.ts';
import { jitEngine } from '../../../dataplane/pipeline/jit-engine.ts';
import { FrameArena } from '../../../dataplane/frame-arena.ts';
import { createMap, MapFlag, MapType, type MapHandle } from '../../../maps/index.ts';

const M64 = (1n << 64n) - 1n;
/** hash_key.h mum: the 128-bit product's halves xored. */
const mum = (a: bigint, b: bigint): bigint => { const r = (a & M64) * (b & M64); return (r & M64) ^ (r >> 64n); };
const word = (k: Uint8Array, at: number, n: 4 | 8): bigint => {
  const v = new DataView(k.buffer, k.byteOffset + at, n);
  return n === 4 ? BigInt(v.getUint32(0, true)) : v.getBigUint64(0, true);
};
/** hash_key.h hash4 / hash8 / hash16. */
function hashOf(k: Uint8Array, m: HashMapLayout): number {
  const h = k.length === 16 ? mum(word(k, 0, 8) ^ m.seed, word(k, 8, 8) ^ m.seed2) : mum(word(k, 0, k.length as 4 | 8) ^ m.seed, m.seed2);
  return Number(h & 0xffffffffn);
}

/** A deterministic stream of keys (xorshift), all different. */
function keyStream(size: number, seed: number): () => Uint8Array {
  let s = BigInt(seed) | 1n;
  const seen = new Set<string>();
  return () => {
    for (;;) {
      const k = new Uint8Array(size);
      for (let i = 0; i < size; i += 8) {
        s ^= (s << 13n) & M64; s ^= s >> 7n; s ^= (s << 17n) & M64;
        const b = new Uint8Array(new BigUint64Array([s]).buffer);
        k.set(b.subarray(0, Math.min(8, size - i)), i);
      }
      const id = Buffer.from(k).toString('hex');
      if (!seen.has(id)) { seen.add(id); return k; }
    }
  };
}

const VALUE = 16; // {u64 tag, u64 hits}
const value = (tag: bigint): Uint8Array => { const v = new Uint8Array(VALUE); new DataView(v.buffer).setBigUint64(0, tag, true); return v; };
const readU64 = (address: bigint, off = 0): bigint => new DataView(koffi.view(address + BigInt(off), 8) as ArrayBuffer).getBigUint64(0, true);
const readU32 = (address: bigint, off = 0): number => new DataView(koffi.view(address + BigInt(off), 4) as ArrayBuffer).getUint32(0, true);

/** r0 = lookup(map, key at r1): the returned pointer itself, so both paths can be compared address for address. */
const LOOKUP = (map: bigint): string => `
  r2 = r1
  r1 = ${map} ll
  call 1
  exit`;

/** A key buffer in native memory the compiled function reads. */
class Keys {
  readonly at: bigint;
  constructor(readonly size: number) { this.at = koffi.alloc('uint8_t', 16) as bigint; }
  /** The key, then bytes that are not part of it (a lookup must read key_size bytes only). */
  set(k: Uint8Array): bigint {
    const view = new Uint8Array(koffi.view(this.at, 16) as ArrayBuffer);
    view.fill(0xa5 ^ k[0]!);
    view.set(k);
    return this.at;
  }
  free(): void { koffi.free(this.at); }
}

/** The two ways to look up: inlined (no helper, no map function known: a call would not compile) and the map's own function. */
function lookups(m: MapHandle, extra: JitOptions = {}): { inlined: JitProgram; own: JitProgram; free(): void } {
  const layout = m.hashLayout;
  assert.ok(layout, `${m.name}: a plain hash map has a layout`);
  const inlined = JitProgram.compile(assemble(LOOKUP(m.address)), { entry: 'function', rewriteContext: false, hashMapAt: (at) => (at === m.address ? layout : undefined), ...extra });
  const own = JitProgram.compile(assemble(LOOKUP(m.address)), { entry: 'function', rewriteContext: false, mapLookupAt: (at) => (at === m.address ? m.lookupFn : undefined) });
  return { inlined, own, free() { inlined.free(); own.free(); } };
}

/** Two keys with the same 32-bit hash (so the same bucket, and a walk that compares only hashes confuses them). */
function hashTwins(size: number, layout: HashMapLayout, seed: number): [Uint8Array, Uint8Array] {
  const next = keyStream(size, seed);
  const byHash = new Map<number, Uint8Array>();
  for (let i = 0; i < 2_000_000; i++) {
    const k = next();
    const h = hashOf(k, layout);
    const twin = byHash.get(h);
    if (twin) return [twin, k];
    byHash.set(h, k);
  }
  throw new Error('no two keys with one hash in 2M tries');
}

if (requires('inlined hash map lookups', hasNativeLibrary())) {
  test('only plain hash maps with 4-, 8- or 16-byte keys have a layout; its offsets are those of maps/hash_int.h', () => {
    const made: MapHandle[] = [];
    const make = (type: MapType, keySize: number, flags = 0): MapHandle => {
      const m = createMap({ name: 'hl', type, keySize, valueSize: 8, maxEntries: 8, flags, cpus: 2 });
      made.push(m);
      return m;
    };
    try {
      for (const k of [4, 8, 16]) {
        const l = make(MapType.HASH, k).hashLayout!;
        assert.ok(l, `hash, ${k}-byte key`);
        assert.is(l.keySize, k);
        assert.is(l.keyBytes, (k + 7) & ~7);
        assert.is(l.bucketMask, 7, 'max_entries 8: 8 buckets');
        assert.ok(l.seed2 % 2n === 1n, 'seed2 is odd (hash.c)');
      }
      assert.ok(make(MapType.HASH, 4, MapFlag.NoPrealloc).hashLayout, 'BPF_F_NO_PREALLOC: the same elements');
      for (const k of [1, 2, 12, 20, 32]) assert.is(make(MapType.HASH, k).hashLayout, undefined, `a ${k}-byte key keeps the generic lookup`);
      for (const t of [MapType.LRU_HASH, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH, MapType.ARRAY]) assert.is(make(t, 4).hashLayout, undefined, `type ${t}`);
      // struct helem { next, link, lru_prev, lru_next, retired_at; u32 hash; 4 bytes; data[] } and struct bucket { head; int lock, pad }
      const l = made[0]!.hashLayout!;
      assert.equal([l.nextOffset, l.hashOffset, l.dataOffset, l.bucketSize, l.headOffset], [0, 40, 48, 16, 0]);
      // Zero seed: fixed secrets, the same for every map (hash.c: seed ^ pi's digits); seeded: per map.
      const z1 = make(MapType.HASH, 8, MapFlag.ZeroSeed).hashLayout!, z2 = make(MapType.HASH, 8, MapFlag.ZeroSeed).hashLayout!;
      assert.equal([z1.seed, z1.seed2], [z2.seed, z2.seed2]);
      assert.is(z1.seed, 0x452821e638d01377n);
      assert.not.equal(made[1]!.hashLayout!.seed, made[2]!.hashLayout!.seed);
    } finally {
      for (const m of made) m.close();
    }
  });

  for (const keySize of [4, 8, 16] as const) {
    for (const flags of [0, MapFlag.ZeroSeed]) {
      const label = `${keySize}-byte keys${flags ? ', BPF_F_ZERO_SEED' : ', seeded'}`;
      test(`${label}: hits, misses, chains, same-hash twins, deletes and replaced elements agree with the map's own lookup`, () => {
        const max = 2048;
        const m = createMap({ name: `ih${keySize}`, type: MapType.HASH, keySize, valueSize: VALUE, maxEntries: max, flags });
        const keys = new Keys(keySize);
        const layout = m.hashLayout!;
        const { inlined, own, free } = lookups(m);
        try {
          const next = keyStream(keySize, 7 + keySize + flags);
          const present = new Map<string, { key: Uint8Array; tag: bigint }>();
          const hex = (k: Uint8Array): string => Buffer.from(k).toString('hex');
          const [twinA, twinB] = hashTwins(keySize, layout, 99 + keySize + flags);
          const put = (k: Uint8Array, tag: bigint): void => { m.update(k, value(tag)); present.set(hex(k), { key: k, tag }); };
          put(twinA, 0xa0a0n);
          for (let i = 0; present.size < max - 1; i++) put(next(), BigInt(i) * 3n + 1n);
          const absent = Array.from({ length: 1500 }, () => next());
          // The model of the hash is C's: every element's stored hash (struct helem.hash) is hashOf(key).
          const check = (what: string): void => {
            let hits = 0;
            for (const { key, tag } of present.values()) {
              const got = inlined.call(keys.set(key)), want = own.call(keys.set(key));
              if (got !== want || got === 0n) assert.unreachable(`${what}: key ${hex(key)}: inlined 0x${got.toString(16)}, own lookup 0x${want.toString(16)}`);
              assert.is(readU64(got), tag, `${what}: the value of ${hex(key)}`);
              const element = got - BigInt(layout.keyBytes + layout.dataOffset);
              assert.is(readU32(element, layout.hashOffset), hashOf(key, layout), `${what}: C's stored hash of ${hex(key)} is hash_key.h's`);
              hits++;
            }
            for (const key of absent) {
              if (present.has(hex(key))) continue;
              const got = inlined.call(keys.set(key)), want = own.call(keys.set(key));
              if (got !== 0n || want !== 0n) assert.unreachable(`${what}: absent key ${hex(key)}: inlined 0x${got.toString(16)}, own 0x${want.toString(16)}`);
            }
            assert.ok(hits > 0);
          };
          // Chains: how many present keys are not alone in their bucket (the walk must follow next to find them).
          const perBucket = new Map<number, number>();
          for (const { key } of present.values()) { const b = hashOf(key, layout) & layout.bucketMask; perBucket.set(b, (perBucket.get(b) ?? 0) + 1); }
          const chained = [...perBucket.values()].filter((n) => n >= 3).length;
          assert.ok(chained > 50, `only ${chained} buckets hold three or more keys`);
          check('full map');
          // twinB: same hash as twinA, absent: a walk comparing only hashes would return twinA's value.
          assert.is(inlined.call(keys.set(twinB)), 0n, 'a key with a present key\'s hash but other bytes is not found');
          // Deletes: every third key.
          let i = 0;
          for (const [id, { key }] of [...present]) if (i++ % 3 === 0 && id !== hex(twinA)) { assert.ok(m.delete(key)); present.delete(id); absent.push(key); }
          put(twinB, 0xb0b0n); // now both twins: each finds its own element in the same chain
          assert.is(readU64(inlined.call(keys.set(twinB))), 0xb0b0n);
          assert.is(readU64(inlined.call(keys.set(twinA))), 0xa0a0n);
          check('after deletes');
          // Updates replace the element: the new one's address must come back.
          i = 0;
          for (const { key, tag } of [...present.values()]) {
            if (i++ % 4 !== 0) continue;
            const before = inlined.call(keys.set(key));
            put(key, tag + 1_000_000n);
            const after = inlined.call(keys.set(key));
            assert.not.equal(after, before, `updating ${hex(key)} links a new element`);
          }
          check('after updates');
        } finally {
          free();
          keys.free();
          m.close();
        }
      });
    }
  }

  test('values are read and written through the returned pointer', () => {
    const m = createMap({ name: 'ihw', type: MapType.HASH, keySize: 8, valueSize: VALUE, maxEntries: 64 });
    const keys = new Keys(8);
    const bump = JitProgram.compile(assemble(`
      r2 = r1
      r1 = ${m.address} ll
      call 1
      if r0 == 0 goto out
      r1 = *(u64 *)(r0 + 8)
      r1 += 1
      *(u64 *)(r0 + 8) = r1
      r0 = *(u64 *)(r0 + 0)
    out:
      exit`), { entry: 'function', rewriteContext: false, hashMapAt: (at) => (at === m.address ? m.hashLayout : undefined) });
    try {
      const k = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
      m.update(k, value(77n));
      for (let i = 0; i < 5; i++) assert.is(bump.call(keys.set(k)), 77n);
      assert.is(new DataView(m.lookup(k)!.buffer).getBigUint64(8, true), 5n, 'five bumps seen by the control plane');
      assert.is(bump.call(keys.set(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 9]))), 0n);
    } finally {
      bump.free();
      keys.free();
      m.close();
    }
  });

  // r2 (the key) and r0 (the result) on the registers `mul` overwrites, and elsewhere.
  const { RAX, RDI, RSI, RDX, RCX, R8, RBX, R13, R14, R15, RBP } = X;
  const MAPS: Record<string, readonly X[]> = {
    'r2 in rax, r0 in rdx': [RDX, RDI, RAX, RSI, RCX, R8, RBX, R13, R14, R15, RBP],
    'r2 in rdx, r0 in rcx': [RCX, RSI, RDX, RAX, R8, RDI, R15, R14, R13, RBX, RBP],
    'r2 in r8, r0 in rsi': [RSI, RCX, R8, RDI, RAX, RDX, RBX, R13, R14, R15, RBP],
  };
  for (const blindConstants of [false, true]) {
    for (const [name, registerMap] of [['the standard map', undefined], ...Object.entries(MAPS)] as const) {
      test(`16- and 4-byte keys with ${name}${blindConstants ? ', blinded' : ''}: the same pointers as the map's own lookup`, () => {
        for (const keySize of [16, 4] as const) {
          const m = createMap({ name: 'ihr', type: MapType.HASH, keySize, valueSize: VALUE, maxEntries: 256 });
          const keys = new Keys(keySize);
          const { inlined, own, free } = lookups(m, { blindConstants, ...(registerMap ? { registerMap } : {}) });
          try {
            const next = keyStream(keySize, 5);
            const all = Array.from({ length: 400 }, () => next());
            all.slice(0, 250).forEach((k, i) => m.update(k, value(BigInt(i + 1))));
            all.forEach((k, i) => {
              const got = inlined.call(keys.set(k));
              assert.is(got, own.call(keys.set(k)), `key ${i}`);
              assert.is(got === 0n ? 0n : readU64(got), i < 250 ? BigInt(i + 1) : 0n, `key ${i}`);
            });
            // Blinded: none of the map's 64-bit constants appears in the code; otherwise they do (movabs).
            const code = inlined.jit.code, layout = m.hashLayout!;
            for (const c of [layout.seed, layout.seed2, layout.buckets]) {
              // (an address below 4 GiB is a mov r32, imm32: its four bytes)
              const bytes = new Uint8Array(new BigUint64Array([c]).buffer).subarray(0, c < 1n << 32n ? 4 : 8);
              const at = Buffer.from(code).indexOf(Buffer.from(bytes));
              assert.is(at >= 0, !blindConstants, `0x${c.toString(16)} ${blindConstants ? 'hidden' : 'emitted as is'}`);
            }
          } finally {
            free();
            keys.free();
            m.close();
          }
        }
      });
    }
  }

  /**
   * Per packet: the key is the frame's first 16 bytes (the map's key size of them); a hit
   * bumps the element's hits and returns tag & 3 as the verdict, a miss returns 2 (PASS).
   * ctx is the struct sluice_xdp_buff (data, data_end as u64), as the pipeline's rewrite leaves.
   */
  const verdictProgram = (map: bigint): string => `
    r2 = *(u64 *)(r1 + 0)
    r3 = *(u64 *)(r1 + 8)
    r4 = r2
    r4 += 16
    r0 = 0
    if r4 > r3 goto out
    r5 = *(u64 *)(r2 + 0)
    *(u64 *)(r10 - 16) = r5
    r5 = *(u64 *)(r2 + 8)
    *(u64 *)(r10 - 8) = r5
    r2 = r10
    r2 += -16
    r1 = ${map} ll
    call 1
    r6 = 2
    if r0 == 0 goto miss
    r6 = *(u64 *)(r0 + 0)
    r6 &= 3
    r1 = *(u64 *)(r0 + 8)
    r1 += 1
    *(u64 *)(r0 + 8) = r1
  miss:
    r0 = r6
  out:
    exit`;

  for (const keySize of [4, 8, 16] as const) {
    test(`a verdict from a ${keySize}-byte-key lookup over 2,000 packets: inlined, through the helper and through jitEngine`, () => {
      const m = createMap({ name: 'ihv', type: MapType.HASH, keySize, valueSize: VALUE, maxEntries: 512 });
      try {
        const next = keyStream(keySize, 11);
        const keyList = Array.from({ length: 700 }, () => next());
        const tags = new Map<string, bigint>();
        const hex = (k: Uint8Array): string => Buffer.from(k).toString('hex');
        keyList.slice(0, 500).forEach((k, i) => { const tag = BigInt(i * 7 + 3); m.update(k, value(tag)); tags.set(hex(k), tag); });
        let r = 12345;
        const packets = Array.from({ length: 2000 }, () => {
          r = (r * 1103515245 + 12345) >>> 0;
          const k = keyList[r % keyList.length]!;
          const p = new Uint8Array(60);
          p.fill(r & 0xff, 0, 16); // bytes past the key do not matter
          p.set(k);
          return p;
        });
        const want = packets.map((p) => { const tag = tags.get(hex(p.subarray(0, keySize))); return tag === undefined ? 2 : Number(tag & 3n); });
        const hitsWanted = new Map<string, bigint>();
        packets.forEach((p) => { const id = hex(p.subarray(0, keySize)); if (tags.has(id)) hitsWanted.set(id, (hitsWanted.get(id) ?? 0n) + 1n); });
        const program = assemble(verdictProgram(m.address));
        const h = helperBindings();
        const inlined = runBurst(program, packets, { rewriteContext: false, hashMapAt: (at) => (at === m.address ? m.hashLayout : undefined) });
        assert.equal(inlined.verdicts, want, 'inlined');
        const helper = runBurst(program, packets, { rewriteContext: false, helperAddress: (id) => { const at = h.address(id); return at === 0n ? undefined : at; } });
        assert.equal(helper.verdicts, want, 'through the helper');
        const engine = jitEngine(program, [m]);
        const arena = new FrameArena(packets.length);
        try {
          const seed2 = Buffer.from(new Uint8Array(new BigUint64Array([m.hashLayout!.seed2]).buffer));
          assert.ok(Buffer.from(engine.native!.code).indexOf(seed2) >= 0, 'jitEngine inlined the lookup (seed2 in a movabs)');
          arena.fill(packets, {}, 0n);
          engine.runBurst(arena, packets.length);
          assert.equal(packets.map((_, i) => arena.verdict(i)), want, 'jitEngine');
        } finally {
          arena.free();
          engine.free();
        }
        for (const k of keyList.slice(0, 500)) {
          const hits = new DataView(m.lookup(k)!.buffer).getBigUint64(8, true);
          assert.is(hits, 3n * (hitsWanted.get(hex(k)) ?? 0n), `hits of ${hex(k)}: three runs`);
        }
      } finally {
        m.close();
      }
    });
  }
}

if (requires('the inlined hash lookup\'s disassembly', hasNativeLibrary(), hasCommand('objdump'))) {
  test('the emitted bytes decode as the walk: a mul, the seeds, the mask, the chain loads, and no call', () => {
    const m = createMap({ name: 'ihd', type: MapType.HASH, keySize: 16, valueSize: 8, maxEntries: 1000 });
    try {
      const l = m.hashLayout!;
      const p = JitProgram.compile(assemble(LOOKUP(m.address)), { entry: 'function', rewriteContext: false, hashMapAt: () => l });
      const dir = mkdtempSync(join(tmpdir(), 'sluice-hash-'));
      let text: string;
      try {
        writeFileSync(join(dir, 'code.bin'), p.jit.code);
        text = execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386:x86-64', join(dir, 'code.bin')], { encoding: 'utf8' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
        p.free();
      }
      const hex = (v: bigint | number): string => `0x${v.toString(16)}`;
      const has = (re: RegExp, what: string): void => assert.ok(re.test(text), `${what}: ${re} in\n${text}`);
      has(/\smul\s+%rdx/, 'the 64x64 multiply');
      has(new RegExp(`movabs\\s+\\$${hex(l.seed)},%rax`), 'seed into rax');
      has(new RegExp(`movabs\\s+\\$${hex(l.seed2)},%rdx`), 'seed2 into rdx');
      has(/xor\s+%r9,%rdx/, 'the key\'s second word into the multiplier');
      has(new RegExp(`and\\s+\\$${hex(l.bucketMask)},%edx`), 'the bucket mask (1024 buckets)');
      has(new RegExp(`mov(abs)?\\s+\\$${hex(l.buckets)},%r11d?`), 'the bucket array');
      has(new RegExp(`cmp\\s+${hex(l.hashOffset)}\\(%r11\\),%eax`), 'the stored hash compared');
      has(new RegExp(`cmp\\s+${hex(l.dataOffset + 8)}\\(%r11\\),%r9`), 'the key\'s second word compared');
      has(new RegExp(`mov\\s+(${hex(l.nextOffset)})?\\(%r11\\),%r11`), 'e = e->next');
      has(new RegExp(`lea\\s+${hex(l.dataOffset + l.keyBytes)}\\(%r11\\),%rax`), 'r0 = the value');
      assert.not.match(text, /\scall/, 'no call left');
      assert.is(l.bucketMask, 1023);
    } finally {
      m.close();
    }
  });
}

test.run();
