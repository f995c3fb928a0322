// AF_XDP throughput on veth: Mpps through sluice's AF_XDP driver for
// examples/xdp_drop.o and examples/xdp_tx.o, beside the kernel running the same
// objects in native XDP mode (`ip link set dev cli0 xdpdrv obj …`) and DPDK's
// net_af_xdp PMD (dpdk-testpmd rxonly / macswap, when installed) on the same
// veth, in the same run. Traffic stays inside the lab namespaces of
// scripts/netns.sh: a generator (drivers/afxdp/tools/blast.c, AF_PACKET,
// sendmmsg, qdisc bypass) in NAME-client sends 60-byte UDP frames to cli0 in
// NAME-sluice for a few seconds per case.
//
// Rates are frames the program ran on, per second of sending: sluice's rx
// counter, the kernel's rx_queue_0_xdp_packets (ethtool -S on the veth), over
// the same window. The generator's own rate is shown beside them: on veth the
// sender's CPU also runs the receiving side's NAPI (kernel XDP, and AF_XDP's
// copy into the UMEM), so both columns share one core with the generator.
//
// Usage: node --import tsx bench/afxdp.ts [--seconds S] [--rounds N] [--only TEXT]   (root)
// Not a test: figures vary with the machine and its load; medians over rounds.
import { example, Lab } from '../drivers/afxdp/lab.ts';
import { hasCommand } from '../scripts/testkit/skip.ts';
import { blast as blastIn, buildBlast } from '../drivers/afxdp/tools/blast.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SECONDS = opt('seconds', 4);
const ROUNDS = opt('rounds', 3);
const onlyAt = args.indexOf('--only');
const ONLY = onlyAt >= 0 ? args[onlyAt + 1] ?? '' : ''; // run only cases whose name contains this

if (process.getuid?.() !== 0) { console.error('bench/afxdp.ts needs root (namespaces, XDP)'); process.exit(1); }
buildBlast();

interface Sample { mpps: number; genMpps: number; lostMpps?: number }
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

const lab = Lab.up('bench');
try {
  // GRO on the generator's veth end: the kernel's XDP_TX (ndo_xdp_xmit into the peer) needs the
  // peer's NAPI, as AF_XDP's TX needs nothing; reflected frames then reach the client and die there.
  lab.exec(lab.client, 'ethtool', ['-K', 'eth0', 'gro', 'on']);
  const dutMac = lab.mac(lab.sluice, 'cli0');
  const blast = (): number => blastIn(lab.client, 'eth0', SECONDS, dutMac);
  const xdpPackets = (): number => {
    const text = lab.exec(lab.sluice, 'ethtool', ['-S', 'cli0']);
    return [...text.matchAll(/rx_queue_\d+_xdp_packets: (\d+)/g)].reduce((s, m) => s + Number(m[1]), 0);
  };

  const kernel = (object: string): Sample => {
    lab.exec(lab.sluice, 'ip', ['link', 'set', 'dev', 'cli0', 'xdpdrv', 'obj', object, 'sec', 'xdp']);
    try {
      const before = xdpPackets();
      const sent = blast();
      const after = xdpPackets();
      return { mpps: (after - before) / SECONDS / 1e6, genMpps: sent / SECONDS / 1e6 };
    } finally {
      lab.exec(lab.sluice, 'ip', ['link', 'set', 'dev', 'cli0', 'xdpdrv', 'off']);
    }
  };

  const sluice = async (object: string, mode: 'native' | 'skb' = 'native'): Promise<Sample> => {
    const served = await lab.serve(object, ['cli0'], [], { cpus: [1], mode });
    try {
      const before = await served.snapshot();
      const sent = blast();
      const after = await served.snapshot();
      return {
        mpps: (after.rxPackets - before.rxPackets) / SECONDS / 1e6, genMpps: sent / SECONDS / 1e6,
        // Frames the kernel could not hand to the socket: fill ring empty or RX ring full.
        lostMpps: (after.kernel.rxDropped + after.kernel.rxRingFull - before.kernel.rxDropped - before.kernel.rxRingFull) / SECONDS / 1e6,
      };
    } finally {
      await served.stop();
    }
  };

  // DPDK's net_af_xdp PMD on the same veth: testpmd's rxonly (receive and free: the drop
  // equivalent) and macswap (swap MACs, send back: the xdp_tx equivalent), forwarding on lcore 1.
  const dpdk = async (mode: 'rxonly' | 'macswap'): Promise<Sample> => {
    const child = lab.spawnWithStdin(lab.sluice, 'stdbuf', ['-oL', 'dpdk-testpmd', '-l', '0-1', '--no-huge', '-m', '1024', '--no-pci',
      '--file-prefix', `sxbench${process.pid}`, '--vdev', 'net_af_xdp0,iface=cli0', '--',
      '--total-num-mbufs=16384', `--forward-mode=${mode}`, '--auto-start']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise((r) => child.on('exit', r));
    for (let i = 0; i < 400 && !out.includes('Press enter to exit'); i++) await new Promise((r) => setTimeout(r, 50));
    if (!out.includes('Press enter to exit')) { child.kill('SIGKILL'); throw new Error(`testpmd did not start:\n${out}`); }
    const sent = blast();
    child.stdin!.end('\n');
    await exited;
    const m = /Accumulated forward statistics[\s\S]*?RX-packets:\s+(\d+)\s+RX-dropped:\s+(\d+)/.exec(out);
    if (!m) throw new Error(`no totals from testpmd:\n${out}`);
    return { mpps: Number(m[1]) / SECONDS / 1e6, genMpps: sent / SECONDS / 1e6, lostMpps: Number(m[2]) / SECONDS / 1e6 };
  };
  const haveTestpmd = hasCommand('dpdk-testpmd').ok;

  // The generator alone: frames into the veth with no XDP program (the kernel's stack drops them).
  const baseline = (): Sample => { const sent = blast(); return { mpps: NaN, genMpps: sent / SECONDS / 1e6 }; };

  const cases: [string, () => Sample | Promise<Sample>][] = [
    ['no XDP (generator alone)', baseline],
    ['drop — kernel xdpdrv', () => kernel(example('xdp_drop'))],
    ['drop — sluice AF_XDP (native steering, copy)', () => sluice(example('xdp_drop'))],
    ['drop — sluice AF_XDP (skb steering, copy)', () => sluice(example('xdp_drop'), 'skb')],
    ...(haveTestpmd ? [['drop — DPDK net_af_xdp (testpmd rxonly)', () => dpdk('rxonly')] as [string, () => Promise<Sample>]] : []),
    ['tx — kernel xdpdrv', () => kernel(example('xdp_tx'))],
    ['tx — sluice AF_XDP (native steering, copy)', () => sluice(example('xdp_tx'))],
    ...(haveTestpmd ? [['tx — DPDK net_af_xdp (testpmd macswap)', () => dpdk('macswap')] as [string, () => Promise<Sample>]] : []),
  ];
  const chosen = cases.filter(([n]) => n.includes(ONLY));
  const results = new Map<string, Sample[]>(chosen.map(([n]) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, run] of chosen) {
      const s = await run();
      results.get(name)!.push(s);
      console.error(`round ${r + 1}: ${name}: ${Number.isNaN(s.mpps) ? '—' : s.mpps.toFixed(3)} Mpps (generator ${s.genMpps.toFixed(3)} Mpps${s.lostMpps === undefined ? '' : `, lost before the socket ${s.lostMpps.toFixed(3)} Mpps`})`);
    }
  }
  console.log(`\nAF_XDP on veth, 60-byte frames, ${SECONDS} s per case, median of ${ROUNDS} round(s):\n`);
  console.log('| case | Mpps (program ran) | generator Mpps | lost before the socket (Mpps) |');
  console.log('|---|---:|---:|---:|');
  for (const [name, samples] of results) {
    const m = median(samples.map((s) => s.mpps));
    console.log(`| ${name} | ${Number.isNaN(m) ? '—' : m.toFixed(3)} | ${median(samples.map((s) => s.genMpps)).toFixed(3)} | ${samples[0]!.lostMpps === undefined ? '—' : median(samples.map((s) => s.lostMpps!)).toFixed(3)} |`);
  }
} finally {
  lab.down();
}
