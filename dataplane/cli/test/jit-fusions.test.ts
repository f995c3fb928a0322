// `sluice jit dump --no-fusions`: the one-to-one code, against the default with peephole
// fusions (jit/x86/peephole.ts). The classifier assembles addresses and ports byte by byte
// (clang's BPF code has no byte swap), so only the fused code loads them whole and swaps.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requires, hasCommand } from '../../../scripts/testkit/skip.ts';
import { hasNativeLibrary } from '../../../jit/x86/test/native.ts';

const bin = fileURLToPath(new URL('../bin.mjs', import.meta.url));
const classify = fileURLToPath(new URL('../../../bench/native/classify.bpf.o', import.meta.url));

function dump(extra: string[]): { listing: string; bytes: number } {
  const listing = spawnSync(process.execPath, [bin, 'jit', 'dump', classify, ...extra], { encoding: 'utf8', timeout: 30_000 });
  assert.is(listing.status, 0, listing.stderr);
  const json = spawnSync(process.execPath, [bin, 'jit', 'dump', classify, '--json', ...extra], { encoding: 'utf8', timeout: 30_000 });
  assert.is(json.status, 0, json.stderr);
  return { listing: listing.stdout, bytes: (JSON.parse(json.stdout) as { bytes: number }).bytes };
}

if (requires('sluice jit dump', hasNativeLibrary(), hasCommand('objdump'))) {
  test('jit dump: fused code is shorter, and only it swaps bytes of whole loads', () => {
    const fused = dump([]), plain = dump(['--no-fusions']);
    assert.ok(fused.bytes < plain.bytes, `${fused.bytes} bytes fused, ${plain.bytes} without`);
    assert.match(fused.listing, /\bbswap\b/);
    assert.not.match(plain.listing, /\bbswap\b/);
    assert.match(plain.listing, /movzbl/);
  });
}

test.run();
