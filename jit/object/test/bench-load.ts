// Load time of loadObjectSpec, per object (median of repeated loads after warm-up):
//   node --import tsx jit/object/test/bench-load.ts [FILE.o …]   (default: examples/*.o)
import { statSync } from 'node:fs';
import { loadObjectSpec } from '../load.ts';
import { exampleObjects, read } from './objects.ts';

const files = process.argv.length > 2 ? process.argv.slice(2) : exampleObjects();
for (const file of files.sort((a, b) => statSync(b).size - statSync(a).size)) {
  const bytes = read(file);
  for (let i = 0; i < 30; i++) loadObjectSpec(bytes);
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    loadObjectSpec(bytes);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const spec = loadObjectSpec(bytes);
  const insns = spec.programs.reduce((n, p) => n + p.instructions.length, 0);
  console.log(`${file}: ${bytes.length} bytes, ${spec.programs.length} programs, ${insns} instructions, ` +
    `${spec.maps.length} maps: median ${times[100]!.toFixed(2)} ms, p90 ${times[180]!.toFixed(2)} ms`);
}
