// `sluice replay`: a capture through a program with the pcap driver, and the
// verdict table. Without arguments it replays the embedded default: the demo
// capture through the example firewall.
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { openSync, writeSync, closeSync } from 'node:fs';
import { loadObject, XDP_ACTIONS, type XdpObject, type XdpProgram } from '../../runtime.ts';
import { MapType } from '../../../maps/index.ts';
import { CALL } from '../../../jit/isa/opcode.ts';
import { ENGINE_KINDS, type EngineKind } from '../../pipeline/engine.ts';
import { loadMapJson, writeMapJson } from '../../map-json.ts';
import { replay, REPLAY_BURST, type ReplayStats } from '../../../drivers/pcap/replay.ts';
import { helperBindings } from '../../ffi.ts';
import { type Command, EXIT_FAILURE, EXIT_OK, UsageError, intOption, parseOptions } from '../command.ts';

const BPF_FUNC_trace_printk = 6, BPF_FUNC_trace_vprintk = 177;

const repoFile = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
export const DEFAULT_OBJECT = repoFile('examples/firewall.o');
export const DEFAULT_CAPTURE = repoFile('pcaps/demo.pcap');

const USAGE = `Usage: sluice replay [OBJ [IN.pcap]] [--prog NAME] [--out DIR] [--write-drops] [--loop N]
                     [--timing | --pps N] [--map-in FILE.json] [--map-out FILE.json]
                     [--engine jit|interp] [--events FILE] [--json]

Replays a capture (pcap or pcapng) through an XDP program with the pcap driver and
prints the verdict counts. No root needed. Without OBJ and IN: the demo, the example
firewall (examples/firewall.o) over pcaps/demo.pcap.
  --prog NAME      the program (default: the object's first XDP program)
  --out DIR        write pass.pcap, tx.pcap, redirect.pcap: frames as the program left them
  --write-drops    with --out, also drop.pcap and aborted.pcap
  --loop N         replay the capture N times (default 1)
  --timing         replay at the capture's own pace (timestamps), for demos
  --pps N          replay at N packets per second
  --events FILE    write ring buffer events and bpf_printk lines to FILE instead of stdout
  --map-in FILE    set map entries first ({"maps": {"<name>": [{"key": "<hex>", "value": "<hex>"}]}})
  --map-out FILE   write every map's entries afterwards
  --engine E       jit (default) or interp
  --json           print the counts as JSON`;

const OPTIONS = {
  prog: { type: 'string' }, out: { type: 'string' }, 'write-drops': { type: 'boolean' }, loop: { type: 'string' },
  'map-in': { type: 'string' }, 'map-out': { type: 'string' }, engine: { type: 'string' }, json: { type: 'boolean' },
  timing: { type: 'boolean' }, pps: { type: 'string' }, events: { type: 'string' },
} as const;

async function run(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseOptions(argv, OPTIONS, { min: 0, max: 2 });
  const engine = (o.engine ?? 'jit') as EngineKind;
  if (!ENGINE_KINDS.includes(engine)) throw new UsageError(`--engine expects one of ${ENGINE_KINDS.join(', ')}, got '${o.engine}'`);
  if (positionals.length === 1) throw new UsageError('give both OBJ and IN.pcap, or neither for the demo');
  if (o['write-drops'] && o.out === undefined) throw new UsageError('--write-drops needs --out DIR');
  const loop = intOption(o.loop, 'loop', 1, 1e6);
  if (o.timing && o.pps !== undefined) throw new UsageError('give --timing or --pps, not both');
  const pps = o.pps === undefined ? undefined : intOption(o.pps, 'pps', 0, 1e9);
  if (pps === 0) throw new UsageError('--pps must be at least 1');
  const pace = o.timing ? 'timing' as const : pps === undefined ? undefined : { pps };
  const objectPath = positionals[0] ?? DEFAULT_OBJECT;
  const capturePath = positionals[1] ?? DEFAULT_CAPTURE;

  const obj = loadObject(objectPath, { engine });
  try {
    if (o['map-in'] !== undefined) loadMapJson(o['map-in'], obj.maps);
    const prog = obj.program(o.prog);
    const progress = !o.json && process.stdout.isTTY ? progressLine() : undefined;
    const events = eventSink(obj, prog, o.events, Boolean(o.json));
    const stats = await replay(prog, capturePath, {
      ...(o.out === undefined ? {} : { outDir: o.out }), writeDrops: o['write-drops'] ?? false, loop,
      ...(pace ? { pace } : {}),
      onBurst: (s) => { progress?.update(s); events.drain(); },
    });
    progress?.done();
    const eventLines = events.close();
    if (o['map-out'] !== undefined) writeMapJson(o['map-out'], obj.maps);
    const names = { object: display(objectPath), capture: display(capturePath), program: prog.name, engine };
    process.stdout.write(o.json ? `${JSON.stringify(toJson(stats, names, eventLines))}\n` : table(stats, names));
    if (stats.error) {
      process.stderr.write(`sluice replay: ${capturePath}: ${stats.error.message} (the ${stats.packets} frames before it were processed)\n`);
      return EXIT_FAILURE;
    }
  } finally {
    obj.close();
  }
  return EXIT_OK;
}

const display = (path: string): string => {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
};

/**
 * Ring buffer and perf events and bpf_printk lines, as they come (drained after
 * every burst, only for what the object can produce). With --json or --events
 * FILE they are collected or written to the file instead of printed.
 */
function eventSink(obj: XdpObject, prog: XdpProgram, file: string | undefined, collect: boolean) {
  const rings = [...obj.maps.values()].filter((m) => m.type === MapType.RINGBUF || m.type === MapType.PERF_EVENT_ARRAY);
  const printk = prog.instructions.some((i) => i.opcode === CALL && i.src === 0 && (i.imm === BPF_FUNC_trace_printk || i.imm === BPF_FUNC_trace_vprintk));
  const fd = file === undefined ? undefined : openSync(file, 'w');
  const kept: string[] = [];
  const emit = (line: string) => {
    if (fd !== undefined) writeSync(fd, `${line}\n`);
    else if (collect) kept.push(line);
    else process.stdout.write(`${line}\n`);
  };
  const buf = new Uint8Array(1 << 16);
  const drain = () => {
    for (const ring of rings) {
      const records = ring.type === MapType.RINGBUF ? ring.drain().map((data) => ({ cpu: -1, data })) : ring.drainPerf();
      for (const r of records) emit(`${ring.name}${r.cpu >= 0 ? ` cpu ${r.cpu}` : ''}: ${Buffer.from(r.data).toString('hex')}`);
    }
    if (!printk) return;
    for (let n = helperBindings().traceDrain(buf, buf.length); n > 0; n = helperBindings().traceDrain(buf, buf.length)) {
      for (const line of new TextDecoder().decode(buf.subarray(0, n)).split('\n')) if (line) emit(`bpf_printk: ${line}`);
    }
  };
  return {
    drain,
    close(): string[] {
      drain();
      if (fd !== undefined) closeSync(fd);
      return kept;
    },
  };
}

const mpps = (packets: number, ns: number): string => (ns > 0 ? (packets * 1e3 / ns).toFixed(2) : '-');
const group = (n: number): string => n.toLocaleString('en-US');

function table(s: ReplayStats, n: { object: string; capture: string; program: string; engine: string }): string {
  const rows: [string, number][] = XDP_ACTIONS.map((name, i): [string, number] => [name, s.verdicts[i]!]).filter(([, c]) => c > 0);
  if (s.other) rows.push(['other', s.other]);
  const share = (c: number) => (s.packets ? `${(100 * c / s.packets).toFixed(1)} %` : '-');
  const lines = [
    `${n.capture} → ${n.object} (${n.program}, ${n.engine})`,
    '',
    `  ${'verdict'.padEnd(10)} ${'packets'.padStart(12)} ${'share'.padStart(8)}`,
    ...rows.map(([name, c]) => `  ${name.padEnd(10)} ${group(c).padStart(12)} ${share(c).padStart(8)}`),
    `  ${'total'.padEnd(10)} ${group(s.packets).padStart(12)}`,
    '',
    `  ${group(s.bytes)} bytes in ${(s.wallNs / 1e6).toFixed(1)} ms; the program took ${(s.runNs / Math.max(1, s.packets)).toFixed(1)} ns/packet ` +
      `(${mpps(s.packets, s.runNs)} Mpps, bursts of ${REPLAY_BURST})`,
  ];
  for (const [verdict, file] of Object.entries(s.outputs)) lines.push(`  ${verdict.padEnd(10)} → ${display(file)}`);
  return `${lines.join('\n')}\n`;
}

function toJson(s: ReplayStats, n: object, events: string[]) {
  const verdicts = Object.fromEntries(XDP_ACTIONS.map((name, i) => [name, s.verdicts[i]!]));
  return {
    ...n, packets: s.packets, bytes: s.bytes, verdicts, other: s.other, run_ns: s.runNs, wall_ns: s.wallNs,
    outputs: s.outputs, events, ...(s.error ? { error: s.error.message } : {}),
  };
}

function progressLine() {
  let last = 0;
  return {
    update(s: ReplayStats) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      process.stdout.write(`\r  ${group(s.packets)} packets…`);
    },
    done() { if (last) process.stdout.write('\r\x1b[K'); },
  };
}

export const command: Command = { name: 'replay', summary: 'replay a capture through a program and count the verdicts (no root)', usage: USAGE, run };
