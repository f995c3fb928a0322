// The native C programs (bench/native/programs.c) are the same logic as the
// examples the JIT runs: same verdict on every frame — the benchmark frames and
// frames chosen to reach each branch of the sources — and, for xdp_tx, the same
// output bytes. Not timed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { packet } from '../../../drivers/packet/packet.ts';
import { loadObject } from '../../../dataplane/runtime.ts';
import { helperBindings } from '../../../dataplane/ffi.ts';
import { requires, hasCommand } from '../../../scripts/testkit/skip.ts';
import { benchFrames, benchPrograms, loadNative } from '../native.ts';

const edge: [string, Uint8Array][] = [
  ['13 bytes', new Uint8Array(13)],
  ['ARP', packet().eth().arp().build()],
  ['IPv4 truncated after the IP header', packet().eth().ipv4({ src: '172.16.0.1' }).udp().build().subarray(0, 40)],
  ['UDP to chargen (a default port rule)', packet().eth().ipv4({ src: '172.16.0.1' }).udp({ dport: 19 }).payload(18).build()],
  ['TCP to telnet', packet().eth().ipv4({ src: '172.16.0.1' }).tcp({ dport: 23 }).build()],
  ['from 192.0.2.7 (the default network)', packet().eth().ipv4({ src: '192.0.2.7' }).udp().build()],
  ['UDP to DNS', packet().eth().ipv4({ src: '172.16.0.1' }).udp({ dport: 53 }).build()],
  ['TCP SYN from 10/8', packet().eth().ipv4({ src: '10.9.8.7' }).tcp({ flags: 'S' }).build()],
  ['TCP SYN+ACK from 10/8', packet().eth().ipv4({ src: '10.9.8.7' }).tcp({ flags: 'SA' }).build()],
  ['a later fragment', packet().eth().ipv4({ src: '172.16.0.1', frag: 100 }).udp({ dport: 19 }).build()],
  ['VLAN-tagged IPv4', packet().eth().vlan({ vid: 5 }).ipv4({ src: '172.16.0.9' }).udp({ dport: 7777 }).build()],
  ['IPv6 UDP', packet().eth().ipv6({ src: 'fd00::1' }).udp({ dport: 7777 }).build()],
  ['IPv6 from 2001:db8:bad::1', packet().eth().ipv6({ src: '2001:db8:bad::1' }).udp().build()],
  ['IPv6 TCP to SMB', packet().eth().ipv6({ src: 'fd00::1' }).tcp({ dport: 445 }).build()],
  ['IPv4 with options', packet().eth().ipv4({ src: '172.16.0.1', options: new Uint8Array([1, 1, 1, 0]) }).udp({ dport: 7 }).build()],
];

if (requires('native versions of the benchmark programs', hasCommand('gcc'))) {
  const native = loadNative();
  const burstRun = helperBindings().burstRunAddress();
  const frames = [...benchFrames(), ...edge.map(([, f]) => f)];
  const names = [...benchFrames().map((_, i) => `bench frame ${i}`), ...edge.map(([n]) => n)];
  const src = new Uint8Array(frames.reduce((a, f) => a + f.length, 0));

  for (const p of benchPrograms()) {
    test(`${p.name}: gcc's build and the JIT agree on every frame`, () => {
      const obj = loadObject(p.file, { cpus: 1 });
      try {
        const prog = obj.program();
        const arena = prog.arenaFor(frames.length);
        frames.reduce((at, f, i) => { src.set(f, at); arena.offs[i] = at; arena.lens[i] = f.length; return at + f.length; }, 0);
        const run = (side: 'native' | 'jit') => {
          arena.fillFrom(src, frames.length, {}, 0n);
          if (side === 'native') native.benchNative(p.which, arena.buffs, arena.verdicts, frames.length, 1);
          else native.benchEntry(burstRun, prog.engine.entry!, arena.buffs, arena.verdicts, frames.length, 1);
          return frames.map((_, i) => ({ verdict: arena.verdict(i), bytes: Buffer.from(arena.packet(i)).toString('hex') }));
        };
        const a = run('native'), b = run('jit');
        frames.forEach((_, i) => assert.equal(a[i], b[i], `${p.name}, ${names[i]}`));
        // The edge frames reach more than one verdict where the program has more than one.
        if (p.name === 'firewall' || p.name === 'classify') assert.ok(new Set(b.map((x) => x.verdict)).size >= 2);
      } finally {
        obj.close();
      }
    });
  }
  test.after(() => native.dispose());
}

test.run();
