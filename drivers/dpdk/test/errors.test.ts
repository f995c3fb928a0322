// Failures before traffic: clear errors, a non-zero exit status, and nothing
// left behind (EAL runtime directory, hugepage files, TAP interfaces).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requires } from '../../../scripts/testkit/skip.ts';
import { encodeCapture } from '../../pcap/writer.ts';
import { dpdkRequirements, eal, leftovers, repo, runToEnd, startRun, tempDir, uniquePrefix } from './harness.ts';

if (requires('DPDK error paths', ...dpdkRequirements())) {
  test('bad EAL arguments: rte_eal_init fails, exit 1, no runtime directory left', async () => {
    const prefix = uniquePrefix('badeal');
    const r = await runToEnd([repo('examples/xdp_drop.o'), '--dpdk', `${eal(prefix, 'net_null0')} --no-such-eal-option`, '--port', '0', '--duration', '1']);
    assert.is(r.status, 1);
    assert.match(r.stderr, /rte_eal_init\(.*\) failed/);
    assert.equal(leftovers(prefix, 0), []);
  });

  test('a missing port: named with the ports EAL found, exit 1, nothing left', async () => {
    const prefix = uniquePrefix('noport');
    const run = startRun([repo('examples/xdp_drop.o'), '--dpdk', eal(prefix, 'net_null0'), '--port', '0,3', '--duration', '1']);
    const r = await run.done;
    assert.is(r.status, 1);
    assert.match(r.stderr, /no DPDK port 3 \(EAL found 1: 0 net_null0\)/);
    assert.equal(leftovers(prefix, run.pid), []);
  });

  test('a port without enough queues, after the exception TAP was made: exit 1, the TAP is gone', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'in.pcap'), encodeCapture([]));
    const prefix = uniquePrefix('queues');
    const run = startRun([repo('examples/xdp_drop.o'), '--dpdk', eal(prefix, `net_pcap0,rx_pcap=${join(dir, 'in.pcap')},tx_pcap=${join(dir, 'out.pcap')}`),
      '--port', '0', '--workers', '3', '--pass-to', 'tap', '--duration', '1']);
    const r = await run.done;
    assert.is(r.status, 1);
    assert.match(r.stderr, /port 0 \(net_pcap\): 3 worker\(s\) need 3 receive and transmit queues/);
    assert.equal(leftovers(prefix, run.pid), []);
  });

  test('an object that fails to load: exit 1 before EAL starts, nothing created', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.o');
    writeFileSync(bad, Buffer.from('\x7fELF this is not an object'));
    const prefix = uniquePrefix('badobj');
    const r = await runToEnd([bad, '--dpdk', eal(prefix, 'net_null0'), '--port', '0', '--duration', '1']);
    assert.is(r.status, 1);
    assert.match(r.stderr, /bad\.o/);
    assert.not.match(r.stderr, /EAL:/, 'EAL never started');
    assert.equal(leftovers(prefix, 0), []);
  });

  test('usage errors exit 2: no --port, an unknown --pass-to', async () => {
    const a = await runToEnd([repo('examples/xdp_drop.o'), '--dpdk', '--no-huge']);
    assert.is(a.status, 2);
    assert.match(a.stderr, /--dpdk needs --port/);
    const b = await runToEnd([repo('examples/xdp_drop.o'), '--dpdk', '--no-huge', '--port', '0', '--pass-to', 'kernel']);
    assert.is(b.status, 2);
    assert.match(b.stderr, /--pass-to expects tap or none/);
  });
}

test.run();
