// Runs a spec's cases in order through one program, map state carried from
// case to case, and collects what passed and what did not (with diffs).
import { messageOf } from '../../jit/errors.ts';
import type { MapHandle } from '../../maps/index.ts';
import { helperBindings } from '../ffi.ts';
import type { FrameArena } from '../frame-arena.ts';
import type { EngineKind } from '../pipeline/engine.ts';
import { loadObject, type XdpObject, type XdpProgram } from '../runtime.ts';
import { bindSpec } from './bind.ts';
import { checkMaps, checkRun, type CaseFailure, type RunOutcome } from './checks.ts';
import { SpecError } from './errors.ts';
import type { MapWrite, TestCase, TestSpec } from './format.ts';

export interface RunSpecOptions {
  /** 'jit' (default) or 'interp'; used when the object is given as a path. */
  engine?: EngineKind;
  /** The program to run; default the spec's `program:`, else the object's first XDP program. */
  program?: string;
}

export interface CaseResult {
  index: number;
  name: string;
  /** failed: an expectation was not met; error: the case could not run (map write refused, run-time error). */
  status: 'passed' | 'failed' | 'error';
  verdict?: number;
  input: Uint8Array;
  output?: Uint8Array;
  redirect?: number;
  /** bpf_trace_printk lines printed during the case ("[cpu] text"). */
  trace: string[];
  failures: CaseFailure[];
  error?: string;
  durationNs: number;
}

export interface SpecResult {
  file: string;
  name: string;
  object: string;
  program: string;
  engine: EngineKind;
  cases: CaseResult[];
  passed: number;
  failed: number;
  errors: number;
  durationNs: number;
}

const XDP_REDIRECT = 4;

/**
 * Runs every case. Problems with the spec itself (unknown map, wrong key size,
 * unknown program) throw SpecError before the first case runs.
 */
export function runSpec(spec: TestSpec, object: string | XdpObject, options: RunSpecOptions = {}): SpecResult {
  const engine = options.engine ?? 'jit';
  const obj = typeof object === 'string' ? loadObject(object, { engine }) : object;
  try {
    bindSpec(spec, obj.maps);
    const program = pickProgram(spec, obj, options.program);
    try {
      for (const w of spec.setup) write(obj.maps, w);
    } catch (err) {
      // Before any case: a write the map refuses (an array index out of range) is the spec's fault.
      if (err instanceof WriteError) throw new SpecError(err.write.where, err.message, { cause: err.cause });
      throw err;
    }
    const started = process.hrtime.bigint();
    drainTrace(); // lines left by whatever ran before belong to no case
    const arena = program.arenaFor(1);
    const cases = spec.cases.map((c) => runCase(c, program, obj.maps, arena));
    const count = (s: CaseResult['status']) => cases.filter((c) => c.status === s).length;
    return {
      file: spec.file, name: spec.name, object: obj.spec.name, program: program.name, engine: program.engine.kind,
      cases, passed: count('passed'), failed: count('failed'), errors: count('error'),
      durationNs: Number(process.hrtime.bigint() - started),
    };
  } finally {
    if (typeof object === 'string') obj.close();
  }
}

function pickProgram(spec: TestSpec, obj: XdpObject, override: string | undefined): XdpProgram {
  const name = override ?? spec.program;
  if (override !== undefined && !obj.programNames.includes(override)) {
    throw new SpecError({ file: spec.file, path: 'program (--prog)' },
      `the object has no XDP program named '${override}' (XDP programs: ${obj.programNames.join(', ') || 'none'})`);
  }
  if (override === undefined && spec.program !== undefined && !obj.programNames.includes(spec.program)) {
    throw new SpecError(spec.programWhere ?? { file: spec.file, path: 'program' },
      `the object has no XDP program named '${spec.program}' (XDP programs: ${obj.programNames.join(', ') || 'none'})`);
  }
  return obj.program(name);
}

class WriteError extends Error {
  constructor(readonly write: MapWrite, cause: unknown) { super(messageOf(cause), { cause }); }
}

function write(maps: ReadonlyMap<string, MapHandle>, w: MapWrite): void {
  const map = maps.get(w.map)!;
  try {
    if (w.values) {
      const zero = new Uint8Array(map.valueSize);
      map.updatePerCpu(w.key, Array.from({ length: map.cpus }, (_, i) => w.values![i] ?? zero));
    } else if (w.value) {
      if (map.perCpu) map.updatePerCpu(w.key, Array.from({ length: map.cpus }, () => w.value!));
      else map.update(w.key, w.value);
    } else {
      map.delete(w.key);
    }
  } catch (err) {
    throw new WriteError(w, err);
  }
}

function runCase(c: TestCase, program: XdpProgram, maps: ReadonlyMap<string, MapHandle>, arena: FrameArena): CaseResult {
  const base = { index: c.index, name: c.name, input: c.packet.bytes, trace: [] as string[] };
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started);
  try {
    for (const w of c.setup) write(maps, w);
  } catch (err) {
    const what = err instanceof WriteError ? `map setup ${err.write.map}: ${err.message}` : `map setup: ${messageOf(err)}`;
    return { ...base, status: 'error', failures: [], error: what, durationNs: elapsed() };
  }
  let run: RunOutcome;
  try {
    run = runOne(program, arena, c);
  } catch (err) {
    return { ...base, trace: drainTrace(), status: 'error', failures: [], error: `run: ${messageOf(err)}`, durationNs: elapsed() };
  }
  const failures = [...checkRun(c.expect, run), ...checkMaps(c.expect.maps, maps)];
  return {
    ...base, trace: run.trace, status: failures.length ? 'failed' : 'passed', verdict: run.verdict, output: run.output,
    ...(run.verdict === XDP_REDIRECT ? { redirect: run.redirect } : {}), failures, durationNs: elapsed(),
  };
}

/**
 * One packet through the program, keeping its xdp_buff so that the REDIRECT
 * target can be read: the interpreter resolves it into egress_ifindex after
 * the run; the JIT's burst leaves it in the worker's state, so it is resolved
 * here (sluice_redirect_commit), as a driver would.
 */
function runOne(program: XdpProgram, arena: FrameArena, c: TestCase): RunOutcome {
  arena.offs[0] = 0;
  arena.lens[0] = c.packet.bytes.length;
  program.runArena(arena, c.packet.bytes, 1, { ifindex: c.ifindex, rxQueue: c.rxQueue });
  const verdict = arena.verdict(0);
  // Both engines record a REDIRECT's target in the packet's xdp_buff (0: none chosen).
  const redirect = verdict === XDP_REDIRECT ? arena.egressIfindex(0) : 0;
  return { verdict, output: arena.packet(0).slice(), input: c.packet.bytes, redirect, trace: drainTrace() };
}

/** What bpf_trace_printk wrote since the last call, one entry a line. */
function drainTrace(): string[] {
  const buf = new Uint8Array(1 << 16);
  const lines: string[] = [];
  for (let n = helperBindings().traceDrain(buf, buf.length); n > 0; n = helperBindings().traceDrain(buf, buf.length)) {
    lines.push(...new TextDecoder().decode(buf.subarray(0, n)).split('\n').filter((l) => l.length > 0));
  }
  return lines;
}
