// `sluice replay` options end to end: events, pacing, map files, bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCapture } from '../../../drivers/pcap/capture.ts';
import { dissect } from '../../../drivers/packet/packet.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-replay-'));
const sluice = (...args: string[]) => spawnSync(process.execPath, [`${root}dataplane/cli/bin.mjs`, 'replay', ...args], { encoding: 'utf8', cwd: root });
const demo = [...readCapture(readFileSync(`${root}pcaps/demo.pcap`))].map((r) => r.data);

test('ring buffer events: one per IPv4 TCP SYN and one per frame that is neither IPv4 nor IPv6 (examples/ringbuf.c)', () => {
  const events = join(dir, 'events.txt');
  const run = sluice('examples/ringbuf.o', 'pcaps/demo.pcap', '--events', events);
  assert.is(run.status, 0, run.stderr);
  // ringbuf.c looks at the outer EtherType only: a VLAN-tagged frame is "not IP" to it.
  const field = (f: Uint8Array, name: string) => {
    const x = dissect(f).fields.find((d) => `${d.layer}.${d.field}` === name);
    return x === undefined ? undefined : String(x.text ?? x.value);
  };
  const outerType = (f: Uint8Array) => (f[12]! << 8) | f[13]!;
  const syn = demo.filter((f) => outerType(f) === 0x0800 && field(f, 'tcp.flags') === 'S').length;
  const nonIp = demo.filter((f) => outerType(f) !== 0x0800 && outerType(f) !== 0x86dd).length;
  assert.ok(syn > 0 && nonIp > 0);
  const lines = readFileSync(events, 'utf8').split('\n').filter((l) => l.startsWith('events: '));
  assert.is(lines.filter((l) => l.startsWith('events: 01000000')).length, syn, 'SYN events (kind 1)');
  assert.is(lines.filter((l) => l.startsWith('events: 02000000')).length, nonIp, 'not-IP events (kind 2)');
});

test('--pps and --timing change the pace, not the result', () => {
  const counts = (args: string[]) => {
    const run = sluice('examples/firewall.o', 'pcaps/two-interfaces.pcapng', '--json', ...args);
    assert.is(run.status, 0, run.stderr);
    return (JSON.parse(run.stdout) as { verdicts: object }).verdicts;
  };
  const full = counts([]);
  assert.equal(counts(['--pps', '5000']), full);
  assert.equal(counts(['--timing']), full);
});

test('--map-in blocks a source; --map-out writes the counters', () => {
  // examples/README.md: blocked_v4 is keyed by the IPv4 source address (network order), value a u64 hit counter.
  const mapIn = join(dir, 'in.json');
  const mapOut = join(dir, 'out.json');
  writeFileSync(mapIn, JSON.stringify({ maps: { blocked_v4: [{ key: '0a00000a', value: '0000000000000000' }] } }));
  const run = sluice('--map-in', mapIn, '--map-out', mapOut, '--json');
  assert.is(run.status, 0, run.stderr);
  const fromClient = demo.filter((f) => dissect(f).fields.some((x) => x.layer === 'ipv4' && x.field === 'src' && String(x.text ?? x.value) === '10.0.0.10')).length;
  assert.ok(fromClient > 0);
  const out = JSON.parse(readFileSync(mapOut, 'utf8')) as { maps: Record<string, { key: string; value: string }[]> };
  const hits = out.maps.blocked_v4!.find((e) => e.key === '0a00000a')!;
  assert.is(Buffer.from(hits.value, 'hex').readBigUInt64LE(0), BigInt(fromClient));
});

test('bad options are usage errors (exit 2) and bad map files say where', () => {
  assert.is(sluice('--pps', '0').status, 2);
  assert.is(sluice('--timing', '--pps', '10').status, 2);
  assert.is(sluice('--write-drops').status, 2);
  assert.is(sluice('--engine', 'fpga').status, 2);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ maps: { blocked_v4: [{ key: '0a00', value: '00' }] } }));
  const run = sluice('--map-in', bad);
  assert.is(run.status, 1);
  assert.match(run.stderr, /maps\.blocked_v4\[0\]/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
