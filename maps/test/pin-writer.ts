// Test support for pin.test.ts: another process writing a pinned map.
//   pin-writer.ts PATH MS        replaces keys 0..31 with equal-word values for MS ms, prints the count
//   pin-writer.ts PATH create    creates PATH as a hash map and exits without closing it (a stale pin)
import { openPinnedMap, createPinnedMap } from '../pin.ts';
import { MapType } from '../types.ts';

const [path, what] = process.argv.slice(2) as [string, string];
if (what === 'create') {
  const m = createPinnedMap({ name: 'stale', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8 }, { path });
  m.update(new Uint8Array(4), new Uint8Array(8));
  process.exit(0); // no close: the pin keeps this (dead) process as its owner
}
const m = openPinnedMap(path);
const end = Date.now() + Number(what);
let n = 0;
const key = new Uint8Array(4), value = new Uint8Array(m.valueSize);
const kv = new DataView(key.buffer), vv = new DataView(value.buffer);
while (Date.now() < end) {
  kv.setUint32(0, n % 32, true);
  for (let i = 0; i + 8 <= value.length; i += 8) vv.setBigUint64(i, BigInt(n) * 0x100000001n + 7n, true);
  if (n % 13 === 12) m.tryDelete(key); else m.update(key, value);
  n++;
}
m.close();
process.stdout.write(`${n}\n`);
