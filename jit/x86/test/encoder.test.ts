// The encoder checked against GNU objdump: each case emits instruction forms and
// states, by hand from the Intel manual, what they must disassemble to (AT&T syntax).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasCommand, requires } from '../../../scripts/testkit/skip.ts';
import { Cond } from '../code-buffer.ts';
import { Alu, Asm, Shift } from '../encoder.ts';
import { X } from '../regs.ts';

type Case = [name: string, emit: (a: Asm) => void, expected: string[]];

const CASES: Case[] = [
  ['mov r64, r64', (a) => a.movRR(X.RAX, X.R13, true), ['mov %r13,%rax']],
  ['mov r32, r32 (high regs)', (a) => a.movRR(X.R9, X.R15, false), ['mov %r15d,%r9d']],
  ['mov zero', (a) => a.movRI(X.R14, 0, true), ['xor %r14d,%r14d']],
  ['mov small', (a) => a.movRI(X.RDI, 0x1234, true), ['mov $0x1234,%edi']],
  ['mov u32 into r64 zero-extends', (a) => a.movRI(X.R8, 0xfffffff0n, true), ['mov $0xfffffff0,%r8d']],
  ['mov negative', (a) => a.movRI(X.RBX, -2, true), ['mov $0xfffffffffffffffe,%rbx']],
  ['mov imm64', (a) => a.movRI(X.R11, 0x123456789abcdef0n, true), ['movabs $0x123456789abcdef0,%r11']],
  ['mov r32, negative imm', (a) => a.movRI(X.RCX, -1, false), ['mov $0xffffffff,%ecx']],
  ['load u8', (a) => a.load(1, X.RAX, { base: X.RDI, disp: 0 }), ['movzbl (%rdi),%eax']],
  ['load u16 disp8', (a) => a.load(2, X.R13, { base: X.RSI, disp: 12 }), ['movzwl 0xc(%rsi),%r13d']],
  ['load u32 rsp base needs SIB', (a) => a.load(4, X.RDX, { base: X.RSP, disp: 8 }), ['mov 0x8(%rsp),%edx']],
  ['load u64 r12 base needs SIB', (a) => a.load(8, X.RDX, { base: X.R12, disp: 0 }), ['mov (%r12),%rdx']],
  ['load u64 rbp base needs disp8', (a) => a.load(8, X.RAX, { base: X.RBP, disp: 0 }), ['mov 0x0(%rbp),%rax']],
  ['load u64 r13 base needs disp8', (a) => a.load(8, X.RAX, { base: X.R13, disp: 0 }), ['mov 0x0(%r13),%rax']],
  ['load disp32', (a) => a.load(8, X.R15, { base: X.RBP, disp: -512 }), ['mov -0x200(%rbp),%r15']],
  ['load s8', (a) => a.load(1, X.RCX, { base: X.R8, disp: -1 }, true), ['movsbq -0x1(%r8),%rcx']],
  ['load s16', (a) => a.load(2, X.RCX, { base: X.R8, disp: 2 }, true), ['movswq 0x2(%r8),%rcx']],
  ['load s32', (a) => a.load(4, X.R14, { base: X.RAX, disp: 4 }, true), ['movslq 0x4(%rax),%r14']],
  ['store u8 from sil needs REX', (a) => a.store(1, { base: X.RDI, disp: 3 }, X.RSI), ['mov %sil,0x3(%rdi)']],
  ['store u8 from al', (a) => a.store(1, { base: X.RDI, disp: 3 }, X.RAX), ['mov %al,0x3(%rdi)']],
  ['store u16', (a) => a.store(2, { base: X.RBP, disp: -2 }, X.R9), ['mov %r9w,-0x2(%rbp)']],
  ['store u32 indexed', (a) => a.store(4, { base: X.R11, index: X.R12, scale: 4, disp: 0 }, X.RAX), ['mov %eax,(%r11,%r12,4)']],
  ['store u64', (a) => a.store(8, { base: X.RBP, disp: -8 }, X.RBX), ['mov %rbx,-0x8(%rbp)']],
  ['store imm8', (a) => a.storeImm(1, { base: X.RDI, disp: 0 }, 0x7f), ['movb $0x7f,(%rdi)']],
  ['store imm16', (a) => a.storeImm(2, { base: X.RDI, disp: 0 }, 0x1234), ['movw $0x1234,(%rdi)']],
  ['store imm32', (a) => a.storeImm(4, { base: X.R13, disp: 8 }, -1), ['movl $0xffffffff,0x8(%r13)']],
  ['store imm64', (a) => a.storeImm(8, { base: X.RBP, disp: -16 }, -5), ['movq $0xfffffffffffffffb,-0x10(%rbp)']],
  ['movzx from dil', (a) => a.movzxRR(X.RAX, X.RDI, 1), ['movzbl %dil,%eax']],
  ['movzx word', (a) => a.movzxRR(X.R8, X.R8, 2), ['movzwl %r8w,%r8d']],
  ['movsx byte to 64', (a) => a.movsxRR(X.RBX, X.RSI, 1, true), ['movsbq %sil,%rbx']],
  ['movsx word to 32', (a) => a.movsxRR(X.RBX, X.RCX, 2, false), ['movswl %cx,%ebx']],
  ['movsxd', (a) => a.movsxRR(X.RAX, X.R15, 4, true), ['movslq %r15d,%rax']],
  ['lea', (a) => a.lea(X.RBP, { base: X.RSP, disp: 536 }), ['lea 0x218(%rsp),%rbp']],
  ['add r64, r64', (a) => a.aluRR(Alu.ADD, X.RDX, X.R14, true), ['add %r14,%rdx']],
  ['sub r32', (a) => a.aluRR(Alu.SUB, X.R8, X.RAX, false), ['sub %eax,%r8d']],
  ['and/or/xor/cmp', (a) => { a.aluRR(Alu.AND, X.RAX, X.RBX, true); a.aluRR(Alu.OR, X.RAX, X.RBX, true); a.aluRR(Alu.XOR, X.RAX, X.RBX, true); a.aluRR(Alu.CMP, X.RAX, X.RBX, true); },
    ['and %rbx,%rax', 'or %rbx,%rax', 'xor %rbx,%rax', 'cmp %rbx,%rax']],
  ['alu imm8 form', (a) => a.aluRI(Alu.ADD, X.R15, -3, true), ['add $0xfffffffffffffffd,%r15']],
  ['alu imm32 form', (a) => a.aluRI(Alu.AND, X.RSI, 0x10000, false), ['and $0x10000,%esi']],
  ['cmp imm', (a) => a.aluRI(Alu.CMP, X.RDI, 1000, true), ['cmp $0x3e8,%rdi']],
  ['add r, [m]', (a) => a.aluRM(Alu.ADD, X.RDI, { base: X.RSP, disp: 0 }, true), ['add (%rsp),%rdi']],
  ['cmp r, [m]', (a) => a.aluRM(Alu.CMP, X.R12, { base: X.RSP, disp: 16 }, true), ['cmp 0x10(%rsp),%r12']],
  ['lock add', (a) => a.aluMR(Alu.ADD, { base: X.RDI, disp: 8 }, X.RSI, true, true), ['lock add %rsi,0x8(%rdi)']],
  ['lock or 32', (a) => a.aluMR(Alu.OR, { base: X.RBP, disp: -4 }, X.R8, false, true), ['lock or %r8d,-0x4(%rbp)']],
  ['test rr', (a) => a.testRR(X.RCX, X.RCX, false), ['test %ecx,%ecx']],
  ['test imm', (a) => a.testRI(X.R9, 0x80, true), ['test $0x80,%r9']],
  ['shifts', (a) => { a.shiftRI(Shift.SHL, X.RAX, 1, true); a.shiftRI(Shift.SHR, X.R13, 7, false); a.shiftRI(Shift.SAR, X.RDX, 63, true); },
    ['shl %rax', 'shr $0x7,%r13d', 'sar $0x3f,%rdx']],
  ['shift by cl', (a) => { a.shiftRCL(Shift.SHL, X.R11, true); a.shiftRCL(Shift.SAR, X.RBX, false); }, ['shl %cl,%r11', 'sar %cl,%ebx']],
  ['BMI2 shifts by any register', (a) => { a.shiftX(Shift.SHL, X.RAX, X.RAX, X.RSI, true); a.shiftX(Shift.SHR, X.R13, X.R13, X.R8, false); a.shiftX(Shift.SAR, X.RCX, X.R15, X.RDX, true); },
    ['shlx %rsi,%rax,%rax', 'shrx %r8d,%r13d,%r13d', 'sarx %rdx,%r15,%rcx']],
  ['rol r16', (a) => a.shift16RI(Shift.ROL, X.RSI, 8), ['rol $0x8,%si']],
  ['imul', (a) => { a.imulRR(X.RAX, X.R14, true); a.imulRRI(X.RDX, X.RDX, 3, false); a.imulRRI(X.R8, X.R8, 100000, true); },
    ['imul %r14,%rax', 'imul $0x3,%edx,%edx', 'imul $0x186a0,%r8,%r8']],
  ['div and idiv', (a) => { a.divR(X.R11, true, false); a.divR(X.RCX, false, true); }, ['div %r11', 'idiv %ecx']],
  ['cqo cdq', (a) => { a.signExtendAx(true); a.signExtendAx(false); }, ['cqto', 'cltd']],
  ['neg inc', (a) => { a.negR(X.R15, true); a.incR(X.R12, true); }, ['neg %r15', 'inc %r12']],
  ['bswap', (a) => { a.bswap(X.RAX, false); a.bswap(X.R14, true); a.bswap(X.RDI, true); }, ['bswap %eax', 'bswap %r14', 'bswap %rdi']],
  ['lock xadd', (a) => a.lockXadd({ base: X.RDI, disp: 0 }, X.RSI, true), ['lock xadd %rsi,(%rdi)']],
  ['lock cmpxchg 32', (a) => a.lockCmpxchg({ base: X.R9, disp: 4 }, X.R11, false), ['lock cmpxchg %r11d,0x4(%r9)']],
  ['xchg', (a) => a.xchgMR({ base: X.RBP, disp: -8 }, X.RBX, true), ['xchg %rbx,-0x8(%rbp)']],
  ['call and ret', (a) => { a.callR(X.RAX); a.callR(X.R11); a.ret(); }, ['call *%rax', 'call *%r11', 'ret']],
  ['indirect jumps', (a) => { a.jmpIndirect(X.R11); a.jmpIndirect({ base: X.RSP, disp: 24 }); }, ['jmp *%r11', 'jmp *0x18(%rsp)']],
  ['inc and cmp of a 32-bit memory operand', (a) => { a.incR({ base: X.RSP, disp: 32 }, false); a.aluRI(Alu.CMP, { base: X.RSP, disp: 32 }, 33, false); },
    ['incl 0x20(%rsp)', 'cmpl $0x21,0x20(%rsp)']],
  ['prefetch', (a) => a.prefetch({ base: X.R11, disp: 0 }), ['prefetcht0 (%r11)']],
  ['fs-relative loads (initial-exec TLS)', (a) => { a.loadFs32(X.R11, -8); a.loadFs32(X.RDI, 0x10); a.loadFs32(X.RAX, -0x80000000); },
    ['mov %fs:0xfffffffffffffff8,%r11d', 'mov %fs:0x10,%edi', 'mov %fs:0xffffffff80000000,%eax']],
  ['push pop', (a) => { a.push(X.RBP); a.push(X.R15); a.pop(X.R12); a.pop(X.RBX); }, ['push %rbp', 'push %r15', 'pop %r12', 'pop %rbx']],
];

/** Objdump's lines for a blob, as [offset, normalized text] (whitespace collapsed). */
function disassemble(code: Uint8Array): [number, string][] {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-enc-'));
  try {
    const file = join(dir, 'code.bin');
    writeFileSync(file, code);
    const out = execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386:x86-64', file], { encoding: 'utf8' });
    const lines: [number, string][] = [];
    for (const line of out.split('\n')) {
      const m = /^\s*([0-9a-f]+):\t[0-9a-f ]+\t(.*)$/.exec(line);
      if (m) lines.push([parseInt(m[1]!, 16), m[2]!.replace(/\s+/g, ' ').replace(/ ?#.*$/, '').trim()
        .replace(/^(s[ah][lr]|ro[lr]) \$1,/, '$1 ')]); // the shift-by-one form: binutils 2.40 omits the count, later ones print $1
    }
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (requires('encoder vs objdump', hasCommand('objdump'))) {
  test('every instruction form disassembles to what it should', () => {
    // One blob, each case at a known offset, so objdump runs once.
    const a = new Asm();
    const starts: number[] = [];
    const ends: number[] = [];
    const labels = CASES.map(() => a.newLabel());
    CASES.forEach(([, emit], i) => { a.bind(labels[i]!); emit(a); });
    const endLabel = a.newLabel();
    a.bind(endLabel);
    const out = a.finish();
    CASES.forEach((_, i) => { starts.push(out.offsetOf(labels[i]!)); ends.push(i + 1 < CASES.length ? out.offsetOf(labels[i + 1]!) : out.offsetOf(endLabel)); });
    const lines = disassemble(out.code);
    const problems: string[] = [];
    CASES.forEach(([name, , expected], i) => {
      const got = lines.filter(([off]) => off >= starts[i]! && off < ends[i]!).map(([, text]) => text);
      if (JSON.stringify(got) !== JSON.stringify(expected)) problems.push(`${name}: expected ${JSON.stringify(expected)}, objdump says ${JSON.stringify(got)}`);
    });
    assert.is(problems.join('\n'), '');
  });

  test('jumps: rel8 when the target is near, rel32 when far, nothing for a jmp to the next byte', () => {
    const a = new Asm();
    const near = a.newLabel(), far = a.newLabel(), next = a.newLabel(), back = a.newLabel();
    a.bind(back);
    a.jcc(Cond.E, near); // 0: 2 bytes
    a.jmp(far); // 2: 5 bytes (the target is 200 bytes on)
    a.bind(near);
    for (let i = 0; i < 200; i++) a.ret();
    a.bind(far);
    a.jmp(next); // nothing
    a.bind(next);
    a.jcc(Cond.NE, back); // backwards, > 128 bytes: 6 bytes
    const out = a.finish();
    const lines = disassemble(out.code);
    assert.equal(lines[0], [0, 'je 0x7']);
    assert.equal(lines[1], [2, 'jmp 0xcf']);
    assert.equal(out.offsetOf(far), 7 + 200);
    assert.equal(lines[lines.length - 1], [207, 'jne 0x0']);
    assert.is(out.code.length, 207 + 6);
  });

  test('lea of a label and call of a label are RIP-relative', () => {
    const a = new Asm();
    const fn = a.newLabel();
    a.leaLabel(X.R8, fn); // 0: 7 bytes
    a.callLabel(fn); // 7: 5 bytes
    a.ret(); // 12
    a.bind(fn); // 13
    a.ret();
    const lines = disassemble(a.finish().code);
    assert.equal(lines[0], [0, 'lea 0x6(%rip),%r8']);
    assert.equal(lines[1], [7, 'call 0xd']);
  });
}

test('fs-relative load: the bytes the Intel manual gives for mov r32, fs:[disp32]', () => {
  // 64 = FS segment override (before REX); 44 = REX.R for r8d-r15d; 8B /r = mov r32, r/m32;
  // ModRM 00 reg 100 = SIB follows; SIB 00 100 101 = no index, no base (mod 00): disp32 absolute.
  const bytes = (emit: (a: Asm) => void): number[] => { const a = new Asm(); emit(a); return [...a.finish().code]; };
  assert.equal(bytes((a) => a.loadFs32(X.RDI, -0x1e0)), [0x64, 0x8b, 0x3c, 0x25, 0x20, 0xfe, 0xff, 0xff]);
  assert.equal(bytes((a) => a.loadFs32(X.R11, 0x12345678)), [0x64, 0x44, 0x8b, 0x1c, 0x25, 0x78, 0x56, 0x34, 0x12]);
  assert.equal(bytes((a) => a.loadFs32(X.RAX, 0)), [0x64, 0x8b, 0x04, 0x25, 0, 0, 0, 0], 'disp 0 still takes the disp32 form');
});

test('the first error is kept and reported once, with its pc', () => {
  const a = new Asm();
  a.pc = 7;
  a.fail('first');
  a.pc = 9;
  a.fail('second');
  assert.throws(() => a.finish(), (err: Error) => err.message === 'jit: pc 7: first');
});

test.run();
