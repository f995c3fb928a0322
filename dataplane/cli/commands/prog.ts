// `sluice prog run`: BPF_PROG_TEST_RUN in user space. Runs one input (or every
// frame of a capture, map state carried from frame to frame) through a program
// and prints what bpftool prints: `Return value: N, duration (average): Tns`.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadObject, verdictName, type XdpObject } from '../../runtime.ts';
import { ENGINE_KINDS, type EngineKind } from '../../pipeline/engine.ts';
import { loadMapJson, writeMapJson } from '../../map-json.ts';
import { readCaptureFile } from '../../../drivers/pcap/capture.ts';
import { progReplace, REPLACE_USAGE } from '../prog-replace.ts';
import { type Command, EXIT_OK, UsageError, intOption, parseOptions } from '../command.ts';

const USAGE = `Usage: sluice prog run OBJ [--prog NAME] --data-in FILE [--data-out FILE] [--repeat N]
                       [--map-in FILE.json] [--map-out FILE.json] [--ifindex N] [--rx-queue N]
                       [--engine jit|interp] [--blind-constants] [--json]
       sluice prog run OBJ [--prog NAME] --pcap-in IN.pcap --results-out R.jsonl [options above]

Runs a packet through an XDP program as the kernel's BPF_PROG_TEST_RUN does.
  --data-in FILE       the input frame (raw bytes)
  --data-out FILE      write the frame as the program left it
  --repeat N           run N times and report the mean duration (default 1)
  --map-in FILE        set map entries first: {"maps": {"<name>": [{"key": "<hex>", "value": "<hex>"}]}}
                       (per-CPU maps: "values": ["<hex>", …], one per CPU)
  --map-out FILE       write every map's entries afterwards, in the same format
  --ifindex N          ctx->ingress_ifindex (default 1)      --rx-queue N   ctx->rx_queue_index (default 0)
  --pcap-in IN         run every frame of a capture in order, maps carried over
  --results-out R      with --pcap-in: one JSON line per frame {"index", "retval", "data_out"}
  --engine E           jit (default) or interp
  --blind-constants    JIT: constant blinding, as the kernel does for untrusted loaders
  --json               print the result as JSON

${REPLACE_USAGE}`;

const OPTIONS = {
  prog: { type: 'string' }, 'data-in': { type: 'string' }, 'data-out': { type: 'string' },
  repeat: { type: 'string' }, 'map-in': { type: 'string' }, 'map-out': { type: 'string' },
  ifindex: { type: 'string' }, 'rx-queue': { type: 'string' }, 'pcap-in': { type: 'string' },
  'results-out': { type: 'string' }, engine: { type: 'string' }, json: { type: 'boolean' },
  'blind-constants': { type: 'boolean' },
} as const;

async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'replace') return progReplace(rest);
  if (sub !== 'run') throw new UsageError(sub === undefined ? 'expected a subcommand: run or replace' : `unknown subcommand '${sub}' (expected: run or replace)`);
  const { values: o, positionals } = parseOptions(rest, OPTIONS, { min: 1, max: 1 });
  const engine = (o.engine ?? 'jit') as EngineKind;
  if (!ENGINE_KINDS.includes(engine)) throw new UsageError(`--engine expects one of ${ENGINE_KINDS.join(', ')}, got '${o.engine}'`);
  if ((o['data-in'] === undefined) === (o['pcap-in'] === undefined)) throw new UsageError('give exactly one of --data-in and --pcap-in');
  if (o['pcap-in'] !== undefined && o['results-out'] === undefined) throw new UsageError('--pcap-in needs --results-out');
  const meta = { ifindex: intOption(o.ifindex, 'ifindex', 1, 0xffffffff), rxQueue: intOption(o['rx-queue'], 'rx-queue', 0, 0xffffffff) };
  const repeat = intOption(o.repeat, 'repeat', 1, 1e9);
  if (repeat === 0) throw new UsageError('--repeat must be at least 1');

  if (o['blind-constants'] && engine !== 'jit') throw new UsageError('--blind-constants applies to the JIT engine only');
  const obj = loadObject(positionals[0]!, { engine, blindConstants: o['blind-constants'] === true });
  try {
    if (o['map-in'] !== undefined) loadMapJson(o['map-in'], obj.maps);
    const prog = obj.program(o.prog);
    if (o['pcap-in'] !== undefined) {
      runCapture(obj, o.prog, o['pcap-in'], o['results-out']!, meta);
    } else {
      const input = readFileSync(o['data-in']!);
      const r = prog.run(input, { ...meta, repeat });
      if (o['data-out'] !== undefined) writeFileSync(o['data-out'], r.data);
      const ns = Math.round(r.durationNs);
      process.stdout.write(o.json
        ? `${JSON.stringify({ retval: r.retval, verdict: verdictName(r.retval), duration_ns: ns, data_out: Buffer.from(r.data).toString('hex') })}\n`
        : `Return value: ${r.retval}, duration${repeat > 1 ? ' (average)' : ''}: ${ns}ns\n`);
    }
    if (o['map-out'] !== undefined) writeMapJson(o['map-out'], obj.maps);
  } finally {
    obj.close();
  }
  return EXIT_OK;
}

function runCapture(obj: XdpObject, name: string | undefined, input: string, output: string, meta: { ifindex: number; rxQueue: number }): void {
  const prog = obj.program(name);
  const lines: string[] = [];
  let index = 0;
  try {
    for (const record of readCaptureFile(input)) {
      const r = prog.run(record.data, meta);
      lines.push(JSON.stringify({ index: index++, retval: r.retval, data_out: Buffer.from(r.data).toString('hex') }));
    }
  } finally {
    // Frames already run are written even when the capture turns out to be corrupt.
    writeFileSync(output, lines.length ? `${lines.join('\n')}\n` : '');
  }
}

export const command: Command = { name: 'prog', summary: 'run a program on one packet or a capture (BPF_PROG_TEST_RUN in user space); replace a running one', usage: USAGE, run };
