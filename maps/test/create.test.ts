// Creation follows the kernel's rules (kernel/bpf/{arraymap,hashtab,lpm_trie,
// ringbuf,queue_stack_maps,devmap}.c): a bad definition is refused with a
// message naming the map and the rule.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMap, MapError, MapFlag, MapType, type MapDef } from '../index.ts';
import { requires } from '../../scripts/testkit/skip.ts';
import { hasNativeLibrary } from './native.ts';

function refused(def: MapDef, rule: RegExp, errno: string): void {
  try {
    createMap(def).close();
  } catch (err) {
    assert.instance(err, MapError);
    const msg = (err as Error).message;
    assert.ok(msg.includes(`map '${def.name}'`), msg);
    assert.match(msg, rule);
    assert.ok(msg.includes(errno), msg);
    return;
  }
  assert.unreachable(`${def.name} was created`);
}

const base = { keySize: 4, valueSize: 8, maxEntries: 4 };

if (requires('map creation rules', hasNativeLibrary())) {
  test('max_entries must be > 0', () => {
    refused({ name: 'zero', type: MapType.HASH, ...base, maxEntries: 0 }, /max_entries/, '-EINVAL');
    refused({ name: 'zeroarr', type: MapType.ARRAY, ...base, maxEntries: 0 }, /max_entries/, '-EINVAL');
  });

  test('arrays: key_size 4, value_size > 0, per-CPU values at most 32 KiB', () => {
    refused({ name: 'arrkey8', type: MapType.ARRAY, ...base, keySize: 8 }, /key_size must be 4/, '-EINVAL');
    refused({ name: 'arrval0', type: MapType.ARRAY, ...base, valueSize: 0 }, /value_size/, '-EINVAL');
    refused({ name: 'pcpubig', type: MapType.PERCPU_ARRAY, ...base, valueSize: 32769 }, /32768/, '-E2BIG');
    refused({ name: 'arrnopre', type: MapType.ARRAY, ...base, flags: MapFlag.NoPrealloc }, /flags/, '-EINVAL');
  });

  test('hash maps: sizes (key + value under 4 MiB, as kernel 6.x), LRU always preallocated', () => {
    refused({ name: 'hkey0', type: MapType.HASH, ...base, keySize: 0 }, /key_size/, '-EINVAL');
    refused({ name: 'hkeybig', type: MapType.HASH, ...base, keySize: 4 << 20 }, /4 MiB/, '-E2BIG');
    refused({ name: 'hvalbig', type: MapType.HASH, ...base, valueSize: 4 << 20 }, /4 MiB/, '-E2BIG');
    createMap({ name: 'hkey1m', type: MapType.HASH, ...base, keySize: 1 << 20 }).close();
    refused({ name: 'lrunopre', type: MapType.LRU_HASH, ...base, flags: MapFlag.NoPrealloc }, /preallocated/, '-ENOTSUPP');
    refused({ name: 'hnocommon', type: MapType.HASH, ...base, flags: MapFlag.NoCommonLru }, /LRU/, '-EINVAL');
    createMap({ name: 'hnopre', type: MapType.HASH, ...base, flags: MapFlag.NoPrealloc }).close();
  });

  test('lpm_trie: BPF_F_NO_PREALLOC, key = 4 + 1..256 bytes, value >= 1', () => {
    const lpm = { name: 'lpm', type: MapType.LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 4, flags: MapFlag.NoPrealloc };
    createMap(lpm).close();
    refused({ ...lpm, name: 'lpmpre', flags: 0 }, /NO_PREALLOC/, '-EINVAL');
    refused({ ...lpm, name: 'lpmkey4', keySize: 4 }, /key_size/, '-EINVAL');
    refused({ ...lpm, name: 'lpmkeybig', keySize: 261 }, /key_size/, '-EINVAL');
    createMap({ ...lpm, name: 'lpmkeymax', keySize: 260 }).close();
    refused({ ...lpm, name: 'lpmval0', valueSize: 0 }, /value_size/, '-EINVAL');
  });

  test('ringbuf: key and value 0, size a power-of-two multiple of the page', () => {
    const rb = { name: 'rb', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 };
    createMap(rb).close();
    createMap({ ...rb, maxEntries: 1 << 16 }).close();
    refused({ ...rb, name: 'rb3p', maxEntries: 3 * 4096 }, /power-of-two/, '-EINVAL');
    refused({ ...rb, name: 'rbsmall', maxEntries: 2048 }, /page/, '-EINVAL');
    refused({ ...rb, name: 'rbkey', keySize: 4 }, /key_size 0/, '-EINVAL');
  });

  test('queue and stack: no key, value > 0', () => {
    refused({ name: 'qkey', type: MapType.QUEUE, keySize: 4, valueSize: 4, maxEntries: 4 }, /key_size must be 0/, '-EINVAL');
    refused({ name: 'sval0', type: MapType.STACK, keySize: 0, valueSize: 0, maxEntries: 4 }, /value_size/, '-EINVAL');
  });

  test('devmap, xskmap, prog_array: value sizes', () => {
    refused({ name: 'dev6', type: MapType.DEVMAP, keySize: 4, valueSize: 6, maxEntries: 4 }, /value_size must be 4/, '-EINVAL');
    refused({ name: 'devh6', type: MapType.DEVMAP_HASH, keySize: 4, valueSize: 6, maxEntries: 4 }, /value_size must be 4/, '-EINVAL');
    refused({ name: 'xsk8', type: MapType.XSKMAP, keySize: 4, valueSize: 8, maxEntries: 4 }, /value_size must be 4/, '-EINVAL');
    refused({ name: 'prog8', type: MapType.PROG_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }, /value_size must be 4/, '-EINVAL');
  });

  test('names, unknown types, and sizes that are not u32', () => {
    refused({ name: 'a_name_that_is_too_long', type: MapType.HASH, ...base }, /name longer/, '-EINVAL');
    refused({ name: 'sockmap', type: 15 as MapType, ...base }, /not supported/, '-EINVAL');
    assert.throws(() => createMap({ name: 'neg', type: MapType.HASH, ...base, keySize: -1 }), /not a u32/);
  });
}

test.run();
