// Described packets in a spec → the packet builder's layers (drivers/packet),
// checked field by field first so that a typo names its place in the file
// instead of silently building some other packet.
//
//   packet: {eth: {dst: 02:00:00:00:00:02}, ipv4: {src: 10.9.9.9, ttl: 5}, tcp: {dport: 22}}
//   packet: [{eth: {}}, {vlan: {vid: 100}}, {vlan: {vid: 200}}, {ipv4: {}}, {udp: {}}]   # repeated layers
//   packet: {eth: {}, vlan: [{vid: 100}, {vid: 200}], ipv4: {}, udp: {}, payload: 18, pad: 60}
import {
  AddressError, buildPacket, PacketError, parseIPv4, parseIPv6, parseMac, type LayerSpec,
} from '../../drivers/packet/packet.ts';
import { parseHex } from './bytes.ts';
import { Cursor, show } from './source.ts';

type Kind = 'int' | 'mac' | 'ipv4' | 'ipv6' | 'text-or-int' | 'bytes' | 'tcp-options' | 'bool-or-int';

/** Every field the builder knows, with how to read it (spec.ts documents the defaults). */
const LAYERS: Record<string, Record<string, Kind>> = {
  eth: { dst: 'mac', src: 'mac', type: 'int' },
  vlan: { vid: 'int', pcp: 'int', dei: 'bool-or-int', type: 'int' },
  arp: { op: 'text-or-int', sha: 'mac', spa: 'ipv4', tha: 'mac', tpa: 'ipv4' },
  ipv4: {
    src: 'ipv4', dst: 'ipv4', tos: 'int', id: 'int', flags: 'text-or-int', frag: 'int', ttl: 'int', protocol: 'int',
    totalLength: 'int', checksum: 'int', options: 'bytes',
  },
  ipv6: { src: 'ipv6', dst: 'ipv6', trafficClass: 'int', flowLabel: 'int', hopLimit: 'int', nextHeader: 'int', payloadLength: 'int' },
  tcp: {
    sport: 'int', dport: 'int', seq: 'int', ack: 'int', flags: 'text-or-int', window: 'int', urgent: 'int', checksum: 'int',
    options: 'tcp-options',
  },
  udp: { sport: 'int', dport: 'int', length: 'int', checksum: 'int' },
  icmp: { type: 'text-or-int', code: 'int', id: 'int', seq: 'int', rest: 'int', checksum: 'int' },
  icmpv6: { type: 'text-or-int', code: 'int', id: 'int', seq: 'int', rest: 'int', checksum: 'int' },
};
export const LAYER_NAMES = [...Object.keys(LAYERS), 'payload'];

function field(at: Cursor, kind: Kind): unknown {
  const v = at.value;
  const addr = (parse: (s: string) => Uint8Array): string => {
    try { parse(at.string()); } catch (err) { if (err instanceof AddressError) at.fail(err.message); throw err; }
    return v as string;
  };
  switch (kind) {
    case 'int': return at.int(0, 0xffffffff);
    case 'mac': return addr(parseMac);
    case 'ipv4': return addr(parseIPv4);
    case 'ipv6': return addr(parseIPv6);
    case 'text-or-int': return typeof v === 'string' && !/^0x/i.test(v) ? v : at.int(0, 0xffffffff);
    case 'bool-or-int': return typeof v === 'boolean' ? v : at.int(0, 1);
    case 'bytes': {
      const b = typeof v === 'string' ? parseHex(v) : undefined;
      if (!b) at.fail(`expected hex bytes (e.g. "94040000"); got ${show(v)}`);
      return Array.from(b!);
    }
    case 'tcp-options': {
      if (typeof v === 'string') return field(at, 'bytes');
      const m = at.mapping(['mss', 'sackPermitted', 'timestamp', 'wscale']);
      const out: Record<string, unknown> = {};
      if (m.mss !== undefined) out.mss = at.child('mss').int(0, 0xffff);
      if (m.sackPermitted !== undefined) out.sackPermitted = at.child('sackPermitted').bool();
      if (m.wscale !== undefined) out.wscale = at.child('wscale').int(0, 255);
      if (m.timestamp !== undefined) {
        const ts = at.child('timestamp').list().map((c) => c.int(0, 0xffffffff));
        if (ts.length !== 2) at.child('timestamp').fail('expected [TSval, TSecr]');
        out.timestamp = ts;
      }
      return out;
    }
  }
}

function payload(at: Cursor): LayerSpec {
  const v = at.value;
  if (typeof v === 'number') return { layer: 'payload', data: at.int(0, 65535) };
  if (typeof v === 'string') return { layer: 'payload', data: v };
  const m = at.mapping(['hex', 'text', 'length']);
  if (Object.keys(m).length !== 1) at.fail('expected one of {hex: …}, {text: …}, {length: N}, a length or text');
  if (m.hex !== undefined) {
    const b = parseHex(at.child('hex').string());
    if (!b) at.child('hex').fail(`bad hex ${JSON.stringify(m.hex)}: expected pairs of hex digits`);
    return { layer: 'payload', data: b! };
  }
  if (m.text !== undefined) return { layer: 'payload', data: at.child('text').string() };
  return { layer: 'payload', data: at.child('length').int(0, 65535) };
}

function layer(name: string, at: Cursor): LayerSpec {
  if (name === 'payload') return payload(at);
  const fields = LAYERS[name]!;
  if (at.value === null || at.value === undefined) return { layer: name } as LayerSpec;
  const m = at.mapping(Object.keys(fields));
  const out: Record<string, unknown> = { layer: name };
  for (const k of Object.keys(m)) out[k] = field(at.child(k), fields[k]!);
  return out as LayerSpec;
}

export interface DescribedPacket {
  layers: LayerSpec[];
  /** Zero padding up to this length (`pad: 60`), 0 for none. */
  pad: number;
  bytes: Uint8Array;
}

/** A described packet (mapping or list of one-key mappings) → layers and bytes. */
export function parseDescribedPacket(at: Cursor): DescribedPacket {
  const layers: LayerSpec[] = [];
  const cursors: Cursor[] = [];
  let pad = 0;
  const add = (name: string, c: Cursor): void => {
    if (name === 'pad') { pad = c.int(0, 4000); return; }
    if (!LAYER_NAMES.includes(name)) c.fail(`unknown layer '${name}' (layers: ${LAYER_NAMES.join(', ')}; and pad)`);
    if (Array.isArray(c.value) && name !== 'payload') { c.list().forEach((item) => add(name, item)); return; }
    layers.push(layer(name, c));
    cursors.push(c);
  };
  const keysOf = (c: Cursor): string[] => {
    if (!c.isMapping) c.fail(`expected layers, like {eth: {}, ipv4: {src: 10.0.0.1}, udp: {dport: 53}}; got ${show(c.value)}`);
    return Object.keys(c.value as object);
  };
  if (Array.isArray(at.value)) {
    for (const item of at.list()) {
      const keys = keysOf(item);
      if (keys.length !== 1) item.fail(`each list item is one layer, like {ipv4: {ttl: 5}}; got ${keys.length} keys`);
      add(keys[0]!, item.child(keys[0]!));
    }
  } else {
    for (const k of keysOf(at)) add(k, at.child(k));
  }
  if (layers.length === 0) at.fail('a described packet needs at least one layer (eth, …)');
  if (layers[0]!.layer !== 'eth') at.fail(`the first layer must be eth (sluice runs Ethernet frames); got ${layers[0]!.layer}`);
  try {
    return { layers, pad, bytes: buildPacket(layers, { minLength: pad }) };
  } catch (err) {
    if (!(err instanceof PacketError || err instanceof AddressError)) throw err;
    // The builder's messages start with "layer.field:": point at that layer when we can.
    const name = /^(\w+)[.:]/.exec(err.message)?.[1];
    const i = layers.findIndex((l) => l.layer === name);
    return (i >= 0 ? cursors[i]! : at).fail(err.message, err);
  }
}
