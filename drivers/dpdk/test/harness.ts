// Shared by the DPDK tests: what they need to run, `sluice run` as a child
// process with its JSON lines, and a check that a run left nothing behind.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRoot, type Requirement } from '../../../scripts/testkit/skip.ts';
import { dpdkBuilt } from '../native.ts';

export const repo = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const BIN = repo('dataplane/cli/bin.mjs');

export function dpdkInstalled(): Requirement {
  let ok = true;
  try { execFileSync('pkg-config', ['--exists', 'libdpdk']); } catch { ok = false; }
  return { ok: ok && dpdkBuilt(), why: 'needs DPDK (apt-get install dpdk libdpdk-dev) and build/libsluice_dpdk.so (scripts/build-dpdk.sh)' };
}

export const dpdkRequirements = (): Requirement[] => [isRoot(), dpdkInstalled()];

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'sluice-dpdk-'));

/** EAL arguments for a no-hugepage run with the given virtual devices and our own prefix. */
export const eal = (prefix: string, ...vdevs: string[]): string =>
  `--no-huge -m 256 --no-pci -l 0 --file-prefix=${prefix} ${vdevs.map((v) => `--vdev=${v}`).join(' ')}`;

export const uniquePrefix = (what: string): string => `sluice-test-${what}-${process.pid}`;

export interface RunEvent { event: string; [k: string]: unknown }

export interface Running {
  readonly pid: number;
  events: RunEvent[];
  stderr: string;
  /** Resolves with the first event that satisfies the predicate (rejects on exit or timeout). */
  waitFor(pred: (e: RunEvent) => boolean, timeoutMs?: number): Promise<RunEvent>;
  signal(sig: NodeJS.Signals): void;
  done: Promise<{ status: number | null; stdout: string; stderr: string; events: RunEvent[] }>;
}

/** `sluice run ARGS --json` as a child process. */
export function startRun(args: string[], timeoutMs = 25_000): Running {
  const child = spawn(process.execPath, [BIN, 'run', ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '', partial = '';
  const events: RunEvent[] = [];
  const waiters: { pred: (e: RunEvent) => boolean; resolve: (e: RunEvent) => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as RunEvent;
      events.push(e);
      for (const w of [...waiters]) if (w.pred(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ status: number | null; stdout: string; stderr: string; events: RunEvent[] }>((resolve) => {
    child.on('exit', (status) => { clearTimeout(killer); resolve({ status, stdout, stderr, events }); });
  });
  const running: Running = {
    pid: child.pid!,
    events,
    get stderr() { return stderr; },
    waitFor(pred, ms = 15_000) {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for an event; stderr: ${stderr}`)), ms);
        waiters.push({ pred, resolve: (e) => { clearTimeout(t); resolve(e); } });
        void done.then(() => { clearTimeout(t); reject(new Error(`sluice run exited before the event; stderr: ${stderr}`)); });
      });
    },
    signal(sig) { child.kill(sig); },
    done,
  };
  return running;
}

/** Runs to completion (give --duration). */
export const runToEnd = (args: string[], timeoutMs?: number) => startRun(args, timeoutMs).done;

export interface Totals {
  rxPackets: number; verdicts: number[]; otherVerdicts: number; txPackets: number; txDropped: number; redirectErrors: number;
  passDropped: number; fromKernel: number; multiSeg: number; ports: { port: number; ipackets: number; opackets: number; imissed: number }[];
}

export const totalsOf = (events: RunEvent[]): Totals => {
  const t = events.find((e) => e.event === 'totals');
  if (!t) throw new Error('no totals event');
  return t.totals as Totals;
};

/** What a run may leave behind: its EAL runtime directory, hugepage files, TAP interfaces (sl<pid>p<port>). */
export function leftovers(prefix: string, pid: number): string[] {
  const found: string[] = [];
  for (const dir of ['/var/run/dpdk', '/run/dpdk']) if (existsSync(join(dir, prefix))) found.push(join(dir, prefix));
  if (existsSync('/dev/hugepages')) for (const f of readdirSync('/dev/hugepages')) if (f.startsWith(prefix)) found.push(`/dev/hugepages/${f}`);
  for (const ifname of readdirSync('/sys/class/net')) if (ifname.startsWith(`sl${pid % 1000000}p`)) found.push(`interface ${ifname}`);
  return found;
}

