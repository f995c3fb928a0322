// `sluice verify OBJ`: runs the verifier on an object's XDP programs and prints the
// verdict with statistics, or the reason a program is refused (exit status 1).
import { verify, VerifierError, type VerifyResult } from '../../../jit/verifier/verify.ts';
import { type Command, EXIT_FAILURE, EXIT_OK, parseOptions, readObjectSpec } from '../command.ts';

export const command: Command = {
  name: 'verify',
  summary: 'prove an object\'s XDP programs safe, as the kernel\'s verifier does',
  usage: [
    'Usage: sluice verify OBJ [--prog NAME] [--log] [--strict] [--json]',
    '',
    'Verifies each XDP program of the object file OBJ: every path is explored with',
    'what is known about each register and stack slot, and any out-of-bounds access,',
    'unchecked map lookup, uninitialised read, bad helper argument or unbounded loop',
    'is refused with the instruction, its source line and the reason. Prints the',
    'verdict and statistics (instructions processed, states, peak states, time).',
    '',
    '  --prog NAME   only the program NAME',
    '  --log         print the full state log (each processed instruction with the',
    '                registers and stack before it), like the kernel\'s log level 2',
    '  --strict      unprivileged rules: no pointer leaks (into maps, the packet, the',
    '                return value, comparisons), no reads of uninitialised stack',
    '  --json        one object per program: {name, ok, stats?, error?: {pc, insn,',
    '                source?, reason}, stackDepth?}',
    '',
    'Exit status: 0 when every program is accepted, 1 when one is refused.',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseOptions(argv, {
      prog: { type: 'string' }, log: { type: 'boolean' }, strict: { type: 'boolean' }, json: { type: 'boolean' },
    }, { min: 1, max: 1 });
    const file = positionals[0]!;
    const spec = readObjectSpec(file);
    const xdp = spec.programs.filter((p) => p.type.supported);
    const programs = values.prog === undefined ? xdp : spec.programs.filter((p) => p.name === values.prog);
    if (programs.length === 0) {
      const names = spec.programs.map((p) => p.name).join(', ') || 'none';
      process.stderr.write(`sluice verify: ${values.prog === undefined ? 'no XDP programs' : `no program '${values.prog}'`} in ${file} (programs: ${names})\n`);
      return EXIT_FAILURE;
    }
    let status = EXIT_OK;
    const json: unknown[] = [];
    for (const prog of programs) {
      if (!prog.type.supported) {
        process.stderr.write(`sluice verify: ${prog.name} is a ${prog.type.name} program; sluice runs XDP programs only\n`);
        status = EXIT_FAILURE;
        continue;
      }
      let result: VerifyResult;
      try {
        result = verify(prog, spec.maps, { strict: values.strict, log: values.log });
      } catch (err) {
        if (!(err instanceof VerifierError)) throw err;
        status = EXIT_FAILURE;
        if (values.json) {
          json.push({ name: prog.name, ok: false, error: { pc: err.pc, insn: err.insnText, source: err.source, reason: err.reason }, ...(values.log ? { log: err.log } : {}) });
        } else {
          if (values.log && err.log) process.stdout.write(`${err.log}\n\n`);
          process.stderr.write(`${prog.name}: REJECTED\n${err.message}\n`);
        }
        continue;
      }
      const s = result.stats;
      if (values.json) {
        json.push({ name: prog.name, ok: true, stats: s, stackDepth: Object.fromEntries(result.facts.stackDepth), ...(values.log ? { log: result.log } : {}) });
      } else {
        if (values.log && result.log) process.stdout.write(`${result.log}\n\n`);
        process.stdout.write(`${prog.name}: OK — ${prog.instructions.length} instructions, processed ${s.insnsProcessed} insns, ` +
          `${s.states} states (peak ${s.peakStates}, ${s.pruned} pruned), stack ${result.facts.maxStack} bytes, ${s.ms} ms\n`);
      }
    }
    if (values.json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return status;
  },
};
