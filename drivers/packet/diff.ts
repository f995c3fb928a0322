// Field-by-field comparison of two packets, for test failures that read
// "ipv4.ttl: expected 63, got 64" instead of two hex dumps.
import { dissect, type Field, type FieldValue } from './dissect.ts';

export interface FieldDiff {
  /** "ipv4.ttl", or "layer 2" when the layers themselves differ, or "length". */
  name: string;
  offset: number;
  expected: FieldValue | undefined;
  actual: FieldValue | undefined;
}

const key = (f: Field): string => `${f.layerIndex}:${f.layer}.${f.field}`;

/** The fields that differ (empty when the packets are equal byte for byte). */
export function diffPackets(expected: Uint8Array, actual: Uint8Array): FieldDiff[] {
  const out: FieldDiff[] = [];
  if (expected.length === actual.length && expected.every((b, i) => b === actual[i])) return out;
  const e = dissect(expected);
  const a = dissect(actual);
  if (expected.length !== actual.length) out.push({ name: 'length', offset: 0, expected: expected.length, actual: actual.length });
  const layers = Math.max(e.layers.length, a.layers.length);
  for (let i = 0; i < layers; i++) {
    const el = e.layers[i];
    const al = a.layers[i];
    if (el?.layer !== al?.layer) {
      out.push({ name: `layer ${i}`, offset: el?.offset ?? al?.offset ?? 0, expected: el?.layer, actual: al?.layer });
      break; // past a different layer, field names no longer line up
    }
  }
  const actualFields = new Map(a.fields.map((f) => [key(f), f]));
  const seen = new Set<string>();
  for (const f of e.fields) {
    const k = key(f);
    seen.add(k);
    const g = actualFields.get(k);
    if (g === undefined || g.value !== f.value) {
      out.push({ name: `${f.layer}.${f.field}`, offset: f.offset, expected: f.value, actual: g?.value });
    }
  }
  for (const g of a.fields) {
    if (!seen.has(key(g))) out.push({ name: `${g.layer}.${g.field}`, offset: g.offset, expected: undefined, actual: g.value });
  }
  return out;
}

/** "ipv4.ttl (offset 22): expected 63, got 64" lines. */
export function formatDiff(diffs: readonly FieldDiff[]): string {
  const show = (v: FieldValue | undefined): string => (v === undefined ? '(absent)' : typeof v === 'number' ? `${v} (0x${v.toString(16)})` : v);
  return diffs.map((d) => `${d.name} (offset ${d.offset}): expected ${show(d.expected)}, got ${show(d.actual)}`).join('\n');
}
