// The seeded mutation fuzzer over real objects (examples and fixtures): every mutant
// loads or throws a SluiceError — never another exception, never a hang. More
// iterations: `node --import tsx jit/object/test/fuzz-objects.ts --count 100000`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasCommand } from '../../../scripts/testkit/skip.ts';
import { buildFixture, exampleObjects, read } from './objects.ts';
import { fuzz } from './mutate.ts';

const PER_OBJECT = Number(process.env.SLUICE_FUZZ_COUNT ?? 200);

test('mutated objects load or fail with a SluiceError', () => {
  const files = [...exampleObjects(),
    ...(hasCommand('clang').ok ? ['multi_prog', 'rodata', 'legacy_maps', 'map_in_map', 'core', 'btf_kinds'].map((n) => buildFixture(n)) : [])];
  assert.ok(files.length > 0, 'there are objects to mutate');
  let total = 0, loaded = 0;
  const failures: string[] = [];
  files.forEach((file, i) => {
    const s = fuzz(read(file), 1000 + i, PER_OBJECT);
    total += PER_OBJECT;
    loaded += s.loaded;
    failures.push(...s.failures.map((f) => `${file}: ${f}`));
  });
  assert.equal(failures.slice(0, 5), [], `${failures.length} failures`);
  // Mutations that land in debug info or padding still load; most must not.
  assert.ok(loaded > 0 && loaded < total, `${loaded} of ${total} mutants loaded`);
  console.log(`fuzz: ${total} mutants of ${files.length} objects, ${loaded} loaded, ${total - loaded} rejected`);
});

test.run();
