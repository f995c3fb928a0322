// `sluice trace` end to end against golden files: the real executable on the
// committed example objects and pcaps/demo.pcap. A change in the output shows
// up as a diff here; review it, then rewrite the files with
//   UPDATE_GOLDEN=1 npm test -- dataplane/trace/test/golden
// Native addresses never appear in a trace (pointers are named); any long hex
// number is masked anyway, so an address that slips through fails only once.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '../../cli/command.ts';
import { command } from '../../cli/commands/trace.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = `${root}dataplane/cli/bin.mjs`;
const golden = (name: string): string => fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
const mask = (text: string): string => text.replace(/0x[0-9a-f]{11,}/g, '0x<address>');

function sluice(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CASES: { file: string; args: string[]; why: string }[] = [
  { file: 'firewall-blocked-net.txt', args: ['examples/firewall.o', '--pcap', 'pcaps/demo.pcap', '--frame', '8'], why: 'TCP from 192.0.2.137: the default blocked network, DROP' },
  { file: 'firewall-blocked-port.txt', args: ['examples/firewall.o', '--pcap', 'pcaps/demo.pcap', '--frame', '2'], why: 'TCP SYN to port 445 (SMB): a default port rule, DROP' },
  { file: 'firewall-allowed.txt', args: ['examples/firewall.o', '--pcap', 'pcaps/demo.pcap', '--frame', '6'], why: 'TCP between office hosts: PASS' },
  { file: 'xdp_tx.txt', args: ['examples/xdp_tx.o', '--pcap', 'pcaps/demo.pcap', '--frame', '1'], why: 'an ICMP echo bounced with its MAC addresses swapped: TX' },
];

for (const c of CASES) {
  test(`${c.file}: ${c.why}`, () => {
    const r = sluice(['trace', ...c.args]);
    assert.is(r.stderr, '');
    assert.is(r.status, 0);
    const actual = mask(r.stdout);
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden(c.file), actual);
    assert.fixture(actual, readFileSync(golden(c.file), 'utf8'));
  });
}

test('the verdict line agrees with the reason each golden case was chosen for', () => {
  // Guards against blessing a wrong golden file: the verdict follows from firewall.c's rules and xdp_tx.c.
  const expected: Record<string, string> = {
    'firewall-blocked-net.txt': 'XDP_DROP', 'firewall-blocked-port.txt': 'XDP_DROP', 'firewall-allowed.txt': 'XDP_PASS', 'xdp_tx.txt': 'XDP_TX',
  };
  for (const c of CASES) assert.match(readFileSync(golden(c.file), 'utf8'), new RegExp(`^verdict: ${expected[c.file]} `, 'm'), c.file);
});

test('--packet HEX traces the same bytes as --pcap --frame', () => {
  const json = (args: string[]) => JSON.parse(sluice(['trace', 'examples/xdp_tx.o', ...args, '--json']).stdout) as { input: { hex: string }; steps: unknown[] };
  const fromPcap = json(['--pcap', 'pcaps/demo.pcap', '--frame', '1']);
  const fromHex = json(['--packet', fromPcap.input.hex.replace(/(..)/g, '$1 ')]);
  assert.is(fromHex.input.hex, fromPcap.input.hex);
  assert.equal(fromHex.steps, fromPcap.steps);
});

test('usage errors say what is wrong (UsageError: exit 2)', async () => {
  const cases: [string[], RegExp][] = [
    [['examples/xdp_tx.o'], /--pcap IN --frame N or with --packet HEX/],
    [['examples/xdp_tx.o', '--packet', 'aabbc'], /even number of hex digits/],
    [['examples/xdp_tx.o', '--pcap', 'pcaps/demo.pcap'], /--frame N/],
    [['examples/xdp_tx.o', '--pcap', 'pcaps/demo.pcap', '--frame', '0'], /counts from 1/],
    [['examples/xdp_tx.o', '--pcap', 'pcaps/demo.pcap', '--frame', '100000'], /has 326 frames; there is no frame 100000/],
  ];
  for (const [args, message] of cases) {
    const err = await command.run(args.map((a) => (a.includes('/') ? root + a : a))).then(() => undefined, (e: unknown) => e);
    assert.instance(err, UsageError, args.join(' '));
    assert.match((err as Error).message, message);
  }
});

test('an unknown program exits 1 naming the programs there are', () => {
  const r = sluice(['trace', 'examples/xdp_tx.o', '--packet', '00'.repeat(60), '--prog', 'nope']);
  assert.is(r.status, 1);
  assert.match(r.stderr, /no program named 'nope'.*xdp_tx/);
});

test.run();
