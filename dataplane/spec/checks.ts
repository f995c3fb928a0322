// Comparing what a run did with what a case expects. Each check returns the
// failures it found, worded for a person reading a CI log: the field, its
// offset, what was expected and what came out.
import {
  checkChecksums, diffPackets, dissect, formatDiff, tcpFlags, type Field,
} from '../../drivers/packet/packet.ts';
import { MapType, type MapHandle } from '../../maps/index.ts';
import { verdictName } from '../runtime.ts';
import { toHex } from './bytes.ts';
import type { Expectation, FieldCheck, MapCheck } from './format.ts';

export type FailureKind = 'verdict' | 'output' | 'fields' | 'checksums' | 'length' | 'redirect' | 'map' | 'trace';

export interface CaseFailure {
  kind: FailureKind;
  /** One line: "verdict: expected DROP, got PASS". */
  message: string;
  /** The diff, one line each: "ipv4.ttl (offset 22): expected 63, got 64". */
  details: string[];
}

export interface RunOutcome {
  verdict: number;
  output: Uint8Array;
  input: Uint8Array;
  /** REDIRECT target ifindex (0 when none). */
  redirect: number;
  /** bpf_trace_printk lines of this run, as the trace pipe gives them ("[cpu] text"). */
  trace: string[];
}

/** A trace line without its "[cpu] " prefix. */
export const traceText = (line: string): string => line.replace(/^\[\d+\] /, '');

const num = (v: number): string => `${v} (0x${v.toString(16)})`;

/** Every check of the expectation except maps, against one run. */
export function checkRun(expect: Expectation, run: RunOutcome): CaseFailure[] {
  const out: CaseFailure[] = [];
  if (expect.verdict !== undefined && expect.verdict !== run.verdict) {
    out.push({ kind: 'verdict', message: `verdict: expected ${verdictName(expect.verdict)}, got ${verdictName(run.verdict)}`, details: [] });
  }
  if (expect.redirect !== undefined && run.verdict === 4 && expect.redirect !== run.redirect) {
    out.push({ kind: 'redirect', message: `redirect: expected ifindex ${expect.redirect}, got ${run.redirect || 'no target'}`, details: [] });
  }
  if (expect.length !== undefined && expect.length !== run.output.length) {
    out.push({ kind: 'length', message: `output length: expected ${expect.length} bytes, got ${run.output.length}`, details: [] });
  }
  if (expect.output) {
    const details = packetDiff(expect.output.bytes, run.output);
    if (details.length > 0) {
      const what = expect.unchanged ? 'the output differs from the input' : 'the output packet differs from the expected one';
      if (!expect.output.described) details.push(`expected ${toHex(expect.output.bytes)}`, `got      ${toHex(run.output)}`);
      out.push({ kind: 'output', message: `output: ${what}`, details });
    }
  }
  if (expect.fields.length > 0) {
    const details = fieldFailures(expect.fields, run.output);
    if (details.length > 0) out.push({ kind: 'fields', message: `fields: ${details.length} of ${expect.fields.length} differ`, details });
  }
  if (expect.trace) {
    const got = run.trace.map(traceText);
    const want = expect.trace;
    if (got.length !== want.length || got.some((l, i) => l !== want[i])) {
      const details = [...want.map((l) => `expected: ${JSON.stringify(l)}`), ...(got.length ? got.map((l) => `got:      ${JSON.stringify(l)}`) : ['got:      nothing'])];
      out.push({ kind: 'trace', message: `trace: expected ${want.length} line(s) from bpf_trace_printk, got ${got.length}${got.length === want.length ? ' that differ' : ''}`, details });
    }
  }
  if (expect.checksums) {
    const bad = checkChecksums(run.output).filter((c) => !c.ok);
    if (bad.length > 0) {
      out.push({
        kind: 'checksums', message: `checksums: ${bad.length} wrong in the output`,
        details: bad.map((c) => `${c.layer}.checksum (offset ${c.offset}): holds ${num(c.stored)}, should be ${num(c.expected)}`),
      });
    }
  }
  return out;
}

const MAX_DIFF_LINES = 24;

/**
 * Field-by-field differences. Where the layers themselves differ (an added
 * header, a different protocol), fields past that point no longer line up:
 * they are counted, not listed, and the two layer stacks are shown instead.
 */
export function packetDiff(expected: Uint8Array, actual: Uint8Array): string[] {
  const diffs = diffPackets(expected, actual);
  if (diffs.length === 0) return [];
  const split = diffs.find((d) => d.name.startsWith('layer '));
  const lines: string[] = [];
  let shown = diffs;
  if (split) {
    const stack = (b: Uint8Array): string => dissect(b).layers.map((l) => l.layer).join('/') || '(nothing)';
    lines.push(`layers differ from offset ${split.offset}: expected ${stack(expected)}, got ${stack(actual)}`);
    shown = diffs.filter((d) => d !== split && (d.name === 'length' || d.offset < split.offset));
  }
  const listed = shown.slice(0, MAX_DIFF_LINES);
  if (listed.length) lines.push(...formatDiff(listed).split('\n'));
  const hidden = diffs.length - (split ? 1 : 0) - listed.length;
  if (hidden > 0) lines.push(`… and ${hidden} more field difference(s)${split ? ` past offset ${split.offset}` : ''}`);
  return lines;
}

function fieldFailures(checks: readonly FieldCheck[], output: Uint8Array): string[] {
  const d = dissect(output);
  const lines: string[] = [];
  for (const check of checks) {
    const layer = d.layers.filter((l) => l.layer === check.layer)[check.nth];
    const f = layer?.fields.find((x) => x.field === check.field);
    const absentExpected = typeof check.expected === 'object';
    if (!f) {
      if (!absentExpected) lines.push(`${check.name}: expected ${show(check.expected)}, but the output has no such field${layer ? '' : ` (layers: ${d.layers.map((l) => l.layer).join(', ') || 'none'})`}`);
      continue;
    }
    if (absentExpected) { lines.push(`${check.name} (offset ${f.offset}): expected absent, got ${showField(f)}`); continue; }
    if (!matches(check, f)) lines.push(`${check.name} (offset ${f.offset}): expected ${show(check.expected)}, got ${showField(f)}`);
  }
  return lines;
}

function matches(check: FieldCheck, f: Field): boolean {
  const e = check.expected;
  if (typeof e === 'number') return f.value === e;
  if (typeof e !== 'string') return false;
  if (typeof f.value === 'string') return f.value.toLowerCase() === e.toLowerCase();
  if (check.layer === 'tcp' && check.field === 'flags') {
    try { return tcpFlags(e) === f.value; } catch { return false; }
  }
  return f.text !== undefined && f.text.toLowerCase() === e.toLowerCase(); // "TCP", "IPv4", "DF"
}

const show = (v: FieldCheck['expected']): string => (typeof v === 'number' ? num(v) : typeof v === 'string' ? v : 'absent');
const showField = (f: Field): string => (typeof f.value === 'number' ? `${num(f.value)}${f.text ? ` ${f.text}` : ''}` : f.value);

// ---- maps -----------------------------------------------------------------

/** Lanes for summing per-CPU values: u64 words, or u32, or bytes. */
function laneSize(size: number): number {
  return size % 8 === 0 ? 8 : size % 4 === 0 ? 4 : 1;
}

/** The element-wise sum (wrapping) of per-CPU values, read as little-endian lanes. */
export function sumPerCpu(values: readonly Uint8Array[], size: number): Uint8Array {
  const lane = laneSize(size);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  for (let at = 0; at < size; at += lane) {
    let sum = 0n;
    for (const v of values) {
      const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
      sum += lane === 8 ? dv.getBigUint64(at, true) : BigInt(lane === 4 ? dv.getUint32(at, true) : dv.getUint8(at));
    }
    if (lane === 8) view.setBigUint64(at, BigInt.asUintN(64, sum), true);
    else if (lane === 4) view.setUint32(at, Number(BigInt.asUintN(32, sum)), true);
    else view.setUint8(at, Number(sum & 0xffn));
  }
  return out;
}

/** A value as hex, with its little-endian integer when it is one (counters). */
export function showValue(v: Uint8Array): string {
  if (v.length === 0 || v.length > 8 || (v.length & (v.length - 1)) !== 0) return toHex(v);
  let n = 0n;
  for (let i = v.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(v[i]!);
  return `${n} (${toHex(v)})`;
}

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Exact-key lookup: LPM tries match the longest prefix on lookup, so their entries are found by dumping. */
function lookupExact(map: MapHandle, key: Uint8Array): Uint8Array[] | undefined {
  if (map.type === MapType.LPM_TRIE) {
    const e = map.dump().find((x) => equal(x.key, key));
    return e && [e.value];
  }
  if (map.perCpu) return map.lookupPerCpu(key);
  const v = map.lookup(key);
  return v && [v];
}

export function checkMaps(checks: readonly MapCheck[], maps: ReadonlyMap<string, MapHandle>): CaseFailure[] {
  const details: string[] = [];
  for (const c of checks) {
    const map = maps.get(c.map)!;
    const found = lookupExact(map, c.key);
    const at = `${c.map}[${toHex(c.key)}]`;
    if (c.absent) {
      if (found) details.push(`${at}: expected absent, got ${map.perCpu ? `per CPU ${found.map(showValue).join(', ')}` : showValue(found[0]!)}`);
      continue;
    }
    if (!found) { details.push(`${at}: expected ${c.value ? showValue(c.value) : 'an entry'}, got absent`); continue; }
    if (c.values) {
      const zero = new Uint8Array(map.valueSize);
      found.forEach((v, cpu) => {
        const e = c.values![cpu] ?? zero;
        if (!equal(e, v)) details.push(`${at} on CPU ${cpu}: expected ${showValue(e)}, got ${showValue(v)}`);
      });
      continue;
    }
    const actual = map.perCpu ? sumPerCpu(found, map.valueSize) : found[0]!;
    if (!equal(c.value!, actual)) details.push(`${at}: expected ${showValue(c.value!)}, got ${showValue(actual)}${map.perCpu ? ' (sum over CPUs)' : ''}`);
  }
  return details.length ? [{ kind: 'map', message: `maps: ${details.length} of ${checks.length} entries differ`, details }] : [];
}
