// One `sluice bench` session: every object × engine × worker count over one
// trace, then the kernel's test run on the same object and frames, gathered
// into BenchResults with the machine's description.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, hostname, release } from 'node:os';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadObject } from '../runtime.ts';
import { messageOf } from '../../jit/errors.ts';
import { measureAfxdp } from './afxdp.ts';
import { measureDpdk } from './dpdk.ts';
import { measureInterp, measureJit, measureKernel, kernelStatus, tscHz, type Tick } from './measure.ts';
import { RESULTS_SCHEMA_ID, type BenchResults, type BenchRun, type Machine } from './results.ts';
import type { Trace } from './traffic.ts';

export interface SessionOptions {
  objects: string[];
  /** 'pcap' (default): bursts filled from memory by bench_loop.c; 'dpdk': the DPDK driver's loop on net_null ports (one object, JIT). */
  /** 'afxdp': the AF_XDP driver on a veth of a namespace lab, fed by a generator (root; one object, JIT, one worker). */
  driver?: 'pcap' | 'dpdk' | 'afxdp';
  prog?: string;
  engines: ('jit' | 'interp')[];
  /** The largest worker count; with `scaling`, every count from 1 to it is measured (JIT). */
  workers: number;
  scaling: boolean;
  durationS: number;
  warmupS: number;
  /** The interpreter is ~1000× slower: it runs for at most this long. */
  interpDurationS: number;
  burst: number;
  profile: boolean;
  kernel: boolean;
  kernelRepeat: number;
  cpuBase: number;
  argv: string[];
  onStart?: (what: string) => void;
  onTick?: (what: string, tick: Tick) => void;
  onRun?: (run: BenchRun) => void;
}

export function describeMachine(): Machine {
  const c = cpus();
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string };
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch { /* not a git checkout (an installed package) */ }
  return {
    cpu: c[0]?.model ?? 'unknown', cores: c.length, kernel: release(), node: process.version,
    sluice: commit ? `${pkg.version} (${commit})` : pkg.version, tscHz: tscHz(), hostname: hostname(),
  };
}

export async function runSession(trace: Trace, o: SessionOptions): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  const kernel = o.kernel ? kernelStatus() : { available: false, reason: 'not asked for (--no-kernel)' };
  const runs: BenchRun[] = [];
  const kernelProblems: string[] = [];
  const counts = o.scaling ? Array.from({ length: o.workers }, (_, i) => i + 1) : [o.workers];
  const cpusForMaps = Math.max(o.workers, cpus().length);
  for (const path of o.objects) {
    const name = basename(path);
    for (const engine of o.engines) {
      const obj = loadObject(path, { engine, cpus: cpusForMaps });
      try {
        const prog = obj.program(o.prog);
        if (engine === 'jit' && o.driver === 'dpdk') {
          const what = `${prog.name} jit/dpdk ×${o.workers}`;
          o.onStart?.(what);
          const run = await measureDpdk(name, prog, trace, {
            workers: o.workers, durationS: o.durationS, warmupS: o.warmupS, cpuBase: o.cpuBase, onTick: o.onTick && ((t) => o.onTick!(what, t)),
          });
          runs.push(run);
          o.onRun?.(run);
        } else if (engine === 'jit' && o.driver === 'afxdp') {
          const what = `${prog.name} jit/afxdp ×1`;
          o.onStart?.(what);
          const run = await measureAfxdp(path, name, prog.name, {
            durationS: o.durationS, warmupS: o.warmupS, cpuBase: o.cpuBase, onTick: o.onTick && ((t) => o.onTick!(what, t)),
          });
          runs.push(run);
          o.onRun?.(run);
        } else if (engine === 'jit') {
          for (const w of counts) {
            const what = `${prog.name} jit ×${w}`;
            o.onStart?.(what);
            const run = await measureJit(name, prog, trace, {
              workers: w, durationS: o.durationS, warmupS: o.warmupS, burst: o.burst, cpuBase: o.cpuBase,
              // The split is measured once per program (one worker), not per worker count.
              profile: o.profile && w === counts[0],
              onTick: o.onTick && ((t) => o.onTick!(what, t)),
            });
            if (!(o.profile && w === counts[0])) run.split = { available: false, method: o.profile ? `measured on the ${counts[0]}-worker run` : 'not measured (--no-profile)' };
            runs.push(run);
            o.onRun?.(run);
          }
        } else {
          const what = `${prog.name} interp ×1`;
          o.onStart?.(what);
          const run = await measureInterp(name, prog, trace, {
            workers: 1, durationS: Math.min(o.durationS, o.interpDurationS), warmupS: Math.min(o.warmupS, 0.2), burst: o.burst, profile: false,
            onTick: o.onTick && ((t) => o.onTick!(what, t)),
          });
          runs.push(run);
          o.onRun?.(run);
        }
        if (engine === o.engines[0] && kernel.available) {
          o.onStart?.(`${prog.name} kernel`);
          try {
            const run = measureKernel(obj, name, prog, trace, o.kernelRepeat);
            runs.push(run);
            o.onRun?.(run);
          } catch (err) {
            // The kernel may refuse what sluice runs (frames under 14 bytes, helpers it lacks): the column is missing for this program only.
            kernelProblems.push(`${name}:${prog.name}: ${messageOf(err)}`);
          }
        }
      } finally {
        obj.close();
      }
    }
  }
  return {
    schema: RESULTS_SCHEMA_ID, startedAt, machine,
    options: {
      objects: o.objects.map((p) => basename(p)), traffic: trace.description, driver: o.driver ?? 'pcap', engines: o.engines, workers: o.workers,
      durationS: o.durationS, warmupS: o.warmupS, burst: o.burst, profile: o.profile, argv: o.argv,
    },
    runs,
    kernel: kernelProblems.length ? { available: kernel.available, reason: `the kernel test run failed for ${kernelProblems.join('; ')}` } : kernel,
  };
}
