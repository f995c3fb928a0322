// The firewall example on AF_XDP: with its maps empty it drops IPv4 sources in
// 192.0.2.0/24 (examples/README.md, "Blocked by default") and passes ordinary
// addresses to the kernel. The client pings the server from 10.0.1.1 (allowed:
// all replies) and from 192.0.2.1 (blocked at sluice's client side: none), and
// sluice must have counted at least those three pings as DROP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requires, hasCommand } from '../../../scripts/testkit/skip.ts';
import { afxdpRequirements, example, Lab } from '../lab.ts';

if (requires('AF_XDP firewall', ...afxdpRequirements(), hasCommand('ping'))) {
  test('firewall.o drops the blocked host, passes the others', async () => {
    const lab = Lab.up('fw');
    try {
      lab.exec(lab.client, 'ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'eth0']);
      const served = await lab.serve(example('firewall'), ['cli0', 'srv0']);
      let stats;
      let allowed = '', blocked = '';
      try {
        lab.addresses();
        allowed = lab.exec(lab.client, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '-I', '10.0.1.1', '10.0.2.1']);
        try {
          blocked = lab.exec(lab.client, 'ping', ['-c', '3', '-i', '0.2', '-W', '1', '-I', '192.0.2.1', '10.0.2.1']);
        } catch (err) {
          blocked = String((err as { stdout?: string }).stdout ?? err); // ping exits 1 when nothing came back
        }
      } finally {
        stats = await served.stop();
      }
      assert.match(allowed, /3 packets transmitted, 3 received/);
      assert.match(blocked, /3 packets transmitted, 0 received/);
      assert.ok(stats.verdicts[1] >= 3, `DROP verdicts: ${JSON.stringify(stats)}`);
      assert.ok(stats.verdicts[2] >= 6, 'the allowed echo requests and replies were passed');
      assert.is(stats.rxPackets, stats.verdicts.reduce((a, b) => a + b, 0) + stats.otherVerdicts);
      assert.not.match(lab.links(), /xdp/);
    } finally {
      lab.down();
    }
  });
}

test.run();
