// dataplane/shim/exec.c: code is installed W^X (the pages end up read-execute, never
// writable and executable) and freed on request. Checked in /proc/self/maps.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execBindings, NativeError } from '../../../dataplane/ffi.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { hasNativeLibrary } from './native.ts';

/** The permissions of the mapping that contains `address`, or undefined. */
function permissionsAt(address: bigint): string | undefined {
  for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4})/.exec(line);
    if (m && BigInt(`0x${m[1]}`) <= address && address < BigInt(`0x${m[2]}`)) return m[3];
  }
  return undefined;
}

if (requires('W^X executable memory', hasNativeLibrary(), { ok: process.platform === 'linux', why: 'needs /proc/self/maps' })) {
  test('installed code is read-execute, page aligned, and gone after free', () => {
    const exec = execBindings();
    const code = Uint8Array.from([0x48, 0x89, 0xf8, 0xc3]); // mov rax, rdi; ret
    const address = exec.install(code);
    assert.is(address % 4096n, 0n);
    assert.is(permissionsAt(address), 'r-xp');
    const identity = exec.functionAt(address);
    assert.is(identity(42n), 42n, 'the code runs');
    exec.free(address, code.length);
    assert.is(permissionsAt(address), undefined);
  });

  test('every page of a multi-page install is read-execute', () => {
    const exec = execBindings();
    const address = exec.install(new Uint8Array(10000).fill(0xc3));
    try {
      assert.is(permissionsAt(address), 'r-xp');
      assert.is(permissionsAt(address + 8192n), 'r-xp', 'every page of a multi-page install');
    } finally {
      exec.free(address, 10000);
    }
  });

  test('installing nothing fails with a NativeError', () => {
    assert.throws(() => execBindings().install(new Uint8Array(0)), (e: Error) => e instanceof NativeError && /errno 22/.test(e.message));
  });
}

test.run();
