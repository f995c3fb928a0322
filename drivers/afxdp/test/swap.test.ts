// Hot swap: the driver starts on examples/xdp_tx.o (every frame reflected);
// SIGHUP makes the fixture swap to examples/xdp_drop.o between bursts. Frames
// after the swap must be dropped, none reflected any more, and the counters
// must still add up (every received frame in exactly one verdict).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requires, hasCommand } from '../../../scripts/testkit/skip.ts';
import { afxdpRequirements, example, Lab, sleep } from '../lab.ts';

if (requires('AF_XDP hot swap', ...afxdpRequirements(), hasCommand('ping'))) {
  test('SIGHUP swaps xdp_tx for xdp_drop while traffic runs', async () => {
    const lab = Lab.up('sw');
    try {
      const served = await lab.serve(example('xdp_tx'), ['cli0'], [], { swapTo: example('xdp_drop') });
      let stats;
      try {
        lab.ok(lab.client, 'ping', ['-c', '2', '-i', '0.2', '-W', '1', '10.0.1.254']); // ARP requests, reflected
        served.child.kill('SIGHUP');
        for (let i = 0; i < 200 && !served.output.includes('SWAPPED'); i++) await sleep(50);
        assert.ok(served.output.includes('SWAPPED'), 'the swap finished');
        lab.ok(lab.client, 'ping', ['-c', '2', '-i', '0.2', '-W', '1', '10.0.1.254']); // ARP requests, dropped
      } finally {
        stats = await served.stop();
      }
      assert.ok(stats.verdicts[3] >= 1, `TX before the swap: ${JSON.stringify(stats)}`);
      assert.ok(stats.verdicts[1] >= 1, 'DROP after the swap');
      assert.is(stats.rxPackets, stats.verdicts[1] + stats.verdicts[3], 'only the two programs\' verdicts');
      assert.is(stats.txPackets, stats.verdicts[3] + stats.fromKernel);
    } finally {
      lab.down();
    }
  });
}

test.run();
