// `sluice run … --afxdp IFACE[,IFACE…]`: the AF_XDP part of the run command —
// its options, their checks, and starting the driver. dataplane/cli/commands/run.ts
// picks a driver by its flag and runs the session (stats, signals, shutdown).
import { existsSync } from 'node:fs';
import { UsageError } from '../../dataplane/cli/command.ts';
import { AFXDP_LIBRARY_PATH } from '../../dataplane/ffi.ts';
import type { XdpProgram } from '../../dataplane/runtime.ts';
import { startAfxdp, type AfxdpOptions, type RunningAfxdp } from './afxdp.ts';

export const AFXDP_OPTIONS = {
  afxdp: { type: 'string' },
  queues: { type: 'string' },
  mode: { type: 'string' },
  'zero-copy': { type: 'boolean' },
  copy: { type: 'boolean' },
  'pass-to': { type: 'string' },
  'worker-cpus': { type: 'string' },
  burst: { type: 'string' },
} as const;

export const AFXDP_USAGE = `AF_XDP (--afxdp IFACE[,IFACE…]):
  --afxdp LIST      interfaces to run on (their ifindexes are what devmaps and bpf_redirect name)
  --queues LIST     queue ids, one worker each, bound on every interface (default 0..workers-1)
  --mode M          native or skb: how the steering program attaches (default native, else skb)
  --zero-copy       require zero-copy sockets (fails where the driver lacks it)
  --copy            copy mode even where zero-copy would work (default: zero-copy when possible)
  --pass-to WHERE   tap (default: a TAP p-IFACE per interface with its MAC: PASS frames enter the
                    kernel there, what the kernel sends on it leaves through the interface; give it
                    the host's addresses) or none (PASS frames are counted and dropped)
  --worker-cpus L   pin worker i to the i-th CPU of L (default: not pinned)
  --burst N         frames per burst, 1..256 (default 64)`;

type Values = { [K in keyof typeof AFXDP_OPTIONS]?: string | boolean };

const list = (text: string, name: string, max: number): number[] => text.split(',').map((s) => {
  if (!/^\d+$/.test(s.trim()) || Number(s) > max) throw new UsageError(`--${name} expects a comma-separated list of integers from 0 to ${max}, got '${text}'`);
  return Number(s);
});

/** Checks the AF_XDP options; throws UsageError before anything is created. */
export function afxdpOptions(values: Values, workers: number): AfxdpOptions {
  const str = (k: keyof Values): string | undefined => (typeof values[k] === 'string' ? values[k] as string : undefined);
  const interfaces = (str('afxdp') ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (interfaces.length === 0) throw new UsageError('--afxdp needs at least one interface name');
  const bad = interfaces.find((i) => i.length > 15 || /[\s/]/.test(i));
  if (bad !== undefined) throw new UsageError(`--afxdp: '${bad}' is not an interface name`);
  const queues = str('queues') === undefined ? Array.from({ length: workers }, (_, i) => i) : list(str('queues')!, 'queues', 63);
  if (queues.length > workers) throw new UsageError(`--queues lists ${queues.length} queues: give --workers ${queues.length} (one worker per queue)`);
  const mode = str('mode');
  if (mode !== undefined && mode !== 'native' && mode !== 'skb') throw new UsageError(`--mode expects native or skb, got '${mode}'`);
  if (values['zero-copy'] && values.copy) throw new UsageError('--zero-copy and --copy exclude each other');
  const passTo = str('pass-to') ?? 'tap';
  if (passTo !== 'tap' && passTo !== 'none') throw new UsageError(`--pass-to expects tap or none, got '${passTo}'`);
  const cpus = str('worker-cpus') === undefined ? undefined : list(str('worker-cpus')!, 'worker-cpus', 4095);
  if (cpus && cpus.length < queues.length) throw new UsageError(`--worker-cpus lists ${cpus.length} CPU(s) for ${queues.length} worker(s)`);
  const burst = str('burst') === undefined ? 64 : list(str('burst')!, 'burst', 256)[0]!;
  if (burst < 1) throw new UsageError('--burst must be at least 1');
  return {
    interfaces, queues, passTap: passTo === 'tap', burst,
    copy: values['zero-copy'] ? 'zero-copy' : values.copy ? 'copy' : 'auto',
    ...(mode ? { mode: mode as 'native' | 'skb' } : {}), ...(cpus ? { cpus } : {}),
  };
}

/** Whether this machine can run the AF_XDP driver; the reason when not. */
export function afxdpAvailable(): string | undefined {
  return existsSync(AFXDP_LIBRARY_PATH) ? undefined
    : 'the AF_XDP driver is not built on this machine (needs libxdp: apt-get install libxdp-dev libbpf-dev, then npm run build:native)';
}

export function startAfxdpFromCli(program: XdpProgram, values: Values, workers: number): RunningAfxdp {
  return startAfxdp(program, afxdpOptions(values, workers));
}

export function describeAfxdp(d: RunningAfxdp): string {
  const ifaces = d.interfaces.map((i) => `${i.name} (ifindex ${i.ifindex}, ${i.mode}, ${i.zeroCopy ? 'zero-copy' : 'copy'}${i.tap ? `, PASS → ${i.tap}` : ''})`).join(', ');
  return `AF_XDP ${ifaces}; queue(s) ${d.queues.join(',')}, one worker each`;
}
