// Every register in every operand position of the core forms, against objdump: the REX
// bits (R, X, B), the SIB escape for rsp/r12 bases and the disp8 needed by rbp/r13 bases
// are where encoders go wrong. Expected text is built from the AT&T register names.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import { Alu, Asm, type Mem } from '../encoder.ts';
import { X } from '../regs.ts';

const R64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'];
const R8 = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b'];
const REGS = Array.from({ length: 16 }, (_, i) => i as X);
const hex = (v: number): string => (v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);
/** AT&T memory operand: disp(base[,index,scale]); objdump writes 0x0 for the forced disp8 of rbp/r13. */
function mem(m: Mem): string {
  const needsDisp = m.disp !== 0 || (m.base & 7) === 5;
  const inner = m.index === undefined ? `%${R64[m.base]}` : `%${R64[m.base]},%${R64[m.index]},${m.scale ?? 1}`;
  return `${needsDisp ? hex(m.disp) : ''}(${inner})`;
}

type Case = [emit: (a: Asm) => void, expected: string];
const cases: Case[] = [];
for (const d of REGS) {
  for (const s of REGS) {
    cases.push([(a) => a.movRR(d, s, true), `mov %${R64[s]},%${R64[d]}`]);
    cases.push([(a) => a.aluRR(Alu.XOR, d, s, false), `xor %${R32[s]},%${R32[d]}`]);
  }
  for (const disp of [0, 8, -8, 0x1234]) {
    for (const r of [X.RAX, X.RDI, X.R9, X.R14]) {
      const m: Mem = { base: d, disp };
      cases.push([(a) => a.load(8, r, m), `mov ${mem(m)},%${R64[r]}`]);
      cases.push([(a) => a.store(1, m, r), `mov %${R8[r]},${mem(m)}`]);
    }
  }
  cases.push([(a) => a.store(1, { base: X.RAX, disp: 0 }, d), `mov %${R8[d]},(%rax)`]);
  cases.push([(a) => a.aluRI(Alu.CMP, d, 5, false), `cmp $0x5,%${R32[d]}`]);
  cases.push([(a) => a.bswap(d, true), `bswap %${R64[d]}`]);
  cases.push([(a) => a.push(d), `push %${R64[d]}`]);
  if (d !== X.RSP) {
    const m: Mem = { base: X.R11, index: d, scale: 8, disp: 16 };
    cases.push([(a) => a.load(4, X.RDX, m), `mov ${mem(m)},%edx`]);
  }
}

function disassemble(code: Uint8Array): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-enc-'));
  try {
    const file = join(dir, 'code.bin');
    writeFileSync(file, code);
    const out = execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386:x86-64', file], { encoding: 'utf8', maxBuffer: 1 << 26 });
    return out.split('\n').flatMap((line) => {
      const m = /^\s*[0-9a-f]+:\t[0-9a-f ]+\t(.*)$/.exec(line);
      return m ? [m[1]!.replace(/\s+/g, ' ').replace(/ ?#.*$/, '').trim()] : [];
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (requires('encoder registers vs objdump', hasCommand('objdump'))) {
  test(`${cases.length} register and addressing combinations disassemble as intended`, () => {
    const a = new Asm();
    for (const [emit] of cases) emit(a);
    const got = disassemble(a.finish().code);
    const wrong = cases.map(([, want], i) => [want, got[i]] as const).filter(([want, g]) => want !== g);
    assert.is(got.length, cases.length, 'one instruction per case');
    assert.equal(wrong.slice(0, 10), [], `${wrong.length} differ`);
  });
}

test.run();
