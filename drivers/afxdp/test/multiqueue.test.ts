// Two queues, two workers: veths with two RX/TX queue pairs, one AF_XDP socket
// per (interface, queue) and one worker thread per queue. Ping and TCP must
// cross sluice (xdp_pass: PASS TAPs, the kernel routes), each worker must
// report its own counters, and their sum must be the totals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requires, hasCommand } from '../../../scripts/testkit/skip.ts';
import type { DriverStats } from '../../driver.ts';
import { afxdpRequirements, example, Lab, tcpEcho } from '../lab.ts';

if (requires('AF_XDP two queues', ...afxdpRequirements(), hasCommand('ping'))) {
  test('one worker per queue, counters per worker add up to the totals', async () => {
    const lab = Lab.up('mq', 2);
    try {
      const served = await lab.serve(example('xdp_pass'), ['cli0', 'srv0'], [], { queues: [0, 1] });
      let stats;
      try {
        assert.match(served.output, /^QUEUES \[0,1\]$/m);
        lab.addresses();
        assert.match(lab.exec(lab.client, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '10.0.2.1']), /3 packets transmitted, 3 received/);
        await tcpEcho(lab, 20_000);
      } finally {
        stats = await served.stop();
      }
      const workers = JSON.parse(/^WORKERS (.*)$/m.exec(served.output)![1]!) as DriverStats[];
      assert.is(workers.length, 2);
      assert.is(workers[0]!.rxPackets + workers[1]!.rxPackets, stats.rxPackets);
      assert.is(workers[0]!.verdicts[2] + workers[1]!.verdicts[2], stats.verdicts[2]);
      assert.is(stats.verdicts[2], stats.rxPackets);
      assert.ok(stats.rxPackets > 20, JSON.stringify(stats));
      assert.not.match(lab.links(), /xdp|p-cli0|p-srv0/);
    } finally {
      lab.down();
    }
  });
}

test.run();
