// The listing format checked against llvm-objdump 14 itself: C compiled by clang, the
// golden file's bytes, and the example objects (when built) are disassembled by both, and
// every instruction must read the same. llvm 14 cannot print some forms; those are
// normalised (or skipped, and counted) by `fromLlvm14` below, and nothing else is.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from '../codec.ts';
import { disassemble } from '../disasm.ts';
import { assemble } from '../asm.ts';
import { type Instruction } from '../instruction.ts';
import { Class, Mode, PseudoCall, Size, classOf, modeOf, sizeOf } from '../opcode.ts';
import { hexBytes, readGolden } from './spec.ts';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';

interface ObjdumpLine { pc: number; hex: string; text: string; raw: string }

/** `llvm-objdump -d --mcpu=v3` of an object, instruction lines only. */
function objdump(object: string): { lines: ObjdumpLine[]; output: string } {
  const output = execFileSync('llvm-objdump', ['-d', '--mcpu=v3', object], { encoding: 'utf8' });
  const lines = output.split('\n').flatMap((raw) => {
    const m = /^\s*(\d+):\t((?:[0-9a-f]{2} )*[0-9a-f]{2})\s*\t(.*)$/.exec(raw);
    return m ? [{ pc: Number(m[1]), hex: m[2]!.trim(), text: m[3]!, raw }] : [];
  });
  return { lines, output };
}

/**
 * llvm 14's text in our format, or undefined where llvm 14 cannot print the instruction:
 * - `<unknown>`: v4 instructions, st (immediate stores), mod, jset, 32-bit fetch atomics;
 * - `ld_pseudo`: lddw with a pseudo kind;
 * - 32-bit atomics: llvm 14 names the register rN instead of wN and drops the fetch flag;
 * - ALU with an offset (sdiv, smod, movsx): llvm 14 prints the v1 form, losing the offset;
 * - packet loads through a register with an immediate: llvm 14 drops the immediate.
 * Rewritten: the `<label>` after jumps (compared without), local calls `call N` (ours
 * `call pc+N`), kfunc calls `call N` (ours `call kfunc N`), and callx, whose register
 * llvm 14 reads from imm where RFC 9669 puts it in dst.
 */
function fromLlvm14(text: string, insn: Instruction): string | undefined {
  const t = text.replace(/\s+<[^<>]*>$/, '').trim();
  if (t === '<unknown>' || t.startsWith('ld_pseudo')) return undefined;
  const cls = classOf(insn.opcode);
  if (cls === Class.STX && modeOf(insn.opcode) === Mode.ATOMIC && sizeOf(insn.opcode) === Size.W) return undefined;
  if ((cls === Class.ALU || cls === Class.ALU64) && insn.off !== 0) return undefined;
  if (cls === Class.LD && modeOf(insn.opcode) === Mode.IND && insn.imm !== 0) return undefined;
  const call = /^call (-?\d+)$/.exec(t);
  if (call && insn.opcode === 0x85 && insn.src === PseudoCall.LOCAL) return `call pc${insn.imm < 0 ? '' : '+'}${call[1]}`;
  if (call && insn.opcode === 0x85 && insn.src === PseudoCall.KFUNC) return `call kfunc ${call[1]}`;
  if (insn.opcode === 0x8d && t === `callx r${insn.imm}`) return `callx r${insn.dst}`;
  return t;
}

interface Tally { compared: number; skipped: number }

function compare(lines: ObjdumpLine[], where: string, tally: Tally, ours?: (l: ObjdumpLine) => string): void {
  for (const l of lines) {
    const program = decode(hexBytes(l.hex), l.pc);
    const insn = program[0]!;
    const theirs = fromLlvm14(l.text, insn);
    if (theirs === undefined) { tally.skipped++; continue; }
    assert.is(ours ? ours(l) : disassemble(insn), theirs, `${where} pc ${l.pc} (${l.hex})`);
    tally.compared++;
  }
}

const here = fileURLToPath(new URL('.', import.meta.url));
const CFLAGS = ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-I/usr/include/x86_64-linux-gnu', '-D__x86_64__', '-c'];

if (requires('llvm-objdump comparison', hasCommand('clang'), hasCommand('llvm-objdump'))) {
  const work = mkdtempSync(join(tmpdir(), 'sluice-isa-'));
  test.after(() => rmSync(work, { recursive: true, force: true }));

  for (const name of readdirSync(join(here, 'c')).filter((f) => f.endsWith('.c'))) {
    test(`disassembles clang's ${name} as llvm-objdump does`, () => {
      const object = join(work, name.replace(/\.c$/, '.o'));
      execFileSync('clang', [...CFLAGS, join(here, 'c', name), '-o', object]);
      const { lines } = objdump(object);
      const tally = { compared: 0, skipped: 0 };
      compare(lines, name, tally);
      assert.ok(tally.compared > 40, `only ${tally.compared} instructions compared`);
      console.log(`  ${name}: ${tally.compared} instructions equal, ${tally.skipped} llvm 14 cannot print`);
    });

    test(`assembles llvm-objdump's listing of ${name} back to its bytes`, () => {
      const object = join(work, name.replace(/\.c$/, '.o'));
      if (!existsSync(object)) execFileSync('clang', [...CFLAGS, join(here, 'c', name), '-o', object]);
      const { lines, output } = objdump(object);
      // Paste the whole output, headers and labels included; only the lines llvm 14 cannot
      // print in our syntax are replaced by ours (keeping their pc and bytes prefix).
      let pasted = output;
      for (const l of lines) {
        const insn = decode(hexBytes(l.hex))[0]!;
        if (fromLlvm14(l.text, insn) !== l.text.replace(/\s+<[^<>]*>$/, '').trim()) {
          pasted = pasted.replace(l.raw, l.raw.replace(l.text, disassemble(insn)));
        }
      }
      // Sections are separate programs; assemble each one's lines.
      for (const section of pasted.split(/^Disassembly of section /m).slice(1)) {
        const body = section.split('\n').slice(1).join('\n');
        const expected = Array.from(body.matchAll(/^\s*\d+:\t((?:[0-9a-f]{2} )*[0-9a-f]{2})/gm), (m) => m[1]!.trim()).join(' ');
        const program = assemble(body);
        const bytes = decode(hexBytes(expected));
        assert.equal(program.map(strip), bytes.map(strip));
      }
    });
  }

  test('the golden file reads the same in llvm-objdump, where llvm 14 can print it', () => {
    const golden = readGolden('forms.txt');
    const source = join(work, 'golden.s');
    const object = join(work, 'golden.o');
    writeFileSync(source, '\t.text\n' + golden.map((g) => `\t.byte ${g.hex.split(' ').map((h) => `0x${h}`).join(', ')}\n`).join(''));
    execFileSync('clang', ['-target', 'bpf', '-mcpu=v3', '-c', source, '-o', object]);
    const { lines } = objdump(object);
    assert.is(lines.length, golden.length);
    const tally = { compared: 0, skipped: 0 };
    const byPc = new Map<number, string>();
    let pc = 0;
    for (const g of golden) { byPc.set(pc, g.text); pc += hexBytes(g.hex).length / 8; }
    compare(lines, 'forms.txt', tally, (l) => byPc.get(l.pc) ?? '');
    assert.ok(tally.compared >= 130, `only ${tally.compared} golden lines compared`);
    console.log(`  forms.txt: ${tally.compared} lines equal, ${tally.skipped} llvm 14 cannot print`);
  });

  test('disassembles the example objects as llvm-objdump does (when built)', () => {
    const dir = join(here, '../../../examples');
    const objects = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.o')) : [];
    if (objects.length === 0) { console.log('  no example objects built; nothing to compare'); return; }
    const tally = { compared: 0, skipped: 0 };
    for (const o of objects) compare(objdump(join(dir, o)).lines, o, tally);
    console.log(`  examples: ${tally.compared} instructions equal, ${tally.skipped} llvm 14 cannot print`);
  });
}

/** Drops loader metadata (references from relocation lines) for comparing encodings. */
function strip({ opcode, dst, src, off, imm, imm2 }: Instruction): Instruction {
  return imm2 === undefined ? { opcode, dst, src, off, imm } : { opcode, dst, src, off, imm, imm2 };
}

test.run();
