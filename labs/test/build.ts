// Test support: each C file is compiled once per test process, into one
// temporary folder, and the objects are reused by every test in the file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildC } from '../../dataplane/lab/build.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-labs-test-'));
const built = new Map<string, string>();
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** The object for `source`, compiled on first use; throws with clang's message when it does not build. */
export function objectFor(source: string, tag: string): string {
  const key = `${tag}:${source}`;
  const have = built.get(key);
  if (have) return have;
  const sub = join(dir, tag);
  const r = buildC(source, (mkdirp(sub), sub));
  if (!r.ok) throw new Error(`${source} does not compile:\n${r.diagnostics}`);
  built.set(key, r.object);
  return r.object;
}

/** A scratch folder inside the test's temporary folder. */
export function scratch(name: string): string {
  const sub = join(dir, name);
  mkdirp(sub);
  return sub;
}

import { mkdirSync } from 'node:fs';
function mkdirp(p: string): void { mkdirSync(p, { recursive: true }); }
