// Pinned maps: a map whose storage lives in a shared file (maps/pin.c), so
// another sluice process (`sluice map …`) reads and writes it while the
// dataplane that created it runs. Default directory: /dev/shm/sluice
// (SLUICE_PIN_DIR overrides), one file per map, named after the map.
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mapBindings, pinBindings } from '../dataplane/ffi.ts';
import { MapError } from './errors.ts';
import { MapHandle, getWorkerCount } from './handle.ts';
import { mapTypeName, type MapDef, type MapType } from './types.ts';

export const DEFAULT_PIN_DIR = '/dev/shm/sluice';

/** The pin directory: `dir`, else $SLUICE_PIN_DIR, else /dev/shm/sluice. */
export function pinDirectory(dir?: string): string {
  return dir ?? (process.env.SLUICE_PIN_DIR || DEFAULT_PIN_DIR);
}

export type PinProblem = 'missing' | 'stale' | 'foreign' | 'mismatch' | 'unsupported' | 'other';

/** A pin that cannot be created or opened; `problem` says why. */
export class PinError extends MapError {
  constructor(message: string, readonly problem: PinProblem, readonly path?: string) {
    super(message);
  }
}

function problemOf(text: string): PinProblem {
  if (/No such file/.test(text)) return 'missing';
  if (/stale/.test(text)) return 'stale';
  if (/foreign|not a sluice|unsupported pin version|being created/.test(text)) return 'foreign';
  if (/holds a different map/.test(text)) return 'mismatch';
  if (/cannot be pinned/.test(text)) return 'unsupported';
  return 'other';
}

const decode = (b: Uint8Array): string => new TextDecoder().decode(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)));

/** Whether maps of this type can be pinned (array, percpu_array and the hash family but map-in-map and devmap). */
export function canPin(type: MapType): boolean {
  return pinBindings().supported(type);
}

export interface PinOptions {
  /** The file; default `<dir>/<name>`. */
  path?: string;
  /** Directory for the default path (see pinDirectory). */
  dir?: string;
  /** LIBBPF_PIN_BY_NAME: the file stays after close (and is reused on the next load). Default false: removed by the last owner's close. */
  byName?: boolean;
}

/**
 * Creates a map in a pin file, or reuses the one there when it holds the same
 * definition (libbpf's behaviour on reload). A stale pin (its owner died),
 * a foreign file or a different definition throws PinError.
 */
export function createPinnedMap(def: MapDef, options: PinOptions = {}): MapHandle {
  const path = options.path ?? join(pinDirectory(options.dir), def.name);
  const dir = path.slice(0, Math.max(0, path.lastIndexOf('/'))) || '/';
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new PinError(`pin ${path}: cannot create directory ${dir} (${(err as Error).message})`, 'other', path);
  }
  const cpus = def.cpus ?? getWorkerCount();
  const pins = pinBindings();
  const err = new Uint8Array(512);
  const address = pins.create(path, def.name, def.type, def.keySize, def.valueSize, def.maxEntries, def.flags ?? 0, cpus, options.byName === true, err);
  if (address === 0n) {
    const text = decode(err) || `pin ${path}: creation failed`;
    throw new PinError(text, problemOf(text), path);
  }
  return new MapHandle({ ...def, cpus }, address, mapBindings(), { path, release: (a) => { pins.close(a); } });
}

/** What a pin's header says. */
export interface PinInfo {
  name: string;
  path: string;
  type: MapType;
  typeName: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  cpus: number;
  /** Loaders holding it open (0: pinned by name, nobody running it). */
  owners: number;
  ownerPid: number;
}

/** Reads a pin's header (PinError when missing, stale or foreign). */
export function pinInfo(path: string): PinInfo {
  const def = new Uint32Array(8), name = new Uint8Array(16), err = new Uint8Array(512);
  if (pinBindings().info(path, def, name, err) !== 0) {
    const text = decode(err);
    throw new PinError(text, problemOf(text), path);
  }
  const [type, keySize, valueSize, maxEntries, flags, cpus, owners, ownerPid] = Array.from(def) as [number, number, number, number, number, number, number, number];
  return { name: decode(name), path, type: type as MapType, typeName: mapTypeName(type), keySize, valueSize, maxEntries, flags, cpus, owners, ownerPid };
}

/** The path of a pinned map given a name (in the pin directory) or a path (anything with a '/'). */
export function resolvePin(nameOrPath: string, dir?: string): string {
  return nameOrPath.includes('/') ? nameOrPath : join(pinDirectory(dir), nameOrPath);
}

/** Opens a pinned map as a user (not an owner: closing never removes the file). */
export function openPinnedMap(nameOrPath: string, dir?: string): MapHandle {
  const path = resolvePin(nameOrPath, dir);
  const info = pinInfo(path);
  const pins = pinBindings();
  const err = new Uint8Array(512);
  const address = pins.open(path, err);
  if (address === 0n) {
    const text = decode(err) || `pin ${path}: cannot open it`;
    throw new PinError(text, problemOf(text), path);
  }
  const def: MapDef = { name: info.name, type: info.type, keySize: info.keySize, valueSize: info.valueSize, maxEntries: info.maxEntries, flags: info.flags, cpus: info.cpus };
  return new MapHandle(def, address, mapBindings(), { path, release: (a) => { pins.close(a); } });
}

/** Every file in the pin directory: its header, or the PinError saying why it is not usable. */
export function listPins(dir?: string): Array<PinInfo | PinError> {
  const d = pinDirectory(dir);
  let names: string[];
  try {
    names = readdirSync(d).sort();
  } catch {
    return [];
  }
  const out: Array<PinInfo | PinError> = [];
  for (const name of names) {
    const path = join(d, name);
    try {
      if (!statSync(path).isFile()) continue;
      out.push(pinInfo(path));
    } catch (err) {
      out.push(err instanceof PinError ? err : new PinError(`pin ${path}: ${(err as Error).message}`, 'other', path));
    }
  }
  return out;
}
