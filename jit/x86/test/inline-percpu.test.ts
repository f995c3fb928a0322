// map_lookup_elem on a per-CPU array inlined (ArrayMapLayout.perCpu): the calling worker's copy,
// values + cpu * cpu_stride + key * elem_size with cpu read from sluice_worker.cpu through %fs
// (maps/map.h, maps/worker.h), NULL past max_entries. Expectations come from the map's contract
// (each worker bumps only its own copy) and from counting the packets here, never from the code
// under test; the helper's lookup (maps/array.c) is the reference the inlined code must match.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import koffi from 'koffi';
import { assemble } from '../../isa/asm.ts';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import type { ArrayMapLayout, JitOptions } from '../compile.ts';
import { hasNativeLibrary, runBurst, runWithMemory } from './native.ts';
import { X } from '../regs.ts';
import { JitProgram } from '../../../dataplane/jit-program.ts';
import { FrameArena } from '../../../dataplane/frame-arena.ts';
import { benchBindings, BENCH_STATS, helperBindings } from '../../../dataplane/ffi.ts';
import { jitEngine } from '../../../dataplane/pipeline/jit-engine.ts';
import { createMap, MapType, u32, type MapHandle } from '../../../maps/index.ts';

const CPUS = 3;
const V6 = 6; // the verdict for "no counter": bench_loop.c counts verdicts 0..6 apart
/** Frame i of a trace: its first byte is the key, its length 60 + key % 8 (so byte counts tell keys apart). */
const frame = (key: number): Uint8Array => { const p = new Uint8Array(60 + (key % 8)); p[0] = key; p[1] = 0xaa; return p; };

/**
 * Per packet, key = data[0]: counts[key] (a u64 in a 4-entry per-CPU array, 8-byte elements) += 1
 * and flows[key] (a 12-entry per-CPU array of 24-byte values {u64 a, u64 packets, u64 bytes}:
 * element size and CPU stride not powers of two) gets packets += 1, bytes += len. The verdict is
 * the key when counts had it, else 6. ctx is the struct sluice_xdp_buff (dataplane/shim/xdp.h)
 * the pipeline's rewrite leaves: data and data_end as u64 loads (compiled with rewriteContext off).
 */
const program = (counts: bigint, flows: bigint): string => `
  r2 = *(u64 *)(r1 + 0)
  r3 = *(u64 *)(r1 + 8)
  r7 = r3
  r7 -= r2
  r4 = r2
  r4 += 1
  r0 = 1
  if r4 > r3 goto out
  r6 = *(u8 *)(r2 + 0)
  *(u32 *)(r10 - 4) = r6
  r2 = r10
  r2 += -4
  r1 = ${flows} ll
  call 1
  if r0 == 0 goto counts
  r1 = *(u64 *)(r0 + 8)
  r1 += 1
  *(u64 *)(r0 + 8) = r1
  r1 = *(u64 *)(r0 + 16)
  r1 += r7
  *(u64 *)(r0 + 16) = r1
counts:
  r2 = r10
  r2 += -4
  r1 = ${counts} ll
  call 1
  r1 = r0
  r0 = ${V6}
  if r1 == 0 goto out
  r2 = *(u64 *)(r1 + 0)
  r2 += 1
  *(u64 *)(r1 + 0) = r2
  r0 = r6
out:
  exit`;

const u64At = (b: Uint8Array, off: number): bigint => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, true);

/** Both maps, fresh (zeroed), with CPUS per-CPU slots. */
function makeMaps(): { counts: MapHandle; flows: MapHandle; close(): void } {
  const counts = createMap({ name: 'pc_counts', type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, cpus: CPUS });
  const flows = createMap({ name: 'pc_flows', type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 24, maxEntries: 12, cpus: CPUS });
  return { counts, flows, close() { counts.close(); flows.close(); } };
}

/** The per-CPU arrays as the JIT is told about them (what dataplane/pipeline/jit-engine.ts builds). */
function layouts(...maps: MapHandle[]): (at: bigint) => ArrayMapLayout | undefined {
  const tpOffset = helperBindings().workerCpuTpOffset();
  const byAddress = new Map(maps.map((m) => [m.address, {
    maxEntries: m.maxEntries, elemSize: (m.valueSize + 7) & ~7, values: m.valueBase, perCpu: { cpuStride: m.cpuStride, tpOffset },
  }]));
  return (at) => byAddress.get(at);
}

/** The maps' contents through the control plane: [cpu][key] → counts, flows' packets and bytes. */
function snapshot(m: ReturnType<typeof makeMaps>): { counts: bigint[][]; packets: bigint[][]; bytes: bigint[][] } {
  const counts = Array.from({ length: CPUS }, () => new Array<bigint>(4).fill(0n));
  const packets = Array.from({ length: CPUS }, () => new Array<bigint>(12).fill(0n));
  const bytes = Array.from({ length: CPUS }, () => new Array<bigint>(12).fill(0n));
  const keyOf = (k: Uint8Array): number => new DataView(k.buffer, k.byteOffset, k.byteLength).getUint32(0, true);
  for (const e of m.counts.dumpPerCpu()) e.values.forEach((v, cpu) => { counts[cpu]![keyOf(e.key)] = u64At(v, 0); });
  for (const e of m.flows.dumpPerCpu()) {
    const k = keyOf(e.key);
    e.values.forEach((v, cpu) => { packets[cpu]![k] = u64At(v, 8); bytes[cpu]![k] = u64At(v, 16); });
  }
  return { counts, packets, bytes };
}

function objdump(code: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pcpu-'));
  try {
    writeFileSync(join(dir, 'code.bin'), code);
    return execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386:x86-64', join(dir, 'code.bin')], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bytes of `mov r32, fs:[tpOffset]` for some register: 64 [44] 8b modrm(mod 00, rm 100) 25 disp32. */
function findFsLoads(code: Uint8Array, tpOffset: number): number {
  const disp = [tpOffset & 0xff, (tpOffset >> 8) & 0xff, (tpOffset >> 16) & 0xff, (tpOffset >>> 24) & 0xff];
  let n = 0;
  for (let i = 0; i + 8 <= code.length; i++) {
    const rex = code[i + 1] === 0x44 ? 1 : 0;
    if (code[i] !== 0x64 || code[i + 1 + rex] !== 0x8b || ((code[i + 2 + rex]! & 0xc7) !== 0x04) || code[i + 3 + rex] !== 0x25) continue;
    if (disp.every((b, j) => code[i + 4 + rex + j] === b)) n++;
  }
  return n;
}

if (requires('inlined per-CPU array lookups', hasNativeLibrary())) {
  const h = helperBindings();
  // Keys: counted ones (0-3), ones only flows has (4-11), one past both, one far past (u8 max).
  const keys = [0, 1, 2, 3, 4, 7, 11, 12, 255];
  const packets = [0, 1, 1, 2, 3, 3, 3, 4, 7, 11, 11, 12, 255, 0].map(frame);

  test('the offset of sluice_worker.cpu from %fs is one constant, in disp32 range and within the static TLS area', () => {
    const off = h.workerCpuTpOffset();
    assert.ok(Number.isInteger(off) && off < 0 && off > -(1 << 20), `x86-64 TLS (variant II) sits below the thread pointer: ${off}`);
    assert.is(h.workerCpuTpOffset(), off);
  });

  for (const blindConstants of [false, true]) {
    test(`each worker slot bumps its own copies, as the helper's lookup does${blindConstants ? ' (blinded)' : ''}`, () => {
      const inl = makeMaps(), ref = makeMaps();
      try {
        // Inlined: helper 1 is not even known, so a lookup that is not inlined fails to compile.
        const inlined: JitOptions = { rewriteContext: false, arrayMapAt: layouts(inl.counts, inl.flows), blindConstants };
        const helper: JitOptions = { rewriteContext: false, helperAddress: (id) => { const at = h.address(id); return at === 0n ? undefined : at; } };
        const want = { counts: [] as bigint[][], packets: [] as bigint[][], bytes: [] as bigint[][] };
        for (let cpu = 0; cpu < CPUS; cpu++) {
          want.counts.push(new Array<bigint>(4).fill(0n)); want.packets.push(new Array<bigint>(12).fill(0n)); want.bytes.push(new Array<bigint>(12).fill(0n));
        }
        // CPU 1 runs the packets once, CPU 2 twice, CPU 0 three times: every slot's counts differ.
        for (const [cpu, rounds] of [[1, 1], [2, 2], [0, 3]] as const) {
          h.workerSet(cpu);
          for (let r = 0; r < rounds; r++) {
            const a = runBurst(assemble(program(inl.counts.address, inl.flows.address)), packets, inlined);
            const b = runBurst(assemble(program(ref.counts.address, ref.flows.address)), packets, helper);
            assert.equal(a.verdicts, b.verdicts, `CPU ${cpu}: verdicts as through the helper`);
            assert.equal(a.verdicts, packets.map((p) => (p[0]! < 4 ? p[0]! : V6)), 'the key is the verdict when counted, else 6 (NULL)');
          }
          for (const p of packets) {
            const k = p[0]!;
            if (k < 4) want.counts[cpu]![k]! += BigInt(rounds);
            if (k < 12) { want.packets[cpu]![k]! += BigInt(rounds); want.bytes[cpu]![k]! += BigInt(rounds * p.length); }
          }
        }
        assert.equal(snapshot(inl), want, 'inlined: each CPU\'s own counts in the per-CPU dump');
        assert.equal(snapshot(ref), want, 'through the helper: the same');
      } finally {
        h.workerSet(0);
        inl.close(); ref.close();
      }
    });
  }

  test('out-of-range keys give NULL: the bound is max_entries, the key an unsigned u32; the address is the worker\'s copy', () => {
    const m = makeMaps();
    try {
      const lookup = (key: number, map = m.flows): string => `
        *(u32 *)(r10 - 4) = ${key}
        r2 = r10
        r2 += -4
        r1 = ${map.address} ll
        call 1
        if r0 == 0 goto none
        r0 -= ${map.valueBase}
        exit
      none:
        r0 = -1
        exit`;
      const stride = m.flows.cpuStride;
      assert.ok(stride >= 12n * 24n, `stride ${stride} holds one CPU's 12 values`);
      // Also under other register maps (the scratch registers are eBPF r1 and r3, wherever they sit) and blinded.
      const { RAX, RDI, RSI, RDX, RCX, R8, RBX, R13, R14, R15, RBP } = X;
      for (const registerMap of [undefined, [R8, RCX, RDX, RSI, RDI, RAX, R15, R14, R13, RBX, RBP], [RDX, RDI, RCX, RAX, RSI, R8, R13, RBX, R15, R14, RBP]]) {
        for (const blindConstants of [false, true]) {
          const opts: JitOptions = { arrayMapAt: layouts(m.counts, m.flows), registerMap, blindConstants };
          const what = `${registerMap ? `register map ${registerMap.join(',')}` : 'standard registers'}${blindConstants ? ', blinded' : ''}`;
          h.workerSet(2);
          assert.is(runWithMemory(assemble(lookup(11)), new Uint8Array(0), opts).r0, 2n * stride + 11n * 24n, `the last key, CPU 2 (${what})`);
          for (const key of [12, 13, 0x7fffffff, -1]) assert.is(runWithMemory(assemble(lookup(key)), new Uint8Array(0), opts).r0, 0xffffffffffffffffn, `key ${key >>> 0} (${what})`);
          h.workerSet(1);
          assert.is(runWithMemory(assemble(lookup(5)), new Uint8Array(0), opts).r0, stride + 5n * 24n, `key 5, CPU 1 (${what})`);
          assert.is(runWithMemory(assemble(lookup(3, m.counts)), new Uint8Array(0), opts).r0, m.counts.cpuStride + 3n * 8n, `counts (8-byte values) key 3, CPU 1 (${what})`);
          assert.is(runWithMemory(assemble(lookup(4, m.counts)), new Uint8Array(0), opts).r0, 0xffffffffffffffffn, `counts key 4 (${what})`);
          h.workerSet(0);
          assert.is(runWithMemory(assemble(lookup(0)), new Uint8Array(0), opts).r0, 0n, `key 0, CPU 0: the start of the storage (${what})`);
        }
      }
    } finally {
      h.workerSet(0);
      m.close();
    }
  });

  if (requires('the per-CPU lookup\'s code against objdump', hasCommand('objdump'))) {
    test('the emitted code: one %fs load of the worker\'s cpu per lookup, no call', () => {
      const m = makeMaps();
      try {
        const tpOffset = h.workerCpuTpOffset();
        const p = JitProgram.compile(assemble(program(m.counts.address, m.flows.address)), { rewriteContext: false, arrayMapAt: layouts(m.counts, m.flows) });
        try {
          const text = objdump(p.jit.code);
          const disp = `%fs:0x${BigInt.asUintN(64, BigInt(tpOffset)).toString(16)}`;
          const loads = text.split('\n').filter((l) => /\tmov\s+%fs:/.test(l));
          assert.is(loads.length, 2, 'two lookups, two loads of the cpu');
          for (const l of loads) assert.match(l, new RegExp(`mov\\s+${disp},%e[a-z]+$`), 'a 32-bit load at the absolute offset');
          assert.is(findFsLoads(p.jit.code, tpOffset), 2, 'the bytes: 64 8b /r with SIB [disp32]');
          assert.not.match(text, /\tcall/, 'no call left');
        } finally { p.free(); }
      } finally { m.close(); }
    });
  }

  test('the pipeline\'s JIT engine inlines per-CPU arrays (and runs them on the worker\'s slot)', () => {
    const m = makeMaps();
    const arena = new FrameArena(packets.length);
    const engine = jitEngine(assemble(program(m.counts.address, m.flows.address)), [m.counts, m.flows]);
    try {
      assert.is(findFsLoads(engine.native!.code, h.workerCpuTpOffset()), 2);
      h.workerSet(1);
      arena.fill(packets, {}, 0n);
      engine.runBurst(arena, packets.length);
      const got = snapshot(m);
      const count = (k: number): bigint => BigInt(packets.filter((p) => p[0] === k).length);
      assert.equal(got.counts[1], [0, 1, 2, 3].map(count));
      assert.equal(got.counts[0], [0n, 0n, 0n, 0n]);
      assert.equal(got.counts[2], [0n, 0n, 0n, 0n]);
    } finally {
      h.workerSet(0);
      engine.free(); arena.free(); m.close();
    }
  });

  test('two native worker threads (cpu 0 and 1) at once: each CPU\'s counts are exactly its worker\'s packets', async () => {
    const m = makeMaps();
    const p = JitProgram.compile(assemble(program(m.counts.address, m.flows.address)), { rewriteContext: false, arrayMapAt: layouts(m.counts, m.flows) });
    // A trace of counted keys and one that is not; large typed arrays: their memory never moves.
    const trace = Array.from({ length: 64 }, (_, i) => frame([0, 1, 1, 2, 3, 3, 3, 200][i % 8]!));
    const src = new Uint8Array(trace.reduce((n, f) => n + f.length, 0));
    const offs = new Uint32Array(64), lens = new Uint32Array(64);
    trace.reduce((at, f, i) => { src.set(f, at); offs[i] = at; lens[i] = f.length; return at + f.length; }, 0);
    const b = benchBindings();
    const NSTAT = BENCH_STATS.length, DONE = BENCH_STATS.indexOf('done'), V0 = BENCH_STATS.indexOf('ABORTED');
    const stats = new BigUint64Array(2 * NSTAT);
    const run = b.start(p.entry, 2, src, offs, lens, trace.length, 32, 150_000_000n, 0n, null, 0, -1);
    try {
      assert.ok(run !== 0n, 'the bench loop started');
      const started = Date.now();
      for (;;) {
        b.poll(run, stats);
        if (stats[DONE] !== 0n && stats[NSTAT + DONE] !== 0n) break;
        if (Date.now() - started > 20_000) { b.stop(run); }
        await sleep(10);
      }
      b.join(run);
      assert.ok(stats[DONE] === 1n && stats[NSTAT + DONE] === 1n, 'both workers ran');
      const got = snapshot(m);
      for (const w of [0, 1]) {
        const verdicts = [0, 1, 2, 3].map((k) => stats[w * NSTAT + V0 + k]!);
        assert.ok(verdicts.every((v) => v > 0n) && stats[w * NSTAT + V0 + V6]! > 0n, `worker ${w} saw every key`);
        assert.equal(got.counts[w], verdicts, `CPU ${w}: its worker's verdict counts`);
        assert.equal(got.packets[w]!.slice(0, 4), verdicts, `CPU ${w}: flows' packets`);
        assert.equal(got.bytes[w]!.slice(0, 4), verdicts.map((v, k) => v * BigInt(frame(k).length)), `CPU ${w}: flows' bytes`);
      }
      assert.equal(got.counts[2], [0n, 0n, 0n, 0n], 'no worker had CPU 2');
      assert.ok(got.packets.every((row) => row.slice(4).every((v) => v === 0n)), 'key 200 counted nowhere');
    } finally {
      p.free(); m.close();
    }
  });

  // Last: with a broken stride or cpu this one reads unmapped memory and ends the process.
  test('CPU strides past 32 bits (imul through a register, blinded too): the worker\'s copy still found', () => {
    // A made-up layout: values lies `stride` below a real buffer, so CPU 1's copies are that buffer.
    const buf = koffi.alloc('uint8_t', 32) as bigint;
    try {
      const view = new DataView(koffi.view(buf, 32) as ArrayBuffer);
      for (let i = 0; i < 4; i++) view.setBigUint64(i * 8, BigInt(500 + i), true);
      const tpOffset = h.workerCpuTpOffset();
      h.workerSet(1);
      for (const stride of [0x9000_0000n, 0x1_0000_0080n, 0x7fff_fff8n, 384n]) {
        for (const blindConstants of [false, true]) {
          const layout: ArrayMapLayout = { maxEntries: 4, elemSize: 8, values: buf - stride, perCpu: { cpuStride: stride, tpOffset } };
          const opts: JitOptions = { arrayMapAt: () => layout, blindConstants };
          const text = (key: number): string => `*(u32 *)(r10 - 4) = ${key}\nr2 = r10\nr2 += -4\nr1 = 0x5000 ll\ncall 1\nif r0 == 0 goto +2\nr0 = *(u64 *)(r0 + 0)\nexit\nr0 = 99\nexit`;
          assert.is(runWithMemory(assemble(text(3)), new Uint8Array(0), opts).r0, 503n, `stride 0x${stride.toString(16)}${blindConstants ? ', blinded' : ''}`);
          assert.is(runWithMemory(assemble(text(4)), new Uint8Array(0), opts).r0, 99n);
        }
      }
    } finally {
      h.workerSet(0);
      koffi.free(buf);
    }
  });
}

test.run();
