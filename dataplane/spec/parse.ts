// A spec document → TestSpec: structure, hex, addresses and described packets
// checked here, with errors naming the file, line, path and case. What needs
// the loaded object (map names, key sizes) is checked by bind.ts.
import { dirname, basename, extname, resolve } from 'node:path';
import { formatIPv6, formatMac, parseIPv6, parseMac } from '../../drivers/packet/packet.ts';
import { readCaptureFile, LinkType, type CaptureRecord } from '../../drivers/pcap/capture.ts';
import { parseBytes, parseHex } from './bytes.ts';
import type { Expectation, FieldCheck, MapCheck, MapWrite, PacketInput, TestCase, TestSpec } from './format.ts';
import { parseDescribedPacket } from './packet-desc.ts';
import { Cursor, readSpecFile, show, type SpecSource } from './source.ts';
import { XDP_ACTIONS } from '../runtime.ts';
import { MAX_PACKET } from '../frame-arena.ts';

const TOP = ['name', 'program', 'pcap', 'maps', 'cases'];
const CASE = ['name', 'packet', 'hex', 'pcap', 'ifindex', 'rxQueue', 'maps', 'expect'];
const EXPECT = ['verdict', 'output', 'packet', 'unchanged', 'fields', 'checksums', 'length', 'redirect', 'maps', 'trace'];

/** The header fields the dissector names (drivers/packet/dissect.ts), by layer. */
const DISSECTED: Record<string, string[]> = {
  eth: ['dst', 'src', 'type'],
  vlan: ['pcp', 'dei', 'vid', 'type'],
  arp: ['htype', 'ptype', 'hlen', 'plen', 'op', 'sha', 'spa', 'tha', 'tpa', 'addresses'],
  ipv4: ['version', 'ihl', 'tos', 'totalLength', 'id', 'flags', 'frag', 'ttl', 'protocol', 'checksum', 'src', 'dst', 'options'],
  ipv6: ['version', 'trafficClass', 'flowLabel', 'payloadLength', 'nextHeader', 'hopLimit', 'src', 'dst'],
  'ipv6-ext': ['nextHeader', 'fragOffset', 'more', 'id', 'length', 'data'],
  tcp: ['sport', 'dport', 'seq', 'ack', 'dataOffset', 'flags', 'window', 'checksum', 'urgent', 'options'],
  udp: ['sport', 'dport', 'length', 'checksum'],
  icmp: ['type', 'code', 'checksum', 'id', 'seq', 'rest'],
  icmpv6: ['type', 'code', 'checksum', 'id', 'seq', 'rest'],
  payload: ['data'],
  trailer: ['data'],
};
const MAC_FIELDS = new Set(['eth.dst', 'eth.src', 'arp.sha', 'arp.tha']);

/** Reads and checks a spec file (YAML or JSON). */
export function loadSpec(file: string): TestSpec {
  return parseSpec(readSpecFile(file));
}

export function parseSpec(source: SpecSource): TestSpec {
  const root = new Cursor(source, [], source.doc);
  const top = root.mapping(TOP, ['cases']);
  const baseDir = dirname(resolve(source.file));
  const captures = new Captures(baseDir);
  const defaultPcap = top.pcap === undefined ? undefined : root.child('pcap').string();
  const cases = root.child('cases').list();
  if (cases.length === 0) root.child('cases').fail('the spec has no cases');
  return {
    file: source.file,
    name: top.name === undefined ? basename(source.file, extname(source.file)) : root.child('name').string(),
    ...(top.program === undefined ? {} : { program: root.child('program').string(), programWhere: root.child('program').where }),
    setup: top.maps === undefined ? [] : mapWrites(root.child('maps')),
    cases: cases.map((c, i) => testCase(c, i, captures, defaultPcap)),
  };
}

function testCase(at: Cursor, index: number, captures: Captures, defaultPcap: string | undefined): TestCase {
  const name = at.isMapping && typeof (at.value as { name?: unknown }).name === 'string' ? (at.value as { name: string }).name : `case ${index + 1}`;
  const c = at.named(name);
  const m = c.mapping(CASE, ['expect']);
  if (m.name !== undefined) c.child('name').string();
  const sources = ['packet', 'hex', 'pcap'].filter((k) => m[k] !== undefined);
  if (sources.length !== 1) c.fail(`give the packet exactly one way: packet (described), hex, or pcap; got ${sources.length ? sources.join(' and ') : 'none'}`);
  const packet = packetInput(c, sources[0]!, captures, defaultPcap);
  return {
    index, name, packet,
    ifindex: m.ifindex === undefined ? 1 : c.child('ifindex').int(0, 0xffffffff),
    rxQueue: m.rxQueue === undefined ? 0 : c.child('rxQueue').int(0, 0xffffffff),
    setup: m.maps === undefined ? [] : mapWrites(c.child('maps')),
    expect: expectation(c.child('expect'), packet),
    where: c.where,
  };
}

function packetInput(c: Cursor, kind: string, captures: Captures, defaultPcap: string | undefined): PacketInput {
  const at = c.child(kind);
  if (kind === 'packet') {
    const d = parseDescribedPacket(at);
    if (d.bytes.length > MAX_PACKET) at.fail(`the packet has ${d.bytes.length} bytes; a frame takes at most ${MAX_PACKET}`);
    return { bytes: d.bytes, origin: { kind: 'described', layers: d.layers }, where: at.where };
  }
  if (kind === 'hex') {
    if (typeof at.value === 'number') at.fail('hex must be text: quote it ("0800…"), or YAML reads the digits as a number');
    const b = parseHex(at.string());
    if (!b) at.fail(`bad hex ${JSON.stringify(at.value)}: expected pairs of hex digits`);
    if (b!.length === 0) at.fail('an empty packet: give at least one byte');
    if (b!.length > MAX_PACKET) at.fail(`${b!.length} bytes; a frame takes at most ${MAX_PACKET}`);
    return { bytes: b!, origin: { kind: 'hex' }, where: at.where };
  }
  // pcap: N (with a top-level pcap file) or {file, index}
  let file = defaultPcap;
  let indexAt = at;
  if (at.isMapping) {
    const m = at.mapping(['file', 'index'], ['index']);
    if (m.file !== undefined) file = at.child('file').string();
    indexAt = at.child('index');
  }
  if (file === undefined) at.fail('no capture file: give {file: F, index: N}, or a top-level pcap: F');
  const index = indexAt.int(0, 0xffffffff);
  const frames = captures.frames(file!, at);
  const frame = frames[index];
  if (!frame) indexAt.fail(`frame index ${index} is out of range: ${file} holds ${frames.length} frame(s) (indexes 0..${frames.length - 1})`);
  if (frame!.linkType !== LinkType.ETHERNET) indexAt.fail(`frame ${index} of ${file} is not Ethernet (link type ${frame!.linkType})`);
  if (frame!.data.length > MAX_PACKET) indexAt.fail(`frame ${index} of ${file} has ${frame!.data.length} bytes; a frame takes at most ${MAX_PACKET}`);
  return { bytes: frame!.data.slice(), origin: { kind: 'pcap', file: file!, index }, where: at.where };
}

/** Captures read once per spec, relative to the spec's folder. */
class Captures {
  private readonly cache = new Map<string, CaptureRecord[]>();
  constructor(private readonly baseDir: string) {}
  frames(file: string, at: Cursor): CaptureRecord[] {
    const path = resolve(this.baseDir, file);
    let frames = this.cache.get(path);
    if (!frames) {
      try {
        frames = readCaptureFile(path).all();
      } catch (err) {
        return at.fail(`cannot read capture ${file}: ${(err as Error).message}`, err);
      }
      this.cache.set(path, frames);
    }
    return frames;
  }
}

function verdict(at: Cursor): number {
  if (typeof at.value === 'number') return at.int(0, 0xffffffff);
  const name = at.string().toUpperCase().replace(/^XDP_/, '');
  const i = (XDP_ACTIONS as readonly string[]).indexOf(name);
  if (i < 0) at.fail(`unknown verdict ${JSON.stringify(at.value)} (use ${XDP_ACTIONS.join(', ')})`);
  return i;
}

function expectation(at: Cursor, input: PacketInput): Expectation {
  const m = at.mapping(EXPECT);
  if (Object.keys(m).length === 0) at.fail('expect is empty: give at least a verdict');
  if (m.output !== undefined && m.packet !== undefined) at.fail('give the output packet once: output (hex) or packet (described), not both');
  const out: Expectation = { fields: [], maps: [] };
  if (m.verdict !== undefined) out.verdict = verdict(at.child('verdict'));
  if (m.output !== undefined) {
    const c = at.child('output');
    out.output = { bytes: parseBytes(c), described: false, where: c.where };
  }
  if (m.packet !== undefined) {
    const c = at.child('packet');
    out.output = { bytes: parseDescribedPacket(c).bytes, described: true, where: c.where };
  }
  if (m.unchanged !== undefined) {
    out.unchanged = at.child('unchanged').bool();
    if (out.unchanged && out.output) at.child('unchanged').fail('unchanged: true and an output packet say the same thing twice; keep one');
    if (out.unchanged) out.output = { bytes: input.bytes, described: input.origin.kind === 'described', where: at.child('unchanged').where };
  }
  if (m.fields !== undefined) out.fields = fieldChecks(at.child('fields'));
  if (m.checksums !== undefined) {
    const c = at.child('checksums');
    if (c.value !== 'valid' && c.value !== true) c.fail(`expected 'valid' (every checksum in the output is right); got ${show(c.value)}`);
    out.checksums = true;
  }
  if (m.length !== undefined) out.length = at.child('length').int(0, 65535);
  if (m.redirect !== undefined) {
    const c = at.child('redirect');
    if (c.isMapping) c.mapping(['ifindex'], ['ifindex']); // redirect: {ifindex: N} reads as well as redirect: N
    out.redirect = (c.isMapping ? c.child('ifindex') : c).int(0, 0xffffffff);
    if (out.verdict === undefined) out.verdict = XDP_ACTIONS.indexOf('REDIRECT');
  }
  if (m.maps !== undefined) out.maps = mapChecks(at.child('maps'));
  if (m.trace !== undefined) {
    const c = at.child('trace');
    out.trace = typeof c.value === 'string' ? [c.value] : c.list().map((l) => l.string());
  }
  return out;
}

function fieldChecks(at: Cursor): FieldCheck[] {
  return at.keys('field names to values, like {ipv4.ttl: 63}').map((name) => {
    const c = at.child(name);
    const parsed = /^([a-z0-9-]+)(?:\[(\d+)\])?\.([A-Za-z]+)$/.exec(name);
    if (!parsed) c.fail(`expected a field name like ipv4.ttl or vlan[1].vid; got '${name}'`);
    const [, layer, nth, field] = parsed as unknown as [string, string, string | undefined, string];
    const known = DISSECTED[layer];
    if (!known) c.fail(`unknown layer '${layer}' (layers: ${Object.keys(DISSECTED).join(', ')})`);
    if (!known!.includes(field)) c.fail(`${layer} has no field '${field}' (fields: ${known!.join(', ')})`);
    return { name, layer, nth: nth === undefined ? 0 : Number(nth), field, expected: fieldValue(c, `${layer}.${field}`), where: c.where };
  });
}

function fieldValue(c: Cursor, key: string): FieldCheck['expected'] {
  const v = c.value;
  if (v === 'absent') return { absent: true };
  if (typeof v === 'number') return c.int(0, Number.MAX_SAFE_INTEGER);
  if (typeof v !== 'string') return c.fail(`expected a number, text or 'absent'; got ${show(v)}`);
  if (/^0x[0-9a-f]+$/i.test(v)) return parseInt(v, 16);
  try {
    if (MAC_FIELDS.has(key)) return formatMac(parseMac(v));
    if (key === 'ipv6.src' || key === 'ipv6.dst') return formatIPv6(parseIPv6(v));
  } catch (err) {
    return c.fail((err as Error).message, err);
  }
  if (key.endsWith('.data') || key.endsWith('.options')) return v.replace(/[\s:]/g, '').toLowerCase();
  return v;
}

function mapEntries(at: Cursor): { map: string; entry: Cursor }[] {
  return at.keys('map names to lists of entries, like {blocked_v4: [{key: …, value: …}]}').flatMap((map) => at.child(map).list().map((entry) => ({ map, entry })));
}

function perCpuValues(c: Cursor): Uint8Array[] {
  return c.list().map(parseBytes);
}

function mapWrites(at: Cursor): MapWrite[] {
  return mapEntries(at).map(({ map, entry }) => {
    const m = entry.mapping(['key', 'value', 'values'], ['key']);
    if ((m.value === undefined) === (m.values === undefined)) entry.fail("give the entry's value ('value', or 'values' per CPU; value: absent deletes the key)");
    const w: MapWrite = { map, key: parseBytes(entry.child('key')), where: entry.where, keyWhere: entry.child('key').where, valueWhere: entry.child(m.value === undefined ? 'values' : 'value').where };
    if (m.values !== undefined) w.values = perCpuValues(entry.child('values'));
    else if (m.value !== 'absent') w.value = parseBytes(entry.child('value'));
    return w;
  });
}

function mapChecks(at: Cursor): MapCheck[] {
  return mapEntries(at).map(({ map, entry }) => {
    const m = entry.mapping(['key', 'value', 'values'], ['key']);
    if ((m.value === undefined) === (m.values === undefined)) entry.fail("give the expected value ('value', 'values' per CPU, or value: absent)");
    const absent = m.value === 'absent';
    const check: MapCheck = { map, key: parseBytes(entry.child('key')), absent, where: entry.where, keyWhere: entry.child('key').where, valueWhere: entry.child(m.value === undefined ? 'values' : 'value').where };
    if (m.values !== undefined) check.values = perCpuValues(entry.child('values'));
    else if (!absent) check.value = parseBytes(entry.child('value'));
    return check;
  });
}
