// `sluice run … --dpdk "<EAL args>"`: the DPDK part of the run command — its
// options, their checks, and starting the driver. dataplane/cli/commands/run.ts
// picks a driver by its flag and runs the session (stats, signals, shutdown).
import { UsageError } from '../../dataplane/cli/command.ts';
import type { XdpProgram } from '../../dataplane/runtime.ts';
import { DpdkDriver, type ContextChoice } from './driver.ts';
import { INSTALL_HINT } from './eal.ts';
import { splitArgs } from './eal-args.ts';
import { dpdkBuilt } from './native.ts';

export const DPDK_OPTIONS = {
  dpdk: { type: 'string' },
  port: { type: 'string' },
  'pass-to': { type: 'string' },
  'worker-cpus': { type: 'string' },
  mbufs: { type: 'string' },
  'pool-fill': { type: 'string' },
  context: { type: 'string' },
} as const;

export const DPDK_USAGE = `DPDK (--dpdk "<EAL args>"):
  --dpdk "ARGS"     EAL arguments, e.g. "--no-huge -m 512 --no-pci --vdev=net_null0"; a unique
                    --file-prefix is added when absent
  --port LIST       DPDK port ids, e.g. 0 or 0,1 (required); port P is ifindex P+1 for the program
                    (ctx->ingress_ifindex, devmap entries, bpf_redirect)
  --pass-to WHERE   tap (default: an exception TAP per port, named sl<pid>p<port>, same MAC, so the
                    kernel sees PASS frames and what it sends leaves through the port) or none
                    (PASS frames are counted and dropped)
  --worker-cpus L   pin worker i to the i-th CPU of L (default: not pinned)
  --mbufs N         mbufs in the pool (default: sized from the queues)
  --pool-fill HEX   benchmark aid: write this frame into every mbuf first (net_null writes no data)
  --context WHAT    what the program reads its frames through: auto (default: the mbufs themselves
                    on hugepages when the program qualifies, else xdp_buffs), mbuf (required: a
                    program that cannot is refused) or xdp_buff`;

type Values = { [K in keyof typeof DPDK_OPTIONS]?: string };

const list = (text: string, name: string, max: number): number[] => text.split(',').map((s) => {
  if (!/^\d+$/.test(s.trim()) || Number(s) > max) throw new UsageError(`--${name} expects a comma-separated list of integers from 0 to ${max}, got '${text}'`);
  return Number(s);
});

/** Checks the DPDK options; throws UsageError before anything is created. */
export function dpdkOptions(values: Values, workers: number) {
  if (values.port === undefined) throw new UsageError('--dpdk needs --port LIST (the DPDK port ids to run on)');
  const ports = list(values.port, 'port', 1023);
  const passTo = values['pass-to'] ?? 'tap';
  if (passTo !== 'tap' && passTo !== 'none') throw new UsageError(`--pass-to expects tap or none, got '${passTo}'`);
  const workerCpus = values['worker-cpus'] === undefined ? undefined : list(values['worker-cpus'], 'worker-cpus', 4095);
  if (workerCpus && workerCpus.length < workers) throw new UsageError(`--worker-cpus lists ${workerCpus.length} CPU(s) for ${workers} worker(s)`);
  const mbufs = values.mbufs === undefined ? undefined : list(values.mbufs, 'mbufs', 1 << 24)[0];
  const context = values.context ?? 'auto';
  if (context !== 'auto' && context !== 'mbuf' && context !== 'xdp_buff') throw new UsageError(`--context expects auto, mbuf or xdp_buff, got '${context}'`);
  const fill = values['pool-fill'];
  if (fill !== undefined && !/^([0-9a-fA-F]{2})+$/.test(fill)) throw new UsageError('--pool-fill expects hex bytes');
  let eal: string[];
  try { eal = splitArgs(values.dpdk ?? ''); } catch (err) { throw new UsageError((err as Error).message); }
  return {
    eal, ports, workers, passTo: passTo as 'tap' | 'none', context: context as ContextChoice,
    ...(workerCpus ? { workerCpus } : {}), ...(mbufs === undefined ? {} : { mbufs }),
    ...(fill === undefined ? {} : { poolFill: Uint8Array.from(Buffer.from(fill, 'hex')) }),
  };
}

/** Whether this machine can run the DPDK driver; the reason when not. */
export function dpdkAvailable(): string | undefined {
  return dpdkBuilt() ? undefined : `the DPDK driver is not built on this machine. ${INSTALL_HINT}`;
}

export function startDpdk(program: XdpProgram, values: Values, workers: number): DpdkDriver {
  return DpdkDriver.start(program, dpdkOptions(values, workers));
}

/** New ABORTED frames since the last call, one line each worker that saw some (what the kernel's
 *  xdp_exception tracepoint would show: where, how many, and here also the frame's first bytes). */
export function abortedNotes(): (d: DpdkDriver) => { text: string; json: object }[] {
  const seen = new Map<number, number>();
  return (d) => d.lastAborted().flatMap((a, worker) => {
    if (!a || a.count === (seen.get(worker) ?? 0)) return [];
    const more = a.count - (seen.get(worker) ?? 0);
    seen.set(worker, a.count);
    const hex = Buffer.from(a.bytes).toString('hex');
    return [{
      text: `ABORTED ×${more} (worker ${worker}); last on port ${a.port}, ${a.length} bytes: ${hex}${a.bytes.length < a.length ? '…' : ''}`,
      json: { event: 'aborted', worker, new: more, total: a.count, port: a.port, length: a.length, bytes: hex },
    }];
  });
}

export function describeDpdk(d: DpdkDriver): string {
  const ports = d.ports.map((p) => `${p.port} ${p.name} (ifindex ${p.ifindex}${p.tap ? `, PASS → ${p.tap.ifname}` : ''})`).join(', ');
  const context = d.context.kind === 'mbuf' ? 'the program reads the mbufs' : `the program reads xdp_buffs (${d.context.why})`;
  return `DPDK ports ${ports}; ${d.workers} worker(s); ${context}; EAL prefix ${d.filePrefix}`;
}
