// `sluice trace`: one packet through a program, instruction by instruction,
// against the C source (dataplane/trace/).
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { LinkType, linkTypeName, readCaptureFile } from '../../../drivers/pcap/capture.ts';
import { MAX_PACKET } from '../../frame-arena.ts';
import { loadMapJson } from '../../map-json.ts';
import { loadObject, type XdpObject, type XdpProgram } from '../../runtime.ts';
import { PipelineError } from '../../pipeline/errors.ts';
import { renderHtml } from '../../trace/html.ts';
import { tracePacket } from '../../trace/run.ts';
import { renderText } from '../../trace/text.ts';
import { type Command, EXIT_FAILURE, EXIT_OK, UsageError, intOption, parseOptions } from '../command.ts';

const USAGE = `Usage: sluice trace OBJ (--pcap IN --frame N | --packet HEX) [--prog NAME] [--map-in FILE.json]
                    [--html FILE] [--json] [--max-steps N]

Runs one packet through an XDP program on the reference interpreter and prints every
executed instruction under its C source line: the registers it changed (old → new;
pointers named pkt+N, pkt_end, ctx, fp-N, map_value(name)), the packet bytes it read or
wrote with the header field they belong to, helper calls with their arguments and
results, then the verdict and the output packet (with a field diff when it changed).
  --pcap IN --frame N  the packet: frame N (1-based, as tcpdump counts) of a pcap/pcapng file
  --packet HEX         the packet as hex (spaces and colons allowed)
  --prog NAME          the program (default: the object's first XDP program)
  --map-in FILE        set map entries first ({"maps": {"<name>": [{"key": "<hex>", "value": "<hex>"}]}})
  --html FILE          also write a self-contained page: source, packet and registers with a step slider
  --json               the trace as JSON instead of text
  --max-steps N        stop after N instructions (default 100000)
Exit status: 0 when the program ran to its verdict, 1 when it faulted.`;

const OPTIONS = {
  pcap: { type: 'string' }, frame: { type: 'string' }, packet: { type: 'string' }, prog: { type: 'string' },
  'map-in': { type: 'string' }, html: { type: 'string' }, json: { type: 'boolean' }, 'max-steps': { type: 'string' },
} as const;

async function run(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseOptions(argv, OPTIONS, { min: 1, max: 1 });
  const objectPath = positionals[0]!;
  const { bytes, origin } = inputPacket(o);
  const maxSteps = intOption(o['max-steps'], 'max-steps', 100_000, 100_000_000);
  if (maxSteps < 1) throw new UsageError('--max-steps must be at least 1');
  const { obj, program } = loadForTrace(objectPath, o.prog, o['map-in']);
  try {
    const trace = tracePacket(obj, program, bytes, { origin, maxSteps, objectPath });
    if (o.html !== undefined) writeFileSync(o.html, renderHtml(trace));
    process.stdout.write(o.json ? `${JSON.stringify(trace, null, 2)}\n` : renderText(trace));
    return trace.end.kind === 'verdict' ? EXIT_OK : EXIT_FAILURE;
  } finally {
    obj.close();
  }
}

/**
 * The object on the interpreter. A program the verifier refuses is still traced
 * (the interpreter checks every access itself), after saying why the kernel
 * would not load it: seeing the bad access happen is how one learns to fix it.
 */
function loadForTrace(path: string, name: string | undefined, mapIn: string | undefined): { obj: XdpObject; program: XdpProgram } {
  for (const verify of [true, false]) {
    const obj = loadObject(path, { engine: 'interp', cpus: 1, verify });
    try {
      if (mapIn !== undefined) loadMapJson(mapIn, obj.maps);
      return { obj, program: obj.program(name) };
    } catch (err) {
      obj.close();
      if (!verify || !(err instanceof PipelineError && err.step === 'verify')) throw err;
      process.stderr.write(`sluice trace: the verifier refuses this program, so the kernel would not load it:\n${err.message.replace(/^/gm, '  ')}\n` +
        'Tracing it on the interpreter anyway (it checks every access).\n\n');
    }
  }
  throw new Error('unreachable');
}

function inputPacket(o: { pcap?: string; frame?: string; packet?: string }): { bytes: Uint8Array; origin: string } {
  if ((o.pcap === undefined) === (o.packet === undefined)) throw new UsageError('give the packet with --pcap IN --frame N or with --packet HEX (one of them)');
  let bytes: Uint8Array;
  let origin: string;
  if (o.packet !== undefined) {
    if (o.frame !== undefined) throw new UsageError('--frame goes with --pcap');
    const hex = o.packet.replace(/[\s:.-]/g, '').replace(/^0x/i, '');
    if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) {
      throw new UsageError(`--packet expects hex bytes (an even number of hex digits), got '${o.packet.length > 40 ? `${o.packet.slice(0, 40)}…` : o.packet}'`);
    }
    bytes = Uint8Array.from(hex.match(/../g)!, (b) => parseInt(b, 16));
    origin = `packet from --packet`;
  } else {
    if (o.frame === undefined) throw new UsageError('--pcap needs --frame N (1-based)');
    const n = intOption(o.frame, 'frame', 1);
    if (n < 1) throw new UsageError('--frame counts from 1, as tcpdump does');
    const reader = readCaptureFile(o.pcap!);
    let found: Uint8Array | undefined;
    let count = 0;
    for (let r = reader.next(); r !== null; r = reader.next()) {
      count = r.frame;
      if (r.frame !== n) continue;
      if (r.linkType !== LinkType.ETHERNET) throw new UsageError(`frame ${n} of ${o.pcap} has link type ${linkTypeName(r.linkType)}; XDP programs see Ethernet frames`);
      found = r.data.slice();
      break;
    }
    if (!found) throw new UsageError(`${o.pcap} has ${count} frame${count === 1 ? '' : 's'}; there is no frame ${n}`);
    bytes = found;
    origin = `frame ${n} of ${basename(o.pcap!)}`;
  }
  if (bytes.length > MAX_PACKET) throw new UsageError(`the packet has ${bytes.length} bytes; a frame takes at most ${MAX_PACKET}`);
  return { bytes, origin };
}

export const command: Command = { name: 'trace', summary: 'one packet through a program, instruction by instruction, against the C source', usage: USAGE, run };
