// REDIRECT between two AF_XDP interfaces: examples/router.o routes 10.0.1.0/24
// out of cli0 and 10.0.2.0/24 out of srv0 through its tx_ports devmap (MACs
// rewritten, TTL decremented); ARP is not IPv4 and goes to the kernel through
// the PASS TAPs, which hold the gateway addresses. The kernel's own forwarding
// is switched off, so the only path between client and server is the
// program's REDIRECT: ping must come back with TTL 63 (one hop, RFC 791) and a
// TCP echo must come back intact.
//
// The driver finds each packet's target in buff->egress_ifindex, which the
// JIT's burst loop sets by calling sluice_redirect_commit after every REDIRECT.
// The same check also runs with bursts of one frame.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requires, hasCommand } from '../../../scripts/testkit/skip.ts';
import { afxdpRequirements, example, Lab, routerMaps, tcpEcho } from '../lab.ts';


async function routeThrough(burst: number | undefined): Promise<void> {
  const lab = Lab.up(`rd${burst ?? 0}`);
  try {
    const served = await lab.serve(example('router'), ['cli0', 'srv0'], routerMaps(lab), burst ? { burst } : {});
    let stats;
    let ping = '';
    try {
      lab.addresses();
      lab.exec(lab.sluice, 'sysctl', ['-qw', 'net.ipv4.ip_forward=0']);
      ping = lab.exec(lab.client, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '10.0.2.1']);
      await tcpEcho(lab);
    } finally {
      stats = await served.stop();
    }
    assert.match(ping, /3 packets transmitted, 3 received/);
    assert.match(ping, /ttl=63/);
    assert.ok(stats.verdicts[4] >= 6, `REDIRECT verdicts: ${JSON.stringify(stats)}`);
    assert.is(stats.redirectErrors, 0);
    assert.is(stats.txDropped, 0);
    assert.not.match(lab.links(), /xdp/);
  } finally {
    lab.down();
  }
}

if (requires('AF_XDP REDIRECT', ...afxdpRequirements(), hasCommand('ping'))) {
  test('router.o forwards ping and TCP by REDIRECT between cli0 and srv0', () => routeThrough(undefined));
  test('router.o forwards ping and TCP by REDIRECT, bursts of one frame', () => routeThrough(1));
}

test.run();
