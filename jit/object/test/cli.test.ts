// `sluice disasm` and `sluice inspect` as a user runs them: the CLI in a child
// process, its text and JSON, exit statuses and error messages.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import { buildFixture, ROOT } from './objects.ts';

const sluice = (args: string[]) => execFileSync('node', [join(ROOT, 'dataplane/cli/bin.mjs'), ...args], { encoding: 'utf8' });

if (requires('sluice disasm and inspect on compiled fixtures', hasCommand('clang'))) {
  test('sluice disasm interleaves source lines and names references', () => {
    const text = sluice(['disasm', buildFixture('multi_prog'), '--prog', 'xdp_second']);
    assert.match(text, /^Disassembly of program xdp_second \(section xdp, BPF_PROG_TYPE_XDP\):/);
    assert.match(text, /\n; \tbpf_loop\(4, loop_body, &sum, 0\);\n/);
    assert.match(text, /\nbump:\n/);
    assert.match(text, /map_fd\(0\) ll\t; hits\n/);
    assert.match(text, /call pc[+-]\d+ <in_section>/);
    assert.throws(() => execFileSync('node', [join(ROOT, 'dataplane/cli/bin.mjs'), 'disasm', buildFixture('multi_prog'), '--prog', 'nope'], { stdio: 'pipe' }),
      (e: { status: number; stderr: Buffer }) => e.status === 1 && /no program 'nope'.*xdp_first/.test(e.stderr.toString()));
  });

  test('sluice inspect reports programs, maps, global data, license and BTF', () => {
    const j = JSON.parse(sluice(['inspect', buildFixture('map_in_map'), '--json']));
    assert.equal(j.programs.map((p: { name: string; instructions: number }) => p.name), ['xdp_target', 'xdp_outer']);
    assert.is(j.btf, true);
    assert.is(j.license, 'GPL');
    const outer = j.maps.find((m: { name: string }) => m.name === 'outer');
    assert.equal([outer.type, outer.keySize, outer.valueSize, outer.maxEntries, outer.inner.type],
      ['BPF_MAP_TYPE_ARRAY_OF_MAPS', 4, 4, 4, 'BPF_MAP_TYPE_ARRAY']);
    const g = JSON.parse(sluice(['inspect', buildFixture('rodata'), '--json'])).globalData;
    assert.ok(g.some((d: { section: string; readOnly: boolean }) => d.section === '.rodata' && d.readOnly));
    const text = sluice(['inspect', buildFixture('legacy_maps', { debug: false })]);
    assert.match(text, /no BTF/);
    assert.match(text, /legacy_hash\s+hash\s+8\s+12\s+1024\s+0x1/);
    assert.throws(() => execFileSync('node', [join(ROOT, 'dataplane/cli/bin.mjs'), 'inspect', buildFixture('legacy_maps', { target: 'bpfeb' })], { stdio: 'pipe' }),
      (e: { status: number; stderr: Buffer }) => e.status === 1 && /big-endian/.test(e.stderr.toString()));
  });
}

test.run();
