// A worker thread for guard-threads.test.ts: 300 raw programs through the guarded JIT,
// every third one faulting at pc 1 with an address unique to it.
import { parentPort, workerData } from 'node:worker_threads';
import { runRawJit, RawJitError } from '../../../dataplane/raw-jit.ts';
import { assemble } from '../../isa/asm.ts';

const id = (workerData as { id: number }).id;
let ok = 0, faults = 0;
const wrong: string[] = [];
for (let i = 0; i < 300; i++) {
  const bad = i % 3 === 0;
  const address = i * 16 + 0x100000;
  const program = assemble(bad ? `r1 = ${address}\nr0 = *(u8 *)(r1 + 0)\nexit` : `r0 = ${i + id * 1000}\nexit`);
  try {
    const { r0 } = runRawJit(program, new Uint8Array(0));
    if (bad || r0 !== BigInt(i + id * 1000)) wrong.push(`${i}: r0 = ${r0}`);
    else ok++;
  } catch (err) {
    if (!bad || !(err instanceof RawJitError) || err.pc !== 1 || !err.message.includes(`0x${address.toString(16)}`)) wrong.push(`${i}: ${String(err)}`);
    else faults++;
  }
}
parentPort!.postMessage({ ok, faults, wrong });
