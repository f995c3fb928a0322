// `sluice test` end to end, spawned as a user runs it: exit statuses 0 / 1 / 2,
// the diff of a spec that must fail, JUnit XML read back by a real XML parser
// (Python's xml.etree) with the counts the spec implies, and --json.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'sluice-test-cli-'));
const FAILING = 'dataplane/spec/test/fixtures/router-fails.yaml';

function sluice(...args: string[]) {
  const r = spawnSync(process.execPath, [`${root}dataplane/cli/bin.mjs`, 'test', ...args], { encoding: 'utf8', cwd: root, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('every example spec passes: exit 0, one summary per spec', () => {
  // One object per command line; the firewall takes two specs at once.
  const runs: [string, string[]][] = [
    ['examples/firewall.o', ['examples/specs/firewall.yaml', 'examples/specs/firewall-demo.yaml']],
    ['examples/router.o', ['examples/specs/router.yaml']],
  ];
  for (const [obj, specs] of runs) {
    const r = sluice(obj, ...specs);
    assert.is(r.status, 0, `${obj}: ${r.stdout}${r.stderr}`);
    for (const spec of specs) {
      const cases = (readFileSync(root + spec, 'utf8').match(/^ {2}- name:/gm) ?? []).length;
      assert.ok(cases > 0);
      assert.ok(r.stdout.includes(`${spec} → `), spec);
      assert.ok(r.stdout.includes(`${cases} cases: ${cases} passed, 0 failed`), `${spec}: ${r.stdout}`);
    }
  }
});

test('a spec that must fail: exit 1 and a field-by-field diff under each failed case', () => {
  const r = sluice('examples/router.o', FAILING, '--engine', 'interp');
  assert.is(r.status, 1, r.stderr);
  const lines = r.stdout.split('\n').map((l) => l.trim());
  const after = (header: RegExp): string[] => lines.slice(lines.findIndex((l) => header.test(l)) + 1);
  assert.ok(lines.some((l) => /^ok +1 right \(REDIRECT → ifindex 7\)$/.test(l)), r.stdout);
  // router.c decrements the TTL by one: 64 in, 63 out, at IPv4 byte 8 (frame offset 22).
  assert.equal(after(/^FAIL +2 wrong TTL and next hop/).slice(0, 3), [
    'fields: 3 of 3 differ',
    'ipv4.ttl (offset 22): expected 62 (0x3e), got 63 (0x3f)',
    'eth.dst (offset 0): expected 02:00:00:00:01:02, got 02:00:00:00:01:01',
  ]);
  assert.equal(after(/^FAIL +4 wrong verdict/)[0], 'verdict: expected PASS, got REDIRECT');
  assert.ok(lines.includes('fwd_stats[03000000]: expected 2 (0200000000000000), got 1 (0100000000000000) (sum over CPUs)'));
  assert.match(r.stdout, /\n5 cases: 1 passed, 4 failed \([\d.]+ ms\)\n$/);
});

// One run feeds both the --json and the --junit checks.
const xml = join(tmp, 'junit.xml');
let both: ReturnType<typeof sluice> | undefined;
const jsonAndJunit = () => (both ??= sluice('examples/router.o', FAILING, 'examples/specs/router.yaml', '--json', '--junit', xml));
const routerCases = (readFileSync(`${root}examples/specs/router.yaml`, 'utf8').match(/^ {2}- name:/gm) ?? []).length;

test('--json: counts and each case with its verdict and failures', () => {
  const r = jsonAndJunit();
  assert.is(r.status, 1);
  const j = JSON.parse(r.stdout);
  assert.is(j.passed, 1 + routerCases);
  assert.is(j.failed, 4);
  const cases = j.specs[0].cases;
  assert.equal(cases.map((c: { status: string }) => c.status), ['passed', 'failed', 'failed', 'failed', 'failed']);
  assert.is(cases[0].verdict, 'REDIRECT');
  assert.is(cases[0].redirect, 7);
  assert.is(cases[3].failures[0].kind, 'verdict');
  assert.is(j.specs[1].passed, routerCases);
});

if (requires('JUnit XML read back by a real XML parser', hasCommand('python3'))) {
  test('--junit writes XML that parses, with one testcase per case and the right counts', () => {
    assert.is(jsonAndJunit().status, 1);
    const py = [
      'import sys, json, xml.etree.ElementTree as ET',
      'root = ET.parse(sys.argv[1]).getroot()',
      'suites = [{"name": s.get("name"), "tests": int(s.get("tests")), "failures": int(s.get("failures")), "errors": int(s.get("errors")),',
      '  "cases": len(s.findall("testcase")), "failed": [c.get("name") for c in s.findall("testcase") if c.find("failure") is not None],',
      '  "types": [c.find("failure").get("type") for c in s.findall("testcase") if c.find("failure") is not None],',
      '  "text": [c.find("failure").text for c in s.findall("testcase") if c.find("failure") is not None]} for s in root.findall("testsuite")]',
      'print(json.dumps({"tag": root.tag, "tests": int(root.get("tests")), "failures": int(root.get("failures")), "suites": suites}))',
    ].join('\n');
    const parsed = spawnSync('python3', ['-c', py, xml], { encoding: 'utf8' });
    assert.is(parsed.status, 0, parsed.stderr);
    const j = JSON.parse(parsed.stdout);
    assert.is(j.tag, 'testsuites');
    assert.is(j.tests, 5 + routerCases);
    assert.is(j.failures, 4);
    assert.equal(j.suites.map((s: { name: string }) => s.name), ['router-fails', 'router']);
    assert.equal(j.suites[0], {
      name: 'router-fails', tests: 5, failures: 4, errors: 0, cases: 5,
      failed: ['wrong TTL and next hop', 'wrong whole packet', 'wrong verdict', 'wrong counter'],
      types: ['fields', 'output', 'verdict', 'map'],
      text: j.suites[0].text,
    });
    assert.match(j.suites[0].text[0], /ipv4\.ttl \(offset 22\): expected 62 \(0x3e\), got 63 \(0x3f\)/);
    assert.equal({ ...j.suites[1], text: [] }, { name: 'router', tests: routerCases, failures: 0, errors: 0, cases: routerCases, failed: [], types: [], text: [] });
  });
}

test('a bad spec: exit 2 before anything runs, naming file, line, path, case and field', () => {
  const bad = join(tmp, 'bad.yaml');
  writeFileSync(bad, 'cases:\n  - name: typo\n    packet: {eth: {}, ipv4: {src: 10.0.0.300}}\n    expect: {verdict: PASS}\n');
  let r = sluice('examples/firewall.o', bad);
  assert.is(r.status, 2);
  assert.is(r.stdout, '');
  assert.match(r.stderr, `bad spec: ${bad}:3: cases[0].packet.ipv4.src (case "typo"): bad IPv4 address "10.0.0.300"`);

  writeFileSync(bad, 'cases:\n  - name: size\n    hex: "020000000002020000000001 0800"\n    expect:\n      maps: {blocked_v4: [{key: {ipv6: "::1"}, value: absent}]}\n');
  r = sluice('examples/firewall.o', bad);
  assert.is(r.status, 2);
  assert.match(r.stderr, `${bad}:5: cases[0].expect.maps.blocked_v4[0].key (case "size"): 16 byte(s), but the keys of 'blocked_v4' are 4 bytes`);

  r = sluice('examples/firewall.o');
  assert.is(r.status, 2, 'usage: OBJ and at least one SPEC');
});

test.run();
