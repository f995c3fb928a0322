// The differential test: seeded random programs (generate.ts) run in the Linux
// kernel (BPF_PROG_TEST_RUN through scripts/testkit/kernel.ts) and in another
// engine (the reference interpreter by default); the verdict and every byte of
// the packet — which holds every register the body left (frame.ts) — must agree.
//
// Program i of a run has seed `seed + i`, so any disagreement is reproduced by
// `scripts/kernel-diff.ts --count 1 --seed <its seed>`.
import { kernelRun, type KernelResult } from '../../scripts/testkit/kernel.ts';
import { encode } from '../isa/codec.ts';
import { listing } from '../isa/listing.ts';
import { disassemble } from '../isa/disasm.ts';
import { Interpreter } from '../interp/interpreter.ts';
import { messageOf } from '../errors.ts';
import { type FuzzOptions, type FuzzProgram, generate } from './generate.ts';
import { frame, registersFrom } from './frame.ts';
import { type Narrowed, shrink } from './shrink.ts';
import { type EngineRun, type Outcome, sameOutcome } from './outcome.ts';

export { type EngineRun, type Outcome, sameOutcome };

/** The reference interpreter: r1 = the packet, r2 = its length. */
export const interpreterRun: EngineRun = (p) => {
  const bytes = p.packet.slice();
  try {
    const { r0 } = new Interpreter(frame(p, 'interp')).run({ input: bytes });
    return { retval: Number(r0 & 0xffff_ffffn), packet: bytes };
  } catch (err) {
    return { error: messageOf(err) };
  }
};

export interface DiffOptions {
  /** Programs to generate. */
  count: number;
  /** The first program's seed. */
  seed: number;
  fuzz?: FuzzOptions;
  /** The engine compared with the kernel. Default: the reference interpreter. */
  engine?: EngineRun;
  /** Programs per kernel helper process. Default 1000. */
  batch?: number;
  /** Disagreements and rejections kept in full (the rest are only counted). Default 5. */
  keep?: number;
  /** Look for the shortest prefix of a disagreeing body that still disagrees. Default true. */
  shrink?: boolean;
  /** Called after each batch with the programs done so far. */
  progress?: (done: number) => void;
}

export interface Disagreement {
  program: FuzzProgram;
  kernel: Outcome;
  engine: Outcome;
  /** The shortest disagreeing prefix of the body, when shrinking found one: its last instruction is the culprit. */
  narrowed?: Narrowed;
}

export interface Rejection { seed: number; errno: number; reason: string }

export interface DiffSummary {
  generated: number;
  /** Loaded by the verifier and run by BPF_PROG_TEST_RUN. */
  accepted: number;
  rejected: number;
  agreed: number;
  disagreed: number;
  /** The first `keep` of each. */
  disagreements: Disagreement[];
  rejections: Rejection[];
  /** Rejections by reason (the verifier log's last meaningful line). */
  reasons: Map<string, number>;
  ms: number;
}

export function kernelOutcome(r: KernelResult): Outcome {
  if (!r.ran) return { error: r.loaded ? `test run failed (errno ${r.errno})` : `rejected (errno ${r.errno})` };
  return { retval: r.retval, packet: r.dataOut };
}

/** The line of a verifier log that says why it refused (the last one before the statistics). */
export function rejectionReason(log: string | undefined, errno: number): string {
  const lines = (log ?? '').trim().split('\n').filter((l) => l && !l.startsWith('processed ') && !l.startsWith('verification time'));
  return lines[lines.length - 1] ?? `errno ${errno}, no verifier log`;
}

export function runDiff(options: DiffOptions): DiffSummary {
  const started = Date.now();
  const engine = options.engine ?? interpreterRun;
  const keep = options.keep ?? 5;
  const batch = options.batch ?? 1000;
  const summary: DiffSummary = {
    generated: 0, accepted: 0, rejected: 0, agreed: 0, disagreed: 0,
    disagreements: [], rejections: [], reasons: new Map(), ms: 0,
  };
  for (let first = 0; first < options.count; first += batch) {
    const n = Math.min(batch, options.count - first);
    const programs = Array.from({ length: n }, (_, i) => generate(options.seed + first + i, options.fuzz));
    summary.generated += n;
    const results = kernelRun(programs.map((p) => ({ insns: encode(frame(p, 'kernel')), packet: p.packet })));
    programs.forEach((p, i) => {
      const k = results[i]!;
      if (!k.ran) {
        summary.rejected++;
        const reason = k.loaded ? `test run failed: errno ${k.errno}` : rejectionReason(k.log, k.errno);
        summary.reasons.set(reason, (summary.reasons.get(reason) ?? 0) + 1);
        if (summary.rejections.length < keep) summary.rejections.push({ seed: p.seed, errno: k.errno, reason });
        return;
      }
      summary.accepted++;
      const kernel = kernelOutcome(k);
      const mine = engine(p);
      if (sameOutcome(kernel, mine)) {
        summary.agreed++;
        return;
      }
      summary.disagreed++;
      if (summary.disagreements.length < keep) {
        const d: Disagreement = { program: p, kernel, engine: mine };
        if (options.shrink ?? true) {
          const narrowed = shrink(p, engine);
          if (narrowed !== undefined) d.narrowed = narrowed;
        }
        summary.disagreements.push(d);
      }
    });
    options.progress?.(first + n);
  }
  summary.ms = Date.now() - started;
  return summary;
}

const hex64 = (v: bigint | undefined): string => (v === undefined ? '—' : `0x${v.toString(16).padStart(16, '0')}`);

/** Everything needed to reproduce and read a disagreement: seed, listing, both register files. */
export function formatDisagreement(d: Disagreement, engineName = 'interp'): string {
  const p = d.program;
  const out: string[] = [`DISAGREEMENT seed ${p.seed} (context in r${p.ctxReg}; body is pc 1..${bodyEnd(p)})`];
  if (d.narrowed !== undefined) {
    const at = d.narrowed.length - 1;
    const culprit = p.body[at]!;
    out.push(`first difference after body[${at}] = pc ${pcOfBody(p, at)}: ${disassemble(culprit)}`);
    out.push(...registerTable(p, d.narrowed.kernel, d.narrowed.engine, engineName, '  '));
  }
  out.push('program (kernel variant):', listing(frame(p, 'kernel')).trimEnd());
  out.push(`packet in: ${Buffer.from(p.packet).toString('hex')}`);
  out.push('at the end:', ...registerTable(p, d.kernel, d.engine, engineName, '  '));
  if ('packet' in d.kernel && 'packet' in d.engine) {
    const k = d.kernel.packet, e = d.engine.packet;
    const bad: number[] = [];
    for (let i = 8 * p.regs.length; i < Math.max(k.length, e.length); i++) if (k[i] !== e[i]) bad.push(i);
    if (bad.length > 0) out.push(`packet bytes beyond the registers differ at offsets ${bad.slice(0, 16).join(', ')}`);
  }
  return out.join('\n');
}

function registerTable(p: FuzzProgram, kernel: Outcome, engine: Outcome, engineName: string, indent: string): string[] {
  const describe = (o: Outcome) => ('error' in o ? o.error : `retval ${o.retval}`);
  const kr = 'packet' in kernel ? registersFrom(p, kernel.packet) : [];
  const er = 'packet' in engine ? registersFrom(p, engine.packet) : [];
  const out = [`${indent}kernel: ${describe(kernel)}    ${engineName}: ${describe(engine)}`, `${indent}reg  kernel              ${engineName}`];
  for (const r of p.regs) out.push(`${indent}r${r}   ${hex64(kr[r])}  ${hex64(er[r])}${kr[r] !== er[r] ? '   <-- differs' : ''}`);
  return out;
}

function pcOfBody(p: FuzzProgram, index: number): number {
  // The prologue is one instruction; lddw takes two slots.
  return 1 + p.body.slice(0, index).reduce((n, i) => n + (i.opcode === 0x18 ? 2 : 1), 0);
}

const bodyEnd = (p: FuzzProgram): number => pcOfBody(p, p.body.length) - 1;

export function formatSummary(s: DiffSummary): string {
  const lines = [
    `programs generated: ${s.generated}`,
    `accepted by the kernel: ${s.accepted}`,
    `rejected by the kernel: ${s.rejected}`,
    `agreed: ${s.agreed}`,
    `disagreed: ${s.disagreed}`,
    `time: ${(s.ms / 1000).toFixed(1)} s`,
  ];
  if (s.rejected > 0) {
    lines.push('rejection reasons:');
    for (const [why, n] of [...s.reasons].sort((a, b) => b[1] - a[1]).slice(0, 5)) lines.push(`  ${n} × ${why}`);
    lines.push(`first rejected seeds: ${s.rejections.map((r) => r.seed).join(', ')}`);
  }
  return lines.join('\n');
}
