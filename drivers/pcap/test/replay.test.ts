// The pcap driver: the examples' documented verdicts, through a capture.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadObject, XDP_ACTIONS } from '../../../dataplane/runtime.ts';
import { replay } from '../replay.ts';
import { encodeCapture, readCapture } from '../capture.ts';
import { firewallCases, firewallRules } from '../../../examples/test/cases.ts';
import { ipv4Addr, ipv6Addr } from '../../../examples/test/frames.ts';
import { u32, u64 } from '../../../examples/test/bpftool.ts';

const firewall = fileURLToPath(new URL('../../../examples/firewall.o', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sluice-replay-'));

function loadFirewall() {
  const obj = loadObject(firewall, { cpus: 1 });
  const r = firewallRules;
  obj.map('blocked_v4').update(ipv4Addr(r.blockedV4), u64(0));
  obj.map('blocked_net_v4').update(Buffer.concat([u32(r.blockedNetV4.len), ipv4Addr(r.blockedNetV4.addr)]), u64(0));
  obj.map('blocked_v6').update(ipv6Addr(r.blockedV6), u64(0));
  obj.map('blocked_net_v6').update(Buffer.concat([u32(r.blockedNetV6.len), ipv6Addr(r.blockedNetV6.addr)]), u64(0));
  obj.map('port_rules').update(Buffer.from([6, 0, r.blockedTcpPort >> 8, r.blockedTcpPort & 0xff]), u64(0));
  return obj;
}

// 3 copies so the capture spans several bursts of 64.
const frames = [...firewallCases, ...firewallCases, ...firewallCases];
const input = join(dir, 'in.pcap');
writeFileSync(input, encodeCapture(frames.map((c, i) => ({ data: c.frame, timestamp: BigInt(i) * 1000n }))));

test('verdict counts and the pass capture match the documented verdicts', async () => {
  const obj = loadFirewall();
  try {
    const out = join(dir, 'out');
    const stats = await replay(obj.program(), input, { outDir: out, writeDrops: true });
    assert.is(stats.error, undefined);
    assert.is(stats.packets, frames.length);
    XDP_ACTIONS.forEach((name, v) => assert.is(stats.verdicts[v], frames.filter((c) => c.verdict === v).length, name));
    const passed = [...readCapture(readFileSync(join(out, 'pass.pcap')))];
    const want = frames.map((c, i) => ({ c, i })).filter(({ c }) => c.verdict === 2);
    assert.is(passed.length, want.length);
    passed.forEach((rec, k) => {
      assert.equal(Buffer.from(rec.data), want[k]!.c.frame, `pass frame ${k}`);
      assert.is(rec.timestamp, BigInt(want[k]!.i) * 1000n, 'timestamps carried over');
    });
    assert.is([...readCapture(readFileSync(join(out, 'drop.pcap')))].length, stats.verdicts[1]);
  } finally {
    obj.close();
  }
});

test('a capture cut mid-record: the frames before the cut are counted and written', async () => {
  const whole = readFileSync(input);
  const cut = join(dir, 'cut.pcap');
  // pcap: 24-byte header, then each record is 16 + caplen bytes; cut inside record 11.
  let at = 24;
  for (let i = 0; i < 10; i++) at += 16 + frames[i]!.frame.length;
  writeFileSync(cut, whole.subarray(0, at + 20));
  const obj = loadFirewall();
  try {
    const out = join(dir, 'cut-out');
    const stats = await replay(obj.program(), cut, { outDir: out });
    assert.is(stats.packets, 10);
    assert.ok(stats.error, 'the truncation is reported');
    assert.match(stats.error!.message, /frame 11 at byte offset \d+/);
    const passCount = frames.slice(0, 10).filter((c) => c.verdict === 2).length;
    assert.is([...readCapture(readFileSync(join(out, 'pass.pcap')))].length, passCount);
  } finally {
    obj.close();
  }
});

test('a capture that is not a capture is a clear error', async () => {
  const bad = join(dir, 'bad.pcap');
  writeFileSync(bad, 'hello, this is not a pcap file');
  const obj = loadObject(firewall, { cpus: 1 });
  try {
    const stats = await replay(obj.program(), bad).catch((err: Error) => err);
    const message = stats instanceof Error ? stats.message : stats.error?.message ?? '';
    assert.match(message, /magic|not a (pcap|capture)/i);
  } finally {
    obj.close();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
