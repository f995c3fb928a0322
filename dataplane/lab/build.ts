// Building a student's C into a BPF object with clang, the same command the
// examples use (scripts/build-examples.sh), so what passes here loads in the
// kernel too. clang's diagnostics are kept whole: they carry the file and line.
import { spawnSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { LabError } from './errors.ts';

export const CLANG_FLAGS = ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-I/usr/include/x86_64-linux-gnu', '-D__x86_64__', '-Wall'] as const;

export interface BuildResult {
  ok: boolean;
  /** The object written (when ok). */
  object: string;
  /** The full clang command line, for the report. */
  command: string;
  /** clang's warnings and errors. */
  diagnostics: string;
}

/** The clang to use: $CLANG, else `clang`. */
export function clangPath(): string {
  return process.env.CLANG ?? 'clang';
}

/** Compiles `source` into `outDir`/NAME.o. Throws LabError only when clang itself cannot run. */
export function buildC(source: string, outDir: string): BuildResult {
  const object = join(outDir, `${basename(source).replace(/\.c$/, '')}.o`);
  const args = [...CLANG_FLAGS, '-c', source, '-o', object];
  const clang = clangPath();
  const r = spawnSync(clang, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new LabError(missing
      ? `'${clang}' is not installed, and C sources need it to build. Install clang (Debian/Ubuntu: apt-get install clang llvm libbpf-dev), or build the object yourself and pass the .o: sluice lab check N FILE.o`
      : `running ${clang}: ${r.error.message}`, { cause: r.error });
  }
  return { ok: r.status === 0, object, command: `${clang} ${args.join(' ')}`, diagnostics: `${r.stderr ?? ''}`.trimEnd() };
}
