// The reference interpreter's public face. An Interpreter holds one decoded
// program, its helper table and its address space; each run() or start()
// creates an Execution (registers, call frames) over them. One execution at a
// time per Interpreter: starting a new one abandons the previous.
import type { Instruction, Program } from '../isa/instruction.ts';
import { disassemble } from '../isa/disasm.ts';
import { PseudoCall } from '../isa/opcode.ts';
import { compile, type Code } from './code.ts';
import {
  type Environment, Execution, type Helper, type LddwResolver, type RunResult, type TraceEvent,
} from './execution.ts';
import { type MapOptions, Memory, type Region } from './memory.ts';

export type { Access, MapOptions, Region } from './memory.ts';
export { Memory } from './memory.ts';
export type { Change, Execution, Helper, HelperContext, LddwResolver, RunResult, TraceEvent } from './execution.ts';
export { type FaultKind, VmError } from './errors.ts';

export interface InterpreterOptions {
  /** Helper functions by id. Default: none (every helper call is a RunError). */
  helpers?: ReadonlyMap<number, Helper> | Readonly<Record<number, Helper>>;
  /** Instructions a run may execute before it stops with a 'step-limit' RunError. Default 10,000,000. */
  maxSteps?: number;
  /** Resolves lddw pseudo kinds (map fds, map values, ...). Default: none (such an lddw is a RunError). */
  resolveLddw?: LddwResolver;
  /** The address space to use. Default: a new one. */
  memory?: Memory;
}

/** A region to map for one run only (dropped when the run ends). */
export interface RegionSpec extends MapOptions {
  bytes: Uint8Array;
}

export interface RunOptions {
  /** Mapped as region 'input' for this run; r1 = its address and r2 = its length unless `args` says otherwise. */
  input?: Uint8Array;
  /** More regions for this run only. */
  regions?: readonly RegionSpec[];
  /**
   * r1..r5 (missing ones are 0), or a function of the regions mapped for this run
   * (input first, then `regions` in order) returning them.
   */
  args?: readonly (bigint | number)[] | ((mapped: readonly Region[]) => readonly (bigint | number)[]);
}

export interface TraceResult extends RunResult {
  readonly events: readonly TraceEvent[];
}

export const DEFAULT_MAX_STEPS = 10_000_000;

export class Interpreter {
  readonly memory: Memory;
  readonly maxSteps: number;
  private readonly env: Environment;

  constructor(readonly program: Program, options: InterpreterOptions = {}) {
    const code = compile(program);
    this.memory = options.memory ?? new Memory();
    this.maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
    const helpers = toMap(options.helpers);
    this.env = {
      code, memory: this.memory, maxSteps: this.maxSteps,
      helperAt: helperTable(code, helpers),
      describe: cached((insn) => disassemble(insn)),
      resolveLddw: options.resolveLddw,
    };
  }

  /** Starts a run; step() it one instruction at a time or finish() it. */
  start(options: RunOptions = {}): Execution {
    const memory = this.memory;
    memory.endRun(); // abandon whatever a previous execution left mapped
    memory.beginRun();
    const mapped: Region[] = [];
    let args: readonly (bigint | number)[] = [];
    try {
      if (options.input) {
        const input = memory.map(options.input, { name: 'input' });
        mapped.push(input);
        args = [input.start, options.input.length];
      }
      for (const spec of options.regions ?? []) mapped.push(memory.map(spec.bytes, spec));
      if (options.args) args = typeof options.args === 'function' ? options.args(mapped) : options.args;
    } catch (err) {
      memory.endRun();
      throw err;
    }
    return new Execution(this.env, args.map((v) => BigInt.asUintN(64, BigInt(v))));
  }

  /** Runs to the end: r0 and the number of instructions executed. */
  run(options: RunOptions = {}): RunResult {
    return this.start(options).finish();
  }

  /** Runs to the end recording every instruction. A fault still throws (the events so far are on the error as `events`). */
  trace(options: RunOptions = {}): TraceResult {
    const execution = this.start(options);
    const events: TraceEvent[] = [];
    try {
      while (!execution.done) events.push(execution.step());
    } catch (err) {
      if (err instanceof Error) Object.assign(err, { events });
      throw err;
    }
    return { ...execution.result!, events };
  }
}

function toMap(helpers: InterpreterOptions['helpers']): ReadonlyMap<number, Helper> {
  if (helpers === undefined) return new Map();
  if (helpers instanceof Map) return helpers;
  return new Map(Object.entries(helpers).map(([id, fn]) => [Number(id), fn as Helper]));
}

function helperTable(code: Code, helpers: ReadonlyMap<number, Helper>): (Helper | undefined)[] {
  const table = new Array<Helper | undefined>(code.slots + 1).fill(undefined);
  for (let pc = 0; pc < code.slots; pc++) {
    if (code.ops[pc] === 0x85 && code.src[pc] === PseudoCall.HELPER) table[pc] = helpers.get(code.imm[pc]!);
  }
  return table;
}

/** Disassembles each instruction once (traces ask again for every step). */
function cached(describe: (insn: Instruction) => string): (insn: Instruction) => string {
  const texts = new WeakMap<Instruction, string>();
  return (insn) => {
    let text = texts.get(insn);
    if (text === undefined) texts.set(insn, text = describe(insn));
    return text;
  };
}
