// --blind-constants on the commands that load an object (`sluice prog run`, `sluice jit dump`):
// the same verdict and bytes as without, and longer code (the in-process checks that no
// constant survives are in jit/x86/test/blinding.test.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requires } from '../../../scripts/testkit/skip.ts';
import { hasNativeLibrary } from '../../../jit/x86/test/native.ts';

const bin = fileURLToPath(new URL('../bin.mjs', import.meta.url));
const firewall = fileURLToPath(new URL('../../../examples/firewall.o', import.meta.url));

function sluice(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Ethernet / IPv4 / UDP 10.0.0.1:53 -> 10.0.0.2:53, no payload.
const FRAME = Uint8Array.from([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0,
  10, 0, 0, 1, 10, 0, 0, 2, 0, 53, 0, 53, 0, 8, 0, 0]);

if (requires('--blind-constants on the CLI', hasNativeLibrary())) {
  test('prog run: the same return value and output bytes blinded and not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-blind-'));
    try {
      writeFileSync(join(dir, 'in.bin'), FRAME);
      const plain = sluice(['prog', 'run', firewall, '--data-in', join(dir, 'in.bin'), '--data-out', join(dir, 'a.bin'), '--json']);
      const blinded = sluice(['prog', 'run', firewall, '--data-in', join(dir, 'in.bin'), '--data-out', join(dir, 'b.bin'), '--json', '--blind-constants']);
      assert.is(plain.status, 0, plain.stderr);
      assert.is(blinded.status, 0, blinded.stderr);
      assert.is(JSON.parse(blinded.stdout).retval, JSON.parse(plain.stdout).retval);
      assert.equal([...readFileSync(join(dir, 'b.bin'))], [...readFileSync(join(dir, 'a.bin'))]);
      const interp = sluice(['prog', 'run', firewall, '--data-in', join(dir, 'in.bin'), '--engine', 'interp', '--blind-constants']);
      assert.is(interp.status, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('jit dump --blind-constants: longer code (each immediate becomes a blinded load)', () => {
    const code = (extra: string[]) => {
      const r = sluice(['jit', 'dump', firewall, '--json', ...extra]);
      assert.is(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout) as { code: string }).code;
    };
    // Addresses differ between processes (maps, helpers), lengths do not: a blinded immediate takes more bytes.
    assert.ok(code(['--blind-constants']).length > code([]).length);
  });
}

test.run();
