// The tables bpf_fib_lookup consults (dataplane/shim/helpers_fib.c): routes,
// neighbours and devices, filled by the control plane. Routes are kept in
// native lpm_trie maps; see helpers_fib.c for the lookup's semantics.
import { helperBindings } from '../dataplane/ffi.ts';
import { MapError, errnoName } from './errors.ts';
import { setMtu } from './mtu.ts';

export type RouteType = 'unicast' | 'local' | 'blackhole' | 'unreachable' | 'prohibit';
const RTN: Record<RouteType, number> = { unicast: 1, local: 2, blackhole: 6, unreachable: 7, prohibit: 8 };
const AF_INET = 2, AF_INET6 = 10;

/** An IPv4 or IPv6 address in network order, with its family. */
export function parseAddress(text: string): { family: number; bytes: Uint8Array } {
  if (text.includes(':')) {
    const [head = '', tail] = text.split('::');
    const groups = (s: string): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
    const h = groups(head), t = tail === undefined ? [] : groups(tail);
    const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
    if (all.length !== 8 || all.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) throw new MapError(`not an IPv6 address: ${text}`);
    const bytes = new Uint8Array(16);
    all.forEach((g, i) => { bytes[2 * i] = g >> 8; bytes[2 * i + 1] = g & 0xff; });
    return { family: AF_INET6, bytes };
  }
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new MapError(`not an IP address: ${text}`);
  return { family: AF_INET, bytes: Uint8Array.from(parts) };
}

function parseMac(text: string): Uint8Array {
  const parts = text.split(':').map((h) => parseInt(h, 16));
  if (parts.length !== 6 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new MapError(`not a MAC address: ${text}`);
  return Uint8Array.from(parts);
}

function check(rc: number, what: string): void {
  if (rc < 0) throw new MapError(`fib: ${what}: -${errnoName(rc)}`);
}

export interface RouteOptions {
  /** Output device (ifindex). */
  dev: number;
  /** Next hop; absent for a directly connected prefix (the destination is the next hop). */
  via?: string;
  /** Default 'unicast'. */
  type?: RouteType;
  /** Reported as rt_metric; default 0. */
  metric?: number;
}

/** Adds or replaces the route for `prefix` ("10.0.0.0/8", "2001:db8::/32", "0.0.0.0/0"). */
export function addRoute(prefix: string, opts: RouteOptions): void {
  const [addr = '', len] = prefix.split('/');
  const { family, bytes } = parseAddress(addr);
  const prefixlen = len === undefined ? bytes.length * 8 : Number(len);
  if (!Number.isInteger(prefixlen) || prefixlen < 0 || prefixlen > bytes.length * 8) throw new MapError(`fib: bad prefix length in ${prefix}`);
  let gw: Uint8Array | null = null;
  if (opts.via !== undefined) {
    const v = parseAddress(opts.via);
    if (v.family !== family) throw new MapError(`fib: route ${prefix} via ${opts.via}: families differ`);
    gw = v.bytes;
  }
  check(helperBindings().fibRouteSet(family, bytes, prefixlen, RTN[opts.type ?? 'unicast'], opts.dev, gw, opts.metric ?? 0), `route ${prefix}`);
}

/** true when the route existed. */
export function deleteRoute(prefix: string): boolean {
  const [addr = '', len] = prefix.split('/');
  const { family, bytes } = parseAddress(addr);
  const rc = helperBindings().fibRouteDelete(family, bytes, len === undefined ? bytes.length * 8 : Number(len));
  if (rc === -2) return false;
  check(rc, `delete route ${prefix}`);
  return true;
}

/** Sets (or, with mac null, removes) the neighbour entry for an address. */
export function setNeighbour(address: string, mac: string | null): void {
  const { family, bytes } = parseAddress(address);
  check(helperBindings().fibNeighSet(family, bytes, mac === null ? null : parseMac(mac)), `neighbour ${address}`);
}

export interface DeviceOptions { mac?: string; mtu?: number; ipv4?: string; ipv6?: string }

/** A device's MAC (the smac of lookups through it), MTU and source addresses (BPF_FIB_LOOKUP_SRC). */
export function setDevice(ifindex: number, opts: DeviceOptions): void {
  const src4 = opts.ipv4 === undefined ? null : parseAddress(opts.ipv4).bytes;
  const src6 = opts.ipv6 === undefined ? null : parseAddress(opts.ipv6).bytes;
  check(helperBindings().fibDevSet(ifindex, opts.mac === undefined ? null : parseMac(opts.mac), src4, src6), `device ${ifindex}`);
  if (opts.mtu !== undefined) setMtu(ifindex, opts.mtu);
}
