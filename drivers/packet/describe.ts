// Packet descriptions that arrive as data (a YAML or JSON test spec) rather
// than as TypeScript: checked field by field, so a typo ("ipv4.tll") is an
// error that names it instead of a default silently used.
//
// Two shapes are accepted for each layer:
//   { layer: 'ipv4', src: '10.0.0.1' }       (the LayerSpec shape)
//   { ipv4: { src: '10.0.0.1' } }            (reads well in YAML: `- ipv4: {src: 10.0.0.1}`)
// and `{ payload: <bytes | text | length | {hex}> }` for the payload.
import { PacketError } from './errors.ts';
import type { LayerName, LayerSpec } from './spec.ts';

/** The fields each layer's description may hold (spec.ts documents them). */
export const LAYER_FIELDS: Record<LayerName, readonly string[]> = {
  eth: ['dst', 'src', 'type'],
  vlan: ['vid', 'pcp', 'dei', 'type'],
  arp: ['op', 'sha', 'spa', 'tha', 'tpa'],
  ipv4: ['src', 'dst', 'tos', 'id', 'flags', 'frag', 'ttl', 'protocol', 'totalLength', 'checksum', 'options'],
  ipv6: ['src', 'dst', 'trafficClass', 'flowLabel', 'hopLimit', 'nextHeader', 'payloadLength'],
  tcp: ['sport', 'dport', 'seq', 'ack', 'flags', 'window', 'urgent', 'checksum', 'options'],
  udp: ['sport', 'dport', 'length', 'checksum'],
  icmp: ['type', 'code', 'id', 'seq', 'rest', 'checksum'],
  icmpv6: ['type', 'code', 'id', 'seq', 'rest', 'checksum'],
  payload: ['data'],
};

const isLayer = (name: unknown): name is LayerName => typeof name === 'string' && Object.hasOwn(LAYER_FIELDS, name);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** Throws a PacketError if `spec` has a field its layer does not know. */
export function checkLayerFields(spec: LayerSpec, where: string): void {
  const known = LAYER_FIELDS[spec.layer];
  if (!known) throw new PacketError(`${where}: unknown layer "${String(spec.layer)}" (use ${Object.keys(LAYER_FIELDS).join(', ')})`);
  for (const key of Object.keys(spec)) {
    if (key !== 'layer' && !known.includes(key)) {
      throw new PacketError(`${where}: ${spec.layer} has no field "${key}" (fields: ${known.join(', ')})`);
    }
  }
}

/** Turns a description (an array of layers, outermost first) into checked LayerSpecs. */
export function layersFrom(description: unknown): LayerSpec[] {
  if (!Array.isArray(description)) throw new PacketError('a packet description is a list of layers, outermost first');
  return description.map((item: unknown, i) => {
    const where = `layer ${i + 1}`;
    let spec: LayerSpec;
    if (isObject(item) && 'layer' in item) {
      spec = item as unknown as LayerSpec;
    } else if (isObject(item) && Object.keys(item).length === 1) {
      const [name, fields] = Object.entries(item)[0]!;
      if (!isLayer(name)) throw new PacketError(`${where}: unknown layer "${name}" (use ${Object.keys(LAYER_FIELDS).join(', ')})`);
      if (name === 'payload') spec = { layer: 'payload', data: fields as never };
      else if (fields === null || fields === undefined) spec = { layer: name } as LayerSpec;
      else if (isObject(fields)) spec = { layer: name, ...fields } as LayerSpec;
      else throw new PacketError(`${where}: ${name} takes an object of fields`);
    } else {
      throw new PacketError(`${where}: expected { layer: NAME, ...fields } or { NAME: { ...fields } }`);
    }
    checkLayerFields(spec, where);
    return spec;
  });
}
