// The live part of the topology labs, as root: lab 9 on AF_XDP sockets between
// network namespaces (the client's ping must be answered by the program), lab 10
// on a DPDK net_pcap port (the transmitted frames and verdict counts follow from
// the input capture and the lab's rules). The reference solution passes all
// three live checks; the starter fails them with the numbers that show why.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requires, hasCommand } from '../../scripts/testkit/skip.ts';
import { findLab } from '../../dataplane/lab/catalog.ts';
import { gradeLab, type Grade } from '../../dataplane/lab/grade.ts';
import { afxdpUnavailable } from '../../dataplane/lab/live-afxdp.ts';
import { dpdkUnavailable, expectedFor } from '../../dataplane/lab/live-dpdk.ts';
import { objectFor } from './build.ts';

const live = (g: Grade) => g.checks.filter((c) => c.name.startsWith('live:'));
const show = (g: Grade) => live(g).map((c) => `${c.status} ${c.name}\n  ${c.details.join('\n  ')}`).join('\n');

test('lab 10 rules, by hand: what the live check expects of each kind of frame', () => {
  const tagged = (tpid: number, tci: number) => Uint8Array.from([...Array(12).fill(0xaa), tpid >> 8, tpid & 0xff, tci >> 8, tci & 0xff, 0x08, 0x00, 1, 2, 3]);
  const e = expectedFor(tagged(0x8100, 0xa064)); // priority 5, VLAN 100
  assert.is(e.verdict, 'TX');
  assert.equal([...e.out!], [...Array(12).fill(0xaa), 0x08, 0x00, 1, 2, 3]);
  assert.is(expectedFor(tagged(0x8100, 200)).verdict, 'DROP');
  assert.is(expectedFor(tagged(0x88a8, 100)).verdict, 'DROP');
  assert.is(expectedFor(tagged(0x8100, 100).slice(0, 16)).verdict, 'DROP');
  assert.is(expectedFor(tagged(0x0800, 100)).verdict, 'PASS');
});

const clang = hasCommand(process.env.CLANG ?? 'clang');
const unavailable = (why: string | undefined) => ({ ok: why === undefined, why: why ?? '' });

if (requires('lab 9 live checks (AF_XDP between namespaces)', clang, unavailable(afxdpUnavailable()))) {
  test('lab 9 live: the solution answers the client\'s ARP and ping; the starter does not', async () => {
    const lab = findLab('9');
    const good = await gradeLab(lab, objectFor(lab.solution, 'solutions'));
    assert.is(live(good).length, 3);
    assert.ok(live(good).every((c) => c.status === 'passed'), show(good));
    const bad = await gradeLab(lab, objectFor(lab.starter, 'starters'));
    assert.ok(live(bad).every((c) => c.status === 'failed'), show(bad));
    assert.match(show(bad), /ping: 0 of 3 replies/);
    assert.match(show(bad), /has no entry for 10\.0\.1\.254/);
    assert.match(show(bad), /counted 0/);
  });
}

if (requires('lab 10 live checks (DPDK net_pcap port)', clang, unavailable(dpdkUnavailable()))) {
  test('lab 10 live: the solution transmits the VLAN 100 frames untagged; the starter transmits none', async () => {
    const lab = findLab('10');
    const good = await gradeLab(lab, objectFor(lab.solution, 'solutions'));
    assert.ok(live(good).every((c) => c.status === 'passed'), show(good));
    const bad = await gradeLab(lab, objectFor(lab.starter, 'starters'));
    const [runs, frames, verdicts] = live(bad);
    assert.is(runs!.status, 'passed', show(bad));
    assert.is(frames!.status, 'failed');
    assert.match(frames!.details[0]!, /^4 frame\(s\) expected, 0 sent$/);
    assert.match(verdicts!.details[0]!, /expected TX 4, DROP 3, PASS 1; counted TX 0, DROP 0, PASS 8/);
  });
}

test.run();
