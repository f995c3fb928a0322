// Pinned maps through the TypeScript API (maps/pin.ts): sharing within and
// across processes, reuse on reload (libbpf's rule for pinned maps), cleanup,
// stale and foreign pins, and readers in one process never seeing a torn
// value while another process replaces elements.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mapBindings } from '../../dataplane/ffi.ts';
import { MapFlag, MapType, ipv4Key, u32, u64 } from '../index.ts';
import { PinError, createPinnedMap, listPins, openPinnedMap, pinInfo } from '../pin.ts';
import { requires } from '../../scripts/testkit/skip.ts';
import { hasNativeLibrary } from './native.ts';

const WRITER = fileURLToPath(new URL('./pin-writer.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sluice-pin-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function throwsPin(fn: () => unknown, problem: string, text: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, PinError);
    assert.is((err as PinError).problem, problem, (err as Error).message);
    assert.match((err as Error).message, text);
    return;
  }
  assert.unreachable(`expected a ${problem} pin error`);
}

/** 64-byte values made of eight equal words (maps/hammer.c counts unequal ones as torn). */
function equalWords(n: number): Uint8Array {
  const v = new Uint8Array(64);
  const view = new DataView(v.buffer);
  for (let i = 0; i < 64; i += 8) view.setBigUint64(i, BigInt(n) * 0x100000001n + 7n, true);
  return v;
}

if (requires('pinned maps', hasNativeLibrary())) {
  test('a pinned map is one map for every handle on it, per type', () => {
    for (const [type, flags] of [[MapType.HASH, 0], [MapType.LRU_HASH, 0], [MapType.ARRAY, 0], [MapType.PERCPU_HASH, MapFlag.NoPrealloc]] as const) {
      const m = createPinnedMap({ name: `t${type}`, type, keySize: 4, valueSize: 8, maxEntries: 16, flags, cpus: 2 }, { dir });
      const other = openPinnedMap(`t${type}`, dir);
      try {
        const value = type === MapType.PERCPU_HASH ? new Uint8Array([...u64(3), ...u64(4)]) : u64(3);
        m.update(u32(5), value);
        assert.equal(other.lookup(u32(5)), value, `type ${type}: seen through the other handle`);
        other.update(u32(6), value);
        assert.equal(m.lookup(u32(6)), value);
        if (type !== MapType.ARRAY) {
          assert.ok(other.delete(u32(5)));
          assert.is(m.lookup(u32(5)), undefined);
        }
        assert.is(other.id !== m.id, true, 'each handle has its own map id');
      } finally { other.close(); m.close(); }
    }
  });

  test('lpm_trie: longest prefix match through either handle, nodes recycled within the segment', () => {
    const m = createPinnedMap({ name: 'lpm', type: MapType.LPM_TRIE, keySize: 8, valueSize: 8, maxEntries: 4, flags: MapFlag.NoPrealloc }, { dir });
    const other = openPinnedMap('lpm', dir);
    try {
      m.update(ipv4Key('10.0.0.0', 8), u64(8));
      other.update(ipv4Key('10.1.0.0', 16), u64(16));
      // lookups are longest-prefix matches (BPF_MAP_LOOKUP_ELEM on an LPM trie, as the helper)
      assert.equal(m.lookup(ipv4Key('10.1.2.3', 32)), u64(16));
      assert.equal(other.lookup(ipv4Key('10.9.9.9', 32)), u64(8));
      // max_entries 4 with thousands of replacements: replaced nodes come back to the slab
      for (let i = 0; i < 3000; i++) other.update(ipv4Key('10.1.0.0', 16), u64(i));
      assert.equal(m.lookup(ipv4Key('10.1.0.0', 16)), u64(2999));
      m.update(ipv4Key('192.168.0.0', 24), u64(1));
      m.update(ipv4Key('192.168.1.0', 24), u64(2));
      assert.is(other.tryUpdate(ipv4Key('172.16.0.0', 12), u64(3)), -28, 'full: -ENOSPC as the kernel');
      assert.ok(other.delete(ipv4Key('10.0.0.0', 8)));
      assert.equal(m.dump().length, 3);
    } finally { other.close(); m.close(); }
  });

  test('percpu_array: values per CPU, definition in the header', () => {
    const m = createPinnedMap({ name: 'pcpu', type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 3, cpus: 2 }, { dir });
    try {
      m.updatePerCpu(u32(2), [Uint8Array.of(1, 2, 3, 4), Uint8Array.of(5, 6, 7, 8)]);
      const info = pinInfo(join(dir, 'pcpu'));
      assert.equal([info.typeName, info.keySize, info.valueSize, info.maxEntries, info.cpus, info.owners, info.ownerPid],
        ['percpu_array', 4, 4, 3, 2, 1, process.pid]);
      const o = openPinnedMap(join(dir, 'pcpu'));
      assert.equal(o.lookupPerCpu(u32(2)), [Uint8Array.of(1, 2, 3, 4), Uint8Array.of(5, 6, 7, 8)]);
      o.close();
    } finally { m.close(); }
  });

  test('close removes the pin; a map pinned by name stays and is reused on reload', () => {
    const def = { name: 'keep', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8 };
    const plain = createPinnedMap({ ...def, name: 'gone' }, { dir });
    assert.ok(existsSync(join(dir, 'gone')));
    const user = openPinnedMap('gone', dir);
    user.close();
    assert.ok(existsSync(join(dir, 'gone')), 'a user closing does not remove it');
    plain.close();
    assert.not.ok(existsSync(join(dir, 'gone')), 'the owner closing removes it');

    const first = createPinnedMap(def, { dir, byName: true });
    first.update(u32(1), u64(41));
    first.close();
    assert.ok(existsSync(join(dir, 'keep')), 'pinned by name: kept');
    assert.is(pinInfo(join(dir, 'keep')).owners, 0);
    const again = createPinnedMap(def, { dir, byName: true });
    try {
      assert.equal(again.lookup(u32(1)), u64(41), 'the reload reuses the pinned contents');
      throwsPin(() => createPinnedMap({ ...def, valueSize: 16 }, { dir, byName: true }), 'mismatch', /holds a different map \(hash key 4 value 8 .*value 16/);
    } finally { again.close(); rmSync(join(dir, 'keep')); }
  });

  test('foreign files are refused, and not overwritten', () => {
    const path = join(dir, 'foreign');
    writeFileSync(path, Buffer.alloc(8192, 0x41));
    throwsPin(() => openPinnedMap(path), 'foreign', /not a sluice pinned map \(foreign file: bad magic\)/);
    throwsPin(() => createPinnedMap({ name: 'foreign', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8 }, { dir }), 'foreign', /foreign/);
    writeFileSync(path, 'short');
    throwsPin(() => openPinnedMap(path), 'foreign', /foreign/);
    const listed = listPins(dir).find((p) => p instanceof PinError && p.path === path);
    assert.ok(listed, 'listed as unusable');
    rmSync(path);
    throwsPin(() => openPinnedMap(path), 'missing', /No such file/);
  });

  test('a pin whose owner died without closing it is stale', () => {
    const path = join(dir, 'stale');
    const r = spawnSync(process.execPath, ['--import', 'tsx', WRITER, path, 'create'], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    throwsPin(() => openPinnedMap(path), 'stale', /stale: its owner \(pid \d+\) is gone without closing it/);
    throwsPin(() => createPinnedMap({ name: 'stale', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8 }, { path }), 'stale', /stale/);
    rmSync(path);
  });

  test('types not pinnable yet say so', () => {
    throwsPin(() => createPinnedMap({ name: 'queue', type: MapType.QUEUE, keySize: 0, valueSize: 8, maxEntries: 8 }, { dir }),
      'unsupported', /type 22 cannot be pinned yet/);
    assert.not.ok(existsSync(join(dir, 'queue')));
  });

  test('readers here never see a torn value while another process replaces elements', async () => {
    const m = createPinnedMap({ name: 'torn', type: MapType.HASH, keySize: 4, valueSize: 64, maxEntries: 64 }, { dir });
    try {
      for (let k = 0; k < 32; k++) m.update(u32(k), equalWords(k));
      const native = mapBindings();
      const h = native.hammerStart(m.address, 2, 32, 0);
      assert.ok(h !== 0n);
      const child = spawn(process.execPath, ['--import', 'tsx', WRITER, join(dir, 'torn'), '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => { out += String(d); });
      const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      const counts = new BigUint64Array(3);
      native.hammerStop(h, counts);
      assert.is(status, 0);
      const writes = Number(out.trim());
      assert.ok(writes > 1000, `the other process replaced elements ${writes} times`);
      assert.ok(counts[2]! > 1000n, `lookups found values: ${counts[2]}`);
      assert.is(counts[1], 0n, 'torn values seen');
      // every element the other process retired was recycled, none lost: all 32 keys fit again
      for (let k = 0; k < 32; k++) m.update(u32(k), equalWords(k));
      assert.is(m.dump().length, 32);
    } finally { m.close(); }
  });
}

test.run();
