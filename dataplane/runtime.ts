// The library's front door: load an object, get its programs and maps, run
// packets. Each program goes through the pipeline once, on first use:
//
//   ObjectSpec ─► create maps ─► verify ─► relocate ─► ctx rewrite ─► engine (JIT or interpreter)
//
// and every step names itself in its errors (dataplane/pipeline/errors.ts).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadObjectSpec, type ObjectSpec, type ProgramSpec } from '../jit/object/load.ts';
import { ProgType } from '../jit/object/prog-types.ts';
import { verify, type VerifyStats } from '../jit/verifier/verify.ts';
import { rewriteContextLoads } from '../jit/verifier/ctx-facts.ts';
import { rewriteContextAccess } from '../jit/x86/ctx-rewrite.ts';
import type { Instruction } from '../jit/isa/instruction.ts';
import { MapType, registerProgram, unregisterProgram, type MapHandle } from '../maps/index.ts';
import { FrameArena } from './frame-arena.ts';
import { createMaps, u32 } from './pipeline/create-maps.ts';
import { type Engine, type EngineKind } from './pipeline/engine.ts';
import { PipelineError, step } from './pipeline/errors.ts';
import { interpEngine } from './pipeline/interp-engine.ts';
import { jitEngine } from './pipeline/jit-engine.ts';
import { relocate } from './pipeline/relocate.ts';

export interface LoadOptions {
  /** 'jit' (default) or 'interp'. */
  engine?: EngineKind;
  /** Per-CPU map slots (worker threads); default: the maps module's default (the CPU count). */
  cpus?: number;
  /** Verify with the kernel's unprivileged rules (no pointer leaks, no uninitialised stack reads). Default false. */
  strict?: boolean;
  /**
   * Default true. false skips the verifier — allowed only with the interpreter, which checks
   * every access itself (for tracing a program the verifier refuses, to see why).
   */
  verify?: boolean;
  /** Interpreter only: instructions per packet before the run is stopped. Default 10,000,000. */
  maxSteps?: number;
  /** JIT only: constant blinding, as the kernel does for untrusted loaders (jit/x86/blind.ts). Default false. */
  blindConstants?: boolean;
  /** JIT only: peephole fusions (jit/x86/peephole.ts). Default true; false compiles one x86 sequence per eBPF instruction. */
  fusions?: boolean;
  /** Where pinned maps go (maps/pin.ts): LIBBPF_PIN_BY_NAME maps always, and those of pinMaps.
   *  Default $SLUICE_PIN_DIR or /dev/shm/sluice. */
  pinDir?: string;
  /** Pins more maps so `sluice map` can reach them (files removed on close): true = every pinnable
   *  map but global data, or a list of map names. */
  pinMaps?: boolean | readonly string[];
}

export interface PacketMeta {
  /** ctx->ingress_ifindex; default 1, as the kernel's test run. */
  ifindex?: number;
  /** ctx->rx_queue_index; default 0. */
  rxQueue?: number;
}

export interface RunOptions extends PacketMeta {
  /** Run the same input this many times (timing); the result is the last run's. Default 1. */
  repeat?: number;
}

export interface RunResult {
  /** The program's return value (the XDP action for XDP programs). */
  retval: number;
  /** The packet as the program left it (data to data_end). */
  data: Uint8Array;
  /** Mean nanoseconds per run, measured around whole bursts. */
  durationNs: number;
}

export const XDP_ACTIONS = ['ABORTED', 'DROP', 'PASS', 'TX', 'REDIRECT'] as const;
export const verdictName = (retval: number): string => XDP_ACTIONS[retval] ?? `UNKNOWN(${retval})`;

/** Reads and loads an object file. */
export function loadObject(path: string, options: LoadOptions = {}): XdpObject {
  const bytes = step('read', path, () => readFileSync(path));
  return loadObjectBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), basename(path), options);
}

export function loadObjectBytes(bytes: Uint8Array, name: string, options: LoadOptions = {}): XdpObject {
  const spec = step('parse', name, () => loadObjectSpec(bytes, name));
  return new XdpObject(spec, options);
}

export class XdpObject {
  readonly maps: ReadonlyMap<string, MapHandle>;
  private readonly programs = new Map<string, XdpProgram>();
  private progArraysFilled = false;
  private closed = false;

  constructor(readonly spec: ObjectSpec, private readonly options: LoadOptions = {}) {
    this.maps = createMaps(spec.maps, options.cpus, { dir: options.pinDir, maps: options.pinMaps });
  }

  /** The XDP programs the object holds, in section order. */
  get programNames(): string[] {
    return this.spec.programs.filter((p) => p.type.type === ProgType.XDP).map((p) => p.name);
  }

  /** A program by name; without a name, the object's first XDP program. */
  program(name?: string): XdpProgram {
    if (this.closed) throw new PipelineError('run', this.spec.name, 'the object was closed');
    const spec = this.findProgram(name);
    let prog = this.programs.get(spec.name);
    if (!prog) {
      prog = new XdpProgram(spec, prepare(spec, this.spec, this.maps, this.options));
      this.programs.set(spec.name, prog);
      this.fillProgArrays();
    }
    return prog;
  }

  /**
   * prog_array slots from `.values = { … }` (as libbpf applies them): once the first
   * program runs, every program a slot names is installed and its slot filled, so
   * bpf_tail_call finds it. The interpreter has no tail calls; its slots stay empty.
   */
  private fillProgArrays(): void {
    if (this.options.engine === 'interp' || this.progArraysFilled) return;
    this.progArraysFilled = true;
    for (const m of this.spec.maps) {
      if (Number(m.type) !== MapType.PROG_ARRAY || !m.slots) continue;
      for (const slot of m.slots) {
        const target = this.program(slot.name);
        this.map(m.name).update(u32(slot.index), u32(target.id));
      }
    }
  }

  map(name: string): MapHandle {
    const map = this.maps.get(name);
    if (!map) throw new PipelineError('run', this.spec.name, `no map named '${name}' (maps: ${[...this.maps.keys()].join(', ') || 'none'})`);
    return map;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.programs.values()) p.close();
    for (const m of this.maps.values()) m.close();
  }

  private findProgram(name: string | undefined): ProgramSpec {
    const xdp = this.spec.programs.filter((p) => p.type.type === ProgType.XDP);
    const found = name === undefined ? xdp[0] : this.spec.programs.find((p) => p.name === name);
    if (!found) {
      const names = xdp.map((p) => p.name).join(', ') || 'none';
      throw new PipelineError('run', this.spec.name, name === undefined ? 'the object holds no XDP program' : `no program named '${name}' (XDP programs: ${names})`);
    }
    if (found.type.type !== ProgType.XDP) {
      throw new PipelineError('run', `${this.spec.name}:${found.name}`, `section '${found.section}' holds a ${found.type.name} program; sluice runs XDP programs`);
    }
    return found;
  }
}

/** relocate → verify → ctx rewrite → engine. */
function prepare(spec: ProgramSpec, object: ObjectSpec, maps: ReadonlyMap<string, MapHandle>, options: LoadOptions): Prepared {
  const subject = spec.name;
  // The verifier proves the program safe before anything runs it, and says which
  // loads read ctx fields; relocation keeps every pc, so its facts still apply.
  if (options.verify === false && options.engine !== 'interp') {
    throw new PipelineError('verify', subject, 'only the interpreter runs programs that were not verified (engine: interp)');
  }
  const verified = options.verify === false ? undefined
    : step('verify', subject, () => verify(spec, object.maps, { strict: options.strict === true }));
  const relocated = step('relocate', subject, () => relocate(spec.instructions, maps));
  const instructions = verified ? rewriteContextLoads(relocated, verified.facts)
    : step('verify', subject, () => rewriteContextAccess(relocated)); // the JIT's own ctx dataflow

  const engine = step('jit', subject, () => options.engine === 'interp'
    ? interpEngine(instructions, [...maps.values()], options.maxSteps)
    : jitEngine(instructions, [...maps.values()], {
      blindConstants: options.blindConstants === true, fusions: options.fusions !== false, ctxLoads: verified?.facts.ctxLoads,
    }));
  return { engine, instructions, verifier: verified?.stats };
}

interface Prepared { engine: Engine; instructions: Instruction[]; verifier: VerifyStats | undefined }

/** Program ids are what prog_array values hold (registerProgram maps an id to an entry). */
let nextProgramId = 1;

export class XdpProgram {
  readonly name: string;
  /** The id prog_array slots use to name this program (process-wide). */
  readonly id = nextProgramId++;
  readonly engine: Engine;
  /** The program as it runs: relocated and with ctx accesses rewritten. */
  readonly instructions: readonly Instruction[];
  private arena: FrameArena | undefined;

  /** What the verifier did to prove this program safe (instructions processed, states, time); undefined when not verified. */
  readonly verifier: VerifyStats | undefined;

  constructor(readonly spec: ProgramSpec, prepared: Prepared) {
    this.name = spec.name;
    this.engine = prepared.engine;
    this.instructions = prepared.instructions;
    this.verifier = prepared.verifier;
    if (this.engine.tailCallEntry !== undefined) registerProgram(this.id, this.engine.tailCallEntry);
  }

  /** Runs one packet, like BPF_PROG_TEST_RUN. */
  run(packet: Uint8Array, options: RunOptions = {}): RunResult {
    const repeat = options.repeat ?? 1;
    if (!Number.isInteger(repeat) || repeat < 1) throw new PipelineError('run', this.name, `repeat must be a positive integer, got ${repeat}`);
    const burst = Math.min(repeat, 256);
    const arena = this.arenaFor(burst);
    // Every run starts from the same input, as the kernel's repeat does: the burst holds `burst` copies.
    arena.offs.fill(0, 0, burst);
    arena.lens.fill(packet.length, 0, burst);
    let left = repeat;
    let elapsed = 0n;
    let n = 0;
    while (left > 0) {
      n = Math.min(left, burst);
      const started = process.hrtime.bigint();
      this.runFilled(arena, () => arena.fillFrom(packet, n, options, this.engine.entry ?? 0n), n);
      elapsed += process.hrtime.bigint() - started;
      left -= n;
    }
    return { retval: arena.verdict(n - 1), data: arena.packet(n - 1).slice(), durationNs: Number(elapsed) / repeat };
  }

  /** Runs a burst of packets (at most 256 per call); verdicts and output bytes in order. */
  runBurst(packets: readonly Uint8Array[], meta: PacketMeta = {}): { retval: number; data: Uint8Array }[] {
    if (packets.length > 256) throw new PipelineError('run', this.name, `a burst holds at most 256 packets, got ${packets.length}`);
    const arena = this.arenaFor(packets.length);
    this.runFilled(arena, () => arena.fill(packets, meta, this.engine.entry ?? 0n), packets.length);
    return packets.map((_, i) => ({ retval: arena.verdict(i), data: arena.packet(i).slice() }));
  }

  /**
   * The burst arena, for drivers that fill it themselves (offs/lens into one source
   * buffer) and read verdicts and packets back through views: see runArena.
   */
  arenaFor(n: number): FrameArena {
    if (!this.arena || this.arena.capacity < n) {
      this.arena?.free();
      this.arena = new FrameArena(Math.max(n, 64));
    }
    return this.arena;
  }

  /** Fills buffers 0..n-1 of the arena from `src` at arena.offs/lens and runs them: one FFI call with the JIT. */
  runArena(arena: FrameArena, src: Uint8Array, n: number, meta: PacketMeta = {}): void {
    this.runFilled(arena, () => arena.fillFrom(src, n, meta, this.engine.entry ?? 0n), n);
  }

  /** The JIT runs inside the fill call (given its entry); the interpreter runs after it. */
  private runFilled(arena: FrameArena, fill: () => void, n: number): void {
    fill();
    if (this.engine.entry === undefined) this.engine.runBurst(arena, n);
  }

  close(): void {
    if (this.engine.tailCallEntry !== undefined) unregisterProgram(this.id);
    this.engine.free();
    this.arena?.free();
    this.arena = undefined;
  }
}
