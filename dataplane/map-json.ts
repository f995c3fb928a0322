// Map contents as JSON, for --map-in / --map-out:
//   {"maps": {"<name>": [{"key": "<hex>", "value": "<hex>"}, …]}}
// per-CPU maps carry "values": ["<hex>", …], one per CPU. Errors name the file,
// the map and the entry.
import { readFileSync, writeFileSync } from 'node:fs';
import { SluiceError } from '../jit/errors.ts';
import { MapType, type MapHandle } from '../maps/index.ts';

export class MapJsonError extends SluiceError {}

interface EntryJson { key: string; value?: string; values?: string[] }

// Maps whose keys and values mean something outside the process (program and map
// ids, ifindexes) are left out, as are keyless ones (ring buffers, queues).
const DUMPABLE = new Set<MapType>([
  MapType.HASH, MapType.ARRAY, MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_HASH,
  MapType.LRU_PERCPU_HASH, MapType.LPM_TRIE, MapType.DEVMAP, MapType.DEVMAP_HASH,
]);

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function fromHex(text: unknown, where: string): Uint8Array {
  if (typeof text !== 'string' || !/^([0-9a-fA-F]{2}|\s)*$/.test(text)) throw new MapJsonError(`${where}: expected a hex string, got ${JSON.stringify(text)}`);
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

/** Applies a map file to the object's maps; returns the number of entries written. */
export function loadMapJson(path: string, maps: ReadonlyMap<string, MapHandle>): number {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new MapJsonError(`${path}: ${(err as Error).message}`);
  }
  const all = (doc as { maps?: unknown } | null)?.maps;
  if (typeof all !== 'object' || all === null || Array.isArray(all)) throw new MapJsonError(`${path}: expected {"maps": {"<name>": [ … ]}}`);
  let n = 0;
  for (const [name, entries] of Object.entries(all)) {
    const map = maps.get(name);
    if (!map) throw new MapJsonError(`${path}: map '${name}' is not in the object (maps: ${[...maps.keys()].join(', ')})`);
    if (!Array.isArray(entries)) throw new MapJsonError(`${path}: maps.${name} must be a list of entries`);
    entries.forEach((e: EntryJson, i) => {
      const where = `${path}: maps.${name}[${i}]`;
      const key = fromHex(e?.key, `${where}.key`);
      try {
        if (map.perCpu) {
          if (!Array.isArray(e.values)) throw new MapJsonError(`${where}: a per-CPU map entry needs "values": ["<hex>", …]`);
          map.updatePerCpu(key, e.values.map((v, j) => fromHex(v, `${where}.values[${j}]`)));
        } else {
          map.update(key, fromHex(e.value, `${where}.value`));
        }
      } catch (err) {
        if (err instanceof MapJsonError) throw err;
        throw new MapJsonError(`${where}: ${(err as Error).message}`, { cause: err });
      }
      n++;
    });
  }
  return n;
}

/** Every map's entries, in the same format (ring buffers and other keyless maps omitted). */
export function dumpMapJson(maps: ReadonlyMap<string, MapHandle>): { maps: Record<string, EntryJson[]> } {
  const out: Record<string, EntryJson[]> = {};
  for (const [name, map] of maps) {
    if (map.keySize === 0 || !DUMPABLE.has(map.type)) continue;
    out[name] = map.perCpu
      ? map.dumpPerCpu().map((e) => ({ key: toHex(e.key), values: e.values.map(toHex) }))
      : map.dump().map((e) => ({ key: toHex(e.key), value: toHex(e.value) }));
  }
  return { maps: out };
}

export function writeMapJson(path: string, maps: ReadonlyMap<string, MapHandle>): void {
  writeFileSync(path, `${JSON.stringify(dumpMapJson(maps), null, 2)}\n`);
}
