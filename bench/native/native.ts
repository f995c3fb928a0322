// The native side of bench/jit.ts, shared with its test: builds programs.c with
// gcc -O2 into a temporary library, the frames both sides run on, and the
// list of programs with their objects (classify.bpf.o rebuilt when stale).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';
import { packet } from '../../drivers/packet/packet.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

export interface NativeLibrary {
  /** Program `which` per packet through a function pointer, `rounds` times over buffs[0..n): ns. */
  benchNative(which: number, buffs: bigint, verdicts: bigint, n: number, rounds: number): number;
  /** A JIT'd burst entry through burst_run (sluice_burst_run), `rounds` times: ns. */
  benchEntry(burstRun: bigint, entry: bigint, buffs: bigint, verdicts: bigint, n: number, rounds: number): number;
  /** Removes the temporary build. */
  dispose(): void;
}

export function loadNative(): NativeLibrary {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-native-'));
  const lib = join(dir, 'libnative.so');
  execFileSync('gcc', ['-O2', '-shared', '-fPIC', '-std=gnu11', `-I${root}dataplane/shim`, '-o', lib, `${here}programs.c`], { stdio: 'inherit' });
  const l = koffi.load(lib);
  const native = l.func('uint64_t bench_native(uint32_t which, void *buffs, void *verdicts, uint32_t n, uint64_t rounds)');
  const entry = l.func('uint64_t bench_entry(void *burst_run, void *entry, void *buffs, void *verdicts, uint32_t n, uint64_t rounds)');
  return {
    benchNative: (w, b, v, n, r) => Number(native(w, b, v, n, r)),
    benchEntry: (run, e, b, v, n, r) => Number(entry(run, e, b, v, n, r)),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** classify.bpf.o, rebuilt with the examples' clang flags when its sources are newer (it is committed). */
export function classifyObject(): string {
  const obj = `${here}classify.bpf.o`;
  const newer = (a: string) => !existsSync(obj) || statSync(a).mtimeMs > statSync(obj).mtimeMs;
  if (newer(`${here}classify.bpf.c`) || newer(`${here}classify.h`)) {
    // Relative paths from the repository, so the same clang gives the same bytes anywhere.
    execFileSync('clang', ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', '-I/usr/include/x86_64-linux-gnu', '-D__x86_64__',
      `-ffile-prefix-map=${root.replace(/\/$/, '')}=.`, '-c', 'bench/native/classify.bpf.c', '-o', 'bench/native/classify.bpf.o'],
    { stdio: 'inherit', cwd: root });
  }
  return obj;
}

/** The programs compared: `which` selects the native function in programs.c. */
export function benchPrograms(): { name: string; file: string; which: number }[] {
  return [
    { name: 'xdp_pass', file: `${root}examples/xdp_pass.o`, which: 0 },
    { name: 'xdp_drop', file: `${root}examples/xdp_drop.o`, which: 1 },
    { name: 'xdp_tx', file: `${root}examples/xdp_tx.o`, which: 2 },
    { name: 'firewall', file: `${root}examples/firewall.o`, which: 3 },
    { name: 'classify', file: classifyObject(), which: 4 },
  ];
}

/**
 * n IPv4 frames of 64 bytes on the wire, UDP and TCP, many flows, all allowed by
 * the firewall (its whole rule chain runs) and spread over the classifier's rules.
 */
export function benchFrames(n = 256): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const src = `${i % 4 === 0 ? 10 : 172}.${(i >> 4) & 15}.${i & 15}.${1 + (i % 7)}`;
    const b = packet().eth().ipv4({ src, dst: '10.1.0.2' });
    const l4 = i % 2 ? b.udp({ sport: 10000 + i, dport: i % 8 === 1 ? 53 : 4000 + i }) : b.tcp({ sport: 20000 + i, dport: 8080, flags: i % 4 === 0 ? 'S' : 'A' });
    const bare = l4.build().length;
    frames.push(bare < 60 ? l4.payload(60 - bare).build() : l4.build());
  }
  return frames;
}
