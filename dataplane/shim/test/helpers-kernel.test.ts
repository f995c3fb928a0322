// sluice's helpers against the kernel's: helpers-kern.c runs the same inputs
// through BPF_PROG_TEST_RUN (bpftool prog run) that these tests pass to the
// native helpers, and the packets out must match byte for byte. The kernel's
// test-run frame: 256 bytes of headroom, data can grow to 3520 bytes, output
// starts at data_meta.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasCommand, isRoot, requires } from '../../../scripts/testkit/skip.ts';
import { Fn, NativeBuf, call, hasNativeLibrary } from '../../../maps/test/native.ts';

const HEADROOM = 256, MAX_DATA = 3520;
const source = fileURLToPath(new URL('./helpers-kern.c', import.meta.url));
const pinDir = `/sys/fs/bpf/sluice_helpers_test_${process.pid}`;

function kernelRun(dir: string, prog: string, input: Uint8Array): { verdict: number; out: Uint8Array } {
  const inPath = join(dir, 'in'), outPath = join(dir, 'out');
  writeFileSync(inPath, input);
  const text = execFileSync('bpftool', ['prog', 'run', 'pinned', `${pinDir}/${prog}`, 'data_in', inPath, 'data_out', outPath], { encoding: 'utf8' });
  return { verdict: Number(/Return value: (\d+)/.exec(text)?.[1]), out: new Uint8Array(readFileSync(outPath)) };
}

/** The same as helpers-kern.c's `adjust`, with the native helpers on a frame shaped like the kernel's. */
function sluiceAdjust(input: Uint8Array): { verdict: number; out: Uint8Array } {
  const mem = new NativeBuf(64 + HEADROOM + MAX_DATA);
  try {
    const ctx = new DataView(mem.bytes.buffer, mem.bytes.byteOffset, 64);
    const hard = mem.at(64);
    mem.bytes.set(input, 64 + HEADROOM);
    ctx.setBigUint64(0, hard + BigInt(HEADROOM), true);
    ctx.setBigUint64(8, hard + BigInt(HEADROOM + input.length), true);
    ctx.setBigUint64(16, hard + BigInt(HEADROOM), true);
    ctx.setBigUint64(24, hard, true);
    ctx.setBigUint64(32, hard + BigInt(HEADROOM + MAX_DATA), true);
    const args = new DataView(input.buffer, input.byteOffset);
    const delta = args.getInt32(0, true), which = args.getUint32(4, true);
    const id = which === 0 ? Fn.xdp_adjust_head : which === 1 ? Fn.xdp_adjust_tail : Fn.xdp_adjust_meta;
    const r = call(id, mem.address, BigInt.asUintN(64, BigInt(delta)));
    const at = (off: number) => Number(ctx.getBigUint64(off, true) - hard) + 64;
    const data = at(0), end = at(8), meta = at(16);
    if (data + 8 > end) return { verdict: 1, out: mem.bytes.slice(meta, end) };
    new DataView(mem.bytes.buffer, mem.bytes.byteOffset + data, 8).setBigUint64(0, r, true);
    return { verdict: 2, out: mem.bytes.slice(meta, end) };
  } finally { mem.free(); }
}

function packet(len: number, delta: number, which: number): Uint8Array {
  const p = Uint8Array.from({ length: len }, (_, i) => (i * 13 + 5) & 0xff);
  const v = new DataView(p.buffer);
  v.setInt32(0, delta, true);
  v.setUint32(4, which, true);
  return p;
}

if (requires('helpers against the kernel (BPF_PROG_TEST_RUN)', isRoot(), hasCommand('bpftool'), hasCommand('clang'), hasNativeLibrary())) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-helpers-'));
  test.before(() => {
    rmSync(pinDir, { recursive: true, force: true });
    const obj = join(dir, 'helpers-kern.o');
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-D__x86_64__', '-c', source, '-o', obj]);
    execFileSync('bpftool', ['prog', 'loadall', obj, pinDir, 'type', 'xdp']);
  });
  test.after(() => {
    rmSync(pinDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  test('xdp_adjust_head, _tail and _meta: same results and packets at and around every limit', () => {
    const L = 60;
    const cases: [number, number][] = [
      // adjust_head: headroom less the xdp_frame; the packet keeps ETH_HLEN
      [0, -216], [0, -217], [0, -1], [0, 0], [0, L - 14], [0, L - 13], [0, 8], [0, -256], [0, 0x7fffffff],
      // adjust_tail: growth to 3520 bytes of data, shrink to 14 bytes
      [1, MAX_DATA - L], [1, MAX_DATA - L + 1], [1, 100], [1, -(L - 14)], [1, -(L - 13)], [1, -1], [1, 0],
      // adjust_meta: multiples of 4 up to 32, inside the headroom
      [2, -4], [2, -3], [2, -32], [2, -36], [2, 4], [2, 0], [2, -216], [2, -2],
    ];
    for (const [which, delta] of cases) {
      const input = packet(L, delta, which);
      const k = kernelRun(dir, 'adjust', input);
      const u = sluiceAdjust(input);
      const what = `${['adjust_head', 'adjust_tail', 'adjust_meta'][which]}(${delta})`;
      assert.is(u.verdict, k.verdict, `${what}: verdict`);
      assert.is(u.out.length, k.out.length, `${what}: length`);
      assert.equal(u.out, k.out, `${what}: bytes`);
    }
  });

  test('csum_diff: the same 32-bit value as the kernel for random words and seeds', () => {
    let seed = 99;
    const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
    const mem = new NativeBuf(32);
    try {
      for (let i = 0; i < 40; i++) {
        const input = new Uint8Array(28);
        const v = new DataView(input.buffer);
        for (let o = 0; o < 28; o += 4) v.setUint32(o, i % 5 === 0 ? 0xffffffff : rnd(), true);
        const k = kernelRun(dir, 'csum', input);
        assert.is(k.verdict, 2);
        mem.bytes.set(input);
        const r = call(Fn.csum_diff, mem.at(8), 8, mem.at(16), 12, v.getUint32(0, true));
        assert.is(r, new DataView(k.out.buffer).getBigUint64(0, true), `case ${i}`);
      }
    } finally { mem.free(); }
  });
}

test.run();
