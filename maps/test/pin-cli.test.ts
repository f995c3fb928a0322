// `sluice map` against a dataplane running in another process: a child loads
// examples/firewall.o with its maps pinned and runs a frame in a loop; this
// test blocks the frame's source through `sluice map update`, sees the child's
// verdict change, and reads the child's counters through `sluice map dump`.
// Then the errors (exit 1) and usage errors (exit 2), stale pins, cleanup, and
// a LIBBPF_PIN_BY_NAME map kept across reloads.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadObject } from '../../dataplane/runtime.ts';
import { hasCommand, requires } from '../../scripts/testkit/skip.ts';
import { hasNativeLibrary } from './native.ts';

const CHILD = fileURLToPath(new URL('./pin-child.ts', import.meta.url));
const BIN = fileURLToPath(new URL('../../dataplane/cli/bin.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sluice-pin-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Ethernet + IPv4 (10.1.2.3 -> 10.0.0.1) + UDP to port 80: the firewall passes it while nothing blocks 10.1.2.3. */
function frame(): string {
  const eth = '020000000002' + '020000000001' + '0800';
  const ip = '4500001c' + '00000000' + '4011' + '0000' + '0a010203' + '0a000001';
  const udp = '04d2' + '0050' + '0008' + '0000';
  return eth + ip + udp;
}

function sluice(...args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, 'map', ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

class Child {
  readonly proc: ChildProcessWithoutNullStreams;
  private buf = '';
  private waiters: Array<() => void> = [];
  constructor(pinDir: string) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', CHILD, pinDir, frame()]);
    this.proc.stdout.on('data', (d) => { this.buf += String(d); for (const w of this.waiters.splice(0)) w(); });
    this.proc.stderr.on('data', (d) => process.stderr.write(d));
  }
  /** Waits for a line matching re (10 s at most). */
  async line(re: RegExp): Promise<RegExpMatchArray> {
    const end = Date.now() + 10_000;
    for (;;) {
      const m = this.buf.split('\n').map((l) => re.exec(l)).find((x) => x);
      if (m) return m;
      if (Date.now() > end) throw new Error(`child never printed ${re} (got: ${this.buf})`);
      await new Promise<void>((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 100); });
    }
  }
  send(text: string): void { this.proc.stdin.write(`${text}\n`); }
  exited(): Promise<number | null> {
    return this.proc.exitCode !== null ? Promise.resolve(this.proc.exitCode) : new Promise((r) => this.proc.on('exit', r));
  }
}

const sumU64 = (values: Array<{ value: string[] }>): bigint =>
  values.reduce((s, v) => s + BigInt(`0x${v.value.map((b) => b.slice(2)).reverse().join('')}`), 0n);

if (requires('sluice map against another process', hasNativeLibrary())) {
  test('update a running dataplane\'s blocklist and read its counters', async () => {
    const pins = join(dir, 'live');
    const child = new Child(pins);
    try {
      await child.line(/^ready$/);
      await child.line(/^verdict 2$/); // XDP_PASS: nothing blocks 10.1.2.3 yet

      const list = sluice('list', '--pin-dir', pins, '--json');
      assert.is(list.status, 0, list.err);
      const listed = JSON.parse(list.out) as Array<{ name: string; type: string; pid: number; bytes_key: number }>;
      assert.equal(listed.map((p) => p.name).sort(), ['blocked_net_v4', 'blocked_net_v6', 'blocked_v4', 'blocked_v6', 'fw_reasons', 'fw_verdicts', 'port_rules']);
      assert.ok(listed.every((p) => p.pid === child.proc.pid), 'owned by the child');

      const up = sluice('update', 'blocked_v4', 'key', '0a', '01', '02', '03', 'value', '00', '00', '00', '00', '00', '00', '00', '00', '--pin-dir', pins);
      assert.is(up.status, 0, up.err);
      await child.line(/^verdict 1$/); // XDP_DROP from now on
      child.send('stop');
      const [, pass = '', drop = ''] = await child.line(/^counts (\d+) (\d+)$/);
      assert.ok(Number(pass) > 0 && Number(drop) > 0, `ran both ways: ${pass} passed, ${drop} dropped`);

      // fw_verdicts[XDP_DROP=1] and [XDP_PASS=2], summed over the CPUs, are the child's own counts
      const dump = sluice('dump', 'fw_verdicts', '--pin-dir', pins, '--json');
      assert.is(dump.status, 0, dump.err);
      const entries = JSON.parse(dump.out) as Array<{ key: string[]; values: Array<{ cpu: number; value: string[] }> }>;
      assert.is(entries.length, 5, 'one entry per XDP action');
      assert.equal(entries[1]!.values.map((v) => v.cpu), [0, 1]);
      assert.is(sumU64(entries[1]!.values), BigInt(drop));
      assert.is(sumU64(entries[2]!.values), BigInt(pass));
      // and the rule's hit counter (a u64 the program adds to) counted every drop
      const hits = sluice('lookup', 'blocked_v4', 'key', '0a010203', '--pin-dir', pins);
      assert.is(hits.status, 0, hits.err);
      const le = Buffer.alloc(8);
      le.writeBigUInt64LE(BigInt(drop));
      assert.is(hits.out, `key: 0a 01 02 03  value: ${[...le].map((b) => b.toString(16).padStart(2, '0')).join(' ')}\n`);
      const plain = sluice('dump', 'blocked_v4', '--pin-dir', pins);
      assert.ok(plain.out.endsWith('Found 1 element\n'), plain.out);

      // errors: exit 1 with what is wrong
      let r = sluice('dump', 'nosuch', '--pin-dir', pins);
      assert.is(r.status, 1);
      assert.match(r.err, /no pinned map 'nosuch'/);
      r = sluice('lookup', 'blocked_v4', 'key', '01', '02', '03', '--pin-dir', pins);
      assert.is(r.status, 1);
      assert.match(r.err, /key is 3 bytes, expected 4/);
      r = sluice('lookup', 'blocked_v4', 'key', '01', '02', '03', '04', '--pin-dir', pins);
      assert.is(r.status, 1);
      assert.match(r.out, /^key:\n01 02 03 04\n\nNot found\n$/);
      r = sluice('update', 'blocked_v4', 'key', '0a', '01', '02', '03', 'value', '1', '0', '0', '0', '0', '0', '0', '0', 'noexist', '--pin-dir', pins);
      assert.is(r.status, 1);
      assert.match(r.err, /EEXIST/);
      r = sluice('update', 'blocked_v4', 'key', '0a', '01', '02', '03', 'value', '01', '--pin-dir', pins);
      assert.is(r.status, 1);
      assert.match(r.err, /value is 1 bytes, expected 8/);
      r = sluice('delete', 'blocked_v4', 'key', '09', '09', '09', '09', '--pin-dir', pins);
      assert.is(r.status, 1);
      // usage: exit 2
      for (const args of [['frob'], ['dump'], ['update', 'blocked_v4', 'key', 'zz', 'value', '00'], ['update', 'blocked_v4', 'key', '01', 'value', '00', 'sometimes'], ['lookup', 'blocked_v4', 'value', '00']]) {
        assert.is(sluice(...args, '--pin-dir', pins).status, 2, args.join(' '));
      }
      r = sluice('delete', 'blocked_v4', 'key', '0a', '01', '02', '03', '--pin-dir', pins);
      assert.is(r.status, 0, r.err);
      assert.ok(sluice('dump', 'blocked_v4', '--pin-dir', pins).out.endsWith('Found 0 elements\n'));

      child.send('exit');
      await child.line(/^closed$/);
      assert.is(await child.exited(), 0);
      assert.equal(readdirSync(pins), [], 'the pins went with the dataplane');
      assert.equal(JSON.parse(sluice('list', '--pin-dir', pins, '--json').out), []);
    } finally { child.proc.kill(); }
  });

  test('a dataplane that died leaves stale pins, reported as such', async () => {
    const pins = join(dir, 'crash');
    const child = new Child(pins);
    try {
      await child.line(/^ready$/);
      child.send('crash');
      assert.is(await child.exited(), 3);
      const r = sluice('dump', 'blocked_v4', '--pin-dir', pins);
      assert.is(r.status, 1);
      assert.match(r.err, new RegExp(`stale: its owner \\(pid ${child.proc.pid}\\) is gone without closing it`));
      const list = sluice('list', '--pin-dir', pins);
      assert.is(list.status, 0);
      assert.match(list.out, /blocked_v4: unusable \(stale\)/);
      writeFileSync(join(pins, 'junk'), 'not a map');
      const junk = sluice('dump', 'junk', '--pin-dir', pins);
      assert.is(junk.status, 1);
      assert.match(junk.err, /foreign/);
    } finally { child.proc.kill(); }
  });

  if (requires('LIBBPF_PIN_BY_NAME maps (compiles a BPF object)', hasCommand('clang'))) {
    test('maps pinned by name are kept after close and reused on reload', () => {
      const src = join(dir, 'byname.c'), obj = join(dir, 'byname.o'), pins = join(dir, 'byname');
      writeFileSync(src, `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16); __type(key, __u32); __type(value, __u64);
         __uint(pinning, LIBBPF_PIN_BY_NAME); } kept SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } scratch SEC(".maps");
SEC("xdp") int count(struct xdp_md *ctx) {
  __u32 k = 7; __u64 one = 1, *v = bpf_map_lookup_elem(&kept, &k);
  if (v) __sync_fetch_and_add(v, 1); else bpf_map_update_elem(&kept, &k, &one, BPF_NOEXIST);
  return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`);
      const cc = spawnSync('clang', ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-D__x86_64__', '-c', src, '-o', obj], { encoding: 'utf8' });
      assert.is(cc.status, 0, cc.stderr);
      const packet = Buffer.from(frame(), 'hex');
      for (let load = 1; load <= 2; load++) {
        const o = loadObject(obj, { pinDir: pins, cpus: 1 });
        try {
          o.program('count').run(packet);
          o.program('count').run(packet);
          assert.equal(readdirSync(pins), ['kept'], 'only the map pinned by name');
        } finally { o.close(); }
        assert.ok(existsSync(join(pins, 'kept')), 'kept after close');
        const r = sluice('lookup', 'kept', 'key', '07', '00', '00', '00', '--pin-dir', pins);
        assert.is(r.status, 0, r.err);
        assert.is(r.out, `key: 07 00 00 00  value: 0${2 * load} 00 00 00 00 00 00 00\n`, `after load ${load}: the count carries over`);
      }
    });
  }
}

test.run();
