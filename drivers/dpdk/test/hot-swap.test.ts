// Hot swap under traffic (SIGHUP reloads the object): on net_null ports, which
// receive as fast as the workers poll, every received packet is in exactly one
// verdict, program B's verdicts appear after the swap and program A's stop.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { requires } from '../../../scripts/testkit/skip.ts';
import { dpdkRequirements, eal, leftovers, repo, startRun, tempDir, totalsOf, uniquePrefix, type RunEvent } from './harness.ts';

type Stats = { rxPackets: number; verdicts: number[] };
const statsOf = (e: RunEvent): Stats => e.totals as Stats;

async function swapUnderTraffic(workers: number): Promise<void> {
  const dir = tempDir();
  const object = join(dir, 'prog.o');
  copyFileSync(repo('examples/xdp_drop.o'), object);
  const prefix = uniquePrefix(`swap${workers}`);
  const run = startRun([object, '--dpdk', eal(prefix, 'net_null0', 'net_null1'), '--port', '0,1', '--workers', String(workers),
    '--pass-to', 'none', '--stats', '100ms']);
  let done;
  try {
    await run.waitFor((e) => e.event === 'stats' && statsOf(e).verdicts[1]! > 100_000);
    copyFileSync(repo('examples/xdp_pass.o'), object);
    run.signal('SIGHUP');
    await run.waitFor((e) => e.event === 'reload');
    const afterReload = run.events.length;
    await run.waitFor((e) => e.event === 'stats' && run.events.indexOf(e) > afterReload + 1 && statsOf(e).verdicts[2]! > 100_000);
    const later = run.events.slice(afterReload).filter((e) => e.event === 'stats').map(statsOf);
    assert.ok(later.length >= 2);
    // Once the reload is reported (after quiescing), program A runs no more: DROP stays where it was.
    assert.is(later[later.length - 1]!.verdicts[1], later[0]!.verdicts[1], 'no DROP verdicts after the swap');
    // The live rates name each verdict apart from frames sent (nothing is sent with --pass-to none).
    const rates = run.events.slice(afterReload).filter((e) => e.event === 'stats').map((e) => e.rates as Record<string, number>);
    assert.ok(rates.some((r) => r.pass_pps! > 0));
    assert.ok(rates.every((r) => r.tx_pps === 0 && r.sent_pps === 0 && r.drop_pps === 0 || r === rates[0]));
  } finally {
    run.signal('SIGINT');
    done = await run.done;
  }
  assert.is(done.status, 0, done.stderr);
  const t = totalsOf(done.events);
  const sum = t.verdicts.reduce((a, b) => a + b, 0) + t.otherVerdicts;
  assert.is(sum, t.rxPackets, 'every received packet has exactly one verdict');
  assert.is(t.verdicts[0], 0);
  assert.ok(t.verdicts[1]! > 0 && t.verdicts[2]! > 0, 'both programs ran');
  assert.is(t.verdicts[3]! + t.verdicts[4]!, 0);
  assert.is(t.passDropped, t.verdicts[2], 'PASS without an exception interface: counted and dropped');
  assert.is(t.ports.reduce((a, p) => a + p.ipackets, 0), t.rxPackets, 'the ports\' own receive counters agree');
  assert.equal(leftovers(prefix, run.pid), []);
}

if (requires('DPDK hot swap under traffic', ...dpdkRequirements())) {
  test('SIGHUP swaps xdp_drop for xdp_pass under traffic, one worker', () => swapUnderTraffic(1));
  test('SIGHUP swaps xdp_drop for xdp_pass under traffic, two workers (a queue each per port)', () => swapUnderTraffic(2));

  test('--pin: another process reads the running program\'s map, also after a SIGHUP reload; pins go at exit', async () => {
    const dir = tempDir();
    const pins = join(dir, 'pins');
    const prefix = uniquePrefix('pin');
    const run = startRun([repo('examples/xdp_drop.o'), '--dpdk', eal(prefix, 'net_null0'), '--port', '0', '--pass-to', 'none',
      '--pin', '--pin-dir', pins, '--stats', '200ms']);
    const packetsSeen = (): number => {
      const out = execFileSync(process.execPath, [repo('dataplane/cli/bin.mjs'), 'map', 'lookup', 'drop_stats', 'key', '00', '00', '00', '00', '--pin-dir', pins],
        { encoding: 'utf8' });
      const hex = /value: ((?:[0-9a-f]{2} ?){8})/.exec(out)?.[1]?.replace(/ /g, '');
      assert.ok(hex, `a value in: ${out}`);
      return Number(Buffer.from(hex!, 'hex').readBigUInt64LE());
    };
    let done;
    try {
      await run.waitFor((e) => e.event === 'stats' && statsOf(e).verdicts[1]! > 10_000);
      const first = packetsSeen();
      assert.ok(first > 0, 'xdp_drop counts into its pinned map');
      run.signal('SIGHUP');
      await run.waitFor((e) => e.event === 'reload');
      await run.waitFor((e) => e.event === 'stats' && run.events.indexOf(e) > run.events.findIndex((x) => x.event === 'reload') + 1);
      assert.ok(packetsSeen() > first, 'still reachable, still counting after the reload');
    } finally {
      run.signal('SIGINT');
      done = await run.done;
    }
    assert.is(done.status, 0, done.stderr);
    assert.equal(readdirSync(pins), [], 'the pins are removed at exit');
  });

  test('without --stats or --duration it runs until SIGINT, then prints totals and exits 0', async () => {
    const prefix = uniquePrefix('nostats');
    const run = startRun([repo('examples/xdp_drop.o'), '--dpdk', eal(prefix, 'net_null0'), '--port', '0', '--stats', '0']);
    await run.waitFor((e) => e.event === 'start');
    await new Promise((r) => setTimeout(r, 1000));
    run.signal('SIGINT');
    const done = await run.done;
    assert.is(done.status, 0, done.stderr);
    assert.ok(totalsOf(done.events).rxPackets > 0);
    assert.equal(leftovers(prefix, run.pid), []);
  });

  test('SIGINT while EAL is still starting: a clean shutdown all the same', async () => {
    const prefix = uniquePrefix('early');
    const run = startRun([repo('examples/xdp_drop.o'), '--dpdk', eal(prefix, 'net_null0'), '--port', '0', '--stats', '0']);
    const t0 = Date.now();
    while (!run.stderr.includes('EAL:') && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 5));
    run.signal('SIGINT');
    const done = await run.done;
    assert.is(done.status, 0, done.stderr);
    assert.ok(done.events.some((e) => e.event === 'totals'));
    assert.equal(leftovers(prefix, run.pid), []);
  });
}

test.run();
