// `sluice run OBJ --afxdp cli0` end to end, in the sluice namespace of a lab:
// it describes what it attached, stops by itself after --duration with exit 0
// and JSON totals that count the client's reflected frames, and leaves no XDP
// program behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { requires, hasCommand } from '../../../scripts/testkit/skip.ts';
import { afxdpRequirements, example, Lab, sleep } from './lab.ts';

const BIN = fileURLToPath(new URL('../../../dataplane/cli/bin.mjs', import.meta.url));

if (requires('sluice run --afxdp', ...afxdpRequirements(), hasCommand('ping'))) {
  test('sluice run --afxdp runs, counts, stops after --duration, detaches', async () => {
    const lab = Lab.up('cl');
    try {
      const child = lab.spawn(lab.sluice, process.execPath, [BIN, 'run', example('xdp_tx'), '--afxdp', 'cli0', '--json', '--stats', '0', '--duration', '4']);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      for (let i = 0; i < 200 && !out.includes('"event":"start"'); i++) await sleep(50);
      lab.ok(lab.client, 'ping', ['-c', '2', '-i', '0.3', '-W', '1', '10.0.1.254']);
      assert.is(await exited, 0, out);
      const lines = out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      const start = lines.find((l) => l.event === 'start');
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
