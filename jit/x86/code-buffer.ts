// The code buffer: straight-line bytes plus typed fixups for everything whose
// bytes depend on where labels end up (jumps, calls and RIP-relative lea to
// labels). Fixups are kept out of the byte stream and laid out at the end:
// every jump starts short (rel8, or nothing at all for a jmp to the very next
// byte) and only grows to rel32 when its target is out of reach, repeated to a
// fixed point (sizes only grow, so this ends). The buffer keeps the first
// error it is told about, with the eBPF pc, and reports it once at the end.
import { JitError } from './errors.ts';

export type Label = number;

/** x86 condition codes (the low nibble of jcc / setcc / cmovcc). */
export enum Cond {
  O = 0x0, NO = 0x1, B = 0x2, AE = 0x3, E = 0x4, NE = 0x5, BE = 0x6, A = 0x7,
  S = 0x8, NS = 0x9, P = 0xa, NP = 0xb, L = 0xc, GE = 0xd, LE = 0xe, G = 0xf,
}

type Fixup =
  | { kind: 'jmp'; at: number; target: Label; size: number }
  | { kind: 'jcc'; at: number; target: Label; size: number; cond: Cond }
  /** A fixed-size instruction ending in a rel32 to a label: call rel32, lea r, [rip + label]. */
  | { kind: 'rel32'; at: number; target: Label; size: number; head: readonly number[] };

interface LabelSite { raw: number; fixupsBefore: number }

export interface Assembled {
  code: Uint8Array;
  /** The native offset of a label, -1 when it was never bound. */
  offsetOf(label: Label): number;
}

export class CodeBuffer {
  private buf = new Uint8Array(4096);
  private len = 0;
  private fixups: Fixup[] = [];
  private labels: (LabelSite | undefined)[] = [];
  private firstError: JitError | undefined;
  /** The eBPF pc being compiled, for errors (-1 outside the program body). */
  pc = -1;

  get failed(): boolean { return this.firstError !== undefined; }

  /** Records an error at the current pc; only the first one is kept. */
  fail(message: string, pc = this.pc): void {
    this.firstError ??= new JitError(message, pc);
  }

  byte(b: number): void {
    if (this.len === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.len++] = b & 0xff;
  }

  bytes(...bs: number[]): void {
    for (const b of bs) this.byte(b);
  }

  imm8(v: number): void { this.byte(v); }
  imm16(v: number): void { this.byte(v); this.byte(v >> 8); }
  imm32(v: number): void { this.byte(v); this.byte(v >> 8); this.byte(v >> 16); this.byte(v >>> 24); }
  imm64(v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.imm32(Number(u & 0xffffffffn));
    this.imm32(Number(u >> 32n));
  }

  newLabel(): Label {
    this.labels.push(undefined);
    return this.labels.length - 1;
  }

  bind(label: Label): void {
    if (this.labels[label] !== undefined) this.fail(`label ${label} bound twice`);
    this.labels[label] = { raw: this.len, fixupsBefore: this.fixups.length };
  }

  isBound(label: Label): boolean { return this.labels[label] !== undefined; }

  jmp(target: Label): void {
    this.fixups.push({ kind: 'jmp', at: this.len, target, size: 2 });
  }

  jcc(cond: Cond, target: Label): void {
    this.fixups.push({ kind: 'jcc', at: this.len, target, size: 2, cond });
  }

  /** Emits `head` followed by a rel32 to `target`, relative to the instruction's end. */
  rel32(head: readonly number[], target: Label): void {
    this.fixups.push({ kind: 'rel32', at: this.len, target, size: head.length + 4, head });
  }

  /** Lays out the fixups and returns the code; throws the first error recorded. */
  finish(): Assembled {
    if (this.firstError) throw this.firstError;
    const sites = this.labels;
    const fixups = this.fixups;
    for (const f of fixups) {
      if (sites[f.target] === undefined) throw new JitError(`internal: label ${f.target} used but never bound`, -1);
    }
    // A jmp to the very next byte (nothing emitted between it and its label) needs no bytes.
    for (let i = 0; i < fixups.length; i++) {
      const f = fixups[i]!;
      const t = sites[f.target]!;
      if (f.kind === 'jmp' && t.raw === f.at && t.fixupsBefore === i + 1) f.size = 0;
    }
    const start = new Int32Array(fixups.length + 1); // start[i]: final offset of fixup i
    const place = (): void => {
      let grown = 0;
      for (let i = 0; i < fixups.length; i++) {
        start[i] = fixups[i]!.at + grown;
        grown += fixups[i]!.size;
      }
      start[fixups.length] = this.len + grown;
    };
    const labelAt = (site: LabelSite): number =>
      site.fixupsBefore < fixups.length ? start[site.fixupsBefore]! - (fixups[site.fixupsBefore]!.at - site.raw) : site.raw + (start[fixups.length]! - this.len);
    for (let changed = true; changed;) {
      changed = false;
      place();
      for (let i = 0; i < fixups.length; i++) {
        const f = fixups[i]!;
        if (f.size !== 2 || f.kind === 'rel32') continue;
        const disp = labelAt(sites[f.target]!) - (start[i]! + 2);
        if (disp < -128 || disp > 127) {
          f.size = f.kind === 'jmp' ? 5 : 6;
          changed = true;
        }
      }
    }
    const total = start[fixups.length]!;
    const code = new Uint8Array(total);
    let out = 0;
    let raw = 0;
    const rel = (target: number, end: number): number => target - end;
    for (let i = 0; i < fixups.length; i++) {
      const f = fixups[i]!;
      code.set(this.buf.subarray(raw, f.at), out);
      out += f.at - raw;
      raw = f.at;
      const target = labelAt(sites[f.target]!);
      const end = out + f.size;
      const d = rel(target, end);
      if (f.kind === 'jmp') {
        if (f.size === 2) code.set([0xeb, d & 0xff], out);
        else if (f.size === 5) code.set([0xe9, ...le32(d)], out);
      } else if (f.kind === 'jcc') {
        if (f.size === 2) code.set([0x70 | f.cond, d & 0xff], out);
        else code.set([0x0f, 0x80 | f.cond, ...le32(d)], out);
      } else {
        code.set([...f.head, ...le32(d)], out);
      }
      out = end;
    }
    code.set(this.buf.subarray(raw, this.len), out);
    return { code, offsetOf: (label) => (sites[label] === undefined ? -1 : labelAt(sites[label]!)) };
  }
}

function le32(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
}
