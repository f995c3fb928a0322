// REDIRECT under sustained traffic, full bursts: the generator
// (drivers/afxdp/tools/blast.c) sends 60-byte UDP frames from the client to
// 10.0.2.99 for 2 s; examples/router.o redirects each one from cli0 to srv0,
// which copies it into srv0's UMEM and sends it. Every frame sluice received
// must be a REDIRECT, and every REDIRECT must show up exactly once on the
// other side: received by the server's veth (its rx or rx-dropped counters)
// or counted by sluice as not sent (txDropped). Counted before anything else
// (ARP, the ping) moves. Many times more frames than
// the UMEMs hold go through, so a chunk lost by the run loop would show as a
// fill ring that stays empty; a ping through the router afterwards must still
// work.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requires, hasCommand } from '../../../scripts/testkit/skip.ts';
import { afxdpRequirements, example, Lab, routerMaps, sleep } from '../lab.ts';

const BLAST_C = fileURLToPath(new URL('../tools/blast.c', import.meta.url));

if (requires('AF_XDP REDIRECT under load', ...afxdpRequirements(), hasCommand('cc'), hasCommand('ping'))) {
  test('every redirected frame arrives once on the other interface', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-blast-'));
    const lab = Lab.up('rl');
    try {
      const blast = join(dir, 'blast');
      execFileSync('cc', ['-O2', '-o', blast, BLAST_C]);
      const served = await lab.serve(example('router'), ['cli0', 'srv0'], routerMaps(lab));
      const serverRx = (): { packets: number; dropped: number } => {
        const [link] = JSON.parse(lab.exec(lab.server, 'ip', ['-j', '-s', 'link', 'show', 'eth0'])) as { stats64: { rx: { packets: number; dropped: number } } }[];
        return link!.stats64.rx;
      };
      let stats;
      let ping = '';
      const before = serverRx();
      let snap;
      let after;
      try {
        const sent = Number(lab.exec(lab.client, blast, ['eth0', '2', lab.mac(lab.sluice, 'cli0'), '10.0.2.99'], 20_000).trim());
        assert.ok(sent > 0, 'the generator sent frames');
        await sleep(300); // the last frames leave the rings
        snap = await served.snapshot();
        after = serverRx();
        lab.addresses();
        lab.exec(lab.sluice, 'sysctl', ['-qw', 'net.ipv4.ip_forward=0']);
        ping = lab.exec(lab.client, 'ping', ['-c', '2', '-i', '0.2', '-W', '2', '10.0.2.1']);
      } finally {
        stats = await served.stop();
      }
      assert.ok(snap.verdicts[4] > 16_384, `more frames than four UMEMs hold went through: ${JSON.stringify(snap)}`);
      assert.is(snap.verdicts[4], snap.rxPackets, 'the generator\'s frames are all routed');
      assert.is(snap.redirectErrors, 0);
      const arrived = after.packets - before.packets + after.dropped - before.dropped;
      assert.is(arrived, snap.verdicts[4] - snap.txDropped, `arrived ${arrived}, redirected ${snap.verdicts[4]}, tx dropped ${snap.txDropped}`);
      assert.match(ping, /2 packets transmitted, 2 received/);
      assert.is(stats.redirectErrors, 0);
    } finally {
      lab.down();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
