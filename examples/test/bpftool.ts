// Loads example objects into the running kernel with bpftool and runs frames
// through them with BPF_PROG_TEST_RUN (`bpftool prog run`). Root only. Every
// object gets its own pin folder under /sys/fs/bpf/sluice-examples-<pid>/,
// removed by `cleanup()`. (bpffs refuses to look up names with a dot.)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const XDP_ABORTED = 0, XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3, XDP_REDIRECT = 4;
export const VERDICT_NAMES = ['ABORTED', 'DROP', 'PASS', 'TX', 'REDIRECT'];

const BPFFS = '/sys/fs/bpf';
const pinRoot = join(BPFFS, `sluice-examples-${process.pid}`);
let scratchDir: string | undefined;
const scratch = () => (scratchDir ??= mkdtempSync(join(tmpdir(), 'sluice-examples-')));

function bpftool(args: string[]): string {
  try {
    return execFileSync('bpftool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`bpftool ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim().split('\n').slice(-8).join('\n')}`);
  }
}

/** Mounts the BPF filesystem when it is not mounted yet. */
export function ensureBpffs(): void {
  try {
    execFileSync('mountpoint', ['-q', BPFFS]);
  } catch {
    execFileSync('mount', ['-t', 'bpf', 'bpf', BPFFS]);
  }
}

/** Whether this kernel lets us mount bpffs and load an XDP object (not so in some containers). */
export function bpfUsable(probeObject: string): { ok: boolean; why: string } {
  try {
    ensureBpffs();
    loadExample(probeObject, 'probe');
    return { ok: true, why: '' };
  } catch (e) {
    cleanup();
    return { ok: false, why: `the kernel refused bpffs or an XDP load: ${(e as Error).message.split('\n')[0]}` };
  } finally {
    rmSync(join(pinRoot, 'probe'), { force: true });
    rmSync(join(pinRoot, 'probe-maps'), { recursive: true, force: true });
  }
}

const hex = (bytes: Uint8Array) => ['hex', ...Array.from(bytes, (b) => b.toString(16).padStart(2, '0'))];

export class LoadedExample {
  constructor(readonly name: string, readonly progPin: string, readonly mapDir: string) {}

  /** Runs one frame; returns the program's verdict and the frame as it left. */
  run(frame: Uint8Array): { verdict: number; out: Buffer } {
    const input = join(scratch(), 'in.bin'), output = join(scratch(), 'out.bin');
    writeFileSync(input, frame);
    rmSync(output, { force: true });
    const result = JSON.parse(bpftool(['-j', 'prog', 'run', 'pinned', this.progPin,
      'data_in', input, 'data_out', output, 'repeat', '1'])) as { retval: number };
    return { verdict: result.retval, out: readFileSync(output) };
  }

  update(map: string, key: Uint8Array, value: Uint8Array): void {
    bpftool(['map', 'update', 'pinned', join(this.mapDir, map), 'key', ...hex(key), 'value', ...hex(value)]);
  }

  /** The value bytes; for per-CPU maps, the values of every CPU. */
  lookup(map: string, key: Uint8Array): Buffer[] {
    const r = JSON.parse(bpftool(['-j', 'map', 'lookup', 'pinned', join(this.mapDir, map), 'key', ...hex(key)])) as {
      value?: string[]; values?: { cpu: number; value: string[] }[];
    };
    const bytes = (v: string[]) => Buffer.from(v.map((x) => parseInt(x, 16)));
    if (r.values) return r.values.map((c) => bytes(c.value));
    if (r.value) return [bytes(r.value)];
    throw new Error(`bpftool map lookup ${map}: no value in its output`);
  }

  /** The records waiting in a ring buffer map, consumed (needs `cc` and libbpf-dev). */
  ringbufRecords(map: string): Buffer[] {
    const out = execFileSync(ringbufReader(), [join(this.mapDir, map)], { encoding: 'utf8' });
    return out.split('\n').filter((l) => l !== '').map((l) => Buffer.from(l, 'hex'));
  }

  /** A u64 counter summed over CPUs (or one shared slot), at a byte offset of the value. */
  counter(map: string, key: Uint8Array, offset = 0): bigint {
    return this.lookup(map, key).reduce((sum, v) => sum + v.readBigUInt64LE(offset), 0n);
  }
}

let reader: string | undefined;
function ringbufReader(): string {
  if (reader) return reader;
  const source = fileURLToPath(new URL('ringbuf-read.c', import.meta.url));
  const binary = join(scratch(), 'ringbuf-read');
  execFileSync('cc', ['-O2', '-o', binary, source, '-lbpf'], { stdio: ['ignore', 'ignore', 'pipe'] });
  return (reader = binary);
}

/** `bpftool prog load` pins the object's first program; its maps go to a folder beside it. */
export function loadExample(objectPath: string, name: string): LoadedExample {
  mkdirSync(pinRoot, { recursive: true });
  const progPin = join(pinRoot, name), mapDir = join(pinRoot, `${name}-maps`);
  bpftool(['prog', 'load', objectPath, progPin, 'type', 'xdp', 'pinmaps', mapDir]);
  return new LoadedExample(name, progPin, mapDir);
}

export function cleanup(): void {
  rmSync(pinRoot, { recursive: true, force: true });
  if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
  scratchDir = undefined;
  reader = undefined;
}

/** Little-endian u32, the byte order of array-map keys on this machine. */
export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}
export function u64(n: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n), 0);
  return b;
}
