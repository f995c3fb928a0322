// PASS through the TAPs: with examples/xdp_pass.o on both sluice interfaces
// every frame goes wire → AF_XDP → program → PASS TAP → the sluice namespace's
// kernel (which routes between 10.0.1.0/24 and 10.0.2.0/24) → TAP → AF_XDP TX →
// wire. Ping and a TCP echo of 200 KB between client and server must work, and
// every received frame must be a PASS written into a TAP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes, createHash } from 'node:crypto';
import { requires, hasCommand } from '../../../scripts/testkit/skip.ts';
import { afxdpRequirements, example, Lab, sleep } from './lab.ts';

const ECHO_SERVER = "require('net').createServer((s) => s.pipe(s)).listen(7000, '10.0.2.1', () => console.log('listening'))";
const ECHO_CLIENT = `
const net = require('net'), crypto = require('crypto');
const data = Buffer.from(process.argv[1], 'base64');
const payload = Buffer.concat(Array.from({ length: 50 }, (_, i) => Buffer.from(crypto.createHash('sha256').update(data).update(String(i)).digest().toString('hex').repeat(64))));
const got = [];
const s = net.connect(7000, '10.0.2.1', () => s.end(payload));
s.on('data', (d) => got.push(d));
s.on('end', () => { console.log(crypto.createHash('sha256').update(Buffer.concat(got)).digest('hex'), payload.length); });
s.on('error', (e) => { console.error(e.message); process.exit(1); });`;

if (requires('AF_XDP PASS forwarding', ...afxdpRequirements(), hasCommand('ping'))) {
  test('ping and TCP cross sluice through the PASS TAPs', async () => {
    const lab = Lab.up('pf');
    try {
      const served = await lab.serve(example('xdp_pass'), ['cli0', 'srv0']);
      let stats;
      const server = lab.spawn(lab.server, process.execPath, ['-e', ECHO_SERVER]);
      try {
        lab.addresses();
        const ping = lab.exec(lab.client, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '10.0.2.1']);
        assert.match(ping, /3 packets transmitted, 3 received/);
        let out = '';
        server.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
        while (!out.includes('listening')) await sleep(50);
        const seed = randomBytes(16);
        const reply = lab.exec(lab.client, process.execPath, ['-e', ECHO_CLIENT, seed.toString('base64')], 20_000).trim().split(' ');
        // The client sent 50 hex blocks derived from the seed; the echo must hash the same.
        const blocks = Array.from({ length: 50 }, (_, i) => Buffer.from(createHash('sha256').update(seed).update(String(i)).digest().toString('hex').repeat(64)));
        const expected = Buffer.concat(blocks);
        assert.is(Number(reply[1]), expected.length);
        assert.is(reply[0], createHash('sha256').update(expected).digest('hex'), 'TCP echo came back intact');
      } finally {
        server.kill();
        stats = await served.stop();
      }
      assert.ok(stats.rxPackets > 100, `a 200 KB echo is more than 100 frames: ${JSON.stringify(stats)}`);
      assert.is(stats.verdicts[2], stats.rxPackets, 'xdp_pass passes everything');
      assert.is(stats.passPackets, stats.rxPackets, 'every PASS went into a TAP');
      assert.ok(stats.kernelTx > 100, 'the kernel forwarded through the TAPs');
      assert.is(stats.txDropped, 0);
      assert.not.match(lab.links(), /xdp|p-cli0|p-srv0/);
    } finally {
      lab.down();
    }
  });
}

test.run();
