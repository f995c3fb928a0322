// REDIRECT carries its target per packet: the burst entry records what
// bpf_redirect_map chose in each packet's xdp_buff before the next packet runs,
// so a burst whose packets go to different ports keeps them apart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { loadObject, verdictName } from '../runtime.ts';
import { ENGINE_KINDS } from '../pipeline/engine.ts';
import { eth4, ipv4Addr, mac } from '../../examples/test/frames.ts';
import { u32 } from '../../examples/test/bpftool.ts';

const router = fileURLToPath(new URL('../../examples/router.o', import.meta.url));
const route = (port: number, nextHop: string, source: string) => Buffer.concat([u32(port), mac(nextHop), mac(source)]);
const prefix = (addr: string, len: number) => Buffer.concat([u32(len), ipv4Addr(addr)]);
const udpTo = (dst: string) => eth4({ src: '10.1.0.1', dst, ttl: 64 }, { kind: 'udp', sport: 1000, dport: 2000 });

for (const engine of ENGINE_KINDS) {
  test(`${engine}: each packet of a burst keeps its own redirect target`, () => {
    const obj = loadObject(router, { engine, cpus: 1 });
    try {
      // examples/README.md: routes (LPM) give a tx_ports slot and MACs; tx_ports (devmap) gives the ifindex.
      obj.map('tx_ports').update(u32(0), u32(7));
      obj.map('tx_ports').update(u32(1), u32(9));
      obj.map('routes').update(prefix('10.2.0.0', 16), route(0, 'aa:00:00:00:00:02', 'bb:00:00:00:00:02'));
      obj.map('routes').update(prefix('10.3.0.0', 16), route(1, 'aa:00:00:00:00:03', 'bb:00:00:00:00:03'));
      const prog = obj.program();
      const packets = [udpTo('10.2.0.5'), udpTo('10.3.0.5'), udpTo('10.9.0.5'), udpTo('10.3.1.1'), udpTo('10.2.7.7')];
      const want = [[4, 7], [4, 9], [2, 0], [4, 9], [4, 7]]; // no route: PASS
      const arena = prog.arenaFor(packets.length);
      const src = Buffer.concat(packets);
      packets.reduce((at, p, i) => { arena.offs[i] = at; arena.lens[i] = p.length; return at + p.length; }, 0);
      prog.runArena(arena, src, packets.length);
      packets.forEach((_, i) => {
        assert.is(verdictName(arena.verdict(i)), verdictName(want[i]![0]!), `packet ${i} verdict`);
        if (want[i]![0] === 4) assert.is(arena.egressIfindex(i), want[i]![1], `packet ${i} target`);
      });
      const out = arena.packet(1);
      assert.equal([...out.subarray(0, 6)], [0xaa, 0, 0, 0, 0, 3], 'next hop MAC written');
      assert.is(out[14 + 8], 63, 'TTL decremented');
    } finally {
      obj.close();
    }
  });
}

test.run();
