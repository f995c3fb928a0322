// `sluice disasm OBJ`: every program of an object, linked as sluice runs it, listed
// with its C source interleaved (like `llvm-objdump -S`).
import { listingRows, sourceListing } from '../../../jit/object/source-listing.ts';
import { type Command, EXIT_FAILURE, EXIT_OK, parseOptions, readObjectSpec } from '../command.ts';

export const command: Command = {
  name: 'disasm',
  summary: 'list an object\'s programs with their C source interleaved',
  usage: [
    'Usage: sluice disasm OBJ [--prog NAME] [--json] [--no-source] [--no-bytes]',
    '',
    'Lists each program of the object file OBJ as sluice links it: the entry function,',
    'then every subprogram it calls. Source lines from the object\'s BTF line info are',
    'interleaved as `; <line>` comments. Map and global-data references are shown',
    'unrelocated (map_fd(0), map_value(0, offset)) with the name they refer to.',
    '',
    '  --prog NAME   only the program NAME',
    '  --json        one object per program: {name, section, type, instructions: [{index, pc,',
    '                section, offset, bytes, text, label?, reference?, source?}]}',
    '  --no-source   no source lines',
    '  --no-bytes    no instruction bytes',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseOptions(argv, {
      prog: { type: 'string' }, json: { type: 'boolean' },
      'no-source': { type: 'boolean' }, 'no-bytes': { type: 'boolean' },
    }, { min: 1, max: 1 });
    const file = positionals[0]!;
    const spec = readObjectSpec(file);
    const programs = values.prog === undefined ? spec.programs : spec.programs.filter((p) => p.name === values.prog);
    if (programs.length === 0) {
      const names = spec.programs.map((p) => p.name).join(', ') || 'none';
      process.stderr.write(`sluice disasm: ${values.prog === undefined ? 'no programs' : `no program '${values.prog}'`} in ${file} (programs: ${names})\n`);
      return EXIT_FAILURE;
    }
    if (values.json) {
      const out = programs.map((p) => ({ name: p.name, section: p.section, type: p.type.name, instructions: listingRows(p) }));
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return EXIT_OK;
    }
    const text = programs.map((p) =>
      `Disassembly of program ${p.name} (section ${p.section}, ${p.type.name}${p.type.supported ? '' : ', not supported'}):\n\n` +
      sourceListing(p, { source: !values['no-source'], bytes: !values['no-bytes'] }));
    process.stdout.write(text.join('\n'));
    return EXIT_OK;
  },
};
