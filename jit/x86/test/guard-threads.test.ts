// The guard from several threads at once: each thread's faults come back to that thread's
// guarded call (thread-local jump buffers), handlers are installed while any thread is
// inside a guarded call and put back after the last one.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requires } from '../../../scripts/testkit/skip.ts';
import { hasNativeLibrary } from './native.ts';

const caught = (): string => /^SigCgt:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';

const WORKER = new URL('./guard-worker.ts', import.meta.url).href;
// Workers do not inherit tsx's loader: register it in the worker, then load the TypeScript worker.
const BOOT = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(WORKER)}); })`;

if (requires('the guard from worker threads', hasNativeLibrary())) {
  test('three threads fault and run concurrently; each gets its own results; handlers restored', async () => {
    const before = caught();
    const results = await Promise.all([1, 2, 3].map((id) => new Promise<{ ok: number; faults: number; wrong: string[] }>((resolve, reject) => {
      const w = new Worker(BOOT, { eval: true, workerData: { id } });
      w.once('message', resolve);
      w.once('error', reject);
    })));
    for (const r of results) {
      assert.equal(r.wrong, []);
      assert.is(r.ok, 200);
      assert.is(r.faults, 100);
    }
    assert.is(caught(), before);
  });
}

test.run();
