// `sluice run OBJ --afxdp cli0` end to end, in the sluice namespace of a lab:
// it describes what it attached, pins its worker thread (sluice-xsk-0) to the
// CPU --worker-cpus names, prints live statistics while running, reloads the
// object on SIGHUP (hot swap) and keeps reflecting frames after it, stops by
// itself after --duration with exit 0 and JSON totals that count the client's
// reflected frames, and leaves no XDP program behind.
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { requires, hasCommand } from '../../../scripts/testkit/skip.ts';
import { afxdpRequirements, example, Lab, sleep } from '../lab.ts';

const BIN = fileURLToPath(new URL('../../../dataplane/cli/bin.mjs', import.meta.url));

if (requires('sluice run --afxdp', ...afxdpRequirements(), hasCommand('ping'))) {
  test('sluice run --afxdp runs, counts, stops after --duration, detaches', async () => {
    const lab = Lab.up('cl');
    try {
      const child = lab.spawn(lab.sluice, process.execPath, [BIN, 'run', example('xdp_tx'), '--afxdp', 'cli0', '--json', '--stats', '500ms', '--duration', '8', '--worker-cpus', '1']);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      for (let i = 0; i < 200 && !out.includes('"event":"start"'); i++) await sleep(50);
      // The worker thread's affinity, from /proc (threads are named by pthread_setname_np).
      const tasks = readdirSync(`/proc/${child.pid}/task`);
      const worker = tasks.find((t) => { try { return readFileSync(`/proc/${child.pid}/task/${t}/comm`, 'utf8').trim() === 'sluice-xsk-0'; } catch { return false; } });
      assert.ok(worker, 'a thread named sluice-xsk-0');
      assert.match(readFileSync(`/proc/${child.pid}/task/${worker}/status`, 'utf8'), /Cpus_allowed_list:\s+1\n/);
      lab.ok(lab.client, 'ping', ['-c', '2', '-i', '0.3', '-W', '1', '10.0.1.254']);
      child.kill('SIGHUP'); // reload the object and swap it in; the old one is freed after the swap
      for (let i = 0; i < 100 && !out.includes('"event":"reload"'); i++) await sleep(50);
      assert.match(out, /"event":"reload"/);
      lab.ok(lab.client, 'ping', ['-c', '1', '-W', '1', '10.0.1.254']);
      assert.is(await exited, 0, out);
      const lines = out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      const start = lines.find((l) => l.event === 'start');
      const live = lines.filter((l) => l.event === 'stats') as { totals: { rxPackets: number } }[];
      assert.ok(live.length >= 3, `live statistics every 500 ms over 8 s: ${live.length}`);
      assert.ok(live[live.length - 1]!.totals.rxPackets >= 1, 'the live counters moved while running');
      assert.match(String(start?.describe), /AF_XDP cli0 \(ifindex \d+, (native|skb), (copy|zero-copy)/);
      const totals = lines.find((l) => l.event === 'totals') as { reason: string; totals: { rxPackets: number; verdicts: number[] } } | undefined;
      assert.is(totals?.reason, 'duration');
      assert.ok(totals!.totals.verdicts[3]! >= 1, JSON.stringify(totals));
      assert.is(totals!.totals.verdicts[3], totals!.totals.rxPackets);
      assert.not.match(lab.links(), /xdp/);
    } finally {
      lab.down();
    }
  });
}

test.run();
