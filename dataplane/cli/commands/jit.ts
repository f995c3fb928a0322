// `sluice jit dump`: the native code a program became, each eBPF instruction
// (with its C source line) followed by the x86-64 generated for it. objdump
// disassembles the bytes; the interleaving is jit/x86/listing.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadObject } from '../../runtime.ts';
import { layout } from '../../../jit/isa/instruction.ts';
import { interleave, parseObjdump } from '../../../jit/x86/listing.ts';
import { SluiceError } from '../../../jit/errors.ts';
import { type Command, EXIT_OK, UsageError, parseOptions } from '../command.ts';

const USAGE = `Usage: sluice jit dump OBJ [--prog NAME] [--blind-constants] [--no-fusions] [--json]

Compiles the program as it would run and prints the x86-64 code under each eBPF
instruction it came from, with the C source lines (objdump disassembles the bytes).
  --prog NAME   the program (default: the object's first XDP program)
  --blind-constants   the code with constant blinding (no immediate of the program appears in it)
  --no-fusions  one x86 sequence per eBPF instruction (no peephole fusions: what they change shows by diff)
  --json        {"program", "bytes", "code": "<hex>", "pcMap": [native offset per eBPF pc]}`;

function objdump(code: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-jit-'));
  try {
    const file = join(dir, 'code.bin');
    writeFileSync(file, code);
    return execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386:x86-64', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new SluiceError(missing ? 'objdump is not installed (Debian: apt-get install binutils; scripts/setup.sh installs it)' : `objdump failed: ${(err as Error).message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'dump') throw new UsageError(sub === undefined ? 'expected a subcommand: dump' : `unknown subcommand '${sub}' (expected: dump)`);
  const { values: o, positionals } = parseOptions(rest, { prog: { type: 'string' }, json: { type: 'boolean' }, 'blind-constants': { type: 'boolean' }, 'no-fusions': { type: 'boolean' } }, { min: 1, max: 1 });
  const obj = loadObject(positionals[0]!, { engine: 'jit', blindConstants: o['blind-constants'] === true, fusions: o['no-fusions'] !== true });
  try {
    const prog = obj.program(o.prog);
    const native = prog.engine.native!;
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ program: prog.name, bytes: native.code.length, code: Buffer.from(native.code).toString('hex'), pcMap: [...native.pcMap] })}\n`);
      return EXIT_OK;
    }
    const { indexOf } = layout(prog.instructions);
    let lastLine = '';
    const sourceOf = (pc: number): string | undefined => {
      const line = prog.spec.lines[indexOf[pc] ?? -1];
      if (!line) return undefined;
      const text = `${line.file.split('/').pop()}:${line.line}  ${line.text.trim()}`;
      if (text === lastLine) return undefined;
      lastLine = text;
      return text;
    };
    const lines = interleave(prog.instructions, native, parseObjdump(objdump(native.code)), sourceOf);
    process.stdout.write(`${prog.name}: ${prog.instructions.length} eBPF instructions, ${native.code.length} bytes of x86-64\n\n${lines.join('\n')}\n`);
  } finally {
    obj.close();
  }
  return EXIT_OK;
}

export const command: Command = { name: 'jit', summary: 'show the x86-64 code a program compiles to, beside its eBPF and C source', usage: USAGE, run };
