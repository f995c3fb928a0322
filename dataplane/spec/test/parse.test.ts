// Spec parsing: the byte encodings (from their definitions: host order is
// little-endian on x86-64, network order big-endian, LPM keys as linux/bpf.h's
// struct bpf_lpm_trie_key), described packets equal to the builder's, and bad
// specs rejected with the file, line, path, case and field in the message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packet } from '../../../drivers/packet/packet.ts';
import { encodeCapture } from '../../../drivers/pcap/capture.ts';
import { loadSpec, parseSpecText, parseSpec, SpecError, type TestSpec } from '../index.ts';

const parse = (text: string, file = 't.yaml'): TestSpec => parseSpec(parseSpecText(text, file));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The SpecError a spec raises (fails the test when it parses). */
function specError(text: string, file = 'bad.yaml'): SpecError {
  try {
    parse(text, file);
  } catch (err) {
    if (err instanceof SpecError) return err;
    throw err;
  }
  throw new Error('the spec parsed, but it should not have');
}

const oneCase = (caseBody: string, top = ''): string => `${top}cases:\n  - name: c1\n${caseBody}`;

test('keys and values: host-order and network-order integers, addresses, LPM prefixes, lists', () => {
  const s = parse(`
maps:
  m:
    - {key: {u32: 258}, value: {u64: 1}}
    - {key: {be16: 8080}, value: "00 01 02 03"}
    - {key: {ipv4: 10.9.9.9}, value: {mac: "02:00:00:00:00:99"}}
    - {key: {prefix: 10.8.0.0/16}, value: [{u8: 6}, {u8: 0}, {be16: 23}, {zeros: 2}]}
    - {key: {prefix: "2001:db8::/32"}, value: {ipv6: "::1"}}
    - {key: {u64: "0xffffffffffffffff"}, value: absent}
cases:
  - {name: x, hex: "0200000000020200000000010800", expect: {verdict: PASS}}
`);
  const w = s.setup;
  assert.is(hex(w[0]!.key), '02010000');
  assert.is(hex(w[0]!.value!), '0100000000000000');
  assert.is(hex(w[1]!.key), '1f90');
  assert.is(hex(w[1]!.value!), '00010203');
  assert.is(hex(w[2]!.key), '0a090909');
  assert.is(hex(w[2]!.value!), '020000000099');
  assert.is(hex(w[3]!.key), '100000000a080000');
  assert.is(hex(w[3]!.value!), '06000017' + '0000');
  assert.is(hex(w[4]!.key), '20000000' + '20010db8' + '0'.repeat(24));
  assert.is(hex(w[4]!.value!), '0'.repeat(30) + '01');
  assert.is(hex(w[5]!.key), 'ff'.repeat(8));
  assert.is(w[5]!.value, undefined, 'value: absent deletes');
});

test('described packets are what the packet builder builds, in both forms', () => {
  const s = parse(`
cases:
  - name: mapping
    packet: {eth: {src: "02:00:00:00:00:0a"}, vlan: [{vid: 100}, {vid: 200}], ipv4: {src: 10.9.9.9, ttl: 5, flags: DF}, tcp: {dport: 22, flags: SA, options: {mss: 1460}}, payload: 4, pad: 80}
    expect: {verdict: PASS}
  - name: list
    packet: [{eth: {}}, {ipv4: {}}, {ipv4: {src: 192.0.2.1}}, {icmp: {type: echo-reply}}, {payload: {hex: "de ad"}}]
    expect: {verdict: PASS}
`);
  const first = packet().eth({ src: '02:00:00:00:00:0a' }).vlan({ vid: 100 }).vlan({ vid: 200 })
    .ipv4({ src: '10.9.9.9', ttl: 5, flags: 'DF' }).tcp({ dport: 22, flags: 'SA', options: { mss: 1460 } }).payload(4).build({ minLength: 80 });
  assert.equal(s.cases[0]!.packet.bytes, first);
  const second = packet().eth().ipv4().ipv4({ src: '192.0.2.1' }).icmp({ type: 'echo-reply' }).payload({ hex: 'dead' }).build();
  assert.equal(s.cases[1]!.packet.bytes, second);
  assert.is(s.cases[1]!.name, 'list');
  assert.is(s.cases[0]!.ifindex, 1, 'ifindex defaults to 1, as the kernel test run');
});

test('JSON specs parse too, with lines in their errors', () => {
  const s = parse('{"program": "p", "cases": [{"name": "j", "hex": "0x02000000000202000000000108060001", "expect": {"verdict": "XDP_TX"}}]}', 't.json');
  assert.is(s.program, 'p');
  assert.is(s.cases[0]!.expect.verdict, 3);
  const e = specError('{\n "cases": [\n  {"name": "j",\n   "hex": "zz",\n   "expect": {"verdict": 1}}]}', 'bad.json');
  assert.match(e.message, /^bad\.json:4: cases\[0\]\.hex \(case "j"\): bad hex "zz"/);
});

test('bad specs name the file, line, path, case and field', () => {
  const cases: [string, RegExp][] = [
    [oneCase('    hex: "0200"\n    expect: {verdict: PASS, colour: red}\n'), /^bad\.yaml:4: cases\[0\]\.expect\.colour \(case "c1"\): unknown key 'colour' \(expected one of: verdict,/],
    [oneCase('    hexx: "0200"\n    expect: {verdict: PASS}\n'), /bad\.yaml:3: cases\[0\]\.hexx \(case "c1"\): unknown key 'hexx'/],
    [oneCase('    hex: "02 0g"\n    expect: {verdict: PASS}\n'), /:3: cases\[0\]\.hex \(case "c1"\): bad hex "02 0g"/],
    [oneCase('    packet: {eth: {}, ipv4: {src: 10.0.0.256}}\n    expect: {verdict: PASS}\n'), /:3: cases\[0\]\.packet\.ipv4\.src \(case "c1"\): bad IPv4 address "10\.0\.0\.256"/],
    [oneCase('    packet: {eth: {dst: "02:00:00:00:00"}}\n    expect: {verdict: PASS}\n'), /cases\[0\]\.packet\.eth\.dst \(case "c1"\): bad MAC address/],
    [oneCase('    packet: {eth: {}, ipv4: {ttl: 300}}\n    expect: {verdict: PASS}\n'), /cases\[0\]\.packet\.ipv4\.ttl \(case "c1"\): expected an integer from 0 to 4294967295|ipv4\.ttl: 300 is not an integer in 0\.\.255/],
    [oneCase('    packet: {eth: {}, ipv4: {tll: 3}}\n    expect: {verdict: PASS}\n'), /cases\[0\]\.packet\.ipv4\.tll \(case "c1"\): unknown key 'tll'/],
    [oneCase('    packet: {eth: {}, ip: {}}\n    expect: {verdict: PASS}\n'), /cases\[0\]\.packet\.ip \(case "c1"\): unknown layer 'ip'/],
    [oneCase('    hex: "0200"\n    expect: {verdict: PASSS}\n'), /:4: cases\[0\]\.expect\.verdict \(case "c1"\): unknown verdict "PASSS"/],
    [oneCase('    hex: "0200"\n    expect: {fields: {ipv4.tl: 3}}\n'), /cases\[0\]\.expect\.fields\.ipv4\.tl \(case "c1"\): ipv4 has no field 'tl'/],
    [oneCase('    hex: "0200"\n    expect: {verdict: PASS}\n    maps: {m: [{key: {u32: 1}, value: 5}]}\n'), /:5: cases\[0\]\.maps\.m\[0\]\.value \(case "c1"\): a bare number has no size/],
    [oneCase('    hex: "0200"\n    expect: {verdict: PASS}\n    maps: {m: [{key: {ipv4: 1.2.3}, value: "00"}]}\n'), /cases\[0\]\.maps\.m\[0\]\.key\.ipv4 \(case "c1"\): bad IPv4 address "1\.2\.3"/],
    [oneCase('    hex: "0200"\n    expect: {verdict: PASS}\n    maps: {m: [{key: {u16: 70000}, value: "00"}]}\n'), /key\.u16 \(case "c1"\): 70000 does not fit in 2 byte\(s\)/],
    [oneCase('    hex: "0200"\n    packet: {eth: {}}\n    expect: {verdict: PASS}\n'), /cases\[0\] \(case "c1"\): give the packet exactly one way.*got packet and hex/],
    [oneCase('    hex: "0200"\n'), /cases\[0\] \(case "c1"\): 'expect' is missing/],
    [oneCase('    pcap: 3\n    expect: {verdict: PASS}\n'), /cases\[0\]\.pcap \(case "c1"\): no capture file/],
    ['cases: []\n', /bad\.yaml:1: cases: the spec has no cases/],
    ['cases:\n  - name: a\n   bad indent: [\n', /^bad\.yaml:\d+: \(document\): not valid YAML\/JSON/],
    ['programme: x\ncases: []\n', /bad\.yaml:1: programme: unknown key 'programme'/],
  ];
  for (const [text, expected] of cases) {
    const e = specError(text);
    assert.match(e.message, expected, `${JSON.stringify(text)} → ${e.message}`);
  }
});

test('pcap frames by index, relative to the spec; an index out of range names the capture and its size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-spec-'));
  const frames = [packet().eth().ipv4().udp().build(), packet().eth().ipv6().tcp({ dport: 23 }).build()];
  writeFileSync(join(dir, 'two.pcap'), encodeCapture(frames));
  writeFileSync(join(dir, 'ok.yaml'), 'pcap: two.pcap\ncases:\n  - {name: a, pcap: 1, expect: {verdict: PASS}}\n  - {name: b, pcap: {file: two.pcap, index: 0}, expect: {verdict: PASS}}\n');
  const s = loadSpec(join(dir, 'ok.yaml'));
  assert.equal(s.cases[0]!.packet.bytes, frames[1]);
  assert.equal(s.cases[1]!.packet.bytes, frames[0]);
  writeFileSync(join(dir, 'bad.yaml'), 'pcap: two.pcap\ncases:\n  - name: far\n    pcap: 2\n    expect: {verdict: PASS}\n');
  try {
    loadSpec(join(dir, 'bad.yaml'));
    assert.unreachable('index 2 of a two-frame capture');
  } catch (err) {
    assert.instance(err, SpecError);
    assert.match((err as Error).message, /bad\.yaml:4: cases\[0\]\.pcap \(case "far"\): frame index 2 is out of range: two\.pcap holds 2 frame\(s\) \(indexes 0\.\.1\)/);
  }
});

test.run();
