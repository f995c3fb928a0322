// The C source behind a trace: for each file the line info names, the lines it
// carries (clang stores each line's text in .BTF) and, when the file itself can
// be found and agrees with them, every line, so the page can show whole files.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { SourceLine } from '../../jit/object/spec.ts';
import type { SourceFile, Step } from './model.ts';

/**
 * The source files behind the program: every line the line info names, and the
 * whole file when it can be found (as named, or beside the object) and agrees
 * with the line info.
 */
export function sourceFiles(lines: readonly (SourceLine | undefined)[], steps: readonly Step[], objectPath?: string): SourceFile[] {
  const files = new Map<string, Map<number, string>>();
  for (const l of lines) {
    if (!l) continue;
    let m = files.get(l.file);
    if (!m) files.set(l.file, m = new Map());
    if (l.text !== '') m.set(l.line, l.text);
  }
  return [...files].map(([file, known]) => {
    const executed = [...new Set(steps.filter((s) => s.source?.file === file).map((s) => s.source!.line))].sort((a, b) => a - b);
    const whole = readSource(file, known, objectPath);
    const entries: [number, string][] = whole
      ? whole.map((text, i) => [i + 1, text])
      : [...known].sort((a, b) => a[0] - b[0]);
    return { file, lines: entries, executed };
  });
}

function readSource(file: string, known: Map<number, string>, objectPath?: string): string[] | undefined {
  const candidates = [file];
  if (objectPath) candidates.push(join(dirname(objectPath), file), join(dirname(objectPath), basename(file)));
  for (const path of candidates) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    const all = text.split('\n');
    if ([...known].every(([n, t]) => all[n - 1]?.trimEnd() === t.trimEnd())) return all;
  }
  return undefined;
}
