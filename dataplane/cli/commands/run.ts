// `sluice run`: an object's program on live ports until stopped. The driver is
// chosen by its flag (--dpdk today; each driver's code lives in its own folder
// under drivers/ and plugs in through one DriverFrontEnd entry below). This file
// is the session every driver shares: load, start, live statistics, SIGHUP
// reload (hot swap), SIGINT/SIGTERM shutdown, totals.
import { relative } from 'node:path';
import { loadObject, XDP_ACTIONS, type XdpObject, type XdpProgram } from '../../runtime.ts';
import { messageOf } from '../../../jit/errors.ts';
import { loadMapJson } from '../../map-json.ts';
import { sumStats, type DriverStats, type RunningDriver } from '../../../drivers/driver.ts';
import { DPDK_OPTIONS, DPDK_USAGE, abortedNotes, describeDpdk, dpdkAvailable, startDpdk } from '../../../drivers/dpdk/cli.ts';
import type { DpdkDriver } from '../../../drivers/dpdk/driver.ts';
import { AFXDP_OPTIONS, AFXDP_USAGE, afxdpAvailable, describeAfxdp, startAfxdpFromCli } from '../../../drivers/afxdp/cli.ts';
import type { RunningAfxdp } from '../../../drivers/afxdp/afxdp.ts';
import { listenControl, type ControlServer, type ReplaceRequest, type ReplaceResult } from '../../control.ts';
import { type Command, EXIT_FAILURE, EXIT_OK, UsageError, intOption, parseOptions } from '../command.ts';

type Values = Record<string, string | boolean | undefined>;

/** What a driver contributes to `sluice run`. */
interface DriverFrontEnd {
  /** The option that selects the driver (`--dpdk`). */
  readonly flag: string;
  readonly options: Record<string, { type: 'string' | 'boolean' }>;
  readonly usage: string;
  /** undefined when the driver can run here, else what to install. */
  available(): string | undefined;
  start(program: XdpProgram, values: Values, workers: number): RunningDriver;
  describe(driver: RunningDriver): string;
  /** Cumulative counters per port as the device sees them (for --per-port), when the driver has ports. */
  ports?(driver: RunningDriver): PortCounters[];
  /** What happened since the last call that the operator should see (ABORTED frames), each as a line and as JSON. */
  notes?(): (driver: RunningDriver) => { text: string; json: object }[];
}

interface PortCounters { name: string; rx: number; tx: number; missed: number; errors: number }

const DRIVERS: DriverFrontEnd[] = [
  {
    flag: 'dpdk', options: DPDK_OPTIONS, usage: DPDK_USAGE, available: dpdkAvailable,
    start: (program, values, workers) => startDpdk(program, values as Parameters<typeof startDpdk>[1], workers),
    describe: (d) => describeDpdk(d as DpdkDriver),
    notes: () => { const next = abortedNotes(); return (d) => next(d as DpdkDriver); },
    ports: (d) => (d as DpdkDriver).portStats().map(({ port, stats: s }) => ({
      name: `port ${port}`, rx: Number(s.ipackets), tx: Number(s.opackets), missed: Number(s.imissed), errors: Number(s.ierrors + s.oerrors),
    })),
  },
  {
    flag: 'afxdp', options: AFXDP_OPTIONS, usage: AFXDP_USAGE, available: afxdpAvailable,
    start: (program, values, workers) => startAfxdpFromCli(program, values, workers),
    describe: (d) => describeAfxdp(d as RunningAfxdp),
  },
];

const COMMON = {
  prog: { type: 'string' }, workers: { type: 'string' }, stats: { type: 'string' }, json: { type: 'boolean' },
  duration: { type: 'string' }, 'per-worker': { type: 'boolean' }, 'per-port': { type: 'boolean' }, 'map-in': { type: 'string' },
  pin: { type: 'boolean' }, 'pin-dir': { type: 'string' },
} as const;

const USAGE = `Usage: sluice run OBJ --dpdk "<EAL args>" --port 0[,1…] [--workers N] [--pass-to tap|none]
                  [--prog NAME] [--stats 1s] [--json] [--per-worker] [--duration S]
       sluice run OBJ --afxdp IFACE[,IFACE…] [--queues …] [--mode native|skb] [--zero-copy|--copy] [same options]

Runs an XDP program (JIT) on live ports until Ctrl-C (SIGINT) or SIGTERM, then prints
the totals and releases everything. SIGHUP reloads OBJ and swaps the program in between
bursts (no packet is lost or sees half a swap; the new object's maps start empty unless
they are pinned with --pin). \`sluice prog replace --pid PID OTHER.o\` swaps in another
object's program the same way, through the control socket /run/sluice/PID.sock.
  --prog NAME       the program (default: the object's first XDP program)
  --workers N       worker threads, each with its own queue on every port (default 1)
  --stats T         live statistics every T (1s, 500ms; 0 for none; default 1s)
  --json            statistics and totals as JSON lines
  --per-worker      also show each worker's counters
  --per-port        also show each port's receive/transmit rates and misses, as the device counts them
  --duration S      stop by itself after S seconds
  --pin             pin the object's maps so another process reaches them while it runs
                    (\`sluice map …\`); --pin-dir DIR (default $SLUICE_PIN_DIR or /dev/shm/sluice)
  --map-in FILE     set map entries before starting, and again after each reload
                    ({"maps": {"<name>": [{"key": "<hex>", "value": "<hex>"}]}}, as sluice replay)

${DRIVERS.map((d) => d.usage).join('\n\n')}`;

async function run(argv: string[]): Promise<number> {
  const options = Object.assign({}, COMMON, ...DRIVERS.map((d) => d.options)) as typeof COMMON;
  const { values, positionals } = parseOptions(joinValues(argv, options), options, { min: 1, max: 1 });
  const v = values as Values;
  const chosen = DRIVERS.filter((d) => v[d.flag] !== undefined);
  if (chosen.length !== 1) throw new UsageError(`choose one driver: ${DRIVERS.map((d) => `--${d.flag}`).join(' or ')}`);
  const driverFe = chosen[0]!;
  const workers = intOption(values.workers, 'workers', 1, 64);
  if (workers < 1) throw new UsageError('--workers must be at least 1');
  const statsMs = interval(values.stats ?? '1s');
  const durationS = values.duration === undefined ? undefined : seconds(values.duration);
  const missing = driverFe.available();
  if (missing) {
    process.stderr.write(`sluice run: ${missing}\n`);
    return EXIT_FAILURE;
  }
  // The object now running: SIGHUP reloads it, `sluice prog replace` changes it.
  let path = positionals[0]!;
  let progName = values.prog;
  const json = values.json ?? false;
  const out = (line: string): void => { process.stdout.write(`${line}\n`); };

  const open = (file = path, mapIn = true): XdpObject => {
    const o = loadObject(file, { cpus: workers, ...(values.pin ? { pinMaps: true } : {}), ...(values['pin-dir'] === undefined ? {} : { pinDir: values['pin-dir'] }) });
    try {
      if (mapIn && values['map-in'] !== undefined) loadMapJson(values['map-in'], o.maps);
    } catch (err) {
      o.close();
      throw err;
    }
    return o;
  };
  // The object first: a program that fails to load must leave nothing behind.
  let obj: XdpObject = open();
  let driver: RunningDriver;
  // A Ctrl-C while the driver comes up (EAL takes a second or two) must still end in a clean
  // shutdown, not Node's default exit that leaves TAPs and runtime files: note it, act on it after.
  let earlySignal: string | undefined;
  const early = (sig: NodeJS.Signals): void => { earlySignal ??= sig; };
  process.on('SIGINT', early);
  process.on('SIGTERM', early);
  try {
    const program = obj.program(values.prog);
    driver = driverFe.start(program, v, workers);
    if (json) out(JSON.stringify({ event: 'start', object: display(path), program: program.name, driver: driver.name, describe: driverFe.describe(driver) }));
    else out(`sluice run: ${display(path)} (${program.name}) on ${driverFe.describe(driver)}\n  Ctrl-C stops, SIGHUP reloads ${display(path)}`);
  } catch (err) {
    process.off('SIGINT', early);
    process.off('SIGTERM', early);
    obj.close();
    throw err;
  }

  const started = process.hrtime.bigint();
  const notes = driverFe.notes?.();
  const portsOf = (): PortCounters[] => (values['per-port'] && driverFe.ports ? driverFe.ports(driver) : []);
  let last = { at: started, stats: sumStats(driver.workerStats()), ports: portsOf() };
  let swapping = false;
  const elapsed = (): number => Number(process.hrtime.bigint() - started) / 1e9;

  const tick = (): void => {
    const now = process.hrtime.bigint();
    const perWorker = driver.workerStats();
    const stats = sumStats(perWorker);
    const dt = Number(now - last.at) / 1e9;
    const ports = portsOf();
    const portRates = ports.map((p, i) => {
      const before = last.ports[i];
      const r = (a: number, b = 0): number => (dt > 0 ? Math.round((a - b) / dt) : 0);
      return { name: p.name, rx_pps: r(p.rx, before?.rx), tx_pps: r(p.tx, before?.tx), missed: p.missed, errors: p.errors };
    });
    if (json) {
      out(JSON.stringify({ event: 'stats', t: round(elapsed()), rates: rates(stats, last.stats, dt), totals: stats,
        ...(values['per-worker'] ? { workers: perWorker } : {}), ...(ports.length ? { ports: portRates } : {}) }));
    } else {
      out(liveLine(elapsed(), stats, last.stats, dt));
      if (values['per-worker']) perWorker.forEach((w, i) => out(`    worker ${i}: rx ${w.rxPackets}  ${XDP_ACTIONS.map((a, k) => `${a.toLowerCase()} ${w.verdicts[k]}`).join('  ')}  sent ${w.txPackets}`));
      for (const p of portRates) out(`    ${p.name}: rx ${si(p.rx_pps)}pps  tx ${si(p.tx_pps)}pps  missed ${p.missed}  errors ${p.errors}`);
    }
    for (const note of notes?.(driver) ?? []) out(json ? JSON.stringify({ ...note.json, t: round(elapsed()) }) : `  ${note.text}`);
    last = { at: now, stats, ports };
  };

  const reload = async (): Promise<void> => {
    if (swapping) return;
    swapping = true;
    try {
      const next = open();
      try {
        await driver.swap(next.program(progName));
      } catch (err) {
        next.close();
        throw err;
      }
      const old = obj;
      obj = next;
      old.close(); // no worker runs it any more: swap resolved after quiescing
      if (json) out(JSON.stringify({ event: 'reload', t: round(elapsed()), object: display(path), describe: driverFe.describe(driver) }));
      else out(`  ${elapsed().toFixed(1)}s reloaded ${display(path)}`);
    } catch (err) {
      process.stderr.write(`sluice run: reloading ${display(path)} failed, the running program stays: ${messageOf(err)}\n`);
    } finally {
      swapping = false;
    }
  };

  // `sluice prog replace`: another object (--map-in is for the first one's maps, so it is not
  // applied; pinned maps are shared by name). An error goes back to the caller, the old program stays.
  const replace = async (request: ReplaceRequest): Promise<ReplaceResult> => {
    if (stopping) throw new Error('the dataplane is stopping');
    if (swapping) throw new Error('another swap is in progress, try again');
    swapping = true;
    try {
      let next: XdpObject | undefined;
      let program: XdpProgram;
      try {
        next = open(request.object, false);
        program = next.program(request.prog); // loading verifies and compiles the program
      } catch (err) {
        next?.close();
        throw new Error(`load ${request.object}: ${messageOf(err)}`);
      }
      try {
        await driver.swap(program);
      } catch (err) {
        next.close();
        throw new Error(`swap: ${messageOf(err)}`);
      }
      const old = obj;
      obj = next;
      old.close();
      path = request.object;
      progName = request.prog;
      if (json) out(JSON.stringify({ event: 'replace', t: round(elapsed()), object: display(path), program: program.name }));
      else out(`  ${elapsed().toFixed(1)}s replaced by ${display(path)} (${program.name})`);
      return { object: path, program: program.name };
    } catch (err) {
      process.stderr.write(`sluice run: replacing by ${display(request.object)} failed, the running program stays: ${messageOf(err)}\n`);
      throw err;
    } finally {
      swapping = false;
    }
  };
  let stopping = false;
  let control: ControlServer | undefined;
  try {
    control = await listenControl({ replace });
    if (json) out(JSON.stringify({ event: 'control', socket: control.path, pid: process.pid }));
    else out(`  sluice prog replace --pid ${process.pid} OBJ swaps in another object (${control.path})`);
  } catch (err) {
    process.stderr.write(`sluice run: no control socket, \`sluice prog replace\` cannot reach this process: ${messageOf(err)}\n`);
  }

  let cleanup = (): void => {};
  const stopped = new Promise<string>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => () => resolve(sig);
    const handlers: [NodeJS.Signals, () => void][] = [['SIGINT', onSignal('SIGINT')], ['SIGTERM', onSignal('SIGTERM')], ['SIGHUP', () => { void reload(); }]];
    for (const [sig, h] of handlers) process.on(sig, h);
    // Only now: a signal that came during start-up is still queued and reaches the handlers above.
    process.off('SIGINT', early);
    process.off('SIGTERM', early);
    // Signal listeners do not keep Node's event loop alive: without --stats or --duration the
    // process would run out of work and exit under the running workers. This timer holds it.
    const timers: NodeJS.Timeout[] = [setInterval(() => {}, 1 << 30)];
    // A failing statistics read must not take the process down under running workers: stop cleanly.
    const safeTick = (): void => {
      try { tick(); } catch (err) { process.stderr.write(`sluice run: statistics failed, stopping: ${messageOf(err)}\n`); resolve('error'); }
    };
    if (statsMs > 0) timers.push(setInterval(safeTick, statsMs));
    if (durationS !== undefined) timers.push(setTimeout(() => resolve('duration'), durationS * 1000));
    if (earlySignal !== undefined) resolve(earlySignal);
    cleanup = () => { for (const [sig, h] of handlers) process.off(sig, h); for (const t of timers) clearInterval(t); };
  });
  const reason = await stopped;
  cleanup();
  stopping = true;
  await control?.close();
  while (swapping) await new Promise((r) => setTimeout(r, 10));
  const time = elapsed();
  try {
    for (const note of notes?.(driver) ?? []) out(json ? JSON.stringify({ ...note.json, t: round(time) }) : `  ${note.text}`);
  } catch { /* reported by the live statistics already */ }
  let totals: DriverStats;
  try {
    totals = await driver.stop();
  } finally {
    obj.close();
  }
  if (json) out(JSON.stringify({ event: 'totals', reason, seconds: round(time), totals, rates: rates(totals, undefined, time) }));
  else out(totalsTable(totals, time, reason));
  return reason === 'error' ? EXIT_FAILURE : EXIT_OK;
}

/** `--dpdk "--no-huge …"`: a string option's value may start with '-' (EAL arguments); parseArgs wants `--dpdk=…` for that. */
function joinValues(argv: string[], options: Record<string, { type: string }>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && i + 1 < argv.length) out.push(`${a}=${argv[++i]}`);
    else out.push(a);
  }
  return out;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

function interval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text);
  if (!m) throw new UsageError(`--stats expects a time such as 1s or 500ms (0: none), got '${text}'`);
  return m[2] === 'ms' ? Number(m[1]) : Number(m[1]) * 1000;
}

function seconds(text: string): number {
  const m = /^(\d+(?:\.\d+)?)s?$/.exec(text);
  if (!m || Number(m[1]) <= 0) throw new UsageError(`--duration expects seconds greater than 0, got '${text}'`);
  return Number(m[1]);
}

/** Per-second rates over dt seconds (since `before`, or since the start). */
function rates(now: DriverStats, before: DriverStats | undefined, dt: number) {
  const d = (a: number, b = 0): number => (dt > 0 ? Math.round((a - b) / dt) : 0);
  return {
    rx_pps: d(now.rxPackets, before?.rxPackets), rx_bps: d(now.rxBytes * 8, (before?.rxBytes ?? 0) * 8),
    ...Object.fromEntries(XDP_ACTIONS.map((a, i) => [`${a.toLowerCase()}_pps`, d(now.verdicts[i]!, before?.verdicts[i])])),
    sent_pps: d(now.txPackets, before?.txPackets), tx_dropped_pps: d(now.txDropped, before?.txDropped),
  };
}

const si = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}K` : `${Math.round(x)}`);

function liveLine(t: number, now: DriverStats, before: DriverStats, dt: number): string {
  const r = rates(now, before, dt) as Record<string, number>;
  const verdicts = XDP_ACTIONS.map((a) => `${a.toLowerCase()} ${si(r[`${a.toLowerCase()}_pps`]!)}`).join('  ');
  return `${t.toFixed(1).padStart(7)}s  rx ${si(r.rx_pps!)}pps  ${verdicts}  sent ${si(r.sent_pps!)}pps  tx-dropped ${now.txDropped}  redirect-errors ${now.redirectErrors}`;
}

function totalsTable(s: DriverStats, seconds: number, reason: string): string {
  const extra = s as unknown as Record<string, unknown>;
  const lines = [`\nStopped (${reason}) after ${seconds.toFixed(1)} s: ${s.rxPackets.toLocaleString('en-US')} packets, ${s.rxBytes.toLocaleString('en-US')} bytes received (${si(s.rxPackets / Math.max(seconds, 1e-9))}pps)`];
  XDP_ACTIONS.forEach((a, i) => lines.push(`  ${a.padEnd(16)} ${s.verdicts[i]!.toLocaleString('en-US').padStart(16)}`));
  const more: [string, unknown][] = [['other verdicts', s.otherVerdicts], ['sent', s.txPackets], ['tx dropped', s.txDropped], ['redirect errors', s.redirectErrors],
    ['pass dropped', extra.passDropped], ['from kernel', extra.fromKernel]];
  for (const [name, value] of more) if (typeof value === 'number') lines.push(`  ${name.padEnd(16)} ${value.toLocaleString('en-US').padStart(16)}`);
  return lines.join('\n');
}

const display = (path: string): string => {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
};

export const command: Command = { name: 'run', summary: 'run a program on live ports (DPDK) until stopped', usage: USAGE, run };
