// Map micro-benchmark: ns per lookup and per update for array, hash, lru_hash
// and lpm_trie holding 1, 1k and 1M entries, for sluice's native maps (a
// native loop over the helper path, maps/bench.c) beside the kernel's (the
// same operations in an XDP program through BPF_PROG_TEST_RUN, bench/maps-kern.c,
// less a baseline program doing the same loop without the map operation),
// plus bytes of memory per entry. Keys are 0..n-1 in order (LPM: /32
// prefixes of addresses spread by a multiplicative hash), both sides alike.
//
// Usage: node --import tsx bench/maps.ts [--quick] [--no-kernel] [--out bench/maps.md]
// Not a test: figures vary with the machine and its load; medians of 5 runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mapBindings } from '../dataplane/ffi.ts';
import { createMap, MapFlag, MapType, mapTypeName } from '../maps/index.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const withKernel = !args.includes('--no-kernel');
const outPath = args.includes('--out') ? args[args.indexOf('--out') + 1] : undefined;
const SIZES = quick ? [1, 1000] : [1, 1000, 1_000_000];
const KINDS = [MapType.ARRAY, MapType.HASH, MapType.LRU_HASH, MapType.LPM_TRIE] as const;
const OPS = 2_000_000;
const RUNS = 5;
const KERNEL_OPS_PER_RUN = 16; // bench/maps-kern.c OPS

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function keysFor(kind: MapType, n: number): { keySize: number; keys: Uint8Array } {
  const keySize = kind === MapType.LPM_TRIE ? 8 : 4;
  const keys = new Uint8Array(n * keySize);
  const view = new DataView(keys.buffer);
  for (let i = 0; i < n; i++) {
    if (kind === MapType.LPM_TRIE) {
      view.setUint32(i * 8, 32, true);
      view.setUint32(i * 8 + 4, Math.imul(i, 2654435761) >>> 0, true); // as the kernel program stores it (host order)
    } else view.setUint32(i * 4, i, true);
  }
  return { keySize, keys };
}

interface Row { kind: string; n: number; lookup: number; update: number; bytes: number; kLookup?: number; kUpdate?: number; kBytes?: number }

function sluice(kind: MapType, n: number): Pick<Row, 'lookup' | 'update' | 'bytes'> {
  const native = mapBindings();
  const { keySize, keys } = keysFor(kind, n);
  const m = createMap({ name: 'bench', type: kind, keySize, valueSize: 8, maxEntries: n, flags: kind === MapType.LPM_TRIE ? MapFlag.NoPrealloc : 0 });
  const value = new Uint8Array(8).fill(7);
  const found = new BigUint64Array(1);
  try {
    native.bench(m.address, keys, n, n, 1, value, found);
    if (Number(found[0]) !== n) throw new Error(`${mapTypeName(kind)} ${n}: fill stored ${found[0]} of ${n}`);
    const time = (op: number) => median(Array.from({ length: RUNS }, () => {
      const ns = Number(native.bench(m.address, keys, n, OPS, op, value, found));
      if (Number(found[0]) !== OPS) throw new Error(`${mapTypeName(kind)} ${n}: ${found[0]} of ${OPS} ${op ? 'updates' : 'lookups'} succeeded`);
      return ns / OPS;
    }));
    const lookup = time(0);
    const update = time(1);
    return { lookup, update, bytes: Number(native.memory(m.address)) / n };
  } finally { m.close(); }
}

// --- the kernel ---------------------------------------------------------------

const here = fileURLToPath(new URL('.', import.meta.url));
const bpf = (a: string[]) => execFileSync('bpftool', a, { encoding: 'utf8' });

function kernelAvailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const c of ['bpftool', 'clang']) if (spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0) return `needs ${c}`;
  return undefined;
}

function kernel(kind: MapType, n: number, dir: string): Pick<Row, 'kLookup' | 'kUpdate' | 'kBytes'> {
  const kindIndex = (KINDS as readonly MapType[]).indexOf(kind);
  const obj = join(dir, `k${kindIndex}.o`);
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-D__x86_64__', `-DKIND=${kindIndex}`, '-c', join(here, 'maps-kern.c'), '-o', obj]);
  const tag = `sluice_bench_${process.pid}`; // pins of our own: other runs may clean theirs
  const pins = { m: `/sys/fs/bpf/${tag}_m`, cfg: `/sys/fs/bpf/${tag}_cfg`, progs: `/sys/fs/bpf/${tag}_p` };
  const clean = () => { for (const p of Object.values(pins)) rmSync(p, { recursive: true, force: true }); };
  clean();
  try {
    const keySize = kind === MapType.LPM_TRIE ? 8 : 4;
    bpf(['map', 'create', pins.m, 'type', mapTypeName(kind), 'key', String(keySize), 'value', '8', 'entries', String(n), 'name', 'm', 'flags', kind === MapType.LPM_TRIE ? '1' : '0']);
    bpf(['map', 'create', pins.cfg, 'type', 'array', 'key', '4', 'value', '8', 'entries', '2', 'name', 'cfg']);
    bpf(['prog', 'loadall', obj, pins.progs, 'type', 'xdp', 'map', 'name', 'm', 'pinned', pins.m, 'map', 'name', 'cfg', 'pinned', pins.cfg]);
    const le64 = (v: number) => Array.from({ length: 8 }, (_, i) => String(Math.floor(v / 2 ** (8 * i)) & 0xff));
    const setCfg = (slot: number, v: number) => bpf(['map', 'update', 'pinned', pins.cfg, 'key', String(slot), '0', '0', '0', 'value', ...le64(v)]);
    const pkt = join(dir, 'pkt');
    writeFileSync(pkt, new Uint8Array(64));
    const run = (prog: string, repeat: number) => {
      const out = bpf(['prog', 'run', 'pinned', `${pins.progs}/${prog}`, 'data_in', pkt, 'repeat', String(repeat)]);
      const ret = Number(/Return value: (\d+)/.exec(out)?.[1]);
      if (ret !== 2) throw new Error(`kernel ${prog} (${mapTypeName(kind)} ${n}) returned ${ret}`);
      return Number(/duration \(average\): (\d+)ns/.exec(out)?.[1]);
    };
    setCfg(0, n);
    setCfg(1, 0);
    run('fill', n);
    const repeat = Math.ceil(OPS / KERNEL_OPS_PER_RUN);
    const per = (prog: string) => median(Array.from({ length: RUNS }, () => {
      const base = run('baseline', repeat);
      return (run(prog, repeat) - base) / KERNEL_OPS_PER_RUN;
    }));
    const kLookup = per('lookup');
    const kUpdate = per('update');
    const show = JSON.parse(bpf(['-j', 'map', 'show', 'pinned', pins.m])) as { bytes_memlock?: number };
    return { kLookup, kUpdate, kBytes: (show.bytes_memlock ?? NaN) / n };
  } finally { clean(); }
}

// --- run ------------------------------------------------------------------------

const why = withKernel ? kernelAvailable() : 'skipped (--no-kernel)';
if (why) console.log(`kernel figures: ${why}`);
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
const rows: Row[] = [];
try {
  for (const kind of KINDS) {
    for (const n of SIZES) {
      const row: Row = { kind: mapTypeName(kind), n, ...sluice(kind, n) };
      if (!why) Object.assign(row, kernel(kind, n, dir));
      rows.push(row);
      console.log(`${row.kind.padEnd(9)} ${String(n).padStart(8)}  lookup ${row.lookup.toFixed(1)} ns` +
        `  update ${row.update.toFixed(1)} ns  ${row.bytes.toFixed(0)} B/entry` +
        (row.kLookup === undefined ? '' : `   kernel: lookup ${row.kLookup.toFixed(1)} ns  update ${row.kUpdate!.toFixed(1)} ns  ${row.kBytes!.toFixed(0)} B/entry`));
    }
  }
} finally { rmSync(dir, { recursive: true, force: true }); }

const f = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(1));
const table = [
  '| map | entries | lookup ns | update ns | bytes/entry | kernel lookup ns | kernel update ns | kernel bytes/entry |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.kind} | ${r.n} | ${f(r.lookup)} | ${f(r.update)} | ${r.bytes.toFixed(0)} | ${f(r.kLookup)} | ${f(r.kUpdate)} | ${r.kBytes === undefined ? '–' : r.kBytes.toFixed(0)} |`),
].join('\n');
console.log(`\n${table}`);
if (outPath) {
  writeFileSync(outPath, `# Map benchmark (bench/maps.ts)\n\n${new Date().toISOString().slice(0, 10)}, ${process.platform}, medians of ${RUNS} runs of ${OPS} operations. ` +
    'sluice: the helper path in a native loop (bursts of 64 inside a grace-period read section). ' +
    'kernel: the same loop in an XDP program via BPF_PROG_TEST_RUN, minus a baseline without the map operation. ' +
    'Keys 0..n-1 in order (LPM: /32 prefixes).\n\n' + table + '\n');
}
