// Test objects: the committed examples (examples/*.o) and the corner-case C
// fixtures beside this file, compiled on demand with clang into a temp dir (once
// per process). Tests that need clang call `requires('…', hasCommand('clang'))`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const EXAMPLES = join(ROOT, 'examples');

/** The command line the project builds XDP C with (MACHINE-NOTES.md). */
export const CFLAGS = ['-O2', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-D__x86_64__'];

let outDir: string | undefined;
const built = new Map<string, string>();

/**
 * Compiles fixtures/<name>.c and returns the object's path. `debug` adds -g (BTF and
 * line info); `target` replaces `bpf` (e.g. `bpfeb`).
 */
export function buildFixture(name: string, opts: { debug?: boolean; target?: string; extra?: string[] } = {}): string {
  const debug = opts.debug ?? true;
  const target = opts.target ?? 'bpf';
  const key = `${name}:${debug}:${target}:${(opts.extra ?? []).join(' ')}`;
  const have = built.get(key);
  if (have) return have;
  if (outDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-object-fixtures-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    outDir = dir;
  }
  const out = join(outDir, `${name}-${built.size}.o`);
  const flags = CFLAGS.map((f) => (f === 'bpf' ? target : f));
  execFileSync('clang', [...flags, ...(debug ? ['-g'] : []), ...(opts.extra ?? []), '-c', join(FIXTURES, `${name}.c`), '-o', out],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  built.set(key, out);
  return out;
}

/** Names of the fixtures (fixtures/*.c without the extension). */
export const fixtureNames = (): string[] =>
  readdirSync(FIXTURES).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2)).sort();

/** Paths of the committed example objects (empty until they exist). */
export function exampleObjects(): string[] {
  if (!existsSync(EXAMPLES)) return [];
  return readdirSync(EXAMPLES).filter((f) => f.endsWith('.o')).sort().map((f) => join(EXAMPLES, f));
}

export const read = (path: string): Uint8Array => new Uint8Array(readFileSync(path));

/** A small deterministic PRNG (mulberry32), so fuzz failures replay from their seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
