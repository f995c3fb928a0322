// `sluice disasm --json` against `llvm-objdump -d` on every example and fixture: for
// every function linked into every program, the same instructions in the same order
// as llvm-objdump shows in that function's section, byte for byte except where the
// loader rewrote them (map/data references, linked calls, CO-RE), and the same text.
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import { parseElf, SymbolType } from '../../elf/reader.ts';
import { parseBtfExt } from '../../btf/ext.ts';
import { Btf } from '../../btf/types.ts';
import { POISON_HELPER } from '../core.ts';
import { command as disasm } from '../../../dataplane/cli/commands/disasm.ts';
import { buildFixture, exampleObjects, read } from './objects.ts';

/** Runs `sluice disasm` in this process (the same command object the CLI runs), capturing stdout. */
async function disasmJson(file: string): Promise<Listed[]> {
  let out = '';
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => { out += chunk; return true; }) as typeof process.stdout.write;
  try {
    assert.is(await disasm.run([file, '--json']), 0);
  } finally {
    process.stdout.write = write;
  }
  return JSON.parse(out) as Listed[];
}

interface Row { index: number; pc: number; section: string; offset: number; bytes: string; text: string; reference?: string }
interface Listed { name: string; section: string; type: string; instructions: Row[] }

/** llvm-objdump -d: instructions by "section:byte offset". */
function objdump(file: string): Map<string, { bytes: string; text: string }> {
  const out = new Map<string, { bytes: string; text: string }>();
  let section = '';
  for (const line of execFileSync('llvm-objdump', ['-d', file], { encoding: 'utf8' }).split('\n')) {
    const head = /^Disassembly of section (.+):$/.exec(line);
    if (head) { section = head[1]!; continue; }
    const m = /^\s+(\d+):\t([0-9a-f ]+?)\s*\t(.*)$/.exec(line);
    if (m) out.set(`${section}:${Number(m[1]) * 8}`, { bytes: m[2]!.trim(), text: m[3]!.trim() });
  }
  return out;
}

const stripLabel = (t: string) => t.replace(/\s*<[^>]*>$/, '');

function objects(): string[] {
  return [...exampleObjects(), ...['multi_prog', 'subprogs', 'rodata', 'legacy_maps', 'legacy_maps_wide', 'map_in_map', 'btf_kinds', 'core']
    .map((n) => buildFixture(n)),
  // -mcpu=v3: 32-bit jumps and ALU32 forms.
  ...['rodata', 'multi_prog', 'core'].map((n) => buildFixture(n, { extra: ['-mcpu=v3'] }))];
}

if (requires('sluice disasm vs llvm-objdump', hasCommand('llvm-objdump'), hasCommand('clang'))) {
  test('sluice disasm lists what llvm-objdump -d lists, function by function', async () => {
    let compared = 0;
    for (const file of objects()) {
      const elf = parseElf(read(file));
      const btfSec = elf.sectionByName('.BTF'), extSec = elf.sectionByName('.BTF.ext');
      const btf = btfSec ? Btf.parse(btfSec.data) : undefined;
      const coreAt = new Set<string>();
      if (btf && extSec) for (const [sec, e] of parseBtfExt(extSec.data, btf)) for (const r of e.coreRelos) coreAt.add(`${sec}:${r.insnOff}`);
      const relocated = new Set<string>();
      for (const [idx, list] of elf.relocations) for (const r of list) relocated.add(`${elf.sections[idx]!.name}:${r.offset}`);
      const theirs = objdump(file);
      const listed = await disasmJson(file);
      for (const p of listed.filter((x) => x.type === 'BPF_PROG_TYPE_XDP')) {
        // The linked program covers, function by function, whole functions of the object.
        const funcs = new Map(elf.symbols.filter((s) => s.type === SymbolType.FUNC).map((s) => [`${elf.sections[s.shndx]!.name}:${s.value}`, s]));
        let i = 0;
        while (i < p.instructions.length) {
          const start = p.instructions[i]!;
          const f = funcs.get(`${start.section}:${start.offset}`);
          assert.ok(f, `${file} ${p.name}: instruction ${i} starts a function`);
          let at = f!.value;
          while (at < f!.value + f!.size) {
            const row = p.instructions[i]!;
            const key = `${row.section}:${row.offset}`;
            assert.is(key, `${start.section}:${at}`, `${file} ${p.name} ${f!.name}: instructions in order`);
            const ref = theirs.get(key);
            assert.ok(ref, `${file}: llvm-objdump has ${key}`);
            const rewritten = relocated.has(key) || coreAt.has(key) || /^call pc|func\(/.test(row.text);
            if (row.text === `call ${POISON_HELPER}`) {
              assert.ok(coreAt.has(key), `${file} ${key}: only CO-RE poisons instructions`);
            } else if (rewritten) {
              assert.is(row.bytes.slice(0, 2), ref!.bytes.slice(0, 2), `${file} ${key}: opcode of a relocated instruction`);
              assert.is(row.bytes[4], ref!.bytes[4], `${file} ${key}: dst register of a relocated instruction`);
            } else {
              assert.is(row.bytes, ref!.bytes, `${file} ${key}: bytes`);
              assert.is(stripLabel(row.text), stripLabel(ref!.text), `${file} ${key}: text`);
            }
            at += row.bytes.split(' ').length;
            i++;
            compared++;
          }
        }
      }
    }
    assert.ok(compared > 1000, `compared ${compared} instructions`);
    console.log(`disasm: ${compared} instructions of ${objects().length} objects agree with llvm-objdump -d`);
  });

}

test.run();
