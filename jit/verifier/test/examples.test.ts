// Every example object's programs (all of which the kernel loads) pass the verifier,
// and the ctx facts rewrite the program exactly as the JIT's own ctx pass does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadObjectSpec } from '../../object/load.ts';
import { rewriteContextAccess } from '../../x86/ctx-rewrite.ts';
import { verify } from '../verify.ts';
import { rewriteContextLoads } from '../ctx-facts.ts';

const dir = fileURLToPath(new URL('../../../examples/', import.meta.url));
const objects = readdirSync(dir).filter((f) => f.endsWith('.o')).sort();

test('there are example objects', () => { assert.ok(objects.length >= 10, objects.join(' ')); });

for (const file of objects) {
  const spec = loadObjectSpec(readFileSync(join(dir, file)), file);
  for (const prog of spec.programs.filter((p) => p.type.supported)) {
    test(`${file} ${prog.name}: accepted, in default and in strict mode`, () => {
      const r = verify(prog, spec.maps);
      // Strict mode too: none leaks a pointer; only globals.c calls trace_printk, a privileged helper.
      if (file === 'globals.o') assert.throws(() => verify(prog, spec.maps, { strict: true }), /trace_printk needs a privileged loader/);
      else verify(prog, spec.maps, { strict: true });
      assert.ok(r.stats.insnsProcessed >= prog.instructions.length / 2, JSON.stringify(r.stats));
      assert.equal(rewriteContextLoads(prog.instructions, r.facts), rewriteContextAccess(prog.instructions));
      for (const [, field] of r.facts.ctxLoads) assert.ok(['data', 'data_end', 'data_meta', 'ingress_ifindex', 'rx_queue_index', 'egress_ifindex'].includes(field));
    });
  }
}

test('ctx facts: every field load becomes the xdp_buff load (xdp.h layout), sign extension kept', async () => {
  const { Class, Mode, Size } = await import('../../isa/opcode.ts');
  const { caseProgram } = await import('./corpus.ts');
  const { program } = caseProgram({ name: 'fields', asm: `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = *(u32 *)(r1 + 8)
    r5 = *(u32 *)(r1 + 12)
    r6 = *(u32 *)(r1 + 16)
    r7 = *(s32 *)(r1 + 20)
    r0 = 2
    exit` });
  const r = verify(program, []);
  assert.equal([...r.facts.ctxLoads], [[0, 'data'], [1, 'data_end'], [2, 'data_meta'], [3, 'ingress_ifindex'], [4, 'rx_queue_index'], [5, 'egress_ifindex']]);
  const out = rewriteContextLoads(program.instructions, r.facts).slice(0, 6).map((i) => [i.opcode, i.off]);
  const LDX = Class.LDX | Mode.MEM;
  assert.equal(out, [[LDX | Size.DW, 0], [LDX | Size.DW, 8], [LDX | Size.DW, 16], [LDX | Size.W, 40], [LDX | Size.W, 44], [Class.LDX | Mode.MEMSX | Size.W, 48]]);
});

test('firewall: the log lists every processed instruction with its state', () => {
  const spec = loadObjectSpec(readFileSync(join(dir, 'firewall.o')), 'firewall.o');
  const r = verify(spec.programs[0]!, spec.maps, { log: true });
  const lines = r.log!.split('\n').filter((l) => /^\d+: /.test(l) && !l.includes('safe (state covered'));
  // As the kernel counts: a visit pruned at a jump target is processed too.
  assert.is(lines.length + r.stats.pruned, r.stats.insnsProcessed);
  assert.match(r.log!, /R1=ctx/);
});

test.run();
