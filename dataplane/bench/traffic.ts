// Synthetic traffic for `sluice bench --traffic SPEC`: a trace of frames in one
// buffer (offs/lens), from a small spec:
//
//   size=64+512+1500,mix=udp:70+tcp:25+icmp:5,flows=1k,dist=zipf:1.1,frames=65536
//
//   size    frame sizes (bytes, without the FCS; 60..3000), taken in turn. Default 64 (60 + FCS on the wire: written 64, built 60).
//   mix     protocol weights: udp, tcp, icmp, udp6, tcp6. Default udp:100.
//   flows   distinct flows (1, 1k, 1m, or a number). Default 1. A flow = source address + source port.
//   dist    flow popularity: uniform, or zipf[:s] (s default 1.0). Default uniform.
//   frames  trace length (packets); default max(65,536, flows) capped at 64 MiB of frames.
//
// Frames are built once per (protocol, size) by the packet builder (valid
// checksums) and patched per flow with RFC 1624 incremental checksum updates,
// so a million-flow trace is built in a second.
import { packet } from '../../drivers/packet/packet.ts';
import { BenchError } from './errors.ts';

export type Proto = 'udp' | 'tcp' | 'icmp' | 'udp6' | 'tcp6';
const PROTOS: readonly Proto[] = ['udp', 'tcp', 'icmp', 'udp6', 'tcp6'];

export interface TrafficSpec {
  sizes: number[];
  mix: { proto: Proto; weight: number }[];
  flows: number;
  dist: { kind: 'uniform' } | { kind: 'zipf'; s: number };
  frames?: number;
}

export interface Trace {
  /** All frames back to back. */
  src: Uint8Array;
  offs: Uint32Array;
  lens: Uint32Array;
  count: number;
  /** Distinct flows that occur in the trace. */
  distinctFlows: number;
  /** Mean frame length in bytes. */
  meanSize: number;
  description: string;
}

const TRACE_BYTES = 64 << 20;

function count(text: string, what: string): number {
  const m = /^(\d+)(k|m)?$/i.exec(text);
  if (!m) throw new BenchError(`traffic spec: ${what} expects a number like 1, 1k or 1m, got '${text}'`);
  const unit = m[2]?.toLowerCase();
  return Number(m[1]) * (unit === 'k' ? 1000 : unit === 'm' ? 1_000_000 : 1);
}

/** Parses the spec text; errors name the key and the value. */
export function parseTrafficSpec(text: string): TrafficSpec {
  const spec: TrafficSpec = { sizes: [60], mix: [{ proto: 'udp', weight: 1 }], flows: 1, dist: { kind: 'uniform' } };
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new BenchError(`traffic spec: '${part}' is not key=value (keys: size, mix, flows, dist, frames)`);
    const key = part.slice(0, eq), value = part.slice(eq + 1);
    if (key === 'size') {
      spec.sizes = value.split('+').map((v) => {
        const n = count(v, 'size');
        // 64 is what people say for the smallest frame: 60 bytes plus the FCS the NIC strips.
        const built = n === 64 ? 60 : n;
        if (built < 60 || built > 3000) throw new BenchError(`traffic spec: size ${v} is outside 60..3000 bytes`);
        return built;
      });
    } else if (key === 'mix') {
      spec.mix = value.split('+').map((v) => {
        const [proto, weight = '1'] = v.split(':');
        if (!PROTOS.includes(proto as Proto)) throw new BenchError(`traffic spec: unknown protocol '${proto}' in mix (known: ${PROTOS.join(', ')})`);
        const w = Number(weight);
        if (!(w > 0)) throw new BenchError(`traffic spec: weight of ${proto} must be a positive number, got '${weight}'`);
        return { proto: proto as Proto, weight: w };
      });
    } else if (key === 'flows') {
      spec.flows = count(value, 'flows');
      if (spec.flows < 1 || spec.flows > 16_000_000) throw new BenchError(`traffic spec: flows must be 1..16m, got '${value}'`);
    } else if (key === 'dist') {
      const [kind, s] = value.split(':');
      if (kind === 'uniform' && s === undefined) spec.dist = { kind: 'uniform' };
      else if (kind === 'zipf') {
        const exp = s === undefined ? 1 : Number(s);
        if (!(exp > 0 && exp < 10)) throw new BenchError(`traffic spec: zipf exponent must be in (0, 10), got '${s}'`);
        spec.dist = { kind: 'zipf', s: exp };
      } else throw new BenchError(`traffic spec: dist is uniform or zipf[:s], got '${value}'`);
    } else if (key === 'frames') {
      spec.frames = count(value, 'frames');
      if (spec.frames < 1) throw new BenchError('traffic spec: frames must be at least 1');
    } else {
      throw new BenchError(`traffic spec: unknown key '${key}' (keys: size, mix, flows, dist, frames)`);
    }
  }
  return spec;
}

export function describeSpec(s: TrafficSpec): string {
  const dist = s.dist.kind === 'zipf' ? `zipf:${s.dist.s}` : 'uniform';
  return `size=${s.sizes.join('+')},mix=${s.mix.map((m) => `${m.proto}:${m.weight}`).join('+')},flows=${s.flows},dist=${dist}`;
}

/** A seeded generator (xorshift32): the same spec gives the same trace. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
}

/** Flow index sampler: uniform, or Zipf by inverse CDF over the flows' weights 1/k^s. */
function sampler(spec: TrafficSpec, random: () => number): () => number {
  const n = spec.flows;
  if (spec.dist.kind === 'uniform' || n === 1) return () => Math.floor(random() * n);
  const s = spec.dist.s;
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) { sum += 1 / Math.pow(k + 1, s); cdf[k] = sum; }
  return () => {
    const u = random() * sum;
    let lo = 0, hi = n - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid]! < u) lo = mid + 1; else hi = mid; }
    return lo;
  };
}

function template(proto: Proto, size: number): Uint8Array {
  const base = packet().eth();
  const v6 = proto.endsWith('6');
  if (v6) base.ipv6({ src: 'fd00::1', dst: 'fd00::2' }); else base.ipv4({ src: '10.0.0.1', dst: '10.0.0.2' });
  const l4 = proto.startsWith('udp') ? base.udp({ sport: 1024, dport: 53 })
    : proto.startsWith('tcp') ? base.tcp({ sport: 1024, dport: 80 }) : base.icmp({});
  const bare = l4.build().length;
  return size > bare ? l4.payload(size - bare).build() : l4.build();
}

/** One's-complement update of the checksum at `at` for a 16-bit word going from `old` to `now` (RFC 1624, eqn. 3). */
function updateChecksum(b: Uint8Array, at: number, old: number, now: number): void {
  const hc = (b[at]! << 8) | b[at + 1]!;
  if (hc === 0) return; // UDP over IPv4 without a checksum
  let sum = (~hc & 0xffff) + (~old & 0xffff) + now;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  const out = ~sum & 0xffff || 0xffff;
  b[at] = out >> 8; b[at + 1] = out & 0xff;
}

function setWord(b: Uint8Array, at: number, value: number, checksums: number[]): void {
  const old = (b[at]! << 8) | b[at + 1]!;
  b[at] = value >> 8; b[at + 1] = value & 0xff;
  for (const c of checksums) updateChecksum(b, c, old, value);
}

/** Writes flow `f` into a frame built from a template: source address (low 32 bits) and, for UDP/TCP, source port. */
function patchFlow(b: Uint8Array, proto: Proto, f: number): void {
  const v6 = proto.endsWith('6');
  const l4 = v6 ? 54 : 34;
  const l4sum = proto.startsWith('udp') ? l4 + 6 : proto.startsWith('tcp') ? l4 + 16 : -1;
  // The address 10.x.y.z (or fd00::x:yz): f's low 24 bits, plus 1 so flow 0 is not .0.
  const addr = (f % 0xffffff) + 1;
  const srcAt = v6 ? 22 + 12 : 26;
  const sums = v6 ? [] : [24];
  if (l4sum >= 0) sums.push(l4sum);
  setWord(b, srcAt, (v6 ? 0 : 0x0a00) | (addr >>> 16), sums);
  setWord(b, srcAt + 2, addr & 0xffff, sums);
  if (l4sum >= 0) setWord(b, l4, 1024 + ((f >>> 24) * 977 + (f & 0xffff)) % 64000, [l4sum]);
}

/** Builds the trace for a spec (deterministic). */
export function buildTrace(spec: TrafficSpec, seed = 0x5eed): Trace {
  const meanSize = spec.sizes.reduce((a, b) => a + b, 0) / spec.sizes.length;
  const n = Math.max(1, Math.min(spec.frames ?? Math.max(65_536, spec.flows), Math.floor(TRACE_BYTES / meanSize)));
  const random = rng(seed);
  const flow = sampler(spec, random);
  const total = spec.mix.reduce((a, m) => a + m.weight, 0);
  const pick = (): Proto => {
    let u = random() * total;
    for (const m of spec.mix) { u -= m.weight; if (u < 0) return m.proto; }
    return spec.mix[spec.mix.length - 1]!.proto;
  };
  const templates = new Map<string, Uint8Array>();
  const lens = new Uint32Array(n), offs = new Uint32Array(n);
  const protos: Proto[] = new Array(n);
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const size = spec.sizes[i % spec.sizes.length]!;
    const proto = pick();
    const key = `${proto}/${size}`;
    if (!templates.has(key)) templates.set(key, template(proto, size));
    protos[i] = proto;
    offs[i] = bytes;
    lens[i] = templates.get(key)!.length;
    bytes += lens[i]!;
  }
  const src = new Uint8Array(bytes);
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    const proto = protos[i]!;
    const t = templates.get(`${proto}/${spec.sizes[i % spec.sizes.length]!}`)!;
    const frame = src.subarray(offs[i]!, offs[i]! + lens[i]!);
    frame.set(t);
    const f = flow();
    if (seen.size < 2_000_000) seen.add(f);
    patchFlow(frame, proto, f);
  }
  return { src, offs, lens, count: n, distinctFlows: seen.size, meanSize: bytes / n, description: describeSpec(spec) };
}

/** A trace from given frames (a capture), in order. */
export function traceOf(frames: readonly Uint8Array[], description: string): Trace {
  if (frames.length === 0) throw new BenchError(`${description}: no frames to run`);
  const total = frames.reduce((a, f) => a + f.length, 0);
  const src = new Uint8Array(total);
  const offs = new Uint32Array(frames.length), lens = new Uint32Array(frames.length);
  let at = 0;
  frames.forEach((f, i) => { src.set(f, at); offs[i] = at; lens[i] = f.length; at += f.length; });
  return { src, offs, lens, count: frames.length, distinctFlows: NaN, meanSize: total / frames.length, description };
}

/** Up to `max` frames of a trace spread evenly over it (for the kernel's test run, one frame per request). */
export function sampleFrames(trace: Trace, max: number): Uint8Array[] {
  const k = Math.min(max, trace.count);
  return Array.from({ length: k }, (_, i) => {
    const at = Math.floor(i * trace.count / k);
    return trace.src.slice(trace.offs[at]!, trace.offs[at]! + trace.lens[at]!);
  });
}
