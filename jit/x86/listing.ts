// The native code of a JIT'd program interleaved with the eBPF it came from (for
// `sluice jit dump`). Pure: the caller disassembles the bytes (objdump is a fine
// disassembler: parseObjdump() reads its output) and may give each pc a source line.
import { disassemble } from '../isa/disasm.ts';
import { layout, type Program } from '../isa/instruction.ts';
import type { JitResult } from './compile.ts';

/** One native instruction: its offset, bytes (hex) and text. */
export interface NativeLine { offset: number; bytes: string; text: string }

/** Reads `objdump -D -b binary -m i386:x86-64` output. */
export function parseObjdump(output: string): NativeLine[] {
  const lines: NativeLine[] = [];
  for (const line of output.split('\n')) {
    const m = /^\s*([0-9a-f]+):\t([0-9a-f ]+)\t(.*)$/.exec(line);
    if (m) lines.push({ offset: parseInt(m[1]!, 16), bytes: m[2]!.trim(), text: m[3]!.replace(/\s+/g, ' ').trim() });
    else {
      // objdump continues long instructions on a line of bytes alone
      const more = /^\s*([0-9a-f]+):\t([0-9a-f ]+)$/.exec(line);
      const last = lines[lines.length - 1];
      if (more && last) last.bytes += ` ${more[2]!.trim()}`;
    }
  }
  return lines;
}

/**
 * The listing: each eBPF instruction (with its source line when `sourceOf` knows it)
 * followed by the native instructions generated for it; the burst loop's pieces and
 * subprogram prologues under their names.
 */
export function interleave(program: Program, jit: JitResult, native: readonly NativeLine[], sourceOf?: (pc: number) => string | undefined): string[] {
  const { pcOf } = layout(program);
  const heads = new Map<number, string[]>();
  const add = (offset: number, text: string): void => {
    if (offset < 0) return;
    const list = heads.get(offset) ?? [];
    list.push(text);
    heads.set(offset, list);
  };
  // eBPF instructions before labels at the same offset: a last `exit` that needs no jump
  // (it falls into the burst loop) reads before `<burst.next>`.
  program.forEach((insn, i) => {
    const pc = pcOf[i]!;
    const source = sourceOf?.(pc);
    if (source !== undefined) add(jit.pcMap[pc]!, `  ; ${source.trim()}`);
    add(jit.pcMap[pc]!, `  ${String(pc).padStart(5)}: ${disassemble(insn)}`);
  });
  for (const label of jit.labels) add(label.offset, `<${label.name}>:`);
  const out: string[] = [];
  for (const line of native) {
    for (const head of heads.get(line.offset) ?? []) out.push(head);
    heads.delete(line.offset);
    out.push(`         ${line.offset.toString(16).padStart(5)}:  ${line.bytes.padEnd(30)} ${line.text}`);
  }
  // eBPF instructions that generated no code (e.g. the add of a fused mov+add) at the end.
  for (const [, rest] of [...heads].sort((x, y) => x[0] - y[0])) out.push(...rest);
  return out;
}
