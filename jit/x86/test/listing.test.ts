// The jit dump listing: eBPF instructions interleaved with the native code they became.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assemble } from '../../isa/asm.ts';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import { jitCompile } from '../compile.ts';
import { interleave, parseObjdump } from '../listing.ts';

if (requires('jit listing with objdump', hasCommand('objdump'))) {
  test('each eBPF instruction heads the native code it became, in order', () => {
    const program = assemble('r0 = 2\nif r1 == 0 goto +1\nr0 = 1\nexit');
    const jit = jitCompile(program, { rewriteContext: false });
    const dir = mkdtempSync(join(tmpdir(), 'sluice-listing-'));
    let output: string;
    try {
      writeFileSync(join(dir, 'code.bin'), jit.code);
      output = execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386:x86-64', join(dir, 'code.bin')], { encoding: 'utf8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const lines = interleave(program, jit, parseObjdump(output), (pc) => (pc === 0 ? 'return XDP_PASS;' : undefined));
    const at = (text: string): number => lines.findIndex((l) => l.includes(text));
    const order = ['<burst>:', '; return XDP_PASS;', '0: r0 = 2', 'mov $0x2,%eax', '1: if r1 == 0 goto +1', 'test %rdi,%rdi',
      '2: r0 = 1', 'mov $0x1,%eax', '3: exit', '<burst.next>:', '<burst.done>:', 'pop %rbp'];
    const positions = order.map(at);
    assert.ok(positions.every((p) => p >= 0), `missing: ${order.filter((_, i) => positions[i]! < 0).join(', ')}\n${lines.join('\n')}`);
    assert.equal([...positions].sort((x, y) => x - y), positions, lines.join('\n'));
  });
}

test.run();
