// Bad input never crashes: the example specs, mutated at random (seeded), either
// run or are refused with a SpecError — never another exception, never a hang.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadObject } from '../../runtime.ts';
import { parseSpec, parseSpecText, runSpec, SpecError } from '../index.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const TRICKY = ['{', '}', '[', ']', ':', ',', '-', '"', "'", '#', '&a', '*a', '!!binary', '|', '0x', '9', ' ', '\n', '\t', 'absent', 'null', '~', '1e99', '-1', '99999999999'];

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

function mutate(text: string, rnd: () => number): string {
  let t = text;
  const n = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rnd() * t.length);
    const lines = t.split('\n');
    switch (Math.floor(rnd() * 5)) {
      case 0: t = t.slice(0, at) + t.slice(at + 1 + Math.floor(rnd() * 8)); break;
      case 1: t = t.slice(0, at) + TRICKY[Math.floor(rnd() * TRICKY.length)]! + t.slice(at + 1); break;
      case 2: { const l = Math.floor(rnd() * lines.length); lines.splice(l, 0, lines[l]!); t = lines.join('\n'); break; }
      case 3: { const a = Math.floor(rnd() * lines.length), b = Math.floor(rnd() * lines.length); [lines[a], lines[b]] = [lines[b]!, lines[a]!]; t = lines.join('\n'); break; }
      default: t = t.slice(0, at) + TRICKY[Math.floor(rnd() * TRICKY.length)]! + t.slice(at); break;
    }
  }
  return t;
}

test('mutated specs run or fail with a SpecError', () => {
  const pairs: [string, string][] = [['firewall', 'firewall'], ['router', 'router'], ['lb', 'lb']];
  const rnd = prng(6);
  let refused = 0, ran = 0;
  for (const [spec, obj] of pairs) {
    const text = readFileSync(`${root}examples/specs/${spec}.yaml`, 'utf8');
    const object = loadObject(`${root}examples/${obj}.o`);
    try {
      for (let i = 0; i < 100; i++) {
        const mutated = mutate(text, rnd);
        try {
          runSpec(parseSpec(parseSpecText(mutated, `${root}examples/specs/${spec}-mutated.yaml`)), object);
          ran++;
        } catch (err) {
          if (!(err instanceof SpecError)) assert.unreachable(`${spec}, mutation ${i}: ${(err as Error).stack}\n---\n${mutated}`);
          assert.match((err as Error).message, /^\S+-mutated\.yaml(:\d+)?: /);
          refused++;
        }
      }
    } finally {
      object.close();
    }
  }
  assert.ok(refused > 40 && ran > 15, `both outcomes exercised (refused ${refused}, ran ${ran})`);
});

test.run();
