// Every reference solution passes its lab's grader at 100%; every starter
// fails it, and the failure says what is missing in the words the lab's spec
// uses (the expected verdict or counter, the verifier's reason and C line).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { requires, hasCommand } from '../../scripts/testkit/skip.ts';
import { listLabs, type Lab } from '../../dataplane/lab/catalog.ts';
import { gradeLab, type Grade } from '../../dataplane/lab/grade.ts';
import { objectFor } from './build.ts';

const labs = listLabs();
const pcapLabs = labs.filter((l) => !l.live);

test('there are at least 8 pcap labs, numbered 1.. in order, each with its files', () => {
  assert.ok(pcapLabs.length >= 8, labs.map((l) => l.slug).join(' '));
  labs.forEach((l, i) => assert.is(l.number, i + 1, l.slug));
  for (const l of labs) {
    for (const f of [l.readme, l.starter, l.solution, ...l.specs]) assert.ok(existsSync(f), `${l.slug}: missing ${f}`);
    const caps = ['input.pcap'].map((f) => join(l.dir, f)).filter(existsSync);
    for (const c of caps) assert.ok(statSync(c).size < 50_000, `${c} is ${statSync(c).size} bytes`);
  }
});

test('the committed captures are what labs/make-captures.ts writes', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../make-captures.ts', import.meta.url)), '--check'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
});

/** The text a person reads: every failed check's details, and the hints. */
const failureText = (g: Grade): string => g.checks.filter((c) => c.status === 'failed').flatMap((c) => [c.name, ...c.details]).concat(g.hints).join('\n');

/**
 * What each starter's grade must say, from the lab's spec and README: the
 * first expectation a do-nothing program misses.
 */
const STARTER_SAYS: Record<string, RegExp[]> = {
  '01-count-protocols': [/proto_count\[06000000\]: expected 1 \(0100000000000000\), got 0/, /not_ip_count\[00000000\]: expected 1/],
  '02-ssh-only': [/HTTP \(TCP port 80\) is dropped/, /verdict: expected DROP, got PASS/],
  '03-blocklist': [/blocked 192\.0\.2\.66 is dropped/, /verdict: expected DROP, got PASS/, /blocked_v4\[c0000242\]: expected 1/],
  '04-icmp-echo': [/verdict: expected TX, got PASS/, /icmp\.type \(offset 34\): expected 0 \(0x0\), got 8/],
  '05-ttl-router': [/verdict: expected REDIRECT, got PASS/, /ipv4\.ttl \(offset 22\): expected 63 \(0x3f\), got 64/],
  '06-ipip-lb': [/verdict: expected TX, got PASS/],
  '07-syn-flood': [/the 9th SYN/, /verdict: expected DROP, got PASS/, /syn_drops\[00000000\]: expected 1/],
  '09-afxdp-netns': [/gets the reply, byte for byte/, /verdict: expected TX, got PASS/, /arp\.op \(offset 20\): expected 2 \(0x2\), got 1/],
  '10-dpdk-vport': [/verdict: expected TX, got PASS/, /a VLAN 200 frame is dropped\n\s*verdict: expected DROP, got PASS/],
  '08-verifier': [/compare data \+ 38 with data_end/, /starter\.c:58: hits = bpf_map_lookup_elem\(&blocked_ports, &udp->dest\)/,
    /r0 may be NULL/, /starter\.c:79: __sync_fetch_and_add\(count, 1\)/, /not run: xdp_port_block was rejected by the verifier/],
};

if (requires('building the labs with clang', hasCommand(process.env.CLANG ?? 'clang'))) {
  // Topology labs are graded here on their spec part (live: false); labs/test/live.test.ts runs the live part.
  for (const lab of labs) {
    test(`${lab.slug}: the reference solution passes every check`, async () => {
      const g = await gradeLab(lab, objectFor(lab.solution, 'solutions'), { live: false });
      assert.is(g.passed, g.total, failureText(g));
      assert.is(g.skipped, lab.live ? 3 : 0);
      assert.is(g.percent, 100);
      // The verifier ran on each program the specs name, and every case ran.
      const cases = lab.specs.map((s) => (readFileSync(s, 'utf8').match(/^ {2}- /gm) ?? []).length).reduce((a, b) => a + b, 0);
      assert.is(g.checks.filter((c) => /case \d+:/.test(c.name)).length, cases);
      assert.ok(g.checks.some((c) => c.name.startsWith('verifier accepts')));
      assert.equal(g.hints, []);
    });

    test(`${lab.slug}: the starter compiles but fails, saying what is missing`, async () => {
      const g = await gradeLab(lab, objectFor(lab.starter, 'starters'), { live: false });
      assert.ok(g.passed < g.total, `${g.passed}/${g.total}`);
      assert.ok(g.percent < 100);
      const text = failureText(g);
      const expected = STARTER_SAYS[lab.slug];
      assert.ok(expected, `no expectation written for ${lab.slug}`);
      for (const re of expected!) assert.match(text, re);
      assert.match(text, new RegExp(`${lab.slug}/README\\.md`));
    });
  }

  test('a solution with one mistake (lab 4 without its checksum update) fails on the checksum alone', async () => {
    const lab = labs.find((l) => l.slug === '04-icmp-echo')!;
    const source = readFileSync(lab.solution, 'utf8');
    const broken = source.replace(/\n\s*icmp->checksum = csum_replace\([^\n]*\n/, '\n');
    assert.is.not(broken, source);
    const { writeFileSync } = await import('node:fs');
    const { scratch } = await import('./build.ts');
    const path = join(scratch('mutant'), 'no-checksum.c');
    writeFileSync(path, broken);
    const g = await gradeLab(lab, path, { buildDir: scratch('mutant-out') });
    const failed = g.checks.filter((c) => c.status === 'failed');
    // The IPv4 echo cases that look at the ICMP checksum: the whole-frame comparison, checksums: valid (twice).
    assert.equal(failed.map((c) => c.name), [
      'case 1: an ICMP echo request becomes the echo reply (the whole frame)',
      'case 2: the reply\'s IPv4 and ICMP checksums are right',
      'case 9: an echo request in an IPv4 packet with options (ICMP starts at ihl*4)',
    ]);
    assert.match(failureText(g), /icmp\.checksum \(offset 36\): holds/);
  });
}

test.run();
