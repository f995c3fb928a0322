// Verification time and work for objects, beside the kernel's figures for the same
// programs (bpftool prog load with libbpf debug output, root only).
//
//   node --import tsx jit/verifier/bench.ts [OBJ...]     (default: examples/*.o)
//
// sluice's time is the median of 15 warm runs; the kernel's is its own "verification
// time" line. Only the first program of each object is loaded into the kernel (what
// `bpftool prog load` does).
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadObjectSpec } from '../object/load.ts';
import { verify } from './verify.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const files = args.length ? args : readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.o')).map((f) => join(root, 'examples', f));
const canKernel = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v bpftool']).status === 0;

function kernelFigures(file: string): string {
  if (!canKernel) return 'kernel: (needs root and bpftool)';
  const pin = `/sys/fs/bpf/sluice_bench_${process.pid}`;
  const r = spawnSync('bpftool', ['-d', 'prog', 'load', file, pin, 'type', 'xdp'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  rmSync(pin, { force: true });
  const processed = /processed (\d+) insns .*total_states (\d+) peak_states (\d+)/.exec(r.stderr);
  const time = /verification time (\d+) usec/.exec(r.stderr);
  if (r.status !== 0 || !processed) return `kernel: refused or no statistics (exit ${r.status})`;
  return `kernel: ${processed[1]} insns, ${processed[2]} states (peak ${processed[3]}), ${time ? (Number(time[1]) / 1000).toFixed(1) : '?'} ms`;
}

for (const file of files) {
  const spec = loadObjectSpec(readFileSync(file), file);
  const prog = spec.programs.find((p) => p.type.supported);
  if (!prog) continue;
  const times: number[] = [];
  let last;
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    last = verify(prog, spec.maps);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const s = last!.stats;
  console.log(`${file.replace(root, '')} ${prog.name} (${prog.instructions.length} insns): ` +
    `sluice: ${s.insnsProcessed} insns, ${s.states} states (peak ${s.peakStates}), ${times[7]!.toFixed(1)} ms | ${kernelFigures(file)}`);
}
