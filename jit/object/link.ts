// Static linking of one program, as libbpf does it: the entry function's
// instructions, then every function it calls (directly or through a callee),
// each appended once in depth-first order of first call. Call and function-address
// immediates are rewritten to be relative to the linked program.
import type { Instruction } from '../isa/instruction.ts';
import type { SectionExt } from '../btf/ext.ts';
import type { Btf } from '../btf/types.ts';
import type { CodeSection, Func } from './code.ts';
import type { ProgramType } from './prog-types.ts';
import { type FuncInfoSpec, ObjectError, type ProgramSpec, type SourceLine } from './spec.ts';

export interface LinkInput {
  /** Code sections by section index. */
  readonly code: ReadonlyMap<number, CodeSection>;
  /** BTF.ext tables by section name. */
  readonly ext: ReadonlyMap<string, SectionExt>;
  readonly btf?: Btf;
}

interface Placed { func: Func; start: number }

export function linkProgram(entry: Func, type: ProgramType, input: LinkInput): ProgramSpec {
  const placed: Placed[] = [];
  const byFunc = new Map<Func, Placed>();
  const codeOf = (shndx: number): CodeSection => {
    const c = input.code.get(shndx);
    if (!c) throw new ObjectError(`program '${entry.name}': call into section ${shndx}, which holds no code`);
    return c;
  };
  // Depth-first, as libbpf does: a callee is appended, then its own callees, before
  // the caller's next call. An explicit stack, so deep call chains cannot overflow.
  let slots = 0;
  const stack: { func: Func; pc: number }[] = [];
  const place = (func: Func): void => {
    const p = { func, start: slots };
    placed.push(p);
    byFunc.set(func, p);
    slots += func.endPc - func.startPc;
    stack.push({ func, pc: func.startPc });
  };
  place(entry);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.pc >= top.func.endPc) { stack.pop(); continue; }
    const code = codeOf(top.func.shndx);
    const i = code.indexOf[top.pc];
    if (i === undefined || i < 0) {
      throw new ObjectError(`function '${top.func.name}': section '${code.section.name}' offset ${top.pc * 8} splits an lddw`);
    }
    const t = code.targets.get(i);
    const from = `${code.section.name}+${top.pc * 8}`;
    top.pc = code.pcOf[i + 1]!;
    if (t) {
      const callee = functionAt(codeOf(t.shndx), t.pc, from);
      if (!byFunc.has(callee)) place(callee);
    }
  }

  const instructions: Instruction[] = [];
  const origins: { section: string; offset: number }[] = [];
  const lines: (SourceLine | undefined)[] = [];
  const funcInfo: FuncInfoSpec[] = [];
  for (const p of placed) {
    const code = codeOf(p.func.shndx);
    const ext = input.ext.get(code.section.name);
    const lineAt = lineLookup(ext);
    funcInfo.push({
      index: instructions.length, pc: p.start, name: p.func.name,
      typeId: ext?.funcInfo.find((f) => f.insnOff === p.func.startPc * 8)?.typeId ?? 0,
    });
    for (let pc = p.func.startPc; pc < p.func.endPc;) {
      const i = code.indexOf[pc];
      if (i === undefined || i < 0) {
        throw new ObjectError(`function '${p.func.name}': section '${code.section.name}' offset ${pc * 8} splits an lddw`);
      }
      let insn = code.insns[i]!;
      const t = code.targets.get(i);
      if (t) {
        const callee = byFunc.get(functionAt(codeOf(t.shndx), t.pc, ''))!;
        const here = p.start + (pc - p.func.startPc);
        insn = { ...insn, imm: callee.start + (t.pc - callee.func.startPc) - (here + 1) };
      }
      if (pc === p.func.startPc) insn = { ...insn, symbol: p.func.name };
      instructions.push(insn);
      origins.push({ section: code.section.name, offset: pc * 8 });
      lines.push(lineAt(pc * 8));
      pc = code.pcOf[i + 1]!;
    }
  }
  return {
    name: entry.name, section: codeOf(entry.shndx).section.name, sectionOffset: entry.startPc * 8, type,
    instructions, origins, lines, funcInfo,
  };
}

/** The function that starts at `pc`; calls into the middle of a function are refused. */
function functionAt(code: CodeSection, pc: number, from: string): Func {
  const f = code.funcs.find((fn) => fn.startPc <= pc && pc < fn.endPc);
  if (!f) throw new ObjectError(`call at ${from}: no function at section '${code.section.name}' offset ${pc * 8}`);
  if (f.startPc !== pc) {
    throw new ObjectError(`call at ${from}: target section '${code.section.name}' offset ${pc * 8} is inside function '${f.name}', not at its start`);
  }
  return f;
}

/** Line info applies from its instruction to the next record's. */
function lineLookup(ext: SectionExt | undefined): (byte: number) => SourceLine | undefined {
  const records = [...(ext?.lineInfo ?? [])].sort((a, b) => a.insnOff - b.insnOff);
  const cache = new Map<number, SourceLine>();
  return (byte) => {
    let lo = 0, hi = records.length - 1, best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (records[mid]!.insnOff <= byte) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    // clang marks compiler-generated code with line 0: no source position.
    if (best < 0 || records[best]!.line === 0) return undefined;
    let line = cache.get(best);
    if (!line) {
      const r = records[best]!;
      line = { file: r.file, line: r.line, column: r.column, text: r.text };
      cache.set(best, line);
    }
    return line;
  };
}
