// Body prefixes used to narrow a disagreement: still valid, loop-free programs
// whose jumps stay inside them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generate } from '../generate.ts';
import { prefix } from '../shrink.ts';
import { frame } from '../frame.ts';
import { decode, encode } from '../../isa/codec.ts';
import { layout } from '../../isa/instruction.ts';

test('every prefix keeps its jumps forward and inside it', () => {
  for (let seed = 0; seed < 40; seed++) {
    const p = generate(seed);
    for (let n = 1; n <= p.body.length; n++) {
      const q = prefix(p, n);
      assert.is(q.body.length, n);
      const { pcOf, indexOf } = layout(q.body);
      const end = pcOf[n]!;
      q.body.forEach((insn, i) => {
        const cls = insn.opcode & 7;
        if (cls !== 5 && cls !== 6) return;
        const delta = insn.opcode === 0x06 ? insn.imm : insn.off;
        const target = pcOf[i]! + 1 + delta;
        assert.ok(delta >= 0 && target <= end && (target === end || indexOf[target]! >= 0), `seed ${seed} prefix ${n} insn ${i}`);
      });
      // Instructions that do not jump are untouched.
      q.body.forEach((insn, i) => { if ((insn.opcode & 7) !== 5 && (insn.opcode & 7) !== 6) assert.equal(insn, p.body[i]); });
      assert.equal(decode(encode(frame(q, 'kernel'))).length, frame(q, 'kernel').length);
    }
    assert.equal(prefix(p, p.body.length).body, p.body);
  }
});

test.run();
