// `sluice prog run` and `sluice jit dump` end to end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packet } from '../../../drivers/packet/packet.ts';
import { readCapture } from '../../../drivers/pcap/capture.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-prog-'));
const sluice = (...args: string[]) => spawnSync(process.execPath, [`${root}dataplane/cli/bin.mjs`, ...args], { encoding: 'utf8', cwd: root });
const file = (name: string, bytes: Uint8Array) => { const p = join(dir, name); writeFileSync(p, bytes); return p; };

// examples/README.md: TCP port 23 is blocked by default; xdp_tx swaps the MAC addresses.
const telnet = file('telnet.bin', packet().eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).tcp({ dport: 23 }).build());
const web = packet().eth({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }).ipv4().tcp({ dport: 443 }).build();

test('prints the return value as bpftool does, and --repeat averages', () => {
  const r = sluice('prog', 'run', 'examples/firewall.o', '--data-in', telnet, '--repeat', '1000');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Return value: 1, duration \(average\): \d+ns$/m);
});

test('--data-out has the frame as the program left it; --json carries the same', () => {
  const out = join(dir, 'out.bin');
  const r = sluice('prog', 'run', 'examples/xdp_tx.o', '--data-in', file('web.bin', web), '--data-out', out, '--json');
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { retval: number; verdict: string; data_out: string };
  assert.is(j.verdict, 'TX');
  const written = readFileSync(out);
  assert.is(j.data_out, written.toString('hex'));
  assert.equal([...written.subarray(0, 6)], [...web.subarray(6, 12)]);
  assert.equal([...written.subarray(6, 12)], [...web.subarray(0, 6)]);
});

test('--pcap-in runs every frame with map state carried over', () => {
  const results = join(dir, 'r.jsonl');
  const mapOut = join(dir, 'maps.json');
  const r = sluice('prog', 'run', 'examples/xdp_drop.o', '--pcap-in', 'pcaps/mixed.pcap', '--results-out', results, '--map-out', mapOut);
  assert.is(r.status, 0, r.stderr);
  const frames = [...readCapture(readFileSync(`${root}pcaps/mixed.pcap`))];
  const lines = readFileSync(results, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { index: number; retval: number });
  assert.is(lines.length, frames.length);
  assert.ok(lines.every((l, i) => l.index === i && l.retval === 1));
  // xdp_drop.c counts packets and bytes in one shared array slot: every frame was counted.
  const maps = JSON.parse(readFileSync(mapOut, 'utf8')) as { maps: Record<string, { key: string; value: string }[]> };
  const entry = Object.values(maps.maps).flat()[0]!;
  assert.is(Buffer.from(entry.value, 'hex').readBigUInt64LE(0), BigInt(frames.length));
});

test('usage errors exit 2; a missing file exits 1 naming it', () => {
  assert.is(sluice('prog', 'run', 'examples/firewall.o').status, 2);
  assert.is(sluice('prog', 'jump', 'examples/firewall.o').status, 2);
  assert.is(sluice('prog', 'run', 'examples/firewall.o', '--data-in', telnet, '--repeat', 'x').status, 2);
  const r = sluice('prog', 'run', 'examples/firewall.o', '--data-in', join(dir, 'nope.bin'));
  assert.is(r.status, 1);
  assert.match(r.stderr, /nope\.bin/);
  const bad = sluice('prog', 'run', 'examples/firewall.o', '--prog', 'nope', '--data-in', telnet);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /no program named 'nope'/);
});

test('jit dump shows source lines, eBPF and the x86-64 under them', () => {
  const r = sluice('jit', 'dump', 'examples/xdp_tx.o');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^xdp_tx: \d+ eBPF instructions, \d+ bytes of x86-64$/m);
  assert.match(r.stdout, /; xdp_tx\.c:\d+ /);
  assert.match(r.stdout, /^\s+\d+: r\d = \*\(u64 \*\)\(r1 \+ 8\)$/m, 'ctx->data_end rewritten to a 64-bit load');
  assert.match(r.stdout, /mov\s+0x8\(%rdi\),%r/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
