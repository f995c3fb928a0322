// A Trace as text: the C source line whenever it changes (as `llvm-objdump -S`
// interleaves it), then each executed instruction with what it did, then the
// verdict and the output packet.
//
//   ; firewall.c:232  if (l3 > data_end)
//        4  if r7 > r6 goto +60 <LBB0_65>        not taken
//        5  r3 = *(u8 *)(r1 + 12)                r3: 0 → 0x8
//                                                read 1 byte at pkt+12 = 0x08 (eth.type)
import { basename } from 'node:path';
import type { AccessView, PacketView, Step, Trace } from './model.ts';

/** Effects start in this column; longer instruction texts push them to the next line. */
const EFFECT_COLUMN = 48;
/** A packet whose layers moved (encapsulation) differs in every field after the move: show the first ones. */
const MAX_DIFF_LINES = 16;

export function renderText(trace: Trace): string {
  const out: string[] = [];
  out.push(`sluice trace: ${trace.object}, program ${trace.program}, ${trace.origin}`);
  out.push(`input: ${describePacket(trace.input)}`);
  out.push(...hexDump(trace.input.hex).map((l) => `  ${l}`));
  out.push('');
  let last: string | undefined;
  let inProgram = trace.program;
  for (const step of trace.steps) {
    if ((step.program ?? trace.program) !== inProgram) {
      inProgram = step.program ?? trace.program;
      out.push(`; ---- program ${inProgram} (tail call) ----`);
      last = undefined;
    }
    const src = step.source;
    const key = src && `${src.file}:${src.line}`;
    if (src && key !== last) {
      out.push(`${indent(step.depth)}; ${basename(src.file)}:${src.line}  ${src.text.trim()}`);
      last = key;
    }
    out.push(...stepLines(step, step === trace.steps[trace.steps.length - 1] ? trace.end : undefined));
  }
  out.push('');
  const end = trace.end;
  if (end.kind === 'fault') {
    out.push(`fault after ${end.steps} instruction${end.steps === 1 ? '' : 's'}: ${end.message}`);
    return `${out.join('\n')}\n`;
  }
  const redirect = end.redirect !== undefined ? ` to ifindex ${end.redirect}` : '';
  out.push(`verdict: ${end.verdict}${redirect} (r0 = ${end.retval}) after ${end.steps} instructions`);
  if (trace.output) {
    if (trace.diff.length === 0) out.push(`output: ${trace.output.length} bytes, unchanged`);
    else {
      out.push(`output: ${describePacket(trace.output)}, changed:`);
      const shown = trace.diff.slice(0, MAX_DIFF_LINES);
      for (const d of shown) out.push(`  ${d.name} (offset ${d.offset}): ${d.before} → ${d.after}`);
      if (trace.diff.length > shown.length) out.push(`  … and ${trace.diff.length - shown.length} more fields (--json has them all)`);
      out.push(...hexDump(trace.output.hex).map((l) => `  ${l}`));
    }
  }
  return `${out.join('\n')}\n`;
}

function stepLines(step: Step, end?: Trace['end']): string[] {
  const effects = [
    ...(step.call ? [`call ${step.call.name}(${step.call.args.join(', ')}) → ${step.call.result}`] : []),
    ...step.regs.filter((r) => !(step.call && r.reg <= 5)).map((r) => `r${r.reg}: ${r.before} → ${r.after}`),
    ...step.accesses.map(accessText),
    ...(step.branch ? [step.branch] : []),
    ...(step.packet ? [`packet is now ${describePacket(step.packet)}`] : []),
    ...(end?.kind === 'verdict' ? [`return ${end.verdict}`] : []),
  ];
  const head = `${indent(step.depth)}${String(step.pc).padStart(6)}  ${step.text}`;
  if (effects.length === 0) return [head];
  const pad = ' '.repeat(EFFECT_COLUMN);
  if (head.length >= EFFECT_COLUMN - 1) return [head, ...effects.map((e) => pad + e)];
  return [head.padEnd(EFFECT_COLUMN) + effects[0], ...effects.slice(1).map((e) => pad + e)];
}

function accessText(a: AccessView): string {
  if (a.ctxField !== undefined) return `${a.kind} ${a.where} = ${a.value}`;
  const bytes = `${a.size} byte${a.size === 1 ? '' : 's'}`;
  const fields = a.reading !== undefined ? ` (${a.reading})` : a.fields && a.fields.length > 0 ? ` (${a.fields.join(', ')})` : '';
  const warning = a.warning !== undefined ? `  !! ${a.warning}` : '';
  return `${a.kind} ${bytes} at ${a.where} = ${a.value}${fields}${warning}`;
}

const indent = (depth: number): string => '  '.repeat(depth);

/** "60 bytes: eth ipv4 udp". */
export function describePacket(p: PacketView): string {
  const layers: string[] = [];
  for (const f of p.fields) {
    const layer = f.name.slice(0, f.name.indexOf('.'));
    if (layers[layers.length - 1] !== layer) layers.push(layer);
  }
  return `${p.length} bytes${layers.length ? `: ${layers.join(' ')}` : ''}`;
}

/** 16 bytes a line, with the offset: "0010  45 00 00 2e ...". */
export function hexDump(hex: string): string[] {
  const lines: string[] = [];
  for (let at = 0; at < hex.length; at += 32) {
    const bytes = hex.slice(at, at + 32).match(/../g) ?? [];
    lines.push(`${(at / 2).toString(16).padStart(4, '0')}  ${bytes.slice(0, 8).join(' ')}${bytes.length > 8 ? '  ' : ''}${bytes.slice(8).join(' ')}`);
  }
  return lines;
}
