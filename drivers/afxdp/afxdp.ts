// The AF_XDP driver's control plane: configures build/libsluice_afxdp.so,
// starts one C worker thread per queue id (each owning that queue's socket on
// every interface) and reads their counters while they run. No JavaScript runs
// per packet: after start, TypeScript only reads counters, swaps programs and
// stops.
import { readdirSync } from 'node:fs';
import { SluiceError } from '../../jit/errors.ts';
import { afxdpBindings, type AfxdpBindings } from '../../dataplane/ffi.ts';
import type { XdpObject, XdpProgram } from '../../dataplane/runtime.ts';
import { emptyStats, sumStats, type DriverStats, type RunningDriver } from '../driver.ts';

/** Something about AF_XDP sockets, the steering program or a PASS TAP failed. */
export class AfxdpError extends SluiceError {}

export type XdpAttachMode = 'native' | 'skb';
export type CopyMode = 'auto' | 'zero-copy' | 'copy';

export interface AfxdpOptions {
  /** Interfaces to receive from (1..8). REDIRECT can target any of them. */
  interfaces: readonly string[];
  /** Queue ids, one worker thread each, bound on every interface. Default: every RX queue of the first interface (sysfs). */
  queues?: readonly number[];
  /** Steering program attach mode. Default: native, falling back to skb (generic) where the driver has no XDP. */
  mode?: XdpAttachMode;
  /** Default 'auto': zero-copy where the driver supports it (native mode only), else copy. 'zero-copy' fails instead of falling back. */
  copy?: CopyMode;
  /**
   * PASS path: one TAP per interface with its MAC and MTU (frames written to it enter the kernel's
   * stack; what the kernel sends out of it goes out of the interface). Default true, named by tapName.
   * false: PASS frames are dropped and counted in txDropped.
   */
  passTap?: boolean;
  /** TAP name for an interface. Default `p-IFACE` (cut to 15 bytes). */
  tapName?: (iface: string) => string;
  /** CPU to pin each worker to, by position in `queues`. Default: not pinned. */
  cpus?: readonly number[];
  /** Frames per burst, 1..256. Default 64. */
  burst?: number;
  /**
   * The object the program comes from. Worker i uses per-CPU map slot i, so every per-CPU map
   * needs at least as many slots as there are workers (loadObject(path, { cpus })); with the
   * object given, that is checked before anything starts. Without it the caller answers for it.
   */
  object?: XdpObject;
}

/** What an interface ended up with. */
export interface AfxdpInterface {
  name: string;
  ifindex: number;
  /** true: XDP_ZEROCOPY bind; false: copy mode. */
  zeroCopy: boolean;
  /** The steering program's attach mode. */
  mode: XdpAttachMode;
  /** The PASS TAP, or null. */
  tap: string | null;
}

/** DriverStats plus what only AF_XDP has. */
export interface AfxdpStats extends DriverStats {
  /** Frames written into a PASS TAP. */
  passPackets: number;
  /** Frames the kernel sent out of a PASS TAP, put on the wire. */
  fromKernel: number;
  bursts: number;
  idlePolls: number;
}

const STAT_COUNT = 15; // enum sluice_afxdp_stat in afxdp.h

/** The kernel's own counters of the sockets (getsockopt XDP_STATISTICS), summed. */
export interface XskKernelStats {
  /** Frames the kernel dropped before the RX ring (e.g. too big for a frame). */
  rxDropped: number;
  rxInvalidDescs: number;
  txInvalidDescs: number;
  /** Frames lost because the RX ring was full (the workers did not keep up). */
  rxRingFull: number;
  /** Times the kernel found the fill ring empty. */
  rxFillRingEmpty: number;
  txRingEmpty: number;
}

export const defaultTapName = (iface: string): string => `p-${iface}`.slice(0, 15);

export interface RunningAfxdp extends RunningDriver {
  readonly interfaces: readonly AfxdpInterface[];
  readonly queues: readonly number[];
  /** Counters per worker with the AF_XDP extras. */
  afxdpStats(): AfxdpStats[];
  /** The kernel's counters of the sockets (frames lost before sluice saw them). */
  kernelStats(): XskKernelStats;
  /** The program running now. */
  readonly program: XdpProgram;
}

/** RX queue ids of an interface, from /sys/class/net/IFACE/queues. */
export function rxQueues(iface: string): number[] {
  try {
    return readdirSync(`/sys/class/net/${iface}/queues`)
      .filter((n) => n.startsWith('rx-')).map((n) => Number(n.slice(3))).sort((a, b) => a - b);
  } catch (err) {
    throw new AfxdpError(`${iface}: cannot list its queues (no such interface in this network namespace?)`, { cause: err });
  }
}

function entryOf(program: XdpProgram): bigint {
  const entry = program.engine.entry;
  if (entry === undefined || entry === 0n) {
    throw new AfxdpError(`program '${program.name}': the AF_XDP driver runs JIT'd programs (engine 'jit'), this one runs on '${program.engine.kind}'`);
  }
  return entry;
}

function check(native: AfxdpBindings, h: bigint, rc: number, what: string): void {
  if (rc < 0) throw new AfxdpError(`${what}: ${native.error(h) || `errno ${-rc}`}`);
}

/** Starts AF_XDP sockets on the interfaces and runs the program on every frame they receive. */
export function startAfxdp(program: XdpProgram, options: AfxdpOptions): RunningAfxdp {
  const { interfaces } = options;
  if (interfaces.length === 0) throw new AfxdpError('no interface given');
  const queues = options.queues ?? rxQueues(interfaces[0]!);
  if (queues.length === 0) throw new AfxdpError(`${interfaces[0]}: no RX queues`);
  const burst = options.burst ?? 64;
  const mode = options.mode === 'native' ? 1 : options.mode === 'skb' ? 2 : 0;
  const copy = options.copy === 'zero-copy' ? 1 : options.copy === 'copy' ? 2 : 0;
  const passTap = options.passTap ?? true;
  const tapName = options.tapName ?? defaultTapName;

  if (options.object) {
    for (const [name, map] of options.object.maps) {
      if (map.perCpu && map.cpus < queues.length) {
        throw new AfxdpError(`map '${name}' has ${map.cpus} per-CPU slot(s) and ${queues.length} workers need ${queues.length}: load the object with { cpus: ${queues.length} }`);
      }
    }
  }
  for (const iface of interfaces) {
    let have: number[] | undefined;
    try { have = rxQueues(iface); } catch { have = undefined; } // no sysfs entry: the C side names the problem
    const missing = have === undefined ? [] : queues.filter((q) => !have!.includes(q));
    if (missing.length > 0) throw new AfxdpError(`${iface}: no RX queue ${missing.join(', ')} (it has ${have!.join(', ') || 'none'})`);
  }
  const native = afxdpBindings();
  const h = native.create(entryOf(program));
  if (h === 0n) throw new AfxdpError('out of memory creating the driver');
  let current = program;
  try {
    check(native, h, native.setBurst(h, burst), 'burst');
    for (const name of interfaces) check(native, h, native.addIface(h, name, mode, copy, passTap ? tapName(name) : ''), name);
    queues.forEach((q, i) => check(native, h, native.addQueue(h, q, options.cpus?.[i] ?? -1), `queue ${q}`));
    check(native, h, native.start(h), 'start');
  } catch (err) {
    native.free(h);
    throw err;
  }
  const info: AfxdpInterface[] = interfaces.map((name, i) => {
    const v = native.ifaceInfo(h, i);
    return { name, ifindex: Number(v >> 32n), zeroCopy: (v & 1n) !== 0n, mode: (v & 2n) !== 0n ? 'native' : 'skb', tap: passTap ? tapName(name) : null };
  });
  const workers = native.workers(h);
  const raw = new BigUint64Array(STAT_COUNT);
  let stopped: AfxdpStats | undefined;

  const readAll = (): AfxdpStats[] => {
    const all: AfxdpStats[] = [];
    for (let w = 0; w < workers; w++) {
      native.stats(h, w, raw);
      const n = (i: number): number => Number(raw[i]);
      all.push({
        ...emptyStats(),
        rxPackets: n(0), rxBytes: n(1),
        verdicts: [n(2), n(3), n(4), n(5), n(6)], otherVerdicts: n(7),
        txPackets: n(8), txDropped: n(9), redirectErrors: n(10),
        passPackets: n(11), fromKernel: n(12), bursts: n(13), idlePolls: n(14),
      });
    }
    return all;
  };
  let final: AfxdpStats[] | undefined;
  const rawXsk = new BigUint64Array(6);
  const readXsk = (): XskKernelStats => {
    native.xskStats(h, rawXsk);
    const n = (i: number): number => Number(rawXsk[i]);
    return { rxDropped: n(0), rxInvalidDescs: n(1), txInvalidDescs: n(2), rxRingFull: n(3), rxFillRingEmpty: n(4), txRingEmpty: n(5) };
  };
  let finalXsk: XskKernelStats | undefined;

  return {
    name: 'afxdp',
    interfaces: info,
    queues: [...queues],
    get program() { return current; },
    afxdpStats: () => final ?? readAll(),
    workerStats: () => final ?? readAll(),
    kernelStats: () => finalXsk ?? readXsk(),
    async swap(next) {
      if (stopped) throw new AfxdpError('the driver was stopped');
      native.swap(h, entryOf(next)); // returns once no worker is inside a burst of the old program
      current = next;
    },
    async stop() {
      if (stopped) return stopped;
      finalXsk = readXsk(); // the sockets close with the stop
      native.stop(h);
      final = readAll();
      native.free(h);
      const sum = sumStats(final);
      stopped = {
        ...sum,
        passPackets: final.reduce((s, w) => s + w.passPackets, 0),
        fromKernel: final.reduce((s, w) => s + w.fromKernel, 0),
        bursts: final.reduce((s, w) => s + w.bursts, 0),
        idlePolls: final.reduce((s, w) => s + w.idlePolls, 0),
      };
      return stopped;
    },
  };
}
