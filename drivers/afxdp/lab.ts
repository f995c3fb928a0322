// Test support: a client — sluice — server topology of namespaces
// (scripts/netns.sh) and the AF_XDP driver running in the sluice namespace as
// a child process (serve.ts), stopped with SIGTERM for its totals.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hasCommand, isRoot, type Requirement } from '../../scripts/testkit/skip.ts';
import type { AfxdpInterface, AfxdpStats, XskKernelStats } from './afxdp.ts';
import type { DriverStats } from '../driver.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const NETNS = `${root}scripts/netns.sh`;
const SERVE = `${root}drivers/afxdp/serve.ts`;
export const example = (name: string): string => `${root}examples/${name}.o`;

export function afxdpRequirements(): Requirement[] {
  return [isRoot(), hasCommand('ip'), hasCommand('ethtool'),
    { ok: existsSync(`${root}build/libsluice_afxdp.so`), why: 'needs build/libsluice_afxdp.so (libxdp-dev installed, then npm run build:native)' }];
}

export class Lab {
  readonly client: string;
  readonly sluice: string;
  readonly server: string;

  constructor(readonly name: string) {
    this.client = `${name}-client`;
    this.sluice = `${name}-sluice`;
    this.server = `${name}-server`;
  }

  /** A fresh topology (an old one of the same name is removed first). */
  static up(tag: string, queues = 1): Lab {
    const lab = new Lab(`sx${tag}${process.pid % 100000}`);
    execFileSync(NETNS, ['up', lab.name, String(queues)], { stdio: 'pipe' });
    return lab;
  }

  down(): void { execFileSync(NETNS, ['down', this.name], { stdio: 'pipe' }); }
  addresses(): void { execFileSync(NETNS, ['addr', this.name], { stdio: 'pipe' }); }

  /** Runs a command in a namespace; throws on a non-zero exit (output in the message). */
  exec(ns: string, cmd: string, args: string[], timeoutMs = 15_000): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs, stdio: 'pipe' });
  }

  /** true when the command exits 0. */
  ok(ns: string, cmd: string, args: string[], timeoutMs = 15_000): boolean {
    try { this.exec(ns, cmd, args, timeoutMs); return true; } catch { return false; }
  }

  spawn(ns: string, cmd: string, args: string[]): ChildProcess {
    return spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Like spawn, with stdin open for writing. */
  spawnWithStdin(ns: string, cmd: string, args: string[]): ChildProcess {
    return spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  }

  mac(ns: string, iface: string): string {
    const [link] = JSON.parse(this.exec(ns, 'ip', ['-j', 'link', 'show', iface])) as { address: string }[];
    return link!.address;
  }

  /** `ip link` of the sluice namespace (for "no xdp left" checks). */
  links(): string { return this.exec(this.sluice, 'ip', ['link']); }

  /** Starts the driver on the sluice namespace's interfaces; resolves when traffic can flow. */
  async serve(object: string, ifaces: string[], updates: { map: string; key: string; value: string }[] = [],
    options: { burst?: number; cpus?: number[]; mode?: 'native' | 'skb'; queues?: number[]; swapTo?: string } = {}): Promise<Served> {
    const child = this.spawn(this.sluice, process.execPath, ['--import', 'tsx', SERVE, object, ifaces.join(','), JSON.stringify(updates), JSON.stringify(options)]);
    const served = new Served(child);
    await served.ready();
    return served;
  }
}

export class Served {
  private out = '';
  private err = '';
  private readonly exited: Promise<number | null>;
  interfaces: AfxdpInterface[] = [];

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => { this.out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { this.err += d.toString(); });
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  async ready(timeoutMs = 15_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const m = /^READY (.*)$/m.exec(this.out);
      if (m) { this.interfaces = JSON.parse(m[1]!) as AfxdpInterface[]; return; }
      if (this.child.exitCode !== null) break;
      await sleep(50);
    }
    this.child.kill('SIGKILL');
    throw new Error(`the AF_XDP driver did not start:\n${this.out}${this.err}`);
  }

  /** SIGTERM, then the totals it printed; the exit status must be 0. */
  async stop(): Promise<AfxdpStats> {
    this.child.kill('SIGTERM');
    const code = await Promise.race([this.exited, sleep(10_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') { this.child.kill('SIGKILL'); throw new Error(`the driver did not stop on SIGTERM:\n${this.out}${this.err}`); }
    const m = /^STATS (.*)$/m.exec(this.out);
    if (code !== 0 || !m) throw new Error(`the driver exited with ${code}:\n${this.out}${this.err}`);
    return JSON.parse(m[1]!) as AfxdpStats;
  }

  /** The totals so far, without stopping (SIGUSR2 → a SNAP line). */
  async snapshot(): Promise<DriverStats & { kernel: XskKernelStats }> {
    const before = (this.out.match(/^SNAP /gm) ?? []).length;
    this.child.kill('SIGUSR2');
    for (let i = 0; i < 200; i++) {
      const all = [...this.out.matchAll(/^SNAP (.*)$/gm)];
      if (all.length > before) return JSON.parse(all[all.length - 1]![1]!) as DriverStats & { kernel: XskKernelStats };
      await sleep(10);
    }
    throw new Error('no SNAP line from the driver');
  }

  /** Output so far. */
  get output(): string { return this.out; }

  kill(): void { if (this.child.exitCode === null) this.child.kill('SIGKILL'); }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const ECHO_SERVER = "require('net').createServer((s) => s.pipe(s)).listen(7000, '10.0.2.1', () => console.log('listening'))";
const ECHO_CLIENT = `
const net = require('net');
const payload = Buffer.from(process.argv[1], 'base64');
const got = [];
const s = net.connect(7000, '10.0.2.1', () => s.end(payload));
s.on('data', (d) => got.push(d));
s.on('end', () => { process.stdout.write(Buffer.concat(got).toString('base64')); });
s.on('error', (e) => { console.error(e.message); process.exit(1); });`;

/** A TCP echo of `bytes` random bytes from the client (10.0.1.1) to the server (10.0.2.1:7000); throws unless they come back intact. */
export async function tcpEcho(lab: Lab, bytes = 60_000): Promise<void> {
  const server = lab.spawn(lab.server, process.execPath, ['-e', ECHO_SERVER]);
  try {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const until = Date.now() + 10_000;
    while (!out.includes('listening')) {
      if (Date.now() > until) throw new Error('the echo server did not start');
      await sleep(50);
    }
    const payload = randomBytes(bytes);
    const back = Buffer.from(lab.exec(lab.client, process.execPath, ['-e', ECHO_CLIENT, payload.toString('base64')], 20_000), 'base64');
    if (back.length !== payload.length || !back.equals(payload)) {
      throw new Error(`TCP echo: sent ${payload.length} bytes, got ${back.length}${back.length === payload.length ? ' that differ' : ''}`);
    }
  } finally {
    server.kill();
  }
}

const u32 = (n: number): string => Buffer.from(new Uint32Array([n]).buffer).toString('hex');
const hexMac = (text: string): string => text.split(':').join('');

/**
 * examples/router.o's maps for the lab: 10.0.1.0/24 out of cli0 (devmap slot 0) to the
 * client's MAC, 10.0.2.0/24 out of srv0 (slot 1) to the server's; sources are sluice's MACs.
 */
export function routerMaps(lab: Lab): { map: string; key: string; value: string }[] {
  const ifindex = (name: string): number => (JSON.parse(lab.exec(lab.sluice, 'ip', ['-j', 'link', 'show', name])) as { ifindex: number }[])[0]!.ifindex;
  return [
    // {u32 prefixlen, addr} -> {u32 tx_ports slot, next hop MAC, source MAC}
    { map: 'routes', key: u32(24) + '0a000100', value: u32(0) + hexMac(lab.mac(lab.client, 'eth0')) + hexMac(lab.mac(lab.sluice, 'cli0')) },
    { map: 'routes', key: u32(24) + '0a000200', value: u32(1) + hexMac(lab.mac(lab.server, 'eth0')) + hexMac(lab.mac(lab.sluice, 'srv0')) },
    { map: 'tx_ports', key: u32(0), value: u32(ifindex('cli0')) },
    { map: 'tx_ports', key: u32(1), value: u32(ifindex('srv0')) },
  ];
}
