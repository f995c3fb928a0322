// The cost of one hash-map lookup, inlined (inline-hash.ts) against the map's own lookup
// function (mapLookupAt) and the helper: a burst program making 8 lookups per packet, minus the
// same program with the 8 calls replaced by a move, ns per lookup. Medians of interleaved rounds
// over 256 frames, timed by a C loop (bench/native's bench_entry through sluice_burst_run).
//
//   flock /tmp/sluice-bench.lock node --import tsx jit/x86/measure-hash.ts [--rounds 21] [--flows 256] [--empty]
import { assemble } from '../isa/asm.ts';
import type { JitOptions } from './compile.ts';
import { JitProgram } from '../../dataplane/jit-program.ts';
import { FrameArena } from '../../dataplane/frame-arena.ts';
import { helperBindings } from '../../dataplane/ffi.ts';
import { createMap, MapType } from '../../maps/index.ts';
import { loadNative } from '../../bench/native/native.ts';

const i = process.argv.indexOf('--rounds');
const ROUNDS = i > 0 ? Number(process.argv[i + 1]) : 21;
const d = process.argv.indexOf('--flows');
/** Distinct frames among the 256 (each asks for 8 keys): 256 puts 2048 keys in the map, fewer keep it in L1. */
const FLOWS = d > 0 ? Number(process.argv[d + 1]) : 256;
/** --empty: every lookup misses in an empty map (the firewall's rule maps as bench/jit.ts runs them). */
const EMPTY = process.argv.includes('--empty');
const N = 256, LOOKUPS = 8, REPEAT = 512;

/**
 * Key j of a packet: its first u64 + j, stored as one u64 (a 4-byte key is its low half), then
 * the frame's bytes 8..16 (a 16-byte key). One store per word: a wide load of narrower stores
 * would stall store forwarding in both variants and measure that instead.
 */
function program(map: bigint, lookups: boolean): string {
  let text = `
    r2 = *(u64 *)(r1 + 0)
    r3 = *(u64 *)(r1 + 8)
    r4 = r2
    r4 += 16
    r0 = 0
    if r4 > r3 goto out
    r7 = *(u64 *)(r2 + 0)
    r5 = *(u64 *)(r2 + 8)
    *(u64 *)(r10 - 8) = r5
    r6 = 0`;
  for (let j = 0; j < LOOKUPS; j++) {
    text += `
    r5 = r7
    r5 += ${j}
    *(u64 *)(r10 - 16) = r5
    r2 = r10
    r2 += -16
    r1 = ${map} ll
    ${lookups ? 'call 1' : 'r0 = r2'}
    if r0 == 0 goto +1
    r6 += 1`;
  }
  return `${text}
    r0 = r6
    r0 &= 3
  out:
    exit`;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const native = loadNative();
process.on('exit', () => native.dispose());
const burstRun = helperBindings().burstRunAddress();
const helpers = helperBindings();

for (const keySize of [4, 16] as const) {
  const map = createMap({ name: 'mh', type: MapType.HASH, keySize, valueSize: 8, maxEntries: 4096, cpus: 1 });
  const frames = Array.from({ length: N }, (_, i) => {
    const n = i % FLOWS;
    const f = new Uint8Array(64);
    const v = new DataView(f.buffer);
    v.setUint32(0, (n * 2654435761) >>> 0, true);
    for (let b = 4; b < 16; b++) f[b] = (n * 7 + b) & 0xff;
    return f;
  });
  // Every key the program asks for is present (hits: the walk compares the key too).
  for (const f of EMPTY ? [] : frames) {
    for (let j = 0; j < LOOKUPS; j++) {
      const k = f.slice(0, 16);
      new DataView(k.buffer).setBigUint64(0, BigInt.asUintN(64, new DataView(f.buffer).getBigUint64(0, true) + BigInt(j)), true);
      map.update(k.subarray(0, keySize), new Uint8Array(8));
    }
  }
  const layout = map.hashLayout!;
  const variants: [string, JitOptions, boolean][] = [
    ['none', {}, false],
    ['inlined', { hashMapAt: () => layout }, true],
    ['own lookup', { mapLookupAt: () => map.lookupFn }, true],
    ['helper', { helperAddress: (id) => { const at = helpers.address(id); return at === 0n ? undefined : at; } }, true],
  ];
  const compiled = variants.map(([name, opts, lookups]) => ({ name, p: JitProgram.compile(assemble(program(map.address, lookups)), { rewriteContext: false, ...opts }) }));
  const arena = new FrameArena(N);
  arena.fill(frames, {}, 0n);
  const times = compiled.map(() => [] as number[]);
  for (const c of compiled) native.benchEntry(burstRun, c.p.entry, arena.buffs, arena.verdicts, N, REPEAT); // warm
  const verdicts = compiled.map((c) => { native.benchEntry(burstRun, c.p.entry, arena.buffs, arena.verdicts, N, 1); return arena.verdict(0); });
  if (new Set(verdicts.slice(1)).size !== 1) throw new Error(`the variants disagree: ${verdicts.join(', ')}`);
  for (let r = 0; r < ROUNDS; r++) {
    compiled.forEach((c, k) => times[k]!.push(native.benchEntry(burstRun, c.p.entry, arena.buffs, arena.verdicts, N, REPEAT) / (N * REPEAT)));
  }
  const base = median(times[0]!);
  console.log(`${keySize}-byte keys (4096 buckets, ${EMPTY ? 'empty: all misses' : `${FLOWS * LOOKUPS} present keys`}), ${ROUNDS} rounds: program without lookups ${base.toFixed(2)} ns a packet`);
  compiled.slice(1).forEach((c, k) => {
    const perLookup = times[k + 1]!.map((t, r) => (t - times[0]![r]!) / LOOKUPS);
    console.log(`  ${c.name.padEnd(11)} ${median(perLookup).toFixed(2)} ns a lookup (packet ${median(times[k + 1]!).toFixed(2)} ns)`);
  });
  for (const c of compiled) c.p.free();
  arena.free();
  map.close();
}
