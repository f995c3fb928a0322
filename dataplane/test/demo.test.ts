// The Quick start's main job: pcaps/demo.pcap through the example firewall.
// Which frames must be dropped is decided here from their header fields and
// the firewall's documented default rules (examples/README.md), not from a run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { readCapture } from '../../drivers/pcap/capture.ts';
import { dissect } from '../../drivers/packet/packet.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** examples/README.md: sources in 192.0.2.0/24 and 2001:db8:bad::/48; TCP 23 and 445; UDP 19 and 11211. */
function blockedByDefault(frame: Uint8Array): boolean {
  const fields = new Map(dissect(frame).fields.map((f) => [`${f.layer}.${f.field}`, String(f.text ?? f.value)]));
  const src4 = fields.get('ipv4.src') ?? '';
  const src6 = fields.get('ipv6.src') ?? '';
  if (src4.startsWith('192.0.2.') || src6.startsWith('2001:db8:bad:')) return true;
  const tcp = Number(fields.get('tcp.dport') ?? -1);
  const udp = Number(fields.get('udp.dport') ?? -1);
  return tcp === 23 || tcp === 445 || udp === 19 || udp === 11211;
}

test('sluice replay with no arguments replays the demo through the firewall', () => {
  const frames = [...readCapture(readFileSync(`${root}pcaps/demo.pcap`))];
  const drops = frames.filter((r) => blockedByDefault(r.data)).length;
  assert.ok(drops > 0 && drops < frames.length, 'the demo holds both kinds of traffic');

  const run = spawnSync(process.execPath, [`${root}dataplane/cli/bin.mjs`, 'replay', '--json'], { encoding: 'utf8', cwd: root });
  assert.is(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout) as { packets: number; verdicts: Record<string, number>; program: string };
  assert.is(out.program, 'xdp_firewall');
  assert.is(out.packets, frames.length);
  assert.is(out.verdicts.DROP, drops);
  assert.is(out.verdicts.PASS, frames.length - drops);
});

test('the table names the verdicts and the totals', () => {
  const run = spawnSync(process.execPath, [`${root}dataplane/cli/bin.mjs`, 'replay'], { encoding: 'utf8', cwd: root });
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stdout, /pcaps\/demo\.pcap → examples\/firewall\.o \(xdp_firewall, jit\)/);
  assert.match(run.stdout, /^\s+DROP\s+\d+\s+[\d.]+ %$/m);
  assert.match(run.stdout, /^\s+PASS\s+\d+\s+[\d.]+ %$/m);
});

test('bad arguments: a usage error and exit status 2', () => {
  const one = spawnSync(process.execPath, [`${root}dataplane/cli/bin.mjs`, 'replay', 'examples/firewall.o'], { encoding: 'utf8', cwd: root });
  assert.is(one.status, 2);
  assert.match(one.stderr, /give both OBJ and IN\.pcap/);
  const missing = spawnSync(process.execPath, [`${root}dataplane/cli/bin.mjs`, 'replay', 'examples/firewall.o', 'nope.pcap'], { encoding: 'utf8', cwd: root });
  assert.is(missing.status, 1);
  assert.match(missing.stderr, /nope\.pcap/);
});

test.run();
