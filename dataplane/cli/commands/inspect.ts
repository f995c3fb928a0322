// `sluice inspect OBJ`: what an object file declares — programs, maps, global
// data, license, BTF — read without creating or running anything.
import type { ObjectSpec } from '../../../jit/object/load.ts';
import { type Command, EXIT_OK, parseOptions, readObjectSpec } from '../command.ts';

export const command: Command = {
  name: 'inspect',
  summary: 'show the programs, maps and global data of an XDP object file',
  usage: [
    'Usage: sluice inspect OBJ [--json]',
    '',
    'Reads the object file OBJ (built by clang -target bpf) and prints its programs',
    '(section, name, type, instruction count), maps (name, type, key/value size,',
    'max_entries, flags), global data sections, license and whether it carries BTF.',
    '',
    '  --json   the same as one JSON object',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parseOptions(argv, { json: { type: 'boolean' } }, { min: 1, max: 1 });
    const file = positionals[0]!;
    const spec = readObjectSpec(file);
    process.stdout.write(values.json ? `${JSON.stringify(summary(spec), null, 2)}\n` : text(spec));
    return EXIT_OK;
  },
};

/** The inspect report as plain data (also the --json output). */
export function summary(spec: ObjectSpec) {
  return {
    name: spec.name,
    license: spec.license,
    btf: spec.btf !== undefined,
    programs: spec.programs.map((p) => ({
      name: p.name, section: p.section, type: p.type.name, supported: p.type.supported,
      ...(p.type.attach && p.type.attach !== 'xdp' ? { attach: p.type.attach } : {}),
      ...(p.type.frags ? { frags: true } : {}),
      instructions: p.instructions.length,
      subprograms: p.funcInfo.slice(1).map((f) => f.name),
    })),
    maps: spec.maps.filter((m) => !m.globalData).map((m) => ({
      name: m.name, type: m.typeName, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries,
      flags: m.flags, ...(m.pinning ? { pinning: 'by_name' } : {}),
      ...(m.inner ? { inner: { type: m.inner.typeName, keySize: m.inner.keySize, valueSize: m.inner.valueSize, maxEntries: m.inner.maxEntries } } : {}),
      ...(m.slots ? { slots: m.slots.map((s) => ({ index: s.index, name: s.name })) } : {}),
    })),
    globalData: spec.maps.filter((m) => m.globalData).map((m) => ({
      section: m.section, size: m.valueSize, readOnly: m.frozen,
    })),
    ...(spec.kernelVersion !== undefined ? { kernelVersion: spec.kernelVersion } : {}),
    /** Sections present but not needed to run (DWARF, .llvm_addrsig, .xdp_run_config, ...). */
    ignoredSections: spec.ignoredSections,
  };
}

function text(spec: ObjectSpec): string {
  const s = summary(spec);
  const table = (head: string[], rows: string[][]): string[] => {
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    return [line(head), ...rows.map(line)].map((l) => `  ${l}`);
  };
  const out = [`${spec.name || 'object'}: license ${s.license ? `"${s.license}"` : '(none)'}, ${s.btf ? 'BTF present' : 'no BTF'}`, '', 'Programs:'];
  out.push(...(s.programs.length === 0 ? ['  (none)'] : table(['SECTION', 'NAME', 'TYPE', 'INSNS', 'SUBPROGRAMS'],
    s.programs.map((p) => [p.section, p.name, `${p.type.replace('BPF_PROG_TYPE_', '').toLowerCase()}${p.supported ? '' : ' (not supported)'}`,
      String(p.instructions), p.subprograms.join(',') || '-']))));
  out.push('', 'Maps:');
  out.push(...(s.maps.length === 0 ? ['  (none)'] : table(['NAME', 'TYPE', 'KEY', 'VALUE', 'MAX_ENTRIES', 'FLAGS'],
    s.maps.map((m) => [m.name, m.type.replace('BPF_MAP_TYPE_', '').toLowerCase(), String(m.keySize), String(m.valueSize),
      String(m.maxEntries), `0x${m.flags.toString(16)}${m.inner ? ` inner=${m.inner.type.replace('BPF_MAP_TYPE_', '').toLowerCase()}` : ''}${m.slots ? ` values=${m.slots.map((x) => `${x.index}:${x.name}`).join(',')}` : ''}`]))));
  out.push('', 'Global data:');
  out.push(...(s.globalData.length === 0 ? ['  (none)'] : table(['SECTION', 'SIZE', 'ACCESS'],
    s.globalData.map((g) => [g.section, String(g.size), g.readOnly ? 'read-only (frozen)' : 'read-write']))));
  return `${out.join('\n')}\n`;
}
