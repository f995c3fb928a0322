// The loader fuzzer as a script, for long runs:
//   node --import tsx jit/object/test/fuzz-objects.ts [--count N] [--seed S] [FILE.o …]
// Default files: examples/*.o. Prints one line per object and every failure.
import { parseArgs } from 'node:util';
import { exampleObjects, read } from './objects.ts';
import { fuzz } from './mutate.ts';

const { values, positionals } = parseArgs({
  options: { count: { type: 'string', default: '10000' }, seed: { type: 'string', default: '1' } },
  allowPositionals: true,
});
const files = positionals.length > 0 ? positionals : exampleObjects();
let failed = 0;
const t0 = performance.now();
files.forEach((file, i) => {
  const s = fuzz(read(file), Number(values.seed) * 1000 + i, Number(values.count));
  failed += s.failures.length;
  console.log(`${file}: ${values.count} mutants, ${s.loaded} loaded, ${s.rejected} rejected, ${s.failures.length} failures, slowest ${s.slowestMs.toFixed(1)} ms`);
  for (const f of s.failures.slice(0, 10)) console.log(`  ${f}`);
});
console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failed > 0 ? 1 : 0);
