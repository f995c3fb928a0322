// Object loading (issue 3): parsing each example object into its ObjectSpec
// (ELF, BTF, line info, maps, linking) — the pure first step of every load.
//   node --import tsx bench/load.ts [--no-write]
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadObjectSpec } from '../jit/object/load.ts';
import { fmt, median, table, writeSection } from './lib/report.ts';

const dir = fileURLToPath(new URL('../examples/', import.meta.url));
const objects = readdirSync(dir).filter((f) => f.endsWith('.o')).map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(dir + f)) }));
objects.sort((a, b) => b.bytes.length - a.bytes.length);
const rows: string[][] = [];
for (const { name, bytes } of objects.slice(0, 4)) {
  for (let i = 0; i < 50; i++) loadObjectSpec(bytes, name); // warm-up
  const times: number[] = [];
  let insns = 0;
  for (let i = 0; i < 200; i++) {
    const t0 = process.hrtime.bigint();
    const spec = loadObjectSpec(bytes, name);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    insns = spec.programs.reduce((n, p) => n + p.instructions.length, 0);
  }
  rows.push([name, String(bytes.length), String(insns), fmt(median(times), 3)]);
}
const markdown = `### Object loading (ObjectSpec), median of 200

${table(['object (largest first)', 'bytes', 'instructions', 'ms'], rows)}`;
if (!process.argv.includes('--no-write')) writeSection('load', markdown);
console.log(markdown);
