// The data files must exercise every instruction form of RFC 9669 (v1-v4).
// The list below is written from the RFC's opcode tables, independently of the
// files: a form missing from the files fails this test and names the form.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assemble } from '../../isa/asm.ts';
import { loadSemantics } from '../runner.ts';

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** A form: the opcode, plus the field that picks a variant (offset, immediate or src). */
function formOf(insn: { opcode: number; src: number; off: number; imm: number }): string {
  const { opcode, src, off, imm } = insn;
  const cls = opcode & 7, op = opcode & 0xf0;
  if ((cls === 4 || cls === 7) && (op === 0x30 || op === 0x90 || op === 0xb0)) return `${hex(opcode)} off ${off}`;
  if ((cls === 4 || cls === 7) && op === 0xd0) return `${hex(opcode)} imm ${imm}`;
  if (opcode === 0xc3 || opcode === 0xdb) return `${hex(opcode)} imm ${hex(imm)}`;
  if (opcode === 0x85 || opcode === 0x18) return `${hex(opcode)} src ${src}`;
  return hex(opcode);
}

function expectedForms(): string[] {
  const forms: string[] = [];
  for (const cls of [0x04, 0x07]) {
    for (const op of [0x00, 0x10, 0x20, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xc0]) forms.push(hex(cls | op), hex(cls | op | 8));
    for (const op of [0x30, 0x90]) for (const off of [0, 1]) forms.push(`${hex(cls | op)} off ${off}`, `${hex(cls | op | 8)} off ${off}`);
    forms.push(`${hex(cls | 0xb0)} off 0`);
    for (const off of cls === 0x07 ? [0, 8, 16, 32] : [0, 8, 16]) forms.push(`${hex(cls | 0xb8)} off ${off}`);
    forms.push(hex(cls | 0x80));
    for (const bits of [16, 32, 64]) {
      forms.push(`${hex(cls | 0xd0)} imm ${bits}`);
      if (cls === 0x04) forms.push(`${hex(cls | 0xd8)} imm ${bits}`);
    }
  }
  for (const cls of [0x05, 0x06]) {
    forms.push(hex(cls)); // ja / gotol
    for (const op of [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]) forms.push(hex(cls | op), hex(cls | op | 8));
  }
  forms.push('0x85 src 0', '0x85 src 1', '0x8d', '0x95');
  forms.push('0x18 src 0', '0x18 src 1', '0x18 src 2', '0x18 src 4');
  for (const size of [0x00, 0x08, 0x10, 0x18]) forms.push(hex(0x61 | size), hex(0x62 | size), hex(0x63 | size));
  for (const size of [0x00, 0x08, 0x10]) forms.push(hex(0x81 | size));
  for (const opcode of [0xc3, 0xdb]) {
    for (const imm of [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]) forms.push(`${hex(opcode)} imm ${hex(imm)}`);
  }
  forms.push('0x30', '0x40'); // a legacy ABS and IND load (refused)
  return forms;
}

test('every instruction form appears in some semantics case', () => {
  const seen = new Set<string>();
  for (const c of loadSemantics()) for (const insn of assemble(c.source)) seen.add(formOf(insn));
  const missing = expectedForms().filter((f) => !seen.has(f));
  assert.equal(missing, [], `forms without a case: ${missing.join(', ')}`);
});

test.run();
