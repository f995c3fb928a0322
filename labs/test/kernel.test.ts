// The Linux kernel is the reference (DESIGN.md): every reference solution loads
// in it (bpftool prog loadall), the lab 8 starter is refused by it for the
// reason the lab teaches, and for the labs whose specs need no map setup the
// kernel's BPF_PROG_TEST_RUN gives each capture frame the same verdict and
// output bytes as sluice's run of the same case (which the spec then judges).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requires, hasCommand, isRoot } from '../../scripts/testkit/skip.ts';
import { listLabs } from '../../dataplane/lab/catalog.ts';
import { loadSpec, runSpec } from '../../dataplane/spec/index.ts';
import { objectFor, scratch } from './build.ts';

const bpffs = { ok: existsSync('/sys/fs/bpf') && spawnSync('sh', ['-c', 'mount | grep -q " /sys/fs/bpf "']).status === 0, why: 'needs bpffs mounted on /sys/fs/bpf' };
const pin = (name: string) => `/sys/fs/bpf/sluice-labtest-${process.pid}-${name}`;

function loadall(object: string, name: string): { ok: boolean; log: string } {
  const r = spawnSync('bpftool', ['-d', 'prog', 'loadall', object, pin(name), 'type', 'xdp'], { encoding: 'utf8' });
  return { ok: r.status === 0, log: `${r.stdout}${r.stderr}` };
}
const unpin = (name: string) => rmSync(pin(name), { recursive: true, force: true });

if (requires('kernel agreement of the labs', isRoot(), hasCommand('bpftool'), hasCommand(process.env.CLANG ?? 'clang'), bpffs)) {
  const labs = listLabs();

  test('every reference solution loads in the kernel', () => {
    for (const lab of labs) {
      const r = loadall(objectFor(lab.solution, 'solutions'), lab.slug);
      unpin(lab.slug);
      assert.ok(r.ok, `${lab.slug}: ${r.log.split('\n').slice(-15).join('\n')}`);
    }
  });

  test('the kernel refuses the lab 8 starter: the UDP port read is not bounds-checked', () => {
    const lab = labs.find((l) => l.slug === '08-verifier')!;
    const r = loadall(objectFor(lab.starter, 'starters'), 'starter8');
    unpin('starter8');
    assert.not.ok(r.ok);
    // Ethernet 14 + IPv4 20 = 34 bytes proven; the destination port is 2 bytes at 36.
    assert.match(r.log, /invalid access to packet, off=36 size=2, R2\(id=0,off=36,r=34\)/);
  });

  for (const slug of ['02-ssh-only', '04-icmp-echo']) {
    test(`${slug}: the kernel's test run gives every case the verdict and bytes sluice gives`, () => {
      const lab = labs.find((l) => l.slug === slug)!;
      const object = objectFor(lab.solution, 'solutions');
      const spec = loadSpec(lab.specs[0]!);
      assert.is(spec.setup.length, 0, 'this comparison is for specs without map setup');
      const ours = runSpec(spec, object);
      assert.ok(loadall(object, slug).ok);
      const dir = scratch(`kernel-${slug}`);
      try {
        let compared = 0;
        for (const c of ours.cases) {
          const input = join(dir, `in-${c.index}`), output = join(dir, `out-${c.index}`);
          writeFileSync(input, c.input);
          const r = spawnSync('bpftool', ['prog', 'run', 'pinned', join(pin(slug), spec.program!), 'data_in', input, 'data_out', output], { encoding: 'utf8' });
          const retval = /Return value: (\d+)/.exec(`${r.stdout}${r.stderr}`);
          assert.ok(retval, `${r.stdout}${r.stderr}`);
          assert.is(Number(retval![1]), c.verdict, `case ${c.index + 1} ${c.name}: verdict`);
          assert.is(readFileSync(output).toString('hex'), Buffer.from(c.output!).toString('hex'), `case ${c.index + 1} ${c.name}: output`);
          compared++;
        }
        assert.is(compared, spec.cases.length);
      } finally {
        unpin(slug);
      }
    });
  }
}

test.run();
