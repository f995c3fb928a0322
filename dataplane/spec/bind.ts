// The checks that need the loaded object: every map a spec names exists and
// can be set or read by key, and every key and value has the map's size.
// Run before the first case, so a bad spec never half-runs.
import type { MapHandle } from '../../maps/index.ts';
import { MapType } from '../../maps/index.ts';
import { SpecError, type Where } from './errors.ts';
import type { MapCheck, MapWrite, TestSpec } from './format.ts';

const KEYLESS = new Set<MapType>([MapType.RINGBUF, MapType.QUEUE, MapType.STACK, MapType.PERF_EVENT_ARRAY]);

function mapFor(maps: ReadonlyMap<string, MapHandle>, name: string, where: Where): MapHandle {
  const map = maps.get(name);
  if (!map) throw new SpecError(where, `the object has no map named '${name}' (maps: ${[...maps.keys()].join(', ') || 'none'})`);
  if (map.keySize === 0 || KEYLESS.has(map.type)) throw new SpecError(where, `map '${name}' has no keys (${MapType[map.type] ?? map.type}); it cannot be set or checked by key`);
  return map;
}

function sizes(map: MapHandle, e: MapWrite | MapCheck): void {
  if (e.key.length !== map.keySize) {
    throw new SpecError(e.keyWhere, `${e.key.length} byte(s), but the keys of '${map.name}' are ${map.keySize} bytes`);
  }
  const one = (v: Uint8Array, where: Where): void => {
    if (v.length !== map.valueSize) throw new SpecError(where, `${v.length} byte(s), but the values of '${map.name}' are ${map.valueSize} bytes`);
  };
  if (e.value) one(e.value, e.valueWhere);
  if (e.values) {
    if (!map.perCpu) throw new SpecError(e.valueWhere, `'values' (one per CPU) is for per-CPU maps; '${map.name}' is not one: use 'value'`);
    if (e.values.length > map.cpus) throw new SpecError(e.valueWhere, `${e.values.length} values, but '${map.name}' has ${map.cpus} CPU slots here`);
    e.values.forEach((v) => one(v, e.valueWhere));
  }
}

/** Throws a SpecError for the first map reference the object cannot satisfy. */
export function bindSpec(spec: TestSpec, maps: ReadonlyMap<string, MapHandle>): void {
  const entries: (MapWrite | MapCheck)[] = [...spec.setup, ...spec.cases.flatMap((c) => [...c.setup, ...c.expect.maps])];
  for (const e of entries) sizes(mapFor(maps, e.map, e.where), e);
}
