// `sluice map`: reads and writes the pinned maps of running dataplanes
// (maps/pin.ts), printed as bpftool prints kernel maps.
import { type Command, EXIT_FAILURE, EXIT_OK, UsageError, parseOptions } from '../command.ts';
import { MapError, UpdateFlag, type MapHandle } from '../../../maps/index.ts';
import { PinError, listPins, openPinnedMap, pinDirectory, resolvePin } from '../../../maps/pin.ts';

const USAGE = `Usage: sluice map list [--pin-dir DIR] [--json]
       sluice map dump NAME [--pin-dir DIR] [--json]
       sluice map lookup NAME key HEX… [--pin-dir DIR] [--json]
       sluice map update NAME key HEX… value HEX… [any|noexist|exist] [--pin-dir DIR]
       sluice map delete NAME key HEX… [--pin-dir DIR]

Reads and writes maps pinned by a running sluice dataplane (LoadOptions.pinMaps,
or LIBBPF_PIN_BY_NAME maps), printed as bpftool prints kernel maps.
  NAME           a map in the pin directory, or a path (anything with a '/')
  HEX…           bytes in hex, one per word ("01 00 00 00", "0x01", a run "01000000");
                 a leading word 'hex' is accepted, as bpftool's
  per-CPU maps   update takes one value (written to every CPU) or one per CPU, back to back
  --pin-dir DIR  where pins live (default $SLUICE_PIN_DIR or /dev/shm/sluice)
  --json         bpftool -j's shapes`;

const OPTIONS = { 'pin-dir': { type: 'string' }, json: { type: 'boolean' } } as const;

const hex = (b: Uint8Array): string[] => Array.from(b, (x) => x.toString(16).padStart(2, '0'));
const jsonBytes = (b: Uint8Array): string[] => Array.from(b, (x) => `0x${x.toString(16).padStart(2, '0')}`);

/** bpftool's fprint_hex: 16 bytes a line, a wider gap after 8. */
export function bpftoolHex(bytes: Uint8Array): string {
  let out = '';
  hex(bytes).forEach((h, i) => {
    if (i === 0) out += h;
    else if (i % 16 === 0) out += `\n${h}`;
    else if (i % 8 === 0) out += `  ${h}`;
    else out += ` ${h}`;
  });
  return out;
}

/** One entry as `bpftool map dump` prints it (plain output, no BTF). */
export function bpftoolEntry(key: Uint8Array, value: Uint8Array, valueSize: number, cpus?: number): string {
  if (cpus !== undefined) {
    const stride = (valueSize + 7) & ~7;
    let s = `key:\n${bpftoolHex(key)}\n`;
    for (let c = 0; c < cpus; c++) {
      const v = value.subarray(c * stride, c * stride + valueSize);
      s += `value (CPU ${String(c).padStart(2, '0')}):${valueSize > 16 ? '\n' : ' '}${bpftoolHex(v)}\n`;
    }
    return s;
  }
  const breakNames = key.length > 16 || value.length > 16;
  const singleLine = key.length + value.length <= 24 && !breakNames;
  if (breakNames) return `key:\n${bpftoolHex(key)}\nvalue:\n${bpftoolHex(value)}\n`;
  return `key: ${bpftoolHex(key)}${singleLine ? '  ' : '\n'}value: ${bpftoolHex(value)}\n`;
}

function entryJson(m: MapHandle, key: Uint8Array, value: Uint8Array): object {
  if (!m.perCpu) return { key: jsonBytes(key), value: jsonBytes(value) };
  const stride = m.valueSizeSys / m.cpus;
  return {
    key: jsonBytes(key),
    values: Array.from({ length: m.cpus }, (_, cpu) => ({ cpu, value: jsonBytes(value.subarray(cpu * stride, cpu * stride + m.valueSize)) })),
  };
}

/** Parses `WORD HEX…` up to the next keyword; returns the bytes and the rest. */
function takeBytes(words: string[], what: string, stop: readonly string[]): [Uint8Array, string[]] {
  if (words[0] !== what) throw new UsageError(`expected '${what}' then bytes, got ${words[0] === undefined ? 'nothing' : `'${words[0]}'`}`);
  let i = 1;
  if (words[i] === 'hex') i++;
  const bytes: number[] = [];
  for (; i < words.length && !stop.includes(words[i]!); i++) {
    let w = words[i]!.toLowerCase();
    if (w.startsWith('0x')) w = w.slice(2);
    if (!/^[0-9a-f]+$/.test(w) || (w.length > 2 && w.length % 2 !== 0)) throw new UsageError(`${what}: '${words[i]}' is not a hex byte`);
    if (w.length <= 2) bytes.push(parseInt(w, 16));
    else for (let j = 0; j < w.length; j += 2) bytes.push(parseInt(w.slice(j, j + 2), 16));
  }
  if (bytes.length === 0) throw new UsageError(`${what}: no bytes given`);
  return [Uint8Array.from(bytes), words.slice(i)];
}

function open(name: string | undefined, dir: string | undefined): MapHandle {
  if (!name) throw new UsageError('expected a map NAME');
  try {
    return openPinnedMap(name, dir);
  } catch (err) {
    if (err instanceof PinError && err.problem === 'missing') {
      throw new MapError(`no pinned map '${name}' (${resolvePin(name, dir)} does not exist; \`sluice map list --pin-dir ${pinDirectory(dir)}\` shows the pins)`);
    }
    throw err;
  }
}

function checkKey(m: MapHandle, key: Uint8Array): void {
  if (key.length !== m.keySize) throw new MapError(`map '${m.name}': key is ${key.length} bytes, expected ${m.keySize}`);
}

function list(dir: string | undefined, json: boolean): number {
  const pins = listPins(dir);
  if (json) {
    const out = pins.map((p) => p instanceof PinError
      ? { pinned: p.path, error: p.message, problem: p.problem }
      : { name: p.name, type: p.typeName, flags: p.flags, bytes_key: p.keySize, bytes_value: p.valueSize, max_entries: p.maxEntries, cpus: p.cpus, pinned: p.path, owners: p.owners, pid: p.ownerPid });
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return EXIT_OK;
  }
  for (const p of pins) {
    if (p instanceof PinError) { process.stdout.write(`${p.path}: unusable (${p.problem}): ${p.message}\n`); continue; }
    process.stdout.write(`${p.name}: ${p.typeName}  flags 0x${p.flags.toString(16)}\n` +
      `\tkey ${p.keySize}B  value ${p.valueSize}B  max_entries ${p.maxEntries}  cpus ${p.cpus}\n` +
      `\tpinned ${p.path}  ${p.owners ? `owner pid ${p.ownerPid}` : 'no owner (pinned by name)'}\n`);
  }
  return EXIT_OK;
}

async function run(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseOptions(argv, OPTIONS, { min: 1, max: Infinity });
  const [sub, name, ...words] = positionals;
  const dir = o['pin-dir'];
  const json = o.json === true;
  switch (sub) {
    case 'list': case 'show':
      if (name !== undefined) throw new UsageError(`map list takes no NAME (got '${name}')`);
      return list(dir, json);
    case 'dump': {
      if (words.length) throw new UsageError(`unexpected argument '${words[0]}'`);
      const m = open(name, dir);
      try {
        const entries = m.dump();
        if (json) process.stdout.write(`${JSON.stringify(entries.map((e) => entryJson(m, e.key, e.value)))}\n`);
        else {
          for (const e of entries) process.stdout.write(bpftoolEntry(e.key, e.value, m.valueSize, m.perCpu ? m.cpus : undefined));
          process.stdout.write(`Found ${entries.length} element${entries.length === 1 ? '' : 's'}\n`);
        }
      } finally { m.close(); }
      return EXIT_OK;
    }
    case 'lookup': {
      const [key, rest] = takeBytes(words, 'key', []);
      if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
      const m = open(name, dir);
      try {
        checkKey(m, key);
        const value = m.lookup(key);
        if (!value) {
          if (json) process.stdout.write(`${JSON.stringify({ key: jsonBytes(key), error: 'Not found' })}\n`);
          else process.stdout.write(`key:\n${bpftoolHex(key)}\n\nNot found\n`);
          return EXIT_FAILURE;
        }
        if (json) process.stdout.write(`${JSON.stringify(entryJson(m, key, value))}\n`);
        else process.stdout.write(bpftoolEntry(key, value, m.valueSize, m.perCpu ? m.cpus : undefined));
      } finally { m.close(); }
      return EXIT_OK;
    }
    case 'update': {
      const [key, afterKey] = takeBytes(words, 'key', ['value']);
      const [value, rest] = takeBytes(afterKey, 'value', ['any', 'noexist', 'exist']);
      const flagWord = rest[0] ?? 'any';
      const flag = ({ any: UpdateFlag.Any, noexist: UpdateFlag.NoExist, exist: UpdateFlag.Exist } as Record<string, UpdateFlag>)[flagWord];
      if (flag === undefined) throw new UsageError(`unknown update flag '${flagWord}' (any, noexist, exist)`);
      if (rest.length > 1) throw new UsageError(`unexpected argument '${rest[1]}'`);
      const m = open(name, dir);
      try {
        checkKey(m, key);
        let full = value;
        if (m.perCpu && value.length === m.valueSize) {
          // bpftool writes the one value given to every CPU
          const stride = m.valueSizeSys / m.cpus;
          full = new Uint8Array(m.valueSizeSys);
          for (let c = 0; c < m.cpus; c++) full.set(value, c * stride);
        } else if (m.perCpu && value.length === m.valueSize * m.cpus) {
          const stride = m.valueSizeSys / m.cpus;
          full = new Uint8Array(m.valueSizeSys);
          for (let c = 0; c < m.cpus; c++) full.set(value.subarray(c * m.valueSize, (c + 1) * m.valueSize), c * stride);
        } else if (value.length !== m.valueSize) {
          throw new MapError(`map '${m.name}': value is ${value.length} bytes, expected ${m.valueSize}${m.perCpu ? ` (or ${m.valueSize * m.cpus}: one per CPU)` : ''}`);
        }
        m.update(key, full, flag);
      } finally { m.close(); }
      return EXIT_OK;
    }
    case 'delete': {
      const [key, rest] = takeBytes(words, 'key', []);
      if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
      const m = open(name, dir);
      try {
        checkKey(m, key);
        if (!m.delete(key)) throw new MapError(`map '${m.name}': delete failed: no such key`);
      } finally { m.close(); }
      return EXIT_OK;
    }
    case undefined:
      throw new UsageError('expected a subcommand: list, dump, lookup, update, delete');
    default:
      throw new UsageError(`unknown subcommand '${sub}' (expected: list, dump, lookup, update, delete)`);
  }
}

export const command: Command = {
  name: 'map',
  summary: 'list, dump, look up, update and delete the pinned maps of running dataplanes',
  usage: USAGE,
  run,
};
