// The Linux kernel as a test oracle. Runs raw eBPF programs as XDP programs
// through BPF_PROG_LOAD + BPF_PROG_TEST_RUN, in batches, via a small C helper
// (kernel-run.c, beside this file) that this module compiles on demand into
// build/testkit/kernel-run. One helper process serves a whole batch, so ten
// thousand programs take seconds.
//
//   if (requires('kernel differential', kernelAvailable())) {
//     const [r] = kernelRun([{ insns: encode(program), packet }]);
//     r.loaded ? r.retval : r.log
//   }
//
// kernelBatch() speaks the helper's full request set (maps included: create,
// update, lookup, reset; lddw with src 1 or 2 carries a map index that the
// helper patches into the map's fd), for tests that compare map programs.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SluiceError } from '../../jit/errors.ts';
import { hasCommand, isRoot, type Requirement } from './skip.ts';

/** The kernel helper could not be built or did not answer as expected. */
export class KernelHarnessError extends SluiceError {}

const root = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE = join(root, 'scripts/testkit/kernel-run.c');
const BINARY = join(root, 'build/testkit/kernel-run');

/** Verdicts of XDP programs (linux/bpf.h enum xdp_action). */
export const XDP_ABORTED = 0, XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3, XDP_REDIRECT = 4;

export interface KernelProgram {
  /** Raw instructions, 8 bytes each (jit/isa/codec.ts encode()). */
  insns: Uint8Array;
  /** The packet (data_in); the kernel refuses frames shorter than 14 bytes. */
  packet: Uint8Array;
  /** Runs of the program in the kernel's timing loop (default 1). */
  repeat?: number;
  /** An xdp_md to pass as ctx_in (optional). */
  ctx?: Uint8Array;
  /** Keep the verifier log even when the program loads (slower). */
  keepLog?: boolean;
}

export interface KernelResult {
  /** The verifier accepted the program. */
  loaded: boolean;
  /** The test run itself succeeded (false when not loaded or BPF_PROG_TEST_RUN failed). */
  ran: boolean;
  /** The verifier log when the program was rejected (or when keepLog was asked for). */
  log?: string;
  /** errno of the failing syscall, 0 when all went well. */
  errno: number;
  retval: number;
  /** The packet after the run, as the kernel returns it (starting at data_meta). */
  dataOut: Uint8Array;
  ctxOut?: Uint8Array;
  /** Average duration of one run, as the kernel measured it. */
  durationNs: number;
}

export type KernelRequest =
  | ({ kind: 'program' } & KernelProgram)
  | { kind: 'map-create'; mapType: number; keySize: number; valueSize: number; maxEntries: number; flags?: number }
  | { kind: 'map-update'; map: number; key: Uint8Array; value: Uint8Array; flags?: number }
  | { kind: 'map-lookup'; map: number; key: Uint8Array; valueSize: number }
  | { kind: 'map-reset' };

/** The helper's reply to one request (see kernel-run.c for the meaning of each field per kind). */
export interface KernelReply {
  tag: string;
  status: KernelStatus;
  errno: number;
  /** retval for programs, the new map's index for map-create. */
  value: number;
  durationNs: number;
  a: Uint8Array;
  b: Uint8Array;
  c: Uint8Array;
}

export enum KernelStatus { OK = 0, REJECTED = 1, RUN_FAILED = 2, MAP_ERROR = 3, BAD_REQUEST = 4 }

const TAG = { program: 'P', 'map-create': 'M', 'map-update': 'U', 'map-lookup': 'L', 'map-reset': 'R' } as const;

/** Builds the helper when it is missing or older than its source; returns its path. */
export function harnessBinary(): string {
  let stale = true;
  try { stale = statSync(BINARY).mtimeMs < statSync(SOURCE).mtimeMs; } catch { /* missing: build */ }
  if (!stale) return BINARY;
  if (!hasCommand('cc').ok) {
    throw new KernelHarnessError('the kernel test helper needs a C compiler (`cc`): install gcc (scripts/setup.sh does)');
  }
  mkdirSync(join(root, 'build/testkit'), { recursive: true });
  // Build beside the target and rename, so test files running in parallel never see half a binary.
  const tmp = `${BINARY}.${process.pid}.tmp`;
  try {
    execFileSync('cc', ['-O2', '-std=gnu11', '-Wall', '-Wextra', '-o', tmp, SOURCE], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new KernelHarnessError(`compiling ${SOURCE} failed:\n${stderr}`, { cause: err });
  }
  renameSync(tmp, BINARY);
  return BINARY;
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32LE(v >>> 0, i * 4));
  return b;
}

function encodeRequest(req: KernelRequest): Buffer[] {
  const tag = TAG[req.kind].charCodeAt(0);
  switch (req.kind) {
    case 'program': {
      const ctx = req.ctx ?? new Uint8Array(0);
      return [u32s(tag, req.insns.length, req.packet.length, ctx.length, req.repeat ?? 1, req.keepLog ? 1 : 0),
        Buffer.from(req.insns), Buffer.from(req.packet), Buffer.from(ctx)];
    }
    case 'map-create':
      return [u32s(tag, req.mapType, req.keySize, req.valueSize, req.maxEntries, req.flags ?? 0)];
    case 'map-update':
      return [u32s(tag, req.map, req.key.length, req.value.length, req.flags ?? 0), Buffer.from(req.key), Buffer.from(req.value)];
    case 'map-lookup':
      return [u32s(tag, req.map, req.key.length, req.valueSize), Buffer.from(req.key)];
    case 'map-reset':
      return [u32s(tag)];
  }
}

function parseReplies(out: Buffer, expected: number): KernelReply[] {
  const replies: KernelReply[] = [];
  let at = 0;
  while (replies.length < expected) {
    if (at + 32 > out.length) {
      throw new KernelHarnessError(`the kernel helper answered ${replies.length} of ${expected} requests (output ends at byte ${at})`);
    }
    const h = (i: number) => out.readUInt32LE(at + i * 4);
    const [la, lb, lc] = [h(5), h(6), h(7)];
    const start = at + 32;
    if (start + la + lb + lc > out.length) throw new KernelHarnessError(`truncated reply ${replies.length} at byte ${at}`);
    const slice = (from: number, len: number) => new Uint8Array(out.subarray(from, from + len));
    replies.push({
      tag: String.fromCharCode(h(0)), status: h(1), errno: out.readInt32LE(at + 8), value: h(3), durationNs: h(4),
      a: slice(start, la), b: slice(start + la, lb), c: slice(start + la + lb, lc),
    });
    at = start + la + lb + lc;
  }
  return replies;
}

/** Sends requests to one helper process, in order, and returns one reply per request. */
export function kernelBatch(requests: readonly KernelRequest[]): KernelReply[] {
  if (requests.length === 0) return [];
  const input = Buffer.concat(requests.flatMap(encodeRequest));
  const child = spawnSync(harnessBinary(), [], { input, maxBuffer: 1 << 30 });
  if (child.error) throw new KernelHarnessError(`running the kernel helper failed: ${child.error.message}`, { cause: child.error });
  const replies = parseReplies(child.stdout, Math.min(requests.length, countReplies(child.stdout)));
  if (replies.length < requests.length) {
    const last = replies[replies.length - 1];
    const why = last?.status === KernelStatus.BAD_REQUEST ? Buffer.from(last.c).toString() : child.stderr.toString().trim();
    throw new KernelHarnessError(`the kernel helper stopped after ${replies.length} of ${requests.length} requests: ${why || `exit status ${child.status}`}`);
  }
  return replies;
}

function countReplies(out: Buffer): number {
  let n = 0;
  for (let at = 0; at + 32 <= out.length; n++) {
    at += 32 + out.readUInt32LE(at + 20) + out.readUInt32LE(at + 24) + out.readUInt32LE(at + 28);
    if (at > out.length) break;
  }
  return n;
}

/** Loads and test-runs each program in the kernel as BPF_PROG_TYPE_XDP. */
export function kernelRun(programs: readonly KernelProgram[]): KernelResult[] {
  const replies = kernelBatch(programs.map((p) => ({ kind: 'program' as const, ...p })));
  return replies.map((r): KernelResult => {
    const log = r.c.length > 0 ? Buffer.from(r.c).toString() : undefined;
    const result: KernelResult = {
      loaded: r.status === KernelStatus.OK || r.status === KernelStatus.RUN_FAILED,
      ran: r.status === KernelStatus.OK,
      errno: r.errno, retval: r.value, dataOut: r.a, durationNs: r.durationNs,
    };
    if (log !== undefined) result.log = log;
    if (r.b.length > 0) result.ctxOut = r.b;
    return result;
  });
}

let probed: Requirement | undefined;

/** Root, a C compiler, and a bpf(2) that loads and runs a trivial XDP program (cached). */
export function kernelAvailable(): Requirement {
  if (probed) return probed;
  const root = isRoot();
  if (!root.ok) return (probed = root);
  const cc = hasCommand('cc');
  if (!cc.ok) return (probed = { ok: false, why: 'needs a C compiler (`cc`) to build the kernel test helper' });
  // r0 = XDP_PASS; exit
  const passProgram = Uint8Array.from([0xb7, 0, 0, 0, XDP_PASS, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  try {
    const [r] = kernelRun([{ insns: passProgram, packet: new Uint8Array(64) }]);
    if (r?.ran && r.retval === XDP_PASS) return (probed = { ok: true, why: '' });
    const detail = r?.log ?? `errno ${r?.errno}`;
    return (probed = { ok: false, why: `the kernel refused a trivial XDP program (${detail.trim()})` });
  } catch (err) {
    return (probed = { ok: false, why: `the kernel test helper failed: ${(err as Error).message}` });
  }
}
