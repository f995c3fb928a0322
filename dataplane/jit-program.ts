// A JIT-compiled program installed in executable memory, run a burst at a time:
// one FFI call per burst, the loop over packets is in the generated code.
import { readFileSync } from 'node:fs';
import koffi from 'koffi';
import type { Program } from '../jit/isa/instruction.ts';
import { jitCompile, XDP_BUFF_SIZE, type JitOptions, type JitResult } from '../jit/x86/compile.ts';
import { execBindings, type BurstFunction } from './ffi.ts';

export const XDP_HEADROOM = 256;
/** Bytes per frame in a PacketArena: headroom, packet, room to grow at the tail (the kernel's test run allows 3520). */
export const FRAME_SIZE = 4096;

let host: { bmi2: boolean } | undefined;

/** The optional x86 instructions this machine has (from /proc/cpuinfo; none when unreadable). */
export function hostCpu(): { bmi2: boolean } {
  if (host) return host;
  let flags = '';
  try {
    flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch { /* not Linux, or no /proc: baseline x86-64 */ }
  host = { bmi2: flags.split(/\s+/).includes('bmi2') };
  return host;
}

export class JitProgram {
  private freed = false;
  private readonly fn: BurstFunction;
  private callable: ((...args: bigint[]) => bigint) | undefined;

  private constructor(readonly jit: JitResult, readonly address: bigint) {
    this.fn = execBindings().burstAt(address + BigInt(jit.entryOffset));
  }

  /** Compiles and installs (W^X) a program; the CPU's optional instructions default to this host's. */
  static compile(program: Program, opts: JitOptions = {}): JitProgram {
    const jit = jitCompile(program, { ...opts, cpu: opts.cpu ?? hostCpu() });
    return new JitProgram(jit, execBindings().install(jit.code));
  }

  /** The burst entry's address: uint64_t burst(struct sluice_xdp_buff *, uint32_t *, uint64_t). */
  get entry(): bigint { return this.address + BigInt(this.jit.entryOffset); }

  /** Where tail calls into this program jump: the address prog_array slots hold (sluice_prog_register). */
  get tailCallEntry(): bigint {
    if (this.jit.tailCallEntry < 0) throw new Error("a program compiled with entry: 'function' cannot be tail-called");
    return this.address + BigInt(this.jit.tailCallEntry);
  }

  /** Runs the program over n xdp_buffs at native addresses, writing n verdicts. */
  burst(buffs: bigint, verdicts: bigint, n: number): void {
    if (this.freed) throw new Error('JitProgram used after free()');
    this.fn(buffs, verdicts, n);
  }

  /** Calls a program compiled with `entry: 'function'`: r1-r5 in, r0 out. */
  call(...args: bigint[]): bigint {
    if (this.freed) throw new Error('JitProgram used after free()');
    if (this.jit.labels[0]?.name !== 'function') throw new Error("call() needs a program compiled with entry: 'function'");
    this.callable ??= execBindings().functionAt(this.entry);
    return this.callable(...args);
  }

  /** Unmaps the code. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    execBindings().free(this.address, this.jit.code.length);
  }
}

/** Native memory for a burst: n xdp_buffs, n verdicts and n frames, at stable addresses. */
export class PacketArena {
  readonly base: bigint;
  readonly buffs: bigint;
  readonly verdicts: bigint;
  readonly frames: bigint;
  private readonly view: DataView;
  private readonly bytes: Uint8Array;

  constructor(readonly capacity: number) {
    const size = capacity * (XDP_BUFF_SIZE + 4 + FRAME_SIZE) + 64;
    this.base = koffi.alloc('uint8_t', size) as bigint;
    const memory = koffi.view(this.base, size) as ArrayBuffer;
    this.view = new DataView(memory);
    this.bytes = new Uint8Array(memory);
    this.buffs = (this.base + 63n) & ~63n;
    this.verdicts = this.buffs + BigInt(capacity * XDP_BUFF_SIZE);
    this.frames = (this.verdicts + BigInt(capacity * 4 + 60)) & ~63n;
  }

  private off(address: bigint): number { return Number(address - this.base); }

  /** Places packet i in its frame and fills its xdp_buff (data after 256 bytes of headroom). */
  set(i: number, packet: Uint8Array, meta: { ifindex?: number; rxQueue?: number } = {}): void {
    if (packet.length > FRAME_SIZE - XDP_HEADROOM) throw new RangeError(`packet of ${packet.length} bytes is too big for a frame`);
    const frame = this.frames + BigInt(i * FRAME_SIZE);
    const data = frame + BigInt(XDP_HEADROOM);
    this.bytes.set(packet, this.off(data));
    const b = this.off(this.buffs) + i * XDP_BUFF_SIZE;
    this.view.setBigUint64(b + 0, data, true);
    this.view.setBigUint64(b + 8, data + BigInt(packet.length), true);
    this.view.setBigUint64(b + 16, data, true); // data_meta == data: no metadata
    this.view.setBigUint64(b + 24, frame, true);
    this.view.setBigUint64(b + 32, frame + BigInt(FRAME_SIZE), true);
    this.view.setUint32(b + 40, meta.ifindex ?? 1, true);
    this.view.setUint32(b + 44, meta.rxQueue ?? 0, true);
    this.view.setUint32(b + 48, 0, true);
    this.view.setUint32(b + 52, 0, true);
    this.view.setBigUint64(b + 56, 0n, true);
  }

  verdict(i: number): number { return this.view.getUint32(this.off(this.verdicts) + i * 4, true); }

  /** The packet bytes of buffer i as the program left them (data to data_end). */
  packet(i: number): Uint8Array {
    const b = this.off(this.buffs) + i * XDP_BUFF_SIZE;
    const data = this.view.getBigUint64(b, true);
    const end = this.view.getBigUint64(b + 8, true);
    return this.bytes.slice(this.off(data), this.off(end));
  }

  /** Frees the native memory. */
  free(): void { koffi.free(this.base); }
}
