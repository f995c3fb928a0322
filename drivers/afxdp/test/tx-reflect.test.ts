// XDP_TX on AF_XDP: examples/xdp_tx.o swaps the Ethernet addresses and sends
// the frame back out of the interface it came in on. The client broadcasts an
// ARP request (by pinging an address nobody has); what comes back to it must be
// that frame with source ff:ff:ff:ff:ff:ff and the client's own MAC as
// destination (examples/xdp_tx.c), with the steering program attached in
// native mode and then in skb (generic) mode. Afterwards nothing is left on
// the interface.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requires, hasCommand } from '../../../scripts/testkit/skip.ts';
import { afxdpRequirements, example, Lab, sleep } from '../lab.ts';

if (requires('AF_XDP TX reflection', ...afxdpRequirements(), hasCommand('tcpdump'), hasCommand('ping'))) {
  const reflects = async (lab: Lab, mode: 'native' | 'skb'): Promise<void> => {
    const served = await lab.serve(example('xdp_tx'), ['cli0'], [], { mode });
    let stats;
    try {
      assert.is(served.interfaces[0]?.name, 'cli0');
      assert.is(served.interfaces[0]?.mode, mode);
      assert.is(served.interfaces[0]?.zeroCopy, false, 'veth has no zero-copy: the bind fell back to copy mode');
      const clientMac = lab.mac(lab.client, 'eth0');
      // Only frames arriving at the client (-Q in): the reflected ones.
      const dump = lab.spawn(lab.client, 'timeout', ['6', 'tcpdump', '-l', '-e', '-n', '-Q', 'in', '-c', '2', '-i', 'eth0', 'arp']);
      let text = '';
      dump.stdout!.on('data', (d: Buffer) => { text += d.toString(); });
      let err = '';
      dump.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
      while (!err.includes('listening on')) await sleep(50);
      lab.ok(lab.client, 'ping', ['-c', '2', '-W', '1', '10.0.1.254']); // fails: the reply is our own request
      await new Promise((r) => dump.on('exit', r));
      const reflected = text.split('\n').filter((l) => l.includes(`ff:ff:ff:ff:ff:ff > ${clientMac}`) && l.includes('who-has 10.0.1.254 tell 10.0.1.1'));
      assert.ok(reflected.length >= 1, `expected the ARP request back with swapped MACs, tcpdump saw:\n${text}`);
    } finally {
      stats = await served.stop();
    }
    assert.ok(stats.verdicts[3] >= 1, `TX verdicts: ${JSON.stringify(stats)}`);
    assert.is(stats.verdicts[3], stats.rxPackets, 'every frame is long enough to reflect');
    assert.is(stats.txPackets, stats.verdicts[3] + stats.fromKernel);
    assert.is(stats.txDropped, 0);
    assert.not.match(lab.links(), /xdp/, 'no XDP program left on the interface');
    assert.not.match(lab.links(), /p-cli0/, 'the PASS TAP is gone');
  };

  test('xdp_tx reflects frames back to the sender with the MACs swapped (native, then skb steering)', async () => {
    const lab = Lab.up('tx');
    try {
      await reflects(lab, 'native');
      await reflects(lab, 'skb');
    } finally {
      lab.down();
    }
  });
}

test.run();
