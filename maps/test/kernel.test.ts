// sluice's maps against the kernel's: the same definitions and the same
// sequence of operations applied to a map created with bpftool (pinned under
// /sys/fs/bpf) and to a native map, comparing success or errno per step and
// the final contents. bpftool runs pinned to CPU 0 so the kernel's LRU, which
// keeps per-CPU free lists, evicts deterministically.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMap, errnoName, hex, MapError, MapType, mapTypeName, UpdateFlag, type MapDef, type MapHandle } from '../index.ts';
import { hasCommand, isRoot, requires } from '../../scripts/testkit/skip.ts';
import { hasNativeLibrary } from './native.ts';

const STRERROR: Record<string, string> = {
  'File exists': 'EEXIST', 'No such file or directory': 'ENOENT', 'Argument list too long': 'E2BIG',
  'No space left on device': 'ENOSPC', 'Invalid argument': 'EINVAL', 'Operation not supported': 'EOPNOTSUPP',
  'Unknown error 524': 'ENOTSUPP', 'Bad file descriptor': 'EBADF',
};
const FLAG_WORD: Record<number, string> = { [UpdateFlag.Any]: 'any', [UpdateFlag.NoExist]: 'noexist', [UpdateFlag.Exist]: 'exist' };

type Outcome = string; // 'ok' or an errno name
interface Step { op: 'update' | 'delete' | 'lookup' | 'push' | 'pop'; key?: Uint8Array; value?: Uint8Array; flags?: UpdateFlag }

const pin = (name: string) => `/sys/fs/bpf/sluice_maps_test_${process.pid}_${name}`; // ours alone
const hexArgs = (b: Uint8Array) => hex(b).split(' ').filter(Boolean);

function bpftool(args: string[]): { ok: boolean; out: string; error: Outcome } {
  const r = spawnSync('taskset', ['-c', '0', 'bpftool', '-j', ...args], { encoding: 'utf8' });
  // lookups and pops print `null` for "not found"
  const found = !['lookup', 'pop'].includes(args[1]!) || r.stdout.trim() !== 'null';
  if (r.status === 0 && found) return { ok: true, out: r.stdout, error: 'ok' };
  const text = `${r.stdout}\n${r.stderr}`;
  const m = /failed: ([^"\n]+)/.exec(text);
  const error = m ? STRERROR[m[1]!.trim()] ?? m[1]!.trim() : !found ? 'ENOENT' : text.trim();
  return { ok: false, out: r.stdout, error };
}

function kernelCreate(def: MapDef): Outcome {
  rmSync(pin(def.name), { force: true });
  const r = bpftool(['map', 'create', pin(def.name), 'type', mapTypeName(def.type), 'key', String(def.keySize),
    'value', String(def.valueSize), 'entries', String(def.maxEntries), 'name', def.name, 'flags', String(def.flags ?? 0)]);
  return r.error;
}

function kernelStep(name: string, s: Step): Outcome {
  const p = ['pinned', pin(name)];
  switch (s.op) {
    case 'update': return bpftool(['map', 'update', ...p, 'key', 'hex', ...hexArgs(s.key!), 'value', 'hex', ...hexArgs(s.value!), FLAG_WORD[s.flags ?? UpdateFlag.Any] ?? 'any']).error;
    case 'delete': return bpftool(['map', 'delete', ...p, 'key', 'hex', ...hexArgs(s.key!)]).error;
    case 'push': return bpftool(['map', 'push', ...p, 'value', 'hex', ...hexArgs(s.value!)]).error;
    case 'pop': { const r = bpftool(['map', 'pop', ...p]); return r.ok ? `ok ${valueOf(r.out)}` : r.error; }
    case 'lookup': { const r = bpftool(['map', 'lookup', ...p, 'key', 'hex', ...hexArgs(s.key!)]); return r.ok ? `ok ${valueOf(r.out)}` : r.error; }
  }
}

function valueOf(json: string): string {
  const v = (JSON.parse(json) as { value: string[] }).value;
  return v.map((b) => b.replace(/^0x/, '')).join(' ');
}

function sluiceStep(m: MapHandle, s: Step): Outcome {
  const err = (rc: number) => (rc === 0 ? 'ok' : errnoName(rc));
  switch (s.op) {
    case 'update': return err(m.tryUpdate(s.key!, s.value!, s.flags));
    case 'delete': return err(m.tryDelete(s.key!));
    case 'push': return err(m.tryPush(s.value!, s.flags));
    case 'pop': { const v = m.pop(); return v ? `ok ${hex(v)}` : 'ENOENT'; }
    case 'lookup': { const v = m.lookup(s.key!); return v ? `ok ${hex(v)}` : 'ENOENT'; }
  }
}

/** Both dumps as "key => value" lines; sorted unless the order is part of the semantics. */
function kernelDump(name: string, ordered: boolean): string[] {
  const r = bpftool(['map', 'dump', 'pinned', pin(name)]);
  const rows = (JSON.parse(r.out) as { key: string[]; value: string[] }[]).map((e) =>
    `${e.key.map((b) => b.replace(/^0x/, '')).join(' ')} => ${e.value.map((b) => b.replace(/^0x/, '')).join(' ')}`);
  return ordered ? rows : rows.sort();
}

function sluiceDump(m: MapHandle, ordered: boolean): string[] {
  const rows = m.dump().map((e) => `${hex(e.key)} => ${hex(e.value)}`);
  return ordered ? rows : rows.sort();
}

function compare(def: MapDef, steps: Step[], ordered = false): void {
  assert.is(kernelCreate(def), 'ok', `kernel creates ${def.name}`);
  const m = createMap(def);
  try {
    steps.forEach((s, i) => {
      const k = kernelStep(def.name, s), u = sluiceStep(m, s);
      assert.is(u, k, `step ${i}: ${s.op} ${s.key ? hex(s.key) : ''} ${s.value ? hex(s.value) : ''} ${s.flags ?? ''}`);
    });
    if (def.type !== MapType.QUEUE && def.type !== MapType.STACK) assert.equal(sluiceDump(m, ordered), kernelDump(def.name, ordered));
  } finally {
    m.close();
    rmSync(pin(def.name), { force: true });
  }
}

const le32 = (n: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n >>> 0, true); return b; };
const le64 = (n: number) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n), true); return b; };
const up = (k: number, v: number, flags = UpdateFlag.Any): Step => ({ op: 'update', key: le32(k), value: le64(v), flags });
const lpmKey = (addr: string, len: number) => { const b = new Uint8Array(8); new DataView(b.buffer).setUint32(0, len, true); b.set(addr.split('.').map(Number), 4); return b; };

const bpffs = () => ({ ok: existsSync('/sys/fs/bpf'), why: 'needs the BPF filesystem at /sys/fs/bpf' });

if (requires('map semantics against the kernel (bpftool)', isRoot(), hasCommand('bpftool'), hasCommand('taskset'), bpffs(), hasNativeLibrary())) {
  test('hash: flags, full map, deletes', () => {
    compare({ name: 'sl_k_hash', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4 }, [
      up(1, 10, UpdateFlag.Exist), up(1, 10, UpdateFlag.NoExist), up(1, 11, UpdateFlag.NoExist), up(1, 12, UpdateFlag.Exist),
      up(2, 20), up(3, 30), up(4, 40), up(5, 50), up(5, 50, UpdateFlag.NoExist), up(4, 41),
      { op: 'delete', key: le32(9) }, { op: 'delete', key: le32(2) }, up(5, 50), up(6, 60),
      { op: 'lookup', key: le32(5) }, { op: 'lookup', key: le32(2) },
    ]);
  });

  test('array: everything exists; out of range; no delete', () => {
    compare({ name: 'sl_k_array', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 3 }, [
      up(0, 1), up(1, 2, UpdateFlag.Exist), up(2, 3, UpdateFlag.NoExist), up(3, 4), up(7, 4, UpdateFlag.Exist),
      { op: 'delete', key: le32(1) }, { op: 'lookup', key: le32(1) }, { op: 'lookup', key: le32(3) },
    ]);
  });

  test('lru_hash: a full map evicts the oldest; replacing does not evict', () => {
    const steps: Step[] = [];
    for (let k = 1; k <= 9; k++) steps.push(up(k, k));
    steps.push(up(7, 70, UpdateFlag.Exist), up(8, 80, UpdateFlag.NoExist), up(42, 1, UpdateFlag.Exist), up(10, 10), { op: 'delete', key: le32(9) }, up(11, 11));
    compare({ name: 'sl_k_lru', type: MapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 4 }, steps);
  });

  test('lpm_trie: longest match, /0 and /32, full map, postorder dump', () => {
    const v = (n: number) => le32(n);
    const put = (a: string, l: number, n: number, flags = UpdateFlag.Any): Step => ({ op: 'update', key: lpmKey(a, l), value: v(n), flags });
    const get = (a: string, l = 32): Step => ({ op: 'lookup', key: lpmKey(a, l) });
    compare({ name: 'sl_k_lpm', type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 6, flags: 1 }, [
      put('192.168.0.0', 16, 1), put('192.168.0.0', 24, 2), put('192.168.128.0', 24, 3), put('192.168.1.0', 24, 4),
      get('192.168.1.7'), get('192.168.2.7'), get('192.168.128.1'), get('10.0.0.1'),
      put('0.0.0.0', 0, 5), get('10.0.0.1'), put('10.0.0.1', 32, 6), get('10.0.0.1'), get('10.0.0.2'),
      put('10.0.0.2', 32, 7), put('192.168.0.0', 16, 8, UpdateFlag.NoExist), put('192.168.0.0', 16, 9, UpdateFlag.Exist),
      put('1.2.3.4', 33, 1), { op: 'delete', key: lpmKey('192.168.0.0', 24) }, { op: 'delete', key: lpmKey('192.168.0.0', 24) },
      get('192.168.0.9'), get('192.168.0.9', 8),
    ], true);
  });

  test('queue and stack: push, pop, full', () => {
    const push = (n: number, flags = UpdateFlag.Any): Step => ({ op: 'push', value: le32(n), flags });
    const pop: Step = { op: 'pop' };
    for (const type of [MapType.QUEUE, MapType.STACK]) {
      compare({ name: `sl_k_${mapTypeName(type)}`, type, keySize: 0, valueSize: 4, maxEntries: 2 }, [
        pop, push(1), push(2), push(3), pop, push(4), pop, pop, pop,
      ]);
    }
  });

  test('creation: the kernel and sluice accept and refuse the same definitions', () => {
    const defs: MapDef[] = [
      { name: 'sl_c1', type: MapType.ARRAY, keySize: 8, valueSize: 4, maxEntries: 2 },
      { name: 'sl_c2', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 0 },
      { name: 'sl_c3', type: MapType.HASH, keySize: 0, valueSize: 4, maxEntries: 2 },
      { name: 'sl_c4', type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 2 },
      { name: 'sl_c5', type: MapType.LPM_TRIE, keySize: 4, valueSize: 4, maxEntries: 2, flags: 1 },
      { name: 'sl_c6', type: MapType.LPM_TRIE, keySize: 260, valueSize: 4, maxEntries: 2, flags: 1 },
      { name: 'sl_c7', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 3 * 4096 },
      { name: 'sl_c8', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 8192 },
      { name: 'sl_c9', type: MapType.QUEUE, keySize: 4, valueSize: 4, maxEntries: 2 },
      { name: 'sl_c10', type: MapType.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 2, flags: 1 },
      { name: 'sl_c11', type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 40000, maxEntries: 2 },
      { name: 'sl_c12', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 2, flags: 1 },
      { name: 'sl_c13', type: MapType.HASH, keySize: 513, valueSize: 4, maxEntries: 2 },
      { name: 'sl_c14', type: MapType.STACK, keySize: 0, valueSize: 0, maxEntries: 2 },
      { name: 'sl_c15', type: MapType.PROG_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 },
      { name: 'sl_c16', type: MapType.HASH, keySize: 4 << 20, valueSize: 4, maxEntries: 2 },
      { name: 'sl_c17', type: MapType.HASH, keySize: 4, valueSize: 1 << 20, maxEntries: 2 },
      { name: 'sl_c18', type: MapType.PERCPU_HASH, keySize: 4, valueSize: 32769, maxEntries: 2 },
      { name: 'sl_c19', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 2, flags: 2 },
      { name: 'sl_c20', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 2048 },
    ];
    for (const def of defs) {
      const kernel = kernelCreate(def);
      rmSync(pin(def.name), { force: true });
      let ours = 'ok';
      try { createMap(def).close(); } catch (err) {
        assert.instance(err, MapError);
        ours = /kernel: -(\w+)/.exec((err as Error).message)?.[1] ?? 'error';
      }
      assert.is(ours, kernel, `${def.name}: ${mapTypeName(def.type)} key ${def.keySize} value ${def.valueSize} entries ${def.maxEntries} flags ${def.flags ?? 0}`);
    }
  });

  test.after(() => {
    try { execFileSync('sh', ['-c', `rm -f /sys/fs/bpf/sluice_maps_test_${process.pid}_*`]); } catch { /* best effort */ }
  });
}

test.run();
