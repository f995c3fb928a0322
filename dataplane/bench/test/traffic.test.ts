import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checksumsOk } from '../../../drivers/packet/verify.ts';
import { buildTrace, parseTrafficSpec, sampleFrames, traceOf } from '../traffic.ts';

const frame = (t: ReturnType<typeof buildTrace>, i: number) => t.src.subarray(t.offs[i]!, t.offs[i]! + t.lens[i]!);

test('defaults: one flow of 60-byte UDP frames (64 on the wire with the FCS)', () => {
  const s = parseTrafficSpec('');
  assert.equal(s.sizes, [60]);
  assert.equal(s.mix, [{ proto: 'udp', weight: 1 }]);
  assert.is(s.flows, 1);
  const t = buildTrace(s);
  assert.is(t.distinctFlows, 1);
  assert.is(t.lens[0], 60);
  assert.is(frame(t, 0)[23], 17); // IPv4 protocol: UDP
});

test('sizes are taken in turn; 1k, 1m and plain counts', () => {
  const s = parseTrafficSpec('size=64+128+1500,flows=1k');
  assert.equal(s.sizes, [60, 128, 1500]);
  assert.is(s.flows, 1000);
  assert.is(parseTrafficSpec('flows=1m').flows, 1_000_000);
  const t = buildTrace({ ...s, frames: 9 });
  assert.equal([...t.lens], [60, 128, 1500, 60, 128, 1500, 60, 128, 1500]);
});

test('every patched frame keeps valid IPv4, UDP, TCP and ICMP checksums, and v6 ones', () => {
  const t = buildTrace(parseTrafficSpec('size=60+200,mix=udp+tcp+icmp+udp6+tcp6,flows=100000,frames=3000'));
  for (let i = 0; i < t.count; i++) assert.ok(checksumsOk(frame(t, i)), `frame ${i}`);
});

test('flows: distinct source address and port pairs, as many as asked when the trace is long enough', () => {
  const t = buildTrace(parseTrafficSpec('flows=1k,frames=20000'));
  const keys = new Set<string>();
  for (let i = 0; i < t.count; i++) { const f = frame(t, i); keys.add(Buffer.from(f.subarray(26, 30)).toString('hex') + Buffer.from(f.subarray(34, 36)).toString('hex')); }
  assert.is(keys.size, 1000);
  assert.is(t.distinctFlows, 1000);
});

test('zipf popularity: the most popular flow takes about 1/H(n) of the packets, uniform about 1/n', () => {
  const n = 1000, frames = 100_000;
  const H = Array.from({ length: n }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b, 0);
  const top = (spec: string) => {
    const t = buildTrace(parseTrafficSpec(spec));
    const counts = new Map<string, number>();
    for (let i = 0; i < t.count; i++) { const k = Buffer.from(frame(t, i).subarray(26, 30)).toString('hex'); counts.set(k, (counts.get(k) ?? 0) + 1); }
    return Math.max(...counts.values()) / t.count;
  };
  const zipf = top(`flows=${n},dist=zipf,frames=${frames}`);
  assert.ok(Math.abs(zipf - 1 / H) < 0.2 / H, `top share ${zipf} vs ${1 / H}`);
  assert.ok(top(`flows=${n},dist=uniform,frames=${frames}`) < 3 / n);
});

test('bad specs name the key and the value', () => {
  assert.throws(() => parseTrafficSpec('size=10'), /size 10 is outside 60\.\.3000/);
  assert.throws(() => parseTrafficSpec('mix=sctp'), /unknown protocol 'sctp'/);
  assert.throws(() => parseTrafficSpec('flows=lots'), /flows expects a number like 1, 1k or 1m, got 'lots'/);
  assert.throws(() => parseTrafficSpec('dist=pareto'), /dist is uniform or zipf/);
  assert.throws(() => parseTrafficSpec('colour=red'), /unknown key 'colour'/);
  assert.throws(() => parseTrafficSpec('size'), /'size' is not key=value/);
});

test('captures: frames in order; samples spread over the trace', () => {
  const frames = Array.from({ length: 10 }, (_, i) => new Uint8Array(60).fill(i));
  const t = traceOf(frames, 'x');
  assert.equal(sampleFrames(t, 5).map((f) => f[0]), [0, 2, 4, 6, 8]);
  assert.throws(() => traceOf([], 'empty.pcap'), /empty\.pcap: no frames/);
});

test.run();
