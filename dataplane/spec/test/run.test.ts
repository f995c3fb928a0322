// Running specs through the library API: the example specs on both engines,
// a spec that must fail (its diffs derived from router.c's documented
// behaviour: TTL decremented by one, RFC 1624 checksum update), problems only
// the loaded object reveals, and per-CPU sums.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { packet, ipv4HeaderChecksum } from '../../../drivers/packet/packet.ts';
import { loadSpec, parseSpecText, parseSpec, runSpec, SpecError, type SpecResult } from '../index.ts';
import { packetDiff, sumPerCpu } from '../checks.ts';
import { firewallCases, firewallRules } from '../../../examples/test/cases.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = (name: string): string => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
const SPECS: [string, string][] = [
  ['examples/specs/firewall.yaml', 'examples/firewall.o'],
  ['examples/specs/firewall-demo.yaml', 'examples/firewall.o'],
  ['examples/specs/router.yaml', 'examples/router.o'],
  ['examples/specs/xdp_tx.yaml', 'examples/xdp_tx.o'],
  ['examples/specs/xdp_drop.yaml', 'examples/xdp_drop.o'],
  ['examples/specs/lb.yaml', 'examples/lb.o'],
  ['examples/specs/vlan.yaml', 'examples/vlan.o'],
  ['examples/specs/globals.yaml', 'examples/globals.o'],
];

const failures = (r: SpecResult): string[] => r.cases.flatMap((c) => [
  ...(c.error ? [`${c.name}: ${c.error}`] : []), ...c.failures.map((f) => `${c.name}: ${f.message} ${f.details.join('; ')}`)]);

for (const engine of ['jit', 'interp'] as const) {
  test(`the example specs pass (${engine})`, () => {
    for (const [spec, obj] of SPECS) {
      const s = loadSpec(root + spec);
      const r = runSpec(s, root + obj, { engine });
      assert.equal(failures(r), [], spec);
      assert.is(r.passed, s.cases.length, spec);
      assert.is(r.engine, engine);
    }
  });
}

test('a spec the router does not meet: each unmet expectation with its diff', () => {
  const r = runSpec(loadSpec(fixture('router-fails.yaml')), `${root}examples/router.o`);
  assert.equal(r.cases.map((c) => c.status), ['passed', 'failed', 'failed', 'failed', 'failed']);
  assert.is(r.passed, 1);
  assert.is(r.failed, 4);

  // Fields: the TTL (IPv4 byte 8: frame offset 14 + 8) went 64 → 63; the route's next hop is :01.
  const fields = r.cases[1]!.failures;
  assert.equal(fields.map((f) => f.kind), ['fields']);
  assert.equal(fields[0]!.details, [
    'ipv4.ttl (offset 22): expected 62 (0x3e), got 63 (0x3f)',
    'eth.dst (offset 0): expected 02:00:00:00:01:02, got 02:00:00:00:01:01',
    'tcp.dport: expected 80 (0x50), but the output has no such field (layers: eth, ipv4, udp)',
  ]);

  // Whole packet: the spec wrote TTL 64 (as sent), so the TTL and the header checksum differ.
  const sent = packet().eth().ipv4({ dst: '10.1.7.7', ttl: 64 }).udp().build();
  const forwarded = packet().eth().ipv4({ dst: '10.1.7.7', ttl: 63 }).udp().build();
  const sum = (p: Uint8Array): number => (p[24]! << 8) | p[25]!;
  assert.is(sum(forwarded), ipv4HeaderChecksum(forwarded, 14));
  const out = r.cases[2]!.failures[0]!;
  assert.is(out.kind, 'output');
  assert.equal(out.details, [
    'ipv4.ttl (offset 22): expected 64 (0x40), got 63 (0x3f)',
    `ipv4.checksum (offset 24): expected ${sum(sent)} (0x${sum(sent).toString(16)}), got ${sum(forwarded)} (0x${sum(forwarded).toString(16)})`,
  ]);

  assert.equal(r.cases[3]!.failures.map((f) => f.message), ['verdict: expected PASS, got REDIRECT']);
  assert.is(r.cases[3]!.redirect, 7, 'tx_ports slot 0 holds ifindex 7');

  // Maps: one IPv6 frame counted once in slot 3 (not IPv4); the route is still there.
  const maps = r.cases[4]!.failures[0]!;
  assert.is(maps.kind, 'map');
  assert.equal(maps.details, [
    'fwd_stats[03000000]: expected 2 (0200000000000000), got 1 (0100000000000000) (sum over CPUs)',
    'routes[100000000a010000]: expected absent, got 00000000' + '020000000101' + '0200000001fe',
  ]);
});

const inline = (text: string) => parseSpec(parseSpecText(text, 'inline.yaml'));

function bindError(text: string, obj = 'examples/firewall.o'): string {
  try {
    runSpec(inline(text), root + obj);
  } catch (err) {
    if (err instanceof SpecError) return err.message;
    throw err;
  }
  throw new Error('the spec ran, but it should have been refused');
}

test('what only the object can tell: unknown maps and programs, sizes, per-CPU values', () => {
  const c = (body: string) => `cases:\n  - name: k\n    hex: "02000000000202000000000108060001"\n    expect: {verdict: PASS}\n${body}`;
  assert.match(bindError(c('    maps: {blocked: [{key: {ipv4: 10.0.0.1}, value: {u64: 0}}]}\n')),
    /^inline\.yaml:5: cases\[0\]\.maps\.blocked\[0\] \(case "k"\): the object has no map named 'blocked' \(maps: .*blocked_v4/);
  assert.match(bindError(c('    maps: {blocked_v4: [{key: "0a00000001", value: {u64: 0}}]}\n')),
    /:5: cases\[0\]\.maps\.blocked_v4\[0\]\.key \(case "k"\): 5 byte\(s\), but the keys of 'blocked_v4' are 4 bytes/);
  assert.match(bindError(c('    maps: {blocked_v4: [{key: {ipv4: 10.0.0.1}, value: {u32: 0}}]}\n')),
    /blocked_v4\[0\]\.value \(case "k"\): 4 byte\(s\), but the values of 'blocked_v4' are 8 bytes/);
  assert.match(bindError(c('    maps: {blocked_v4: [{key: {ipv4: 10.0.0.1}, values: [{u64: 0}]}]}\n')),
    /blocked_v4\[0\]\.values \(case "k"\): 'values' \(one per CPU\) is for per-CPU maps/);
  assert.match(bindError(`program: xdp_fw\n${c('')}`), /^inline\.yaml:1: program: the object has no XDP program named 'xdp_fw' \(XDP programs: xdp_firewall\)/);
  assert.match(bindError(c('    expect: {verdict: PASS, maps: {events: [{key: "00", value: absent}]}}\n').replace('    expect: {verdict: PASS}\n', ''), 'examples/ringbuf.o'),
    /cases\[0\]\.expect\.maps\.events\[0\] \(case "k"\): map 'events' has no keys/);
});

test('a map write the map refuses makes that case an error, and the run goes on', () => {
  const r = runSpec(inline(`
cases:
  - name: slot 99 of an 8-slot array
    maps: {fw_reasons: [{key: {u32: 99}, value: {u64: 1}}]}
    packet: {eth: {}, ipv4: {}, tcp: {}}
    expect: {verdict: PASS}
  - name: next
    packet: {eth: {}, ipv4: {}, tcp: {dport: 23}}
    expect: {verdict: DROP}
`), `${root}examples/firewall.o`);
  assert.equal(r.cases.map((c) => c.status), ['error', 'passed']);
  assert.match(r.cases[0]!.error!, /^map setup fw_reasons: /);
  assert.is(r.errors, 1);
});

test('examples/test/cases.ts turned into a JSON spec: every documented firewall verdict and reason counter', () => {
  const r = firewallRules;
  const u64 = { u64: 0 };
  const reasonsSoFar = new Map<number, number>();
  const doc = {
    program: 'xdp_firewall',
    maps: {
      blocked_v4: [{ key: { ipv4: r.blockedV4 }, value: u64 }],
      blocked_v6: [{ key: { ipv6: r.blockedV6 }, value: u64 }],
      blocked_net_v4: [{ key: { prefix: `${r.blockedNetV4.addr}/${r.blockedNetV4.len}` }, value: u64 }],
      blocked_net_v6: [{ key: { prefix: `${r.blockedNetV6.addr}/${r.blockedNetV6.len}` }, value: u64 }],
      port_rules: [{ key: [{ u8: 6 }, { u8: 0 }, { be16: r.blockedTcpPort }], value: u64 }],
    },
    cases: firewallCases.map((c) => {
      reasonsSoFar.set(c.reason, (reasonsSoFar.get(c.reason) ?? 0) + 1);
      return {
        name: c.what, hex: c.frame.toString('hex'),
        expect: { verdict: c.verdict, maps: { fw_reasons: [{ key: { u32: c.reason }, value: { u64: reasonsSoFar.get(c.reason) } }] } },
      };
    }),
  };
  const result = runSpec(parseSpec(parseSpecText(JSON.stringify(doc, null, 1), 'cases.json')), `${root}examples/firewall.o`);
  assert.equal(failures(result), []);
  assert.is(result.passed, firewallCases.length);
});

test("the README's full example runs and passes against the router", () => {
  const readme = readFileSync(`${root}dataplane/spec/README.md`, 'utf8');
  const yaml = /## A full example\n\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(yaml, 'the README has a full example');
  // As if it sat in examples/specs/, which its relative capture path assumes.
  const spec = parseSpec(parseSpecText(yaml!, `${root}examples/specs/readme-example.yaml`));
  const r = runSpec(spec, `${root}examples/router.o`);
  assert.equal(failures(r), []);
  assert.is(r.passed, 4);
});

test('a packet diff stops listing fields where the layers part ways (an added header)', () => {
  const plain = packet().eth().ipv4({ dst: '10.0.0.100' }).tcp().build();
  const wrapped = packet().eth().ipv4({ dst: '10.1.0.5', src: '10.0.0.1' }).ipv4({ dst: '10.0.0.100' }).tcp().build();
  const lines = packetDiff(plain, wrapped);
  // The second header starts after Ethernet (14) and one IPv4 header (20).
  assert.is(lines[0], 'layers differ from offset 34: expected eth/ipv4/tcp, got eth/ipv4/ipv4/tcp');
  assert.ok(lines.includes(`length (offset 0): expected ${plain.length} (0x${plain.length.toString(16)}), got ${wrapped.length} (0x${wrapped.length.toString(16)})`));
  assert.ok(lines.includes('ipv4.dst (offset 30): expected 10.0.0.100, got 10.1.0.5'));
  assert.match(lines.at(-1)!, /^… and \d+ more field difference\(s\) past offset 34$/);
  for (const l of lines.slice(1, -1)) assert.ok(Number(/\(offset (\d+)\)/.exec(l)?.[1]) < 34, l);
  assert.equal(packetDiff(plain, plain), []);
});

test('trace: the bpf_trace_printk lines of each case, compared in order', () => {
  const r = runSpec(inline(`
cases:
  - name: wrong length in the message
    hex: "0200000000020200000000010800000000000000"
    expect: {trace: "globals: runt frame of 21 bytes"}
  - name: a line where none is expected
    maps: {.data: [{key: {u32: 0}, value: {u32: 1}}]}
    hex: "02000000000202000000000108000000000000000000"
    expect: {verdict: DROP, trace: []}
`), `${root}examples/globals.o`);
  assert.equal(r.cases.map((c) => c.status), ['failed', 'failed']);
  // globals.c formats "globals: runt frame of %u bytes" with the frame length (20 and 22 here).
  assert.equal(r.cases[0]!.failures[0]!.details, ['expected: "globals: runt frame of 21 bytes"', 'got:      "globals: runt frame of 20 bytes"']);
  assert.is(r.cases[0]!.failures[0]!.message, 'trace: expected 1 line(s) from bpf_trace_printk, got 1 that differ');
  assert.equal(r.cases[1]!.failures.map((f) => f.message), ['trace: expected 0 line(s) from bpf_trace_printk, got 1']);
  assert.match(r.cases[1]!.trace[0]!, /^\[\d+\] globals: runt frame of 22 bytes$/);
});

test('per-CPU values are summed lane by lane, little-endian, wrapping', () => {
  const u64 = (...ns: bigint[]) => { const b = new Uint8Array(8 * ns.length); const v = new DataView(b.buffer); ns.forEach((n, i) => v.setBigUint64(8 * i, n, true)); return b; };
  assert.equal(sumPerCpu([u64(1n, 2n), u64(3n, 4n), u64(0n, 0n)], 16), u64(4n, 6n));
  assert.equal(sumPerCpu([u64(2n ** 64n - 1n), u64(2n)], 8), u64(1n));
  assert.equal(sumPerCpu([Uint8Array.of(1, 0, 0, 0), Uint8Array.of(0xff, 0xff, 0xff, 0xff)], 4), Uint8Array.of(0, 0, 0, 0));
  assert.equal(sumPerCpu([Uint8Array.of(200, 1), Uint8Array.of(100, 2)], 2), Uint8Array.of(44, 3));
});

test.run();
