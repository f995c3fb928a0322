// `sluice map` output against bpftool's: the same entries written into a
// kernel map (bpftool map update) and into a pinned sluice map (sluice map
// update), then `bpftool map dump|lookup` and `sluice map dump|lookup`
// compared, plain and --json. Hash maps order entries by their own hash
// functions, so multi-entry dumps are compared as sets of entries.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MapFlag, MapType, mapTypeName, type MapDef } from '../index.ts';
import { createPinnedMap } from '../pin.ts';
import { hasCommand, isRoot, requires } from '../../scripts/testkit/skip.ts';
import { hasNativeLibrary } from './native.ts';

const BIN = fileURLToPath(new URL('../../dataplane/cli/bin.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sluice-pin-bpftool-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const kpin = (name: string) => `/sys/fs/bpf/sluice_pin_test_${process.pid}_${name}`;

/** The kernel's possible CPUs (what its per-CPU maps hold), from /sys/devices/system/cpu/possible ("0-1"). */
function possibleCpus(): number {
  const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  return text.split(',').reduce((n, r) => { const [a, b = a] = r.split('-').map(Number) as [number, number?]; return n + (b as number) - a + 1; }, 0);
}

function run(cmd: string, args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
}
const sluice = (...args: string[]) => run(process.execPath, [BIN, 'map', ...args, '--pin-dir', dir]);
const bpftool = (...args: string[]) => run('bpftool', args);

const bytes = (n: number, seed: number): string[] => Array.from({ length: n }, (_, i) => ((seed * 37 + i * 11) & 0xff).toString(16).padStart(2, '0'));

/** Plain dump output as a sorted list of entry blocks, and its "Found" line. */
function entries(out: string): { blocks: string[]; found: string } {
  const lines = out.trimEnd().split('\n');
  const found = lines.pop() ?? '';
  const blocks: string[] = [];
  for (const line of lines) {
    if (line.startsWith('key')) blocks.push(line);
    else blocks[blocks.length - 1] += `\n${line}`;
  }
  return { blocks: blocks.sort(), found };
}

interface Case { def: MapDef; n: number }

if (requires('sluice map output against bpftool', hasNativeLibrary(), isRoot(), hasCommand('bpftool'))) {
  const cpus = possibleCpus();
  const cases: Case[] = [
    { def: { name: 'h48', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 16 }, n: 5 },
    { def: { name: 'h1616', type: MapType.HASH, keySize: 16, valueSize: 16, maxEntries: 8 }, n: 3 },
    { def: { name: 'h2024', type: MapType.HASH, keySize: 20, valueSize: 24, maxEntries: 8 }, n: 2 },
    { def: { name: 'arr', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 }, n: 2 },
    { def: { name: 'pcpu', type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 3, cpus }, n: 2 },
    { def: { name: 'lpm', type: MapType.LPM_TRIE, keySize: 8, valueSize: 8, maxEntries: 8, flags: MapFlag.NoPrealloc }, n: 3 },
    { def: { name: 'phash', type: MapType.PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 4, cpus }, n: 2 },
  ];

  for (const { def, n } of cases) {
    test(`${mapTypeName(def.type)} key ${def.keySize} value ${def.valueSize}: dump and lookup as bpftool prints them`, () => {
      rmSync(kpin(def.name), { force: true });
      const c = bpftool('map', 'create', kpin(def.name), 'type', mapTypeName(def.type), 'key', String(def.keySize),
        'value', String(def.valueSize), 'entries', String(def.maxEntries), 'name', def.name, 'flags', String(def.flags ?? 0));
      assert.is(c.status, 0, c.err);
      const mine = createPinnedMap(def, { dir });
      try {
        const keys: string[][] = [];
        for (let i = 0; i < n; i++) {
          const key = def.type === MapType.ARRAY || def.type === MapType.PERCPU_ARRAY ? ['0' + String(i + 1), '00', '00', '00']
            : def.type === MapType.LPM_TRIE ? ['18', '00', '00', '00', '0a', (i + 1).toString(16).padStart(2, '0'), 'ff', '00'] // /24s: data past the prefix kept as given
            : bytes(def.keySize, i + 1);
          const value = bytes(def.valueSize, i + 7);
          keys.push(key);
          // bpftool reads bytes in decimal unless told 'hex'; sluice reads hex
          const k = bpftool('map', 'update', 'pinned', kpin(def.name), 'key', 'hex', ...key, 'value', 'hex', ...value);
          assert.is(k.status, 0, k.err);
          if (i === 0) {
            const s = sluice('update', def.name, 'key', ...key, 'value', ...value);
            assert.is(s.status, 0, s.err);
          } else { // (the API for the rest: each CLI run costs a Node start)
            const v = Uint8Array.from(value.map((h) => parseInt(h, 16)));
            const all = mine.perCpu ? new Uint8Array(mine.valueSizeSys) : v;
            if (mine.perCpu) for (let c = 0; c < mine.cpus; c++) all.set(v, c * (mine.valueSizeSys / mine.cpus));
            mine.update(Uint8Array.from(key.map((h) => parseInt(h, 16))), all);
          }
        }
        const kd = bpftool('map', 'dump', 'pinned', kpin(def.name)), sd = sluice('dump', def.name);
        assert.is(sd.status, 0, sd.err);
        if (def.type === MapType.ARRAY || def.type === MapType.PERCPU_ARRAY) assert.fixture(sd.out, kd.out);
        else assert.equal(entries(sd.out), entries(kd.out));

        const kj = JSON.parse(bpftool('-j', 'map', 'dump', 'pinned', kpin(def.name)).out) as object[];
        const sj = JSON.parse(sluice('dump', def.name, '--json').out) as object[];
        const sorted = (a: object[]) => a.map((e) => JSON.stringify(e)).sort();
        assert.equal(sorted(sj), sorted(kj));

        const kl = bpftool('map', 'lookup', 'pinned', kpin(def.name), 'key', 'hex', ...keys[0]!);
        const sl = sluice('lookup', def.name, 'key', ...keys[0]!);
        assert.fixture(sl.out, kl.out);
        if (def.name === 'h48') assert.equal(JSON.parse(sluice('lookup', def.name, 'key', ...keys[0]!, '--json').out),
          JSON.parse(bpftool('-j', 'map', 'lookup', 'pinned', kpin(def.name), 'key', 'hex', ...keys[0]!).out));
      } finally {
        mine.close();
        rmSync(kpin(def.name), { force: true });
      }
    });
  }
}

test.run();
