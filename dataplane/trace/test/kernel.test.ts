// The traces' endings against the Linux kernel: each frame the golden files
// trace, and the lb encapsulation (bpf_xdp_adjust_head), run through
// BPF_PROG_TEST_RUN; the verdict and the output bytes must be the ones the
// trace ends with. (The steps themselves have no kernel counterpart to compare.)
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readCaptureFile } from '../../../drivers/pcap/capture.ts';
import { packet, parseIPv4 } from '../../../drivers/packet/packet.ts';
import { kernelAvailable } from '../../../scripts/testkit/kernel.ts';
import { kernelRunObject } from '../../../scripts/testkit/kernel-object.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { loadObject } from '../../runtime.ts';
import { tracePacket } from '../run.ts';

const repo = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function demoFrame(n: number): Uint8Array {
  const reader = readCaptureFile(repo('pcaps/demo.pcap'));
  for (let r = reader.next(); r !== null; r = reader.next()) if (r.frame === n) return r.data.slice();
  throw new Error(`demo.pcap has no frame ${n}`);
}

if (requires('trace endings against the kernel', kernelAvailable())) {
  const cases: { object: string; frame: Uint8Array; why: string; setup?: { map: string; key: Uint8Array; value: Uint8Array }[] }[] = [
    { object: 'examples/firewall.o', frame: demoFrame(8), why: 'demo frame 8 (blocked network)' },
    { object: 'examples/firewall.o', frame: demoFrame(2), why: 'demo frame 2 (blocked port)' },
    { object: 'examples/firewall.o', frame: demoFrame(6), why: 'demo frame 6 (allowed)' },
    { object: 'examples/xdp_tx.o', frame: demoFrame(1), why: 'demo frame 1 (reflected)' },
    {
      object: 'examples/lb.o', why: 'a packet to a VIP, encapsulated in IPIP',
      frame: packet().eth().ipv4({ src: '198.51.100.1', dst: '10.0.0.100' }).tcp({ sport: 1234, dport: 80 }).build(),
      setup: [
        { map: 'vips', key: Uint8Array.from([...parseIPv4('10.0.0.100'), 0, 80, 6, 0]), value: Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0]) },
        { map: 'backends', key: new Uint8Array(4), value: parseIPv4('10.1.1.1') },
      ],
    },
  ];
  for (const c of cases) {
    test(`${c.object}, ${c.why}: the trace ends as the kernel's test run`, () => {
      const obj = loadObject(repo(c.object), { engine: 'interp', cpus: 1 });
      try {
        for (const s of c.setup ?? []) obj.map(s.map).update(s.key, s.value);
        const program = obj.program();
        const trace = tracePacket(obj, program, c.frame);
        const kernel = kernelRunObject(obj.spec, program.name, [c.frame], c.setup ?? []).frames[0]!;
        assert.is(trace.end.kind === 'verdict' && trace.end.retval, kernel.retval);
        assert.is(trace.output?.hex, hex(kernel.dataOut));
      } finally {
        obj.close();
      }
    });
  }
}

test.run();
