// What the JIT's inlined per-CPU array lookups rely on (maps/map.h, maps/worker.h):
// MapHandle.cpuStride is the distance between CPUs' copies, and sluice_worker.cpu sits at
// sluice_worker_cpu_tpoff() from the thread pointer. Checked from the contracts: the x86-64
// TLS ABI puts the thread pointer itself at %fs:0 (the TCB's self pointer), and the map's copy
// of value i for CPU c is what the control plane's per-CPU update wrote for that CPU.
import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMap, MapType, u32 } from '../index.ts';
import { helperBindings } from '../../dataplane/ffi.ts';
import { requires } from '../../scripts/testkit/skip.ts';
import { hasNativeLibrary, readAt } from './native.ts';

const u64At = (b: Uint8Array): bigint => new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);

if (requires('per-CPU layout for the JIT', hasNativeLibrary())) {
  test('cpuStride: CPU c\'s copy of value i is at valueBase + c * cpuStride + i * round_up(value_size, 8)', () => {
    for (const [valueSize, maxEntries] of [[8, 4], [24, 12], [4, 1], [100, 33]] as const) {
      const cpus = 3, elem = (valueSize + 7) & ~7;
      const m = createMap({ name: 'pcl', type: MapType.PERCPU_ARRAY, keySize: 4, valueSize, maxEntries, cpus });
      try {
        const stride = m.cpuStride;
        assert.ok(stride >= BigInt(maxEntries * elem), `${valueSize}x${maxEntries}: one CPU's values fit in the stride ${stride}`);
        assert.is(stride % 128n, 0n, 'each CPU\'s copies start on their own 128-byte block (map.h)');
        const value = (i: number, c: number): Uint8Array => Uint8Array.from({ length: valueSize }, (_, b) => (i * 13 + c * 71 + b + 1) & 0xff);
        for (let i = 0; i < maxEntries; i++) m.updatePerCpu(u32(i), Array.from({ length: cpus }, (_, c) => value(i, c)));
        for (let i = 0; i < maxEntries; i++)
          for (let c = 0; c < cpus; c++)
            assert.equal(readAt(m.valueBase + BigInt(c) * stride + BigInt(i * elem), valueSize), value(i, c), `value ${i}, CPU ${c}`);
      } finally { m.close(); }
    }
    const plain = createMap({ name: 'pla', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
    try { assert.is(plain.cpuStride, 0n, 'a plain array has no per-CPU stride'); } finally { plain.close(); }
  });

  test('sluice_worker.cpu is at sluice_worker_cpu_tpoff() from the thread pointer, in this thread and in another', async () => {
    const h = helperBindings();
    const off = BigInt(h.workerCpuTpOffset());
    // &sluice_worker.cpu (the struct's first field) minus the offset is the thread pointer, whose
    // first word points to itself (x86-64 TLS ABI: %fs:0 holds the TCB address).
    const tp = h.workerCurrent() - off;
    assert.is(u64At(readAt(tp, 8)), tp, 'the thread pointer found from the offset points to itself');
    h.workerSet(5);
    try { assert.equal(readAt(tp + off, 4), u32(5), 'the u32 there is the worker\'s cpu'); } finally { h.workerSet(0); }
    // A second thread (a Node worker: its own native thread, its own TLS block): same offset.
    // Workers do not inherit tsx's loader: it is registered in the worker first.
    const code = `
      const { parentPort } = require('node:worker_threads');
      import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(new URL('../../dataplane/ffi.ts', import.meta.url).href)}); })
        .then(({ helperBindings }) => {
          const h = helperBindings();
          h.workerSet(7);
          parentPort.postMessage({ off: h.workerCpuTpOffset(), worker: h.workerCurrent().toString() });
        });`;
    const w = new Worker(code, { eval: true });
    const got = await new Promise<{ off: number; worker: string }>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    await w.terminate();
    assert.is(BigInt(got.off), off, 'one offset for every thread (initial-exec TLS)');
    assert.is.not(BigInt(got.worker), h.workerCurrent(), 'another thread, another sluice_worker');
  });
}

test.run();
