// scripts/build-examples.sh: the committed objects match their sources, the
// bytes do not depend on where the checkout lives, and the options behave as
// documented. Comparing bytes needs the clang the objects were built with (14).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand, requires, type Requirement } from '../../scripts/testkit/skip.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = join(root, 'scripts/build-examples.sh');
const sources = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.c')).sort();

function run(cwdRoot: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync('bash', [join(cwdRoot, 'scripts/build-examples.sh'), ...args], {
    encoding: 'utf8', env: { ...process.env, ...env },
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

function clang14(): Requirement {
  const r = spawnSync('clang', ['--version'], { encoding: 'utf8' });
  const major = /clang version (\d+)/.exec(r.stdout ?? '')?.[1];
  return { ok: major === '14', why: `needs clang 14, the compiler the objects were built with (found ${major ?? 'none'})` };
}

/** A copy of the parts of the repository the script needs, somewhere else. */
function copyOfRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-build-examples-'));
  const deep = join(dir, 'a', 'different', 'checkout');
  mkdirSync(join(deep, 'scripts'), { recursive: true });
  cpSync(script, join(deep, 'scripts/build-examples.sh'));
  cpSync(join(root, 'examples'), join(deep, 'examples'), { recursive: true, filter: (p) => !p.endsWith('.o') });
  return deep;
}

test('every example source has a committed object', () => {
  for (const c of sources) assert.ok(statSync(join(root, 'examples', c.replace(/\.c$/, '.o'))).size > 0, c);
});

test('every source: a header comment, the GPL license, BTF-defined maps only', () => {
  for (const c of sources) {
    const text = readFileSync(join(root, 'examples', c), 'utf8');
    assert.match(text, /^\/\/ SPDX-License-Identifier: GPL-2\.0\n\/\* \w+ — /, `${c}: starts with a comment naming the example`);
    assert.match(text, /SEC\("license"\) = "GPL";/, `${c}: license`);
    assert.not.match(text, /SEC\("maps"\)/, `${c}: the legacy maps section (bpftool 7.1 refuses it)`);
  }
});

test('without clang: a clear error, and --if-changed does nothing', () => {
  const missing = run(root, [], { CLANG: 'sluice-no-such-clang' });
  assert.is(missing.status, 1);
  assert.match(missing.out, /not found/);
  assert.match(missing.out, /committed examples\/\*\.o work without it/);
  const quiet = run(root, ['--if-changed'], { CLANG: 'sluice-no-such-clang' });
  assert.is(quiet.status, 0);
  assert.is(quiet.out, '');
});

test('an unknown option is a usage error', () => {
  assert.is(run(root, ['--frobnicate']).status, 2);
});

if (requires('committed example objects match their sources', hasCommand('clang'), clang14())) {
  test('--check: the committed objects are what their sources build to', () => {
    const r = run(root, ['--check']);
    assert.is(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`${sources.length} objects match`));
  });

  test('the same bytes when built from another folder; --if-changed rebuilds only what changed', () => {
    const copy = copyOfRepo();
    try {
      const built = run(copy, []);
      assert.is(built.status, 0, built.out);
      for (const c of sources) {
        const o = c.replace(/\.c$/, '.o');
        assert.ok(readFileSync(join(copy, 'examples', o)).equals(readFileSync(join(root, 'examples', o))), `${o} differs`);
      }
      assert.is(run(copy, ['--if-changed']).out, '', 'nothing to do when every object is newer');
      const later = new Date(Date.now() + 60_000);
      utimesSync(join(copy, 'examples/xdp_pass.c'), later, later);
      const again = run(copy, ['--if-changed']);
      assert.match(again.out, /built examples\/xdp_pass\.o/);
      assert.is(again.out.match(/^built /gm)?.length, 1);
      // --check catches an object that no longer matches its source.
      cpSync(join(copy, 'examples/xdp_drop.o'), join(copy, 'examples/xdp_pass.o'));
      const stale = run(copy, ['--check']);
      assert.is(stale.status, 1);
      assert.match(stale.out, /examples\/xdp_pass\.o/);
    } finally {
      rmSync(copy.replace(/\/a\/different\/checkout$/, ''), { recursive: true, force: true });
    }
  });
}

test.run();
