// The spec against the kernel's reading of the same objects: `bpftool prog loadall`
// (libbpf 1.1 + the running kernel) creates every map and loads every program; each
// map's type, key/value size, max_entries, flags and frozen state, the program names,
// and the `.values` slots of prog_array and map-in-map must be what the spec says.
// Root only; the pins live under /sys/fs/bpf/sluice-object-<pid>-N and are removed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasCommand, isRoot, requires } from '../../../scripts/testkit/skip.ts';
import { layout } from '../../isa/instruction.ts';
import { loadObjectSpec, type MapSpec } from '../load.ts';
import { buildFixture, exampleObjects, read } from './objects.ts';

const bpftool = (args: string[]) => execFileSync('bpftool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const json = <T>(args: string[]): T => JSON.parse(bpftool([...args, '-j'])) as T;

interface KMap { id: number; type: string; name: string; flags: number; bytes_key: number; bytes_value: number; max_entries: number; frozen: number }
const BPF_F_MMAPABLE = 0x400; // libbpf adds it to global-data maps when the kernel allows
const BPF_F_RDONLY_PROG = 0x80; // the kernel adds it to devmaps (their values are read-only to programs)
const DEVMAPS = new Set(['devmap', 'devmap_hash']);

function ensureBpffs(): void {
  try { execFileSync('mountpoint', ['-q', '/sys/fs/bpf']); } catch { execFileSync('mount', ['-t', 'bpf', 'bpf', '/sys/fs/bpf']); }
}

/** The kernel's name for one of our maps: libbpf prefixes .data/.rodata/.bss with the object's name. */
function kernelName(obj: string, m: MapSpec): string {
  if (!m.globalData || m.name.indexOf('.', 1) > 0) return m.name.slice(0, 15);
  return `${obj.slice(0, 8)}${m.name}`.slice(0, 15);
}

if (requires('object specs vs bpftool/libbpf and the kernel', isRoot(), hasCommand('bpftool'), hasCommand('clang'))) {
  test('maps, programs and .values slots agree with what the kernel created', () => {
    ensureBpffs();
    // (multi_prog is left out: libbpf refuses its static function in a program section,
    // which sluice links as a subprogram.)
    const files = [...exampleObjects(), buildFixture('map_in_map'), buildFixture('rodata')];
    files.forEach((file, n) => {
      const dir = `/sys/fs/bpf/sluice-object-${process.pid}-${n}`;
      try {
        const spec = loadObjectSpec(read(file), file);
        bpftool(['prog', 'loadall', file, dir, 'type', 'xdp', 'pinmaps', `${dir}-maps`]);
        // Programs: libbpf pins each by name (the tc/kprobe ones load as XDP here too).
        assert.equal(readdirSync(dir).sort(), spec.programs.map((p) => p.name).sort(), `${file}: programs`);
        const pins = existsSync(`${dir}-maps`) ? readdirSync(`${dir}-maps`) : [];
        const kmaps = pins.map((pin) => json<KMap>(['map', 'show', 'pinned', `${dir}-maps/${pin}`]));
        assert.is(kmaps.length, spec.maps.length, `${file}: map count`);
        // libbpf's object name: the file name without .o, invalid characters as '_'.
        const obj = basename(file).replace(/\.o$/, '').replace(/[^A-Za-z0-9_]/g, '_');
        const byName = new Map(kmaps.map((k) => [k.name, k]));
        const idOf = new Map<string, number>();
        for (const m of spec.maps) {
          const k = byName.get(kernelName(obj, m));
          assert.ok(k, `${file}: kernel map for ${m.name} among ${[...byName.keys()].join(', ')}`);
          idOf.set(m.name, k!.id);
          assert.is(k!.type, m.typeName.replace('BPF_MAP_TYPE_', '').toLowerCase(), `${file} ${m.name}: type`);
          assert.equal([k!.bytes_key, k!.bytes_value, k!.max_entries], [m.keySize, m.valueSize, m.maxEntries], `${file} ${m.name}: sizes`);
          const added = (m.globalData ? BPF_F_MMAPABLE : 0) | (DEVMAPS.has(k!.type) ? BPF_F_RDONLY_PROG : 0);
          assert.is(k!.flags & ~added, m.flags, `${file} ${m.name}: flags`);
          assert.is(k!.frozen === 1, m.frozen, `${file} ${m.name}: frozen`);
        }
        // .values: prog_array slots hold the named program's id, map-in-map slots the inner map's.
        const progIds = new Map(spec.programs.map((p) => [p.name, json<{ id: number }>(['prog', 'show', 'pinned', `${dir}/${p.name}`]).id]));
        for (const m of spec.maps.filter((x) => x.slots !== undefined || x.type === 3 || x.type === 12)) {
          const pin = pins.find((p) => json<KMap>(['map', 'show', 'pinned', `${dir}-maps/${p}`]).id === idOf.get(m.name))!;
          const entries = json<{ key: string[]; value: string[] }[]>(['map', 'dump', 'pinned', `${dir}-maps/${pin}`]);
          const le = (b: string[]) => b.reduce((acc, x, i) => acc + parseInt(x, 16) * 2 ** (8 * i), 0);
          const got = entries.map((e) => ({ index: le(e.key), id: le(e.value) })).sort((a, b) => a.index - b.index);
          const want = (m.slots ?? []).map((s) => ({ index: s.index, id: (m.type === 3 ? progIds : idOf).get(s.name)! }));
          assert.equal(got, want, `${file} ${m.name}: .values`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
        rmSync(`${dir}-maps`, { recursive: true, force: true });
      }
    });
  });

  test('subprogram order and call offsets agree with libbpf\'s linker (bpftool -d)', () => {
    ensureBpffs();
    const files = [buildFixture('subprogs'), ...exampleObjects()];
    let checked = 0;
    files.forEach((file, n) => {
      const dir = `/sys/fs/bpf/sluice-object-link-${process.pid}-${n}`;
      try {
        const run = spawnSync('bpftool', ['-d', 'prog', 'loadall', file, dir, 'type', 'xdp'], { encoding: 'utf8' });
        assert.is(run.status, 0, `${file}: bpftool loadall: ${run.stderr.slice(-500)}`);
        const spec = loadObjectSpec(read(file), file);
        const entries = new Set(spec.programs.map((p) => p.name));
        const added = new Map<string, string[]>();
        let current = '';
        for (const line of run.stderr.split('\n')) {
          const a = /prog '([^']+)': added \d+ insns from sub-prog '([^']+)'/.exec(line);
          if (a) {
            current = a[1]!;
            added.set(current, [...(added.get(current) ?? []), a[2]!]);
            continue;
          }
          const r = /prog '([^']+)': insn #(\d+) relocated, imm (-?\d+) points to subprog '([^']+)' \(now at (\d+) offset\)/.exec(line);
          if (!r) continue;
          if (entries.has(r[1]!)) current = r[1]!;
          const prog = spec.programs.find((p) => p.name === current)!;
          const pcOf = layout(prog.instructions).pcOf;
          const from = prog.funcInfo.find((f) => f.name === r[1])!;
          const to = prog.funcInfo.find((f) => f.name === r[4])!;
          const index = pcOf.indexOf(from.pc + Number(r[2]));
          assert.is(prog.instructions[index]!.imm, Number(r[3]), `${file} ${current}: imm of ${r[1]} insn #${r[2]}`);
          assert.is(to.pc, Number(r[5]), `${file} ${current}: ${r[4]} placed at pc ${r[5]}`);
          checked++;
        }
        for (const p of spec.programs) {
          assert.equal(p.funcInfo.slice(1).map((f) => f.name), added.get(p.name) ?? [], `${file} ${p.name}: subprograms in libbpf's order`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
    assert.ok(checked >= 10, `${checked} relocated calls compared`);
  });
}

test.run();
