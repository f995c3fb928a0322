// Multi-buffer (xdp.frags) frames: FrameArena splits a packet longer than the
// linear room (4096 - 256 headroom - 320 skb_shared_info = 3520 bytes) into
// fragments of up to 4096 bytes, at most 17 (MAX_SKB_FRAGS), as the kernel's
// BPF_PROG_TEST_RUN does with data_in; bpf_xdp_get_buff_len, bpf_xdp_load_bytes
// and bpf_xdp_store_bytes see the whole packet with the kernel's error codes
// (linux/bpf.h; net/core/filter.c bpf_xdp_pointer: offset or len > 0xffff
// -EFAULT, offset + len beyond the packet -EINVAL). xdp-frags.bpf runs through
// sluice (both engines) and, as root with bpftool, through the kernel.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasCommand, isRoot, requires } from '../../../scripts/testkit/skip.ts';
import { E, Fn, NativeBuf, call, hasNativeLibrary, signed } from '../../../maps/test/native.ts';
import { FrameArena, MAX_PACKET, OversizedPacketError } from '../../frame-arena.ts';
import { loadObject } from '../../runtime.ts';
import { ENGINE_KINDS } from '../../pipeline/engine.ts';

/** The kernel's linear room in a test run: a page less the headroom and skb_shared_info. */
const LINEAR = 4096 - 256 - 320;
const PAGE = 4096, MAX_SKB_FRAGS = 17, XDP_BUFF = 64;
const JUMBO = 9000;

const pkt = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3 + (i >> 8)) & 0xff);
const ctxOf = (arena: FrameArena, i: number) => arena.buffs + BigInt(i * XDP_BUFF);

/** Calls load_bytes into native scratch memory; returns [rc, bytes]. */
function load(arena: FrameArena, i: number, offset: number, len: number, scratch: NativeBuf): [number, Uint8Array] {
  scratch.bytes.fill(0);
  const rc = signed(call(Fn.xdp_load_bytes, ctxOf(arena, i), offset, scratch.address, len));
  return [rc, scratch.bytes.slice(0, len)];
}

if (requires('multi-buffer frames', hasNativeLibrary())) {
  test('a packet beyond the linear room: the first 3520 bytes linear, the rest in 4096-byte fragments', () => {
    assert.is(MAX_PACKET, LINEAR);
    const arena = new FrameArena(4);
    try {
      const small = pkt(100), jumbo = pkt(JUMBO), exact = pkt(LINEAR);
      arena.fill([small, jumbo, exact], {}, 0n);
      assert.is(arena.fragmentBytes(0), 0);
      assert.is(arena.fragmentBytes(1), JUMBO - LINEAR);
      assert.is(arena.fragmentBytes(2), 0, 'exactly the linear room: no fragments');
      assert.equal(arena.packet(1), jumbo, 'linear part and fragments, in order');
      assert.equal(arena.packet(0), small);
      assert.is(Number(call(Fn.xdp_get_buff_len, ctxOf(arena, 0))), 100);
      assert.is(Number(call(Fn.xdp_get_buff_len, ctxOf(arena, 1))), JUMBO);
      assert.is(Number(call(Fn.xdp_get_buff_len, ctxOf(arena, 2))), LINEAR);
    } finally { arena.free(); }
  });

  test('load_bytes and store_bytes across the linear part and fragment boundaries; the kernel error codes', () => {
    const arena = new FrameArena(1), scratch = new NativeBuf(0x10000);
    try {
      const jumbo = pkt(JUMBO);
      arena.fill([jumbo], {}, 0n);
      const cases: [number, number][] = [[0, 16], [LINEAR - 5, 10], [LINEAR, 8], [LINEAR + PAGE - 3, 7], [JUMBO - 8, 8],
        [LINEAR - 2, PAGE + 4], [JUMBO - 1, 1]];
      for (const [off, len] of cases) {
        const [rc, bytes] = load(arena, 0, off, len, scratch);
        assert.is(rc, 0, `load ${len} at ${off}`);
        assert.equal(bytes, jumbo.slice(off, off + len), `load ${len} at ${off}`);
      }
      assert.is(load(arena, 0, JUMBO - 4, 8, scratch)[0], E.EINVAL, 'beyond the end');
      assert.is(load(arena, 0, JUMBO, 1, scratch)[0], E.EINVAL, 'at the end');
      assert.is(load(arena, 0, 0x10000, 1, scratch)[0], E.EFAULT, 'offset above 0xffff');
      assert.is(load(arena, 0, 0, 0x10000, scratch)[0], E.EFAULT, 'len above 0xffff');
      // store 10 bytes across the linear/fragment boundary and 6 across fragments 0 and 1
      const expected = jumbo.slice();
      const put = (off: number, bytes: Uint8Array) => {
        scratch.bytes.set(bytes);
        const rc = signed(call(Fn.xdp_store_bytes, ctxOf(arena, 0), off, scratch.address, bytes.length));
        if (rc === 0) expected.set(bytes, off);
        return rc;
      };
      assert.is(put(LINEAR - 4, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])), 0);
      assert.is(put(LINEAR + PAGE - 2, Uint8Array.from([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff])), 0);
      assert.is(put(JUMBO - 1, Uint8Array.from([0x5a])), 0);
      assert.is(put(JUMBO - 1, Uint8Array.from([1, 2])), E.EINVAL);
      assert.equal(arena.packet(0), expected);
      // adjust_tail: the last fragment (9000 - 3520 - 4096 = 1384 bytes) grows within its 4096-byte page
      const lastFrag = JUMBO - LINEAR - PAGE;
      assert.is(signed(call(Fn.xdp_adjust_tail, ctxOf(arena, 0), PAGE - lastFrag + 1)), E.EINVAL, 'beyond the last page');
      assert.equal(arena.packet(0), expected, 'a failed adjust_tail changes nothing');
      assert.is(signed(call(Fn.xdp_adjust_tail, ctxOf(arena, 0), PAGE - lastFrag)), 0);
      assert.equal(arena.packet(0), Uint8Array.from([...expected, ...new Uint8Array(PAGE - lastFrag)]), 'grown with zeros');
      // shrinking drops both fragments and 20 linear bytes
      assert.is(signed(call(Fn.xdp_adjust_tail, ctxOf(arena, 0), -(2 * PAGE + 20))), 0);
      assert.is(arena.fragmentBytes(0), 0);
      assert.equal(arena.packet(0), expected.slice(0, LINEAR - 20));
      assert.is(Number(call(Fn.xdp_get_buff_len, ctxOf(arena, 0))), LINEAR - 20);
    } finally { arena.free(); scratch.free(); }
  });

  test('at most 17 fragments: 3520 + 17 × 4096 bytes fit, one more does not (the kernel: ENOMEM)', () => {
    const arena = new FrameArena(2);
    try {
      const max = LINEAR + MAX_SKB_FRAGS * PAGE;
      arena.fill([pkt(max), pkt(60)], {}, 0n);
      assert.is(Number(call(Fn.xdp_get_buff_len, ctxOf(arena, 0))), max);
      assert.equal(arena.packet(0), pkt(max));
      assert.throws(() => arena.fill([pkt(60), pkt(max + 1)], {}, 0n),
        (e: unknown) => e instanceof OversizedPacketError && /packet 1 has 73153 bytes/.test((e as Error).message));
    } finally { arena.free(); }
  });
}

// --- xdp-frags.bpf through sluice, and through the kernel --------------------

/** adjust_tail deltas on a 9000-byte frame whose last fragment holds 1384 bytes of a 4096-byte page. */
const TAIL_DELTAS = [10, 2712, 2713, -10, -1384, -1385, -5480, -5490, -(JUMBO - 14), -(JUMBO - 13)];

function tailInput(delta: number): Uint8Array {
  const p = pkt(JUMBO);
  new DataView(p.buffer).setInt32(0, delta, true);
  return p;
}

/** xdp-frags.bpf's `tail` per the kernel's rules: grow the last fragment within its page, shrink to 14 bytes at least. */
function expectedTail(input: Uint8Array): { retval: number; out: Uint8Array } {
  const delta = new DataView(input.buffer).getInt32(0, true);
  const lastFrag = (input.length - LINEAR) % PAGE || PAGE;
  const ok = delta >= 0 ? delta <= PAGE - lastFrag : -delta <= input.length - 14;
  const out = new Uint8Array(ok ? input.length + delta : input.length);
  out.set(input.subarray(0, Math.min(out.length, input.length)));
  new DataView(out.buffer).setInt32(4, ok ? 0 : E.EINVAL, true);
  return { retval: out.length, out };
}

/** What xdp-frags.bpf's `frags` program does to `input` (from its comment), with lin the linear part. */
function expectedFrags(input: Uint8Array, lin: number): Uint8Array {
  const out = input.slice(), v = new DataView(out.buffer), len = input.length;
  v.setUint32(14, lin, true);
  v.setInt32(18, E.EINVAL, true);
  v.setInt32(22, E.EINVAL, true);
  out.set(input.slice(len - 8), 26);
  out[len - 17] = ~input[len - 1]! & 0xff;
  out.set(input.slice(lin + 4092, lin + 4100), 34);
  out.set(input.slice(lin - 8, lin + 8), len - 16);
  return out;
}

const source = fileURLToPath(new URL('./xdp-frags.bpf', import.meta.url));

if (requires('xdp.frags programs (clang)', hasCommand('clang'), hasNativeLibrary())) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-frags-'));
  const obj = join(dir, 'xdp-frags.o');
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-D__x86_64__', '-x', 'c', '-c', source, '-o', obj]);
  const input = pkt(JUMBO);

  for (const engine of ENGINE_KINDS) {
    test(`${engine}: SEC("xdp.frags") reads and writes the fragments, returns bpf_xdp_get_buff_len`, () => {
      const o = loadObject(obj, { engine, cpus: 1 });
      try {
        const r = o.program('frags').run(input);
        assert.is(r.retval, JUMBO);
        assert.equal(r.data, expectedFrags(input, LINEAR));
        // a program without frags gets the same split frame: the kernel's test run splits for every XDP program
        assert.is(o.program('linear').run(input).retval, JUMBO);
        assert.is(o.program('frags').run(pkt(1000)).retval, 1, 'a linear frame: XDP_DROP by the program\'s first check');
        for (const delta of TAIL_DELTAS) {
          const data = tailInput(delta), want = expectedTail(data), r2 = o.program('tail').run(data);
          assert.is(r2.retval, want.retval, `adjust_tail(${delta})`);
          assert.equal(r2.data, want.out, `adjust_tail(${delta})`);
        }
      } finally { o.close(); }
    });
  }

  if (requires('xdp.frags against the kernel (BPF_PROG_TEST_RUN)', isRoot(), hasCommand('bpftool'))) {
    const pinDir = `/sys/fs/bpf/sluice_frags_test_${process.pid}`;
    const kernelRun = (prog: string, data: Uint8Array): { retval: number; out: Uint8Array; error: string } => {
      writeFileSync(join(dir, 'in'), data);
      const r = spawnSync('bpftool', ['prog', 'run', 'pinned', `${pinDir}/${prog}`, 'data_in', join(dir, 'in'), 'data_out', join(dir, 'out'),
        'data_size_out', String(data.length + PAGE)], { encoding: 'utf8' });
      const retval = Number(/Return value: (\d+)/.exec(r.stdout)?.[1] ?? NaN);
      return { retval, out: r.status === 0 ? new Uint8Array(readFileSync(join(dir, 'out'))) : new Uint8Array(), error: r.stderr };
    };
    test('the kernel: same verdict, same bytes out, same limit', () => {
      execFileSync('bpftool', ['prog', 'loadall', obj, pinDir]);
      try {
        const k = kernelRun('frags', input);
        assert.is(k.retval, JUMBO);
        assert.equal(k.out, expectedFrags(input, LINEAR), 'the kernel agrees with the expectation');
        const o = loadObject(obj, { cpus: 1 });
        try {
          assert.equal(o.program('frags').run(input).data, k.out);
          assert.is(kernelRun('linear', input).retval, o.program('linear').run(input).retval);
        } finally { o.close(); }
        for (const delta of TAIL_DELTAS) {
          const data = tailInput(delta), want = expectedTail(data);
          const kr = kernelRun('tail', data);
          assert.is(kr.retval, want.retval, `kernel adjust_tail(${delta})`);
          assert.equal(kr.out, want.out, `kernel adjust_tail(${delta})`);
        }
        const over = kernelRun('linear', pkt(LINEAR + MAX_SKB_FRAGS * PAGE + 1));
        assert.ok(Number.isNaN(over.retval) && /Cannot allocate memory/.test(over.error), `kernel: ${over.error}`);
      } finally { rmSync(pinDir, { recursive: true, force: true }); }
    });
  }

  test.after(() => rmSync(dir, { recursive: true, force: true }));
}

test.run();
