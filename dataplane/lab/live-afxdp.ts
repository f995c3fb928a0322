// Lab 9's live part: the student's responder on cli0 of a client — sluice —
// server namespace topology (scripts/netns.sh), on AF_XDP sockets, with PASS
// frames dropped (--pass-to none) so that only the program can answer. The
// client then pings 10.0.1.254: it must resolve it by ARP to cli0's MAC and
// get its echo replies, all sent with XDP_TX.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from './catalog.ts';
import type { Check } from './grade.ts';
import { LiveRun } from './live-run.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NETNS = join(ROOT, 'scripts/netns.sh');
const ADDR = '10.0.1.254';

export const AFXDP_LIVE_CHECKS = [
  `live: the client namespace's ping to ${ADDR} is answered`,
  `live: the client resolved ${ADDR} by ARP to cli0's MAC`,
  'live: the answers were sent by your program (XDP_TX)',
] as const;

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** Why the live checks cannot run on this machine, or undefined. */
export function afxdpUnavailable(): string | undefined {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (network namespaces and AF_XDP sockets)');
  for (const cmd of ['ip', 'ping']) if (!has(cmd)) missing.push(`the '${cmd}' command`);
  if (!existsSync(join(ROOT, 'build/libsluice_afxdp.so'))) missing.push('build/libsluice_afxdp.so (apt-get install libxdp-dev libbpf-dev, then npm run build:native)');
  return missing.length ? `needs ${missing.join(', ')}` : undefined;
}

const result = (i: number, ok: boolean, details: string[]): Check => ({ name: AFXDP_LIVE_CHECKS[i]!, status: ok ? 'passed' : 'failed', details });

export async function afxdpLiveChecks(_lab: Lab, object: string): Promise<Check[]> {
  const why = afxdpUnavailable();
  if (why) return AFXDP_LIVE_CHECKS.map((name) => ({ name, status: 'skipped', details: [`skipped: ${why}; the lab is graded on its spec checks`] }));

  const name = `lab9g${process.pid % 100000}`;
  const ns = { client: `${name}-client`, sluice: `${name}-sluice` };
  const dir = mkdtempSync(join(tmpdir(), 'sluice-lab9-'));
  try {
    execFileSync(NETNS, ['up', name], { stdio: 'pipe' });
    const [link] = JSON.parse(execFileSync('ip', ['-n', ns.sluice, '-j', 'link', 'show', 'cli0'], { encoding: 'utf8' })) as { address: string }[];
    const mac = link!.address;
    const mapFile = join(dir, 'responder.json');
    const value = Buffer.concat([Buffer.from([10, 0, 1, 254]), Buffer.from(mac.replace(/:/g, ''), 'hex'), Buffer.alloc(2)]);
    writeFileSync(mapFile, JSON.stringify({ maps: { responder: [{ key: '00000000', value: value.toString('hex') }] } }));

    const run = new LiveRun(['ip', 'netns', 'exec', ns.sluice], [object, '--afxdp', 'cli0', '--pass-to', 'none', '--map-in', mapFile, '--duration', '30']);
    if (!await run.started()) {
      await run.stop();
      const err = [`sluice run did not start: ${run.stderr() || 'no message'}`];
      return AFXDP_LIVE_CHECKS.map((_, i) => result(i, false, err));
    }
    const ping = spawnSync('ip', ['netns', 'exec', ns.client, 'ping', '-c', '3', '-i', '0.3', '-W', '2', ADDR], { encoding: 'utf8', timeout: 20_000 });
    const neigh = spawnSync('ip', ['-n', ns.client, '-j', 'neigh', 'show', ADDR, 'dev', 'eth0'], { encoding: 'utf8' });
    const totals = await run.stop();
    const learned = (JSON.parse(neigh.stdout || '[]') as { lladdr?: string }[])[0]?.lladdr;
    const tx = totals?.verdicts[3] ?? 0;
    const received = /(\d+) received/.exec(ping.stdout)?.[1] ?? '0';
    return [
      result(0, ping.status === 0, ping.status === 0 ? [] : [`ping: ${received} of 3 replies`, ...ping.stdout.trim().split('\n').slice(-2)]),
      result(1, learned?.toLowerCase() === mac.toLowerCase(), [`expected ${mac} (cli0), the client's neighbour table has ${learned ?? 'no entry'} for ${ADDR}`]),
      result(2, tx >= 4, [`expected at least 4 frames sent with XDP_TX (1 ARP reply, 3 echo replies), counted ${totals ? tx : 'none (no totals from sluice run)'}`]),
    ];
  } finally {
    spawnSync(NETNS, ['down', name], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}
