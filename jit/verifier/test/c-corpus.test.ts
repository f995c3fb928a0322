// The C corpus: each program compiled by clang at test time, verified by sluice,
// and (as root, with bpftool) loaded into the kernel, which must agree.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, isRoot, requires } from '../../../scripts/testkit/skip.ts';
import { loadObjectSpec } from '../../object/load.ts';
import { verify, VerifierError } from '../verify.ts';
import { C_CASES } from './c-corpus.ts';

if (requires('the C verifier corpus', hasCommand('clang'))) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-verifier-c-'));
  const objects = C_CASES.map((c, i) => {
    const src = join(dir, `case${i}.c`), obj = join(dir, `case${i}.o`);
    writeFileSync(src, c.source);
    try {
      execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-I/usr/include/x86_64-linux-gnu', '-D__x86_64__', '-c', src, '-o', obj], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      throw new Error(`clang failed on "${c.name}":\n${(err as { stderr?: Buffer }).stderr?.toString() ?? ''}`);
    }
    return obj;
  });
  const sluice = (i: number): { ok: boolean; message: string } => {
    const spec = loadObjectSpec(readFileSync(objects[i]!), `case${i}.o`);
    try {
      verify(spec.programs[0]!, spec.maps, { insnLimit: C_CASES[i]!.insnLimit });
      return { ok: true, message: '' };
    } catch (err) {
      if (!(err instanceof VerifierError)) throw err;
      return { ok: false, message: err.message };
    }
  };

  C_CASES.forEach((c, i) => {
    test(c.name, () => {
      const r = sluice(i);
      if (c.error === undefined) assert.ok(r.ok, r.message);
      else {
        assert.ok(!r.ok, 'accepted');
        assert.ok(r.message.includes(c.error), `expected "${c.error}" in:\n${r.message}`);
        assert.match(r.message, /case\d+\.c:\d+ /); // the source line from BTF line info
      }
    });
  });

  const bpffs = existsSync('/sys/fs/bpf') && spawnSync('sh', ['-c', 'mount | grep -q " /sys/fs/bpf "']).status === 0;
  if (requires('kernel agreement on the C corpus', isRoot(), hasCommand('bpftool'), { ok: bpffs, why: 'needs bpffs mounted at /sys/fs/bpf' })) {
    test('the kernel (bpftool prog load) agrees on every C program', () => {
      const disagreements: string[] = [];
      C_CASES.forEach((c, i) => {
        // The kernel needs ~50 s (with libbpf's log retries) to reach its 1M-instruction limit on
        // the unbounded loop; its rejection was checked by hand (bpftool: "too large. Processed 1000001 insn").
        if (c.insnLimit !== undefined) return;
        const pin = `/sys/fs/bpf/sluice_vc_${process.pid}_${i}`;
        const k = spawnSync('bpftool', ['prog', 'load', objects[i]!, pin, 'type', 'xdp'], { encoding: 'utf8' });
        rmSync(pin, { force: true });
        const s = sluice(i);
        if ((k.status === 0) !== s.ok) {
          const why = k.stderr.trim().split('\n').filter((l) => !l.startsWith('libbpf')).slice(-3).join(' / ');
          disagreements.push(`${c.name}: kernel ${k.status === 0 ? 'accepts' : `rejects (${why})`}, sluice ${s.ok ? 'accepts' : `rejects (${s.message.split('\n')[0]})`}`);
        }
      });
      assert.equal(disagreements, []);
    });
  }
  test.after(() => rmSync(dir, { recursive: true, force: true }));
}

test.run();
