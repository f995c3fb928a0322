// sluice against the kernel, frame by frame: the example objects over the
// committed captures, through sluice (JIT and interpreter) and through
// BPF_PROG_TEST_RUN on this machine's kernel, comparing the verdict and the
// output bytes of every frame, and the array-map counters after the last one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { requires } from '../../scripts/testkit/skip.ts';
import { kernelAvailable } from '../../scripts/testkit/kernel.ts';
import { kernelRunObject, type MapKey } from '../../scripts/testkit/kernel-object.ts';
import { readCapture } from '../../drivers/pcap/capture.ts';
import { loadObject, verdictName } from '../runtime.ts';
import { ENGINE_KINDS } from '../pipeline/engine.ts';
import { MapType } from '../../maps/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const FRAMES_PER_CAPTURE = 150;
const frames = ['demo.pcap', 'mixed.pcap'].flatMap((f) =>
  [...readCapture(readFileSync(`${root}pcaps/${f}`))].slice(0, FRAMES_PER_CAPTURE).map((r) => r.data.slice()));

// Objects the kernel loads with its own program type and no setup beyond the object's own data
// (tailcall needs its prog_array filled by a loader; ringbuf's events are compared in examples/test).
const EXAMPLES = ['xdp_pass', 'xdp_drop', 'xdp_tx', 'verdict_counters', 'firewall', 'vlan', 'globals', 'lb', 'router'];
const ARRAYS = new Set([MapType.ARRAY, MapType.PERCPU_ARRAY]);
const roundUp8 = (n: number) => (n + 7) & ~7;

/** Sums a value's u64 words over per-CPU slots (one slot for a shared array). */
function sumWords(slots: readonly Uint8Array[], valueSize: number): bigint[] {
  const words = Math.floor(valueSize / 8);
  return Array.from({ length: words }, (_, w) =>
    slots.reduce((a, s) => a + Buffer.from(s).readBigUInt64LE(w * 8), 0n));
}

if (requires('sluice vs kernel, frame by frame', kernelAvailable())) {
  for (const name of EXAMPLES) {
    test(`${name}: ${frames.length} frames agree with the kernel`, () => {
      const path = `${root}examples/${name}.o`;
      const cpus = availableParallelism();
      const probe = loadObject(path, { cpus: 1 });
      const spec = probe.spec;
      const progName = probe.program().name;
      probe.close();
      const counters: MapKey[] = spec.maps
        .filter((m) => ARRAYS.has(Number(m.type)) && !m.globalData && m.valueSize % 8 === 0)
        .flatMap((m) => Array.from({ length: Math.min(m.maxEntries, 16) }, (_, k) => {
          const key = new Uint8Array(4);
          new DataView(key.buffer).setUint32(0, k, true);
          const perCpu = Number(m.type) === MapType.PERCPU_ARRAY;
          return { map: m.name, key, valueSize: perCpu ? roundUp8(m.valueSize) * cpus : m.valueSize };
        }));
      const kernel = kernelRunObject(spec, progName, frames, [], counters);

      for (const engine of ENGINE_KINDS) {
        const obj = loadObject(path, { engine, cpus: 1 });
        try {
          const prog = obj.program(progName);
          frames.forEach((f, i) => {
            const ours = prog.run(f);
            const theirs = kernel.frames[i]!;
            const what = `${engine}, frame ${i + 1}`;
            assert.is(verdictName(ours.retval), verdictName(theirs.retval), `${what}: verdict`);
            assert.is(Buffer.from(ours.data).toString('hex'), Buffer.from(theirs.dataOut).toString('hex'), `${what}: output bytes`);
          });
          counters.forEach((c, i) => {
            const m = obj.map(c.map);
            const kernelValue = kernel.lookups[i]!;
            const kernelSlots = m.perCpu
              ? Array.from({ length: cpus }, (_, s) => kernelValue.subarray(s * roundUp8(m.valueSize), (s + 1) * roundUp8(m.valueSize)))
              : [kernelValue];
            const ourSlots = m.perCpu ? m.lookupPerCpu(c.key)! : [m.lookup(c.key)!];
            assert.equal(sumWords(ourSlots, m.valueSize), sumWords(kernelSlots, m.valueSize), `${engine}: ${c.map}[${new DataView(c.key.buffer).getUint32(0, true)}]`);
          });
        } finally {
          obj.close();
        }
      }
    });
  }
}

test.run();
