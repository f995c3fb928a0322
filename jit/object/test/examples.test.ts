// Every committed example object (examples/*.o) loads into a consistent spec: one
// program per global function of its program sections, every pending reference
// naming a map of the object, every call landing on a function, line info on the
// program's instructions. (kernel.test.ts compares the maps with the kernel's.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { targetPc } from '../../isa/disasm.ts';
import { layout } from '../../isa/instruction.ts';
import { LDDW, PseudoLd } from '../../isa/opcode.ts';
import { parseElf, SymbolBind, SymbolType } from '../../elf/reader.ts';
import { loadObjectSpec } from '../load.ts';
import { exampleObjects, read } from './objects.ts';

const files = exampleObjects();

if (files.length === 0) console.log('SKIP: example objects — examples/*.o do not exist yet');

for (const file of files) {
  test(`${file.split('/').pop()} loads with a consistent spec`, () => {
    const bytes = read(file);
    const spec = loadObjectSpec(bytes, file);
    const elf = parseElf(bytes);
    const entries = elf.symbols.filter((s) => s.type === SymbolType.FUNC && s.bind !== SymbolBind.LOCAL &&
      elf.sections[s.shndx]!.name !== '.text').map((s) => s.name).sort();
    assert.equal(spec.programs.map((p) => p.name).sort(), entries, 'one program per global function of a program section');
    assert.is(spec.license, 'GPL');
    assert.ok(spec.btf, 'built with -g');
    const maps = new Map(spec.maps.map((m) => [m.name, m]));
    for (const p of spec.programs) {
      assert.ok(p.type.supported, `${p.name} is XDP`);
      const { pcOf, indexOf } = layout(p.instructions);
      p.instructions.forEach((insn, i) => {
        if (insn.reference !== undefined) {
          const m = maps.get(insn.reference);
          assert.ok(m, `${p.name} insn ${i}: reference ${insn.reference} is a map`);
          assert.is(insn.opcode, LDDW);
          if (insn.src === PseudoLd.MAP_VALUE) assert.ok(m!.globalData && insn.imm2! < m!.valueSize, `${p.name} insn ${i}: value offset inside ${m!.name}`);
          else assert.is(insn.src, PseudoLd.MAP_FD);
        }
        const t = targetPc(insn, pcOf[i]!);
        if (t !== undefined) assert.ok((indexOf[t] ?? -1) >= 0, `${p.name} insn ${i}: target pc ${t} is an instruction`);
      });
      const withLines = p.lines.filter((l) => l !== undefined).length;
      assert.ok(withLines > p.instructions.length / 2, `${p.name}: ${withLines}/${p.instructions.length} instructions have a source line`);
      assert.is(p.funcInfo[0]!.name, p.name);
    }
    for (const m of spec.maps.filter((x) => x.slots)) {
      for (const s of m.slots!) {
        assert.ok(m.type === 3 ? spec.programs.some((p) => p.name === s.name) : maps.has(s.name), `${m.name}[${s.index}] = ${s.name} exists`);
      }
    }
  });
}

test.run();
