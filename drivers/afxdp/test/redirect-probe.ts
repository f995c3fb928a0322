// Whether the JIT's burst loop commits REDIRECT targets per packet (calls
// sluice_redirect_commit, dataplane/shim/helpers.h) so drivers find the target
// in buff->egress_ifindex after the burst. Checked by running examples/router.o
// in-process on a burst of two frames routed to a devmap slot holding ifindex 7:
// the first one's target must be there after the burst.
import { loadObject } from '../../../dataplane/runtime.ts';
import { FrameArena } from '../../../dataplane/frame-arena.ts';
import { example } from './lab.ts';

export function redirectCommitted(): boolean {
  const obj = loadObject(example('router'), { cpus: 1 });
  const arena = new FrameArena(2);
  try {
    obj.map('routes').update(Buffer.from('180000000a000200', 'hex'), Buffer.from(`01000000${'02'.repeat(6)}${'04'.repeat(6)}`, 'hex'));
    obj.map('tx_ports').update(Buffer.from('01000000', 'hex'), Buffer.from('07000000', 'hex'));
    // Ethernet + IPv4 (TTL 64, 10.0.1.1 -> 10.0.2.1, protocol 17, checksum not checked by the router) + 8 bytes.
    const frame = Buffer.from(`${'06'.repeat(6)}${'08'.repeat(6)}0800` + '4500001c00000000401100000a0001010a000201' + '0000000000000000', 'hex');
    const entry = obj.program().engine.entry;
    if (entry === undefined) return false;
    arena.fill([frame, frame], {}, entry);
    return arena.verdict(0) === 4 && arena.egressIfindex(0) === 7;
  } finally {
    arena.free();
    obj.close();
  }
}
