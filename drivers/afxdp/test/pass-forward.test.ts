// PASS through the TAPs: with examples/xdp_pass.o on both sluice interfaces
// every frame goes wire → AF_XDP → program → PASS TAP → the sluice namespace's
// kernel (which routes between 10.0.1.0/24 and 10.0.2.0/24) → TAP → AF_XDP TX →
// wire. Ping and a TCP echo of 60 KB between client and server must work, and
// every received frame must be a PASS written into a TAP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requires, hasCommand } from '../../../scripts/testkit/skip.ts';
import { afxdpRequirements, example, Lab, tcpEcho } from '../lab.ts';

if (requires('AF_XDP PASS forwarding', ...afxdpRequirements(), hasCommand('ping'))) {
  test('ping and TCP cross sluice through the PASS TAPs', async () => {
    const lab = Lab.up('pf');
    try {
      const served = await lab.serve(example('xdp_pass'), ['cli0', 'srv0']);
      let stats;
      try {
        lab.addresses();
        const ping = lab.exec(lab.client, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '10.0.2.1']);
        assert.match(ping, /3 packets transmitted, 3 received/);
        await tcpEcho(lab);
      } finally {
        stats = await served.stop();
      }
      assert.ok(stats.rxPackets > 60, `a 60 KB echo each way is more than 60 frames: ${JSON.stringify(stats)}`);
      assert.is(stats.verdicts[2], stats.rxPackets, 'xdp_pass passes everything');
      assert.is(stats.passPackets, stats.rxPackets, 'every PASS went into a TAP');
      assert.ok(stats.fromKernel > 60, 'the kernel forwarded through the TAPs');
      assert.is(stats.txDropped, 0);
      assert.not.match(lab.links(), /xdp|p-cli0|p-srv0/);
    } finally {
      lab.down();
    }
  });
}

test.run();
