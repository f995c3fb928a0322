// What a parsed spec holds: every packet already turned into bytes, every key
// and value into bytes, each with the place in the file it came from (for
// errors found later, against the loaded object).
import type { LayerSpec } from '../../drivers/packet/packet.ts';
import type { Where } from './errors.ts';

/** A map entry to write before a run (`value` absent: delete the key). */
export interface MapWrite {
  map: string;
  key: Uint8Array;
  /** One value (every CPU's slot, for per-CPU maps), or undefined to delete. */
  value?: Uint8Array;
  /** Per-CPU maps: one value per CPU. */
  values?: Uint8Array[];
  where: Where;
  keyWhere: Where;
  valueWhere: Where;
}

/** A map entry to check after a run. */
export interface MapCheck {
  map: string;
  key: Uint8Array;
  /** Expected value; per-CPU maps: the sum over CPUs (see README). Undefined with `absent`. */
  value?: Uint8Array;
  /** Per-CPU maps: each CPU's value. */
  values?: Uint8Array[];
  absent: boolean;
  where: Where;
  keyWhere: Where;
  valueWhere: Where;
}

export interface PacketInput {
  bytes: Uint8Array;
  /** How it was given: the described layers (diffs then name fields), hex, or a capture frame. */
  origin: { kind: 'described'; layers: LayerSpec[] } | { kind: 'hex' } | { kind: 'pcap'; file: string; index: number };
  where: Where;
}

export interface FieldCheck {
  /** As written: "ipv4.ttl", "vlan[1].vid". */
  name: string;
  layer: string;
  /** Which layer of that name (0 = the first). */
  nth: number;
  field: string;
  /** A number, text (addresses normalized, or a field's reading such as "TCP", "SA"), or absent. */
  expected: number | string | { absent: true };
  where: Where;
}

export interface Expectation {
  /** XDP action number. */
  verdict?: number;
  /** Exact output bytes, given as hex or described; diffs are field by field either way. */
  output?: { bytes: Uint8Array; described: boolean; where: Where };
  /** The output equals the input. */
  unchanged?: boolean;
  fields: FieldCheck[];
  /** Every checksum in the output is right. */
  checksums?: boolean;
  length?: number;
  /** REDIRECT target: the ifindex (a devmap slot's value, or bpf_redirect's argument). */
  redirect?: number;
  maps: MapCheck[];
  /** The lines bpf_trace_printk printed during the case (without the "[cpu] " prefix), in order. */
  trace?: string[];
}

export interface TestCase {
  /** 0-based position in the file. */
  index: number;
  name: string;
  packet: PacketInput;
  /** ctx->ingress_ifindex, ctx->rx_queue_index. */
  ifindex: number;
  rxQueue: number;
  /** Map writes before this case runs (after the earlier cases). */
  setup: MapWrite[];
  expect: Expectation;
  where: Where;
}

export interface TestSpec {
  file: string;
  /** Suite name (JUnit): `name:` or the file's base name. */
  name: string;
  program?: string;
  programWhere?: Where;
  setup: MapWrite[];
  cases: TestCase[];
}
