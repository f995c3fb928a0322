// Native threads read (and write) maps the way workers do while TypeScript
// updates them: no reader may ever see a torn value. Every value written is
// made of equal 8-byte words (or, for 8-byte values, equal 4-byte halves), so
// a mix of two writes shows (maps/hammer.c counts them).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mapBindings } from '../../dataplane/ffi.ts';
import { createMap, MapFlag, MapType, type MapHandle } from '../index.ts';
import { requires } from '../../scripts/testkit/skip.ts';
import { hasNativeLibrary } from './native.ts';

const MS = 700;

function equalWords(size: number, n: number): Uint8Array {
  const v = new Uint8Array(size);
  const view = new DataView(v.buffer);
  if (size >= 16) for (let i = 0; i + 8 <= size; i += 8) view.setBigUint64(i, BigInt(n) * 0x100000001n + 7n, true);
  else { view.setUint32(0, n, true); view.setUint32(4, n, true); }
  return v;
}

/** Runs native threads on m while `write(i)` runs in a loop here for MS ms. */
function hammer(m: MapHandle, threads: number, keys: number, writers: number, write: (i: number) => void) {
  const native = mapBindings();
  const h = native.hammerStart(m.address, threads, keys, writers);
  assert.ok(h !== 0n, 'threads started');
  const end = Date.now() + MS;
  let i = 0;
  try {
    while (Date.now() < end) write(i++);
  } finally {
    const out = new BigUint64Array(3);
    native.hammerStop(h, out);
    var [iters = 0n, torn = 0n, hits = 0n] = out;
  }
  return { iters, torn, hits, writes: i };
}

const key4 = (k: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, k, true); return b; };

if (requires('maps under concurrent readers and writers', hasNativeLibrary())) {
  test('hash: replaced elements are never seen half-written (64-byte values)', () => {
    const m = createMap({ name: 'thash', type: MapType.HASH, keySize: 4, valueSize: 64, maxEntries: 64 });
    try {
      for (let k = 0; k < 32; k++) m.update(key4(k), equalWords(64, k));
      const r = hammer(m, 2, 32, 0, (i) => {
        if (i % 17 === 16) m.delete(key4(i % 32));
        else m.update(key4(i % 32), equalWords(64, i));
      });
      assert.ok(r.hits > 1000n, `lookups found values: ${r.hits}`);
      assert.ok(r.writes > 1000, `updates: ${r.writes}`);
      assert.is(r.torn, 0n);
    } finally { m.close(); }
  });

  test('hash: writer threads and the control plane update the same keys', () => {
    const m = createMap({ name: 'thashw', type: MapType.HASH, keySize: 4, valueSize: 32, maxEntries: 16 });
    try {
      const r = hammer(m, 2, 16, 1, (i) => { m.tryUpdate(key4(i % 16), equalWords(32, i)); });
      assert.is(r.torn, 0n);
      assert.ok(r.hits > 0n);
      const dump = m.dump();
      assert.ok(dump.length <= 16);
      for (const { value } of dump) {
        const v = new DataView(value.buffer);
        for (let i = 8; i < 32; i += 8) assert.is(v.getBigUint64(i, true), v.getBigUint64(0, true));
      }
    } finally { m.close(); }
  });

  test('lru_hash: evictions while readers run (more keys than entries)', () => {
    const m = createMap({ name: 'tlru', type: MapType.LRU_HASH, keySize: 4, valueSize: 16, maxEntries: 8 });
    try {
      const r = hammer(m, 2, 16, 0, (i) => { m.update(key4(i % 16), equalWords(16, i)); });
      assert.is(r.torn, 0n);
      assert.ok(r.hits > 0n);
      assert.is(m.dump().length, 8);
    } finally { m.close(); }
  });

  test('lpm_trie: nodes replaced while readers walk the trie', () => {
    const m = createMap({ name: 'tlpm', type: MapType.LPM_TRIE, keySize: 8, valueSize: 16, maxEntries: 64, flags: MapFlag.NoPrealloc });
    const key = (plen: number) => { const b = new Uint8Array(8); new DataView(b.buffer).setUint32(0, plen, true); return b; };
    try {
      // the readers look up (prefixlen k, 0.0.0.0) for k < 33: always some prefix of 0.0.0.0
      const r = hammer(m, 2, 33, 0, (i) => {
        const p = i % 33;
        if (i % 7 === 6 && p !== 0) m.delete(key(p));
        else m.update(key(p), equalWords(16, i));
      });
      assert.is(r.torn, 0n);
      assert.ok(r.hits > 1000n);
    } finally { m.close(); }
  });

  test('array: 8-byte values are written with one store (never torn)', () => {
    const m = createMap({ name: 'tarr', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
    try {
      const r = hammer(m, 2, 4, 0, (i) => { m.update(key4(i % 4), equalWords(8, i)); });
      assert.is(r.torn, 0n);
      assert.ok(r.hits > 1000n);
    } finally { m.close(); }
  });
}

test.run();
