// The DPDK driver: EAL up, ports and exception TAPs configured, one worker
// pthread per queue running the program, and back down again without leaving
// anything behind (runtime directory, hugepage files, TAP interfaces), also
// when a step in between fails.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { XdpProgram } from '../../dataplane/runtime.ts';
import type { DriverStats, RunningDriver } from '../driver.ts';
import { sumStats } from '../driver.ts';
import { DpdkError, ealBindings, type EthStats } from './eal.ts';
import { COUNTERS, dpdkNative, ENTRY_MBUF, NO_TAP, type AbortedFrame } from './native.ts';
import { helperBindings } from '../../dataplane/ffi.ts';
import { prepareEalArgs } from './eal-args.ts';

export interface DpdkOptions {
  /** EAL arguments as the user gave them (without a program name); a unique --file-prefix is added when missing. */
  eal: readonly string[];
  /** DPDK port ids to receive on (and transmit from). */
  ports: readonly number[];
  /** Worker threads; each owns receive and transmit queue `index` of every port. Default 1. */
  workers?: number;
  /** Where PASS goes: 'tap' (an exception TAP per port, created here) or 'none' (counted, dropped). Default 'tap'. */
  passTo?: 'tap' | 'none';
  /** CPU per worker (pinning); default: not pinned. */
  workerCpus?: readonly number[];
  /** mbufs in the pool; default: sized from the queues. */
  mbufs?: number;
  /** Benchmark aid: written into every mbuf's data before traffic starts (net_null ports do not write data). */
  poolFill?: Uint8Array;
  /** What programs read their frames through (entryOf). Default 'auto'. */
  context?: ContextChoice;
}

/** 'auto': the mbufs on hugepages when the program qualifies, else xdp_buffs; 'mbuf': required; 'xdp_buff': always. */
export type ContextChoice = 'auto' | 'mbuf' | 'xdp_buff';

/** DriverStats plus what only this driver has. */
export interface DpdkStats extends DriverStats {
  /** PASS frames dropped because there is no exception interface (--pass-to none). */
  passDropped: number;
  /** Frames the kernel sent on an exception TAP that left through its port (not counted in txPackets). */
  fromKernel: number;
  /** Frames the program saw only the first segment of (could not be linearized). */
  multiSeg: number;
  bursts: number;
  /** ethdev's counters of each port at stop (final totals only). */
  ports?: { port: number; ipackets: number; opackets: number; imissed: number; ierrors: number; oerrors: number }[];
}

export interface PortInfo { port: number; name: string; ifindex: number; tap?: { port: number; ifname: string } }

/** The ifindex a program sees for DPDK port P, and names in devmaps / bpf_redirect: P + 1. */
export const ifindexOfPort = (port: number): number => port + 1;

let ealUsed = false;

/** What a program runs on: the mbufs themselves, or xdp_buffs built over them (and why). */
export type ProgramContext = { kind: 'mbuf' } | { kind: 'xdp_buff'; why: string };

/**
 * The entry the workers call for `program`: compiled to read the mbufs themselves when it
 * qualifies (jit/x86/descriptor.ts: no helper that is handed the context) and the mbufs are on
 * hugepages, tagged ENTRY_MBUF; otherwise its ordinary entry, over xdp_buffs the loop builds
 * (and writes back from). On 4 kB pages (--no-huge) each mbuf is a page of its own, and a
 * program reading it measured slower than one reading the xdp_buffs, which pack what it reads
 * into one page (bench/dpdk.ts on net_null: xdp_drop.o 64 % of testpmd io on mbufs, 80 % on
 * xdp_buffs; on hugepages 102 % and 79 %).
 */
function entryOf(program: XdpProgram, choice: ContextChoice): { entry: bigint; context: ProgramContext } {
  const plain = program.engine.entry;
  if (plain === undefined) throw new DpdkError(`program ${program.name}: the DPDK driver runs JIT programs (engine 'jit')`);
  const onBuffs = (why: string): { entry: bigint; context: ProgramContext } => {
    if (choice === 'mbuf') throw new DpdkError(`program ${program.name} cannot read the mbufs (--context mbuf): ${why}`);
    return { entry: plain, context: { kind: 'xdp_buff', why } };
  };
  if (choice === 'xdp_buff') return onBuffs('--context xdp_buff');
  if (!program.engine.descriptorEntry) return onBuffs('the engine has no mbuf variant');
  if (choice === 'auto' && !ealBindings().hugepages()) return onBuffs('no hugepages: on 4 kB pages xdp_buffs are faster');
  let variant: { entry: bigint } | { problem: string };
  try {
    variant = program.engine.descriptorEntry({ ...dpdkNative().mbufContext(), queueIndexTpOffset: helperBindings().workerCpuTpOffset() });
  } catch (err) { // a JIT bug, not the program's: keep it running the ordinary way, and say why
    variant = { problem: `its mbuf variant did not compile: ${(err as Error).message}` };
  }
  if ('problem' in variant) return onBuffs(variant.problem);
  if (variant.entry & ENTRY_MBUF) throw new DpdkError(`program ${program.name}: its mbuf entry is not aligned`);
  return { entry: variant.entry | ENTRY_MBUF, context: { kind: 'mbuf' } };
}

export class DpdkDriver implements RunningDriver {
  readonly name = 'dpdk' as const;
  private stopped: Promise<DpdkStats> | undefined;

  private constructor(private readonly handle: bigint, readonly ports: readonly PortInfo[], readonly workers: number,
    readonly filePrefix: string, private readonly release: () => void, private readonly choice: ContextChoice,
    private current: ProgramContext) {}

  /** What the running program reads its packets through. */
  get context(): ProgramContext { return this.current; }

  /** Brings up EAL, the ports and the workers, and starts running `program` (a JIT program). */
  static start(program: XdpProgram, options: DpdkOptions): DpdkDriver {
    if (program.engine.entry === undefined) throw new DpdkError(`program ${program.name}: the DPDK driver runs JIT programs (engine 'jit')`);
    const workers = options.workers ?? 1;
    if (ealUsed) throw new DpdkError('EAL was already initialised in this process (DPDK allows it once): run one DPDK driver per process');
    const native = dpdkNative();
    const eal = ealBindings();
    const { args, filePrefix } = prepareEalArgs(options.eal);
    // Teardown in one place, in the only safe order: workers stopped, ports and TAPs stopped
    // and closed (a TAP's queues hold mbufs of the pool; closing a TAP removes its interface),
    // then the pool, then EAL, then what EAL leaves on disk. Whatever was not reached is skipped.
    const up = { eal: false, handle: 0n, taps: [] as number[] };
    const teardown = (): void => {
      const quietly = (f: () => void): void => { try { f(); } catch { /* keep tearing down */ } };
      if (up.handle) quietly(() => native.stop(up.handle));
      if (up.eal) {
        for (const p of [...options.ports, ...up.taps]) {
          quietly(() => { if (eal.validPort(p)) { eal.stop(p); eal.close(p); } });
        }
      }
      if (up.handle) quietly(() => native.free(up.handle));
      up.handle = 0n;
      if (up.eal) quietly(() => { eal.cleanup(); });
      up.eal = false;
      quietly(() => removeLeftovers(filePrefix));
    };
    try {
      ealUsed = true;
      native.affinitySave();
      try {
        eal.init(args, native.argv(args), () => native.errno());
      } finally {
        native.affinityRestore(); // EAL pinned this (Node's) thread to the main lcore
      }
      up.eal = true;
      const count = eal.portCount();
      const known = Array.from({ length: count }, (_, p) => `${p} ${eal.portName(p)}`).join(', ') || 'none';
      for (const p of options.ports) {
        if (!eal.validPort(p)) throw new DpdkError(`no DPDK port ${p} (EAL found ${count}: ${known}); add a device to the EAL arguments, e.g. --vdev=net_null0`);
      }
      const ports: PortInfo[] = options.ports.map((p) => ({ port: p, name: eal.portName(p), ifindex: ifindexOfPort(p) }));
      if ((options.passTo ?? 'tap') === 'tap') {
        for (const info of ports) {
          info.tap = createTap(info.port);
          up.taps.push(info.tap.port);
        }
      }
      const taps = ports.map((i) => i.tap?.port ?? NO_TAP);
      up.handle = native.create(options.ports, taps, workers, options.mbufs ?? 0);
      const { entry, context } = entryOf(program, options.context ?? 'auto');
      const handle = up.handle;
      if (options.poolFill) native.poolFill(handle, options.poolFill);
      native.start(handle, entry, options.workerCpus ? [...options.workerCpus] : null);
      // If the process exits without stop() (an uncaught error elsewhere), the workers must not
      // be left polling while the process's libraries unload under them; nor the runtime files.
      const onExit = (): void => { teardown(); };
      process.once('exit', onExit);
      return new DpdkDriver(handle, ports, workers, filePrefix, () => { process.off('exit', onExit); teardown(); }, options.context ?? 'auto', context);
    } catch (err) {
      teardown();
      throw err;
    }
  }

  /** Counters of each worker, read live. */
  workerStats(): DpdkStats[] {
    const native = dpdkNative();
    return Array.from({ length: this.workers }, (_, w) => toStats(native.counters(this.handle, w)));
  }

  totals(): DpdkStats {
    const all = this.workerStats();
    const sum = sumStats(all) as DpdkStats;
    for (const k of ['passDropped', 'fromKernel', 'multiSeg', 'bursts'] as const) sum[k] = all.reduce((a, s) => a + s[k], 0);
    return sum;
  }

  /** Per worker, the last frame a program returned XDP_ABORTED for (live; undefined: none yet). */
  lastAborted(): (AbortedFrame | undefined)[] {
    if (this.stopped) return [];
    const native = dpdkNative();
    return Array.from({ length: this.workers }, (_, w) => native.lastAborted(this.handle, w));
  }

  /** ethdev's own counters of each port (receive misses, errors). */
  portStats(): { port: number; stats: EthStats }[] {
    const eal = ealBindings();
    return this.ports.map((p) => ({ port: p.port, stats: eal.stats(p.port) }));
  }

  async swap(program: XdpProgram): Promise<void> {
    if (this.stopped) throw new DpdkError('the driver was stopped');
    const { entry, context } = entryOf(program, this.choice);
    dpdkNative().swap(this.handle, entry); // returns once no worker runs the old program
    this.current = context;
  }

  /** Stops polling, drains, stops and closes ports and TAPs, cleans EAL up; the final counters. */
  stop(): Promise<DpdkStats> {
    if (!this.stopped) {
      this.stopped = (async () => {
        dpdkNative().stop(this.handle);
        const totals = this.totals();
        totals.ports = this.portStats().map(({ port, stats: s }) => ({
          port, ipackets: Number(s.ipackets), opackets: Number(s.opackets), imissed: Number(s.imissed), ierrors: Number(s.ierrors), oerrors: Number(s.oerrors),
        }));
        this.release();
        return totals;
      })();
    }
    return this.stopped;
  }
}

function toStats(c: BigUint64Array): DpdkStats {
  const v = Object.fromEntries(COUNTERS.map((name, i) => [name, Number(c[i]!)])) as Record<(typeof COUNTERS)[number], number>;
  return {
    rxPackets: v.rxPackets, rxBytes: v.rxBytes, verdicts: [v.aborted, v.drop, v.pass, v.tx, v.redirect], otherVerdicts: v.other,
    txPackets: v.txPackets, txDropped: v.txDropped, redirectErrors: v.redirectErrors,
    passDropped: v.passDropped, fromKernel: v.fromKernel, multiSeg: v.multiSeg, bursts: v.bursts,
  };
}

/** A TAP interface mirroring the port (same MAC), named sl<pid>p<port> (IFNAMSIZ allows 15 characters). */
function createTap(port: number): { port: number; ifname: string } {
  const eal = ealBindings();
  const ifname = `sl${process.pid % 1000000}p${port}`.slice(0, 15);
  const vdev = `net_tap_sl${port}`; // short: the TAP driver names a mempool after it (26 characters at most)
  const rc = eal.probe(`${vdev},iface=${ifname}`);
  if (rc < 0) throw new DpdkError(`creating the exception TAP ${ifname} for port ${port} failed: ${eal.strerror(-rc)} (needs root and /dev/net/tun; or --pass-to none)`);
  const tap = eal.portByName(vdev);
  if (tap === undefined) throw new DpdkError(`the exception TAP ${vdev} was created but has no port`);
  eal.setMacAddress(tap, eal.macAddress(port));
  return { port: tap, ifname };
}

/** EAL's runtime directory and hugepage files of this run's prefix (rte_eal_cleanup leaves them). */
function removeLeftovers(filePrefix: string): void {
  const dirs = ['/var/run/dpdk', `${process.env.XDG_RUNTIME_DIR ?? '/tmp'}/dpdk`];
  for (const d of dirs) rmSync(join(d, filePrefix), { recursive: true, force: true });
  for (const mnt of ['/dev/hugepages', '/mnt/huge']) {
    if (!existsSync(mnt)) continue;
    for (const f of readdirSync(mnt)) if (f.startsWith(`${filePrefix}map_`)) rmSync(join(mnt, f), { force: true });
  }
}
