// Test support for pin.test.ts: a dataplane in its own process. Loads
// examples/firewall.o with its maps pinned in argv[2], runs the frame given in
// hex (argv[3]) in a loop, prints "verdict V" whenever the verdict changes and,
// on "stop" from stdin, "counts PASS DROP" (runs per verdict) and stops
// running; on "exit", closes the object (removing its pins) and exits.
// "crash" exits without closing (a stale pin).
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadObject } from '../../dataplane/runtime.ts';

const [dir, frameHex] = process.argv.slice(2) as [string, string];
const obj = loadObject(fileURLToPath(new URL('../../examples/firewall.o', import.meta.url)), {
  pinDir: dir, pinMaps: true, cpus: 2,
});
const prog = obj.program('xdp_firewall');
const frame = Uint8Array.from(Buffer.from(frameHex, 'hex'));
const counts = new Map<number, number>();
let last = -1, running = true;
const timer = setInterval(() => {
  if (!running) return;
  for (let i = 0; i < 20; i++) {
    const v = prog.run(frame).retval;
    counts.set(v, (counts.get(v) ?? 0) + 1);
    if (v !== last) { last = v; process.stdout.write(`verdict ${v}\n`); }
  }
}, 2);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'stop') { running = false; process.stdout.write(`counts ${counts.get(2) ?? 0} ${counts.get(1) ?? 0}\n`); }
  if (line === 'crash') process.exit(3);
  if (line === 'exit') { clearInterval(timer); obj.close(); process.stdout.write('closed\n'); process.exit(0); }
});
process.stdout.write('ready\n');
