// The package's main export, used the way the README shows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { loadObject, packet, verdictName, checksumsOk } from '../../index.ts';

const firewall = fileURLToPath(new URL('../../examples/firewall.o', import.meta.url));

test('a packet built with the library runs through the example firewall', () => {
  const obj = loadObject(firewall, { cpus: 1 });
  try {
    const prog = obj.program('xdp_firewall');
    // examples/README.md: 192.0.2.0/24 is blocked by default, TCP port 23 too.
    const blockedNet = packet().eth().ipv4({ src: '192.0.2.7', dst: '10.0.0.2' }).tcp({ dport: 80 }).build();
    const telnet = packet().eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).tcp({ dport: 23 }).build();
    const web = packet().eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).tcp({ dport: 443 }).build();
    assert.ok(checksumsOk(web));
    assert.is(verdictName(prog.run(blockedNet).retval), 'DROP');
    assert.is(verdictName(prog.run(telnet).retval), 'DROP');
    const out = prog.run(web);
    assert.is(verdictName(out.retval), 'PASS');
    assert.equal([...out.data], [...web]);
  } finally {
    obj.close();
  }
});

test.run();
