// Reader and writer throughput over 1M 64-byte frames (run by hand:
// `node --import tsx drivers/pcap/throughput.ts`; figures go in README.md).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCapture, openCapture, readCapture, createCaptureFile, FrameBurst } from './capture.ts';

const N = 1_000_000;
const frame = new Uint8Array(64).fill(0xab);

function rate(label: string, frames: number, ms: number): void {
  console.log(`${label.padEnd(50)} ${(frames / ms / 1000).toFixed(2)} Mframes/s  (${ms.toFixed(0)} ms)`);
}

function median(xs: number[]): number { return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!; }

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pcap-bench-'));
  try {
    for (const format of ['pcap', 'pcapng'] as const) {
      let t = performance.now();
      const bytes = encodeCapture((function* () { for (let i = 0; i < N; i++) yield { data: frame, timestamp: BigInt(i) }; })(), { format });
      rate(`${format}: encode in memory`, N, performance.now() - t);

      const runs: number[] = [];
      let sum = 0;
      for (let k = 0; k < 5; k++) {
        t = performance.now();
        const r = readCapture(bytes);
        for (let rec = r.next(); rec !== null; rec = r.next()) sum += rec.data.length;
        runs.push(performance.now() - t);
      }
      rate(`${format}: read in memory (next(), median of 5)`, N, median(runs));

      const burst = new FrameBurst(256);
      const burstRuns: number[] = [];
      for (let k = 0; k < 5; k++) {
        t = performance.now();
        const r = readCapture(bytes);
        for (let n = r.readBurst(burst); n > 0; n = r.readBurst(burst)) for (let i = 0; i < n; i++) sum += burst.caplen[i]!;
        burstRuns.push(performance.now() - t);
      }
      rate(`${format}: read in memory (bursts of 256, median of 5)`, N, median(burstRuns));

      t = performance.now();
      let tsSum = 0n;
      for (const rec of readCapture(bytes)) tsSum += rec.timestamp;
      rate(`${format}: read in memory + bigint timestamps`, N, performance.now() - t);

      const path = join(dir, `bench.${format}`);
      t = performance.now();
      const w = createCaptureFile(path, { format });
      for (let i = 0; i < N; i++) w.write({ data: frame, timestamp: BigInt(i) });
      w.close();
      rate(`${format}: write file`, N, performance.now() - t);

      t = performance.now();
      let n = 0;
      for await (const batch of (await openCapture(path)).batches()) n += batch.length;
      rate(`${format}: stream file, batches`, n, performance.now() - t);

      t = performance.now();
      n = 0;
      const stream = await openCapture(path);
      for (let k = await stream.readBurst(burst); k > 0; k = await stream.readBurst(burst)) n += k;
      rate(`${format}: stream file, bursts of 256`, n, performance.now() - t);

      t = performance.now();
      n = 0;
      for await (const _ of await openCapture(path)) n++;
      rate(`${format}: stream file, for await per frame`, n, performance.now() - t);
      if (sum === 0 || tsSum < 0n) console.log('');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
