// The assembly corpus: small programs, each with what the verifier must say about
// it. Expectations come from the kernel's rules (and are checked against the kernel
// itself in kernel.test.ts), never from sluice's output.
//
// `map_fd(N)` / `map_value(N, off)` name the case's N-th map. A case with `error`
// must be refused with a message containing it; `strict` cases are refused only in
// strict mode (the root kernel and sluice's default mode accept them).
import { assemble } from '../../isa/asm.ts';
import { LDDW, PseudoLd } from '../../isa/opcode.ts';
import type { Instruction } from '../../isa/instruction.ts';
import type { MapSpec, ProgramSpec } from '../../object/spec.ts';
import { MapType, mapTypeName, BPF_F_RDONLY_PROG } from '../../object/map-types.ts';
import { programTypeOf } from '../../object/prog-types.ts';

export interface MapDef { type: MapType; keySize: number; valueSize: number; maxEntries: number; flags?: number }

export const MAPS = {
  array: { type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
  array1: { type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1 },
  hash: { type: MapType.HASH, keySize: 8, valueSize: 16, maxEntries: 64 },
  ringbuf: { type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 },
  progs: { type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 },
  devmap: { type: MapType.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 4 },
  rodata: { type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1, flags: BPF_F_RDONLY_PROG },
} satisfies Record<string, MapDef>;

export type MapName = keyof typeof MAPS;

export interface Case {
  name: string;
  asm: string;
  maps?: MapName[];
  /** Fragment of sluice's error; absent for safe programs. */
  error?: string;
  /** The error is a strict-mode (unprivileged) one; default mode accepts. */
  strict?: boolean;
  /** Processed-instruction limit for sluice (the kernel's is 1M either way). */
  insnLimit?: number;
  /** Why sluice and the root kernel differ on this case (none ideally). */
  kernelDiffers?: string;
}

export function mapSpec(name: string, d: MapDef): MapSpec {
  return {
    name, section: '.maps', type: d.type, typeName: mapTypeName(d.type) ?? '?', keySize: d.keySize, valueSize: d.valueSize,
    maxEntries: d.maxEntries, flags: d.flags ?? 0, pinning: 0, numaNode: 0, mapExtra: 0, keyTypeId: 0, valueTypeId: 0,
    frozen: false, globalData: false,
  };
}

/** The case as a ProgramSpec (map references by name) and its maps. */
export function caseProgram(c: Case): { program: ProgramSpec; maps: MapSpec[]; insns: Instruction[] } {
  const maps = (c.maps ?? []).map((m, i) => mapSpec(`${m}${i}`, MAPS[m]));
  const insns = assemble(c.asm).map((i) =>
    i.opcode === LDDW && (i.src === PseudoLd.MAP_FD || i.src === PseudoLd.MAP_VALUE) ? { ...i, reference: maps[i.imm]?.name ?? `missing${i.imm}` } : i);
  const program: ProgramSpec = {
    name: c.name, section: 'xdp', sectionOffset: 0, type: programTypeOf('xdp')!, instructions: insns,
    origins: insns.map(() => ({ section: 'xdp', offset: 0 })), lines: insns.map(() => undefined), funcInfo: [],
  };
  return { program, maps, insns };
}

// data in r2, data_end in r3
const PKT = `
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)`;
const PASS = `
out:
  r0 = 2
  exit`;

export const UNSAFE: Case[] = [
  { name: 'packet read without a data_end check', error: 'no byte is proven in bounds', asm: `${PKT}
  r0 = *(u8 *)(r2 + 0)
  exit` },
  { name: 'packet read one past the checked range', error: 'only bytes 0..13 are proven in bounds', asm: `${PKT}
  r4 = r2
  r4 += 14
  if r4 > r3 goto out
  r0 = *(u8 *)(r2 + 14)
  ${PASS}` },
  { name: 'packet write past the checked range', error: 'writes 4 bytes at packet offset 12', asm: `${PKT}
  r4 = r2
  r4 += 14
  if r4 > r3 goto out
  *(u32 *)(r2 + 12) = 0
  ${PASS}` },
  { name: 'packet read on the wrong side of the check', error: 'no byte is proven in bounds', asm: `${PKT}
  r4 = r2
  r4 += 14
  if r4 <= r3 goto out
  r0 = *(u8 *)(r2 + 0)
  ${PASS}` },
  { name: 'packet check with a 32-bit comparison proves nothing', error: 'no byte is proven in bounds', asm: `${PKT}
  r4 = r2
  r4 += 14
  if w4 > w3 goto out
  r0 = *(u8 *)(r2 + 0)
  ${PASS}` },
  { name: 'packet pointer used after xdp_adjust_head', error: 'invalidated by xdp_adjust_head at pc 9', asm: `
  r6 = r1
  ${PKT}
  r7 = r2
  r4 = r2
  r4 += 14
  if r4 > r3 goto out
  r1 = r6
  r2 = 4
  call 44
  r0 = *(u8 *)(r7 + 0)
  ${PASS}` },
  { name: 'packet metadata read without a check against data', error: 'no byte is proven in bounds', asm: `
  r2 = *(u32 *)(r1 + 8)
  r0 = *(u8 *)(r2 + 0)
  exit` },
  { name: 'packet access with a possibly negative variable offset', error: 'negative variable offset', asm: `${PKT}
  r4 = r2
  r4 += 64
  if r4 > r3 goto out
  r5 = *(u8 *)(r2 + 0)
  r5 <<= 56
  r5 s>>= 56
  r2 += r5
  r0 = *(u8 *)(r2 + 0)
  ${PASS}` },
  { name: 'arithmetic on pkt_end', error: 'arithmetic on r3 (pkt_end) is not allowed', asm: `${PKT}
  r3 += 1
  r0 = 2
  exit` },
  { name: 'multiplying a pointer', error: 'the operator * is not allowed on pointers', asm: `${PKT}
  r2 *= 2
  r0 = 2
  exit` },
  { name: 'pointer plus pointer', error: 'pointer + pointer is not allowed', asm: `${PKT}
  r2 += r3
  r0 = 2
  exit` },
  { name: 'number minus pointer', error: 'a number minus a pointer is not allowed', asm: `${PKT}
  r0 = 0
  r0 -= r2
  r0 = 2
  exit` },
  { name: '32-bit pointer addition', error: '32-bit pointer arithmetic is not allowed', asm: `${PKT}
  w2 += 1
  r0 = 2
  exit` },
  { name: 'pointer minus pointer of different kinds (strict)', strict: true, error: 'subtracting pointers', asm: `${PKT}
  r2 -= r10
  r0 = 2
  exit` },
  { name: 'stack write below the frame', error: 'outside the 512-byte frame', asm: `
  *(u64 *)(r10 - 520) = 0
  r0 = 2
  exit` },
  { name: 'stack write at the frame pointer', error: 'outside the 512-byte frame', asm: `
  *(u32 *)(r10 + 0) = 0
  r0 = 2
  exit` },
  { name: 'misaligned stack access', error: 'misaligned stack access', asm: `
  *(u64 *)(r10 - 12) = 0
  r0 = 2
  exit` },
  { name: 'uninitialised register read', error: 'r5 is read before it is written', asm: `
  r0 = r5
  exit` },
  { name: 'r0 unset at exit', error: 'r0 is not set at exit', asm: `
  exit` },
  { name: 'uninitialised stack passed as a map key (strict)', strict: true, maps: ['hash'], error: 'was never written', asm: `
  r2 = r10
  r2 += -8
  r1 = map_fd(0) ll
  call 1
  r0 = 2
  exit` },
  { name: 'uninitialised stack read (strict)', strict: true, error: 'was never written', asm: `
  r0 = *(u64 *)(r10 - 8)
  r0 = 2
  exit` },
  { name: 'map value used without a NULL check', maps: ['hash'], error: 'may be NULL', asm: `
  *(u64 *)(r10 - 8) = 0
  r2 = r10
  r2 += -8
  r1 = map_fd(0) ll
  call 1
  r0 = *(u64 *)(r0 + 0)
  r0 = 2
  exit` },
  { name: 'map value read past its end', maps: ['array'], error: 'past its end', asm: `
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = map_fd(0) ll
  call 1
  if r0 == 0 goto out
  r1 = *(u64 *)(r0 + 8)
  ${PASS}` },
  { name: 'map value read before its start', maps: ['array'], error: 'may be negative', asm: `
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = map_fd(0) ll
  call 1
  if r0 == 0 goto out
  r1 = *(u32 *)(r0 - 4)
  ${PASS}` },
  { name: 'map value indexed by an unbounded number', maps: ['array'], error: 'past its end', asm: `
  r6 = *(u32 *)(r1 + 12)
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = map_fd(0) ll
  call 1
  if r0 == 0 goto out
  r0 += r6
  r1 = *(u8 *)(r0 + 0)
  ${PASS}` },
  { name: 'map value index bounded one too loosely', maps: ['array'], error: 'past its end', asm: `
  r6 = *(u32 *)(r1 + 12)
  if r6 > 8 goto out
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = map_fd(0) ll
  call 1
  if r0 == 0 goto out
  r0 += r6
  r1 = *(u8 *)(r0 + 0)
  ${PASS}` },
  { name: 'arithmetic on a map value before its NULL check', maps: ['hash'], error: 'before it is checked against NULL', asm: `
  *(u64 *)(r10 - 8) = 0
  r2 = r10
  r2 += -8
  r1 = map_fd(0) ll
  call 1
  r0 += 4
  r0 = 2
  exit` },
  { name: 'writing a read-only map value', maps: ['rodata'], error: 'read-only to the program', asm: `
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = map_fd(0) ll
  call 1
  if r0 == 0 goto out
  *(u32 *)(r0 + 0) = 1
  ${PASS}` },
  { name: 'map key is a number', maps: ['hash'], error: 'must point to the key', asm: `
  r2 = 0
  r1 = map_fd(0) ll
  call 1
  r0 = 2
  exit` },
  { name: 'map key runs off the stack frame', maps: ['hash'], error: 'leave the 512-byte stack frame', asm: `
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = map_fd(0) ll
  call 1
  r0 = 2
  exit` },
  { name: 'map key is the context', maps: ['hash'], error: 'must point to the key', asm: `
  r2 = r1
  r1 = map_fd(0) ll
  call 1
  r0 = 2
  exit` },
  { name: 'update value shorter than value_size', maps: ['hash'], error: 'leave the 512-byte stack frame', asm: `
  *(u64 *)(r10 - 8) = 0
  r2 = r10
  r2 += -8
  r3 = r10
  r3 += -8
  r4 = 0
  r1 = map_fd(0) ll
  call 2
  r0 = 2
  exit` },
  { name: 'tail call through an array map', maps: ['array'], error: 'cannot be used with map', asm: `
  r2 = map_fd(0) ll
  r3 = 0
  call 12
  r0 = 2
  exit` },
  { name: 'map helper without a map', error: 'must be a map', asm: `
  r1 = 0
  r2 = r10
  call 1
  r0 = 2
  exit` },
  { name: 'ringbuf_output with an unbounded size', maps: ['ringbuf'], error: 'is unbounded', asm: `
  r3 = *(u32 *)(r1 + 12)
  *(u64 *)(r10 - 8) = 0
  r2 = r10
  r2 += -8
  r4 = 0
  r1 = map_fd(0) ll
  call 130
  r0 = 2
  exit` },
  { name: 'ringbuf_output reading past the stack frame', maps: ['ringbuf'], error: 'leave the 512-byte stack frame', asm: `
  *(u64 *)(r10 - 8) = 0
  r2 = r10
  r2 += -8
  r3 = 16
  r4 = 0
  r1 = map_fd(0) ll
  call 130
  r0 = 2
  exit` },
  { name: 'ringbuf_reserve with a variable size', maps: ['ringbuf'], error: 'must be a constant size', asm: `
  r2 = *(u32 *)(r1 + 12)
  r3 = 0
  r1 = map_fd(0) ll
  call 131
  r0 = 2
  exit` },
  { name: 'ringbuf record never submitted', maps: ['ringbuf'], error: 'neither submitted nor discarded', asm: `
  r2 = 8
  r3 = 0
  r1 = map_fd(0) ll
  call 131
  if r0 == 0 goto out
  *(u64 *)(r0 + 0) = 0
  ${PASS}` },
  { name: 'ringbuf record written past its size', maps: ['ringbuf'], error: 'past its end', asm: `
  r2 = 8
  r3 = 0
  r1 = map_fd(0) ll
  call 131
  if r0 == 0 goto out
  *(u64 *)(r0 + 4) = 0
  r1 = r0
  r2 = 0
  call 132
  ${PASS}` },
  { name: 'ringbuf record used after submit', maps: ['ringbuf'], error: 'released by ringbuf_submit at pc 9', asm: `
  r2 = 8
  r3 = 0
  r1 = map_fd(0) ll
  call 131
  if r0 == 0 goto out
  r6 = r0
  r1 = r0
  r2 = 0
  call 132
  *(u64 *)(r6 + 0) = 0
  ${PASS}` },
  { name: 'ctx write', error: 'writes into the context', asm: `
  *(u32 *)(r1 + 0) = 0
  r0 = 2
  exit` },
  { name: 'ctx field past xdp_md', error: 'invalid access to xdp_md', asm: `
  r0 = *(u32 *)(r1 + 24)
  r0 = 2
  exit` },
  { name: 'ctx field read with the wrong size', error: 'invalid access to xdp_md', asm: `
  r0 = *(u16 *)(r1 + 0)
  r0 = 2
  exit` },
  { name: 'ctx pointer moved by a variable', error: 'variable-offset access to the context', asm: `
  r2 = *(u32 *)(r1 + 12)
  r1 += r2
  r0 = *(u32 *)(r1 + 0)
  r0 = 2
  exit` },
  { name: 'adjust_head without the context', error: 'must be the context pointer', asm: `
  r1 = r10
  r2 = 0
  call 44
  r0 = 2
  exit` },
  { name: 'infinite loop', error: 'infinite loop', asm: `
  r0 = 2
loop:
  goto loop` },
  { name: 'loop with an unknown bound', error: 'too complex', insnLimit: 50_000, asm: `
  r6 = *(u32 *)(r1 + 12)
  r0 = 0
loop:
  r0 += 1
  if r0 < r6 goto loop
  r0 = 2
  exit` },
  { name: 'nine nested calls', error: 'too deep', asm: `
  call f1
  r0 = 2
  exit
f1:
  call f2
  exit
f2:
  call f3
  exit
f3:
  call f4
  exit
f4:
  call f5
  exit
f5:
  call f6
  exit
f6:
  call f7
  exit
f7:
  call f8
  exit
f8:
  r0 = 0
  exit` },
  { name: 'stack overflow through calls', error: 'combined stack size', asm: `
  *(u64 *)(r10 - 256) = 0
  call f1
  r0 = 2
  exit
f1:
  *(u64 *)(r10 - 256) = 0
  call f2
  exit
f2:
  *(u64 *)(r10 - 64) = 0
  r0 = 0
  exit` },
  { name: 'recursion', error: 'recursive call', asm: `
  call f1
  r0 = 2
  exit
f1:
  call f1
  exit` },
  { name: 'falling off the end', error: 'fall off the end', asm: `
  r0 = 2` },
  { name: 'jump past the end', error: 'out of range', asm: `
  r0 = 2
  if r0 == 1 goto +5
  exit` },
  { name: 'jump into the second slot of lddw', error: 'into the middle of lddw', asm: `
  r0 = 2
  if r0 == 1 goto +1
  r1 = 1 ll
  exit` },
  { name: 'unreachable code', error: 'unreachable instruction', asm: `
  r0 = 2
  exit
  r0 = 1
  exit` },
  { name: 'write to r10', error: 'r10 (the frame pointer) is read-only', asm: `
  r10 = 0
  r0 = 2
  exit` },
  { name: 'unknown helper', error: 'unknown helper 999', asm: `
  call 999
  r0 = 2
  exit` },
  { name: 'helper of another program type (skb_load_bytes)', error: 'unknown helper 26', asm: `
  call 26
  r0 = 2
  exit` },
  { name: 'returning a pointer (strict)', strict: true, error: 'r0 is a pointer', asm: `
  r0 = r10
  exit` },
  { name: 'division by an immediate zero', error: 'division by zero', asm: `
  r0 = 2
  r0 /= 0
  exit` },
  { name: 'shift by 64', error: 'invalid shift by 64', asm: `
  r0 = 2
  r0 <<= 64
  exit` },
  { name: 'legacy packet load', error: 'legacy packet loads', asm: `
  r6 = r1
  r0 = *(u8 *)skb[12]
  exit` },
  { name: 'lddw of a map value past its end', maps: ['array1'], error: 'outside its 16-byte value', asm: `
  r1 = map_value(0, 16) ll
  r0 = 2
  exit` },
  { name: 'dereferencing a map pointer', maps: ['array'], error: 'cannot be dereferenced',
    kernelDiffers: 'the kernel lets privileged programs read struct bpf_map fields through a map pointer; sluice maps are not kernel objects', asm: `
  r1 = map_fd(0) ll
  r0 = *(u32 *)(r1 + 0)
  r0 = 2
  exit` },
  { name: 'storing a pointer into a map value (strict)', strict: true, maps: ['array'], error: 'leaks an address', asm: `
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = map_fd(0) ll
  call 1
  if r0 == 0 goto out
  *(u64 *)(r0 + 0) = r10
  ${PASS}` },
  { name: 'comparing a stack pointer (strict)', strict: true, error: 'comparing it leaks its address', asm: `
  r2 = r10
  if r2 == 5 goto out
  ${PASS}` },
  { name: 'trace_printk (strict)', strict: true, error: 'needs a privileged loader', asm: `
  *(u64 *)(r10 - 8) = 0
  r1 = r10
  r1 += -8
  r2 = 8
  call 6
  r0 = 2
  exit` },
  { name: 'bpf_loop callback returning 2', error: 'must return 0 or 1', asm: `
  r1 = 4
  r2 = func(cb) ll
  r3 = 0
  r4 = 0
  call 181
  r0 = 2
  exit
cb:
  r0 = 2
  exit` },
  { name: 'misaligned atomic add on a map value', maps: ['array'], error: 'misaligned atomic access', asm: `
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = map_fd(0) ll
  call 1
  if r0 == 0 goto out
  r1 = 1
  lock *(u32 *)(r0 + 2) += w1
  ${PASS}` },
  { name: 'atomic add on the packet', error: 'atomic operation', asm: `${PKT}
  r4 = r2
  r4 += 14
  if r4 > r3 goto out
  r1 = 1
  lock *(u64 *)(r2 + 0) += r1
  ${PASS}` },
  { name: 'stack pointer returned from a function', error: "function's own stack frame", asm: `
  call f1
  r0 = 2
  exit
f1:
  r0 = r10
  r0 += -8
  exit` },
  { name: 'callee reads an argument the caller did not set', error: 'r3 is read before it is written', asm: `
  r1 = 1
  call f1
  r0 = 2
  exit
f1:
  r0 = r3
  exit` },
  { name: 'array lookup with a constant key past max_entries', maps: ['array'], error: 'may be NULL', asm: `
  *(u32 *)(r10 - 8) = 4
  r2 = r10
  r2 += -8
  r1 = map_fd(0) ll
  call 1
  r1 = *(u64 *)(r0 + 0)
  r0 = 2
  exit` },
  { name: 'array key written to the upper half of a slot is not a known constant', maps: ['array'], error: 'may be NULL', asm: `
  *(u32 *)(r10 - 4) = 3
  r2 = r10
  r2 += -4
  r1 = map_fd(0) ll
  call 1
  r1 = *(u64 *)(r0 + 0)
  r0 = 2
  exit` },
  { name: 'ctx pointer moved by a constant, then read', error: 'moved ctx pointer', asm: `
  r1 += 4
  r0 = *(u32 *)(r1 + 0)
  r0 = 2
  exit` },
  { name: 'pointer spilled with 4 bytes', error: 'invalid size of register spill', asm: `
  *(u32 *)(r10 - 8) = r1
  r0 = 2
  exit` },
  { name: 'spilled pointer filled with 4 bytes', error: 'invalid size of register fill', asm: `
  *(u64 *)(r10 - 8) = r1
  r0 = *(u32 *)(r10 - 8)
  r0 = 2
  exit` },
  { name: 'spilled pointer partly overwritten, then used', error: 'is not a pointer', asm: `
  *(u64 *)(r10 - 8) = r1
  *(u8 *)(r10 - 8) = 0
  r1 = *(u64 *)(r10 - 8)
  r0 = *(u32 *)(r1 + 0)
  exit` },
  { name: 'csum_diff from NULL with a non-zero size', error: 'is NULL, so its size (r2) must be 0', asm: `
  r1 = 0
  r2 = 4
  r3 = 0
  r4 = 0
  r5 = 0
  call 28
  r0 = 2
  exit` },
  { name: 'spin_lock in a map without BTF', maps: ['array'], error: 'has no BTF value type', asm: `
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = map_fd(0) ll
  call 1
  r1 = r0
  call 93
  r0 = 2
  exit` },
  // Borderline cases probed against the kernel (all agree).
  { name: 'callee writes past caller frame', error: 'outside the 512-byte frame', asm: `r1 = r10\n r1 += -8\n call f\n r0 = 2\n exit\nf:\n *(u64 *)(r1 - 512) = 0\n r0 = 0\n exit` },
  { name: 'ctx field 12 read as u64', error: 'invalid access to xdp_md', asm: `r0 = *(u64 *)(r1 + 12)\n r0 = 2\n exit` },
  { name: 'ctx data read as u64', error: 'invalid access to xdp_md', asm: `r0 = *(u64 *)(r1 + 0)\n r0 = 2\n exit` },
  { name: 'pkt pointer with var off negative checked', error: 'variable offset is unbounded', asm: `${PKT}\n r4 = *(u32 *)(r1 + 12)\n r2 += r4\n r5 = r2\n r5 += 4\n if r5 > r3 goto +1\n r0 = *(u32 *)(r2 + 0)\n r0 = 2\n exit` },
  { name: 'redirect_map on hash', error: 'cannot be used with map', maps: ['hash'], asm: `r1 = map_fd(0) ll\n r2 = 0\n r3 = 0\n call 51\n exit` },
  { name: 'lookup on ringbuf', error: 'cannot be used with map', maps: ['ringbuf'], asm: `*(u32 *)(r10 - 4) = 0\n r2 = r10\n r2 += -4\n r1 = map_fd(0) ll\n call 1\n r0 = 2\n exit` },
  { name: 'pointer and', error: 'not allowed on pointers', asm: `r1 &= 1\n r0 = 2\n exit` },
  { name: 'two lookups one null check', error: 'may be NULL', maps: ['hash'], asm: `*(u64 *)(r10 - 8) = 0\n r2 = r10\n r2 += -8\n r1 = map_fd(0) ll\n call 1\n r6 = r0\n r2 = r10\n r2 += -8\n r1 = map_fd(0) ll\n call 1\n if r6 == 0 goto +1\n r0 = *(u64 *)(r0 + 0)\n r0 = 2\n exit` },
];

export const SAFE: Case[] = [
  { name: 'data + 14 > data_end, fall through', asm: `${PKT}
  r4 = r2
  r4 += 14
  if r4 > r3 goto out
  r0 = *(u8 *)(r2 + 13)
  ${PASS}` },
  { name: 'data_end < data + 14, operands swapped', asm: `${PKT}
  r4 = r2
  r4 += 14
  if r3 < r4 goto out
  r0 = *(u16 *)(r2 + 12)
  ${PASS}` },
  { name: 'data + 14 <= data_end, taken branch', asm: `${PKT}
  r4 = r2
  r4 += 14
  if r4 <= r3 goto ok
  r0 = 1
  exit
ok:
  r0 = *(u32 *)(r2 + 10)
  r0 = 2
  exit` },
  { name: 'data_end >= data + 14, taken branch', asm: `${PKT}
  r4 = r2
  r4 += 14
  if r3 >= r4 goto ok
  r0 = 1
  exit
ok:
  r0 = *(u8 *)(r2 + 13)
  r0 = 2
  exit` },
  { name: 'data + 14 < data_end proves 15 bytes', asm: `${PKT}
  r4 = r2
  r4 += 14
  if r4 < r3 goto ok
  r0 = 1
  exit
ok:
  r0 = *(u8 *)(r2 + 14)
  r0 = 2
  exit` },
  { name: 'data + 14 >= data_end, fall through proves 15 bytes', asm: `${PKT}
  r4 = r2
  r4 += 14
  if r4 >= r3 goto out
  r0 = *(u8 *)(r2 + 14)
  ${PASS}` },
  { name: 'the range reaches every copy of the pointer', asm: `${PKT}
  r5 = r2
  r4 = r2
  r4 += 34
  if r4 > r3 goto out
  r0 = *(u32 *)(r5 + 30)
  ${PASS}` },
  { name: 'packet pointer spilled and filled keeps its range', asm: `${PKT}
  r4 = r2
  r4 += 14
  if r4 > r3 goto out
  *(u64 *)(r10 - 8) = r2
  r2 = 0
  r5 = *(u64 *)(r10 - 8)
  r0 = *(u8 *)(r5 + 13)
  ${PASS}` },
  { name: 'variable IPv4 header length', asm: `${PKT}
  r4 = r2
  r4 += 34
  if r4 > r3 goto out
  r5 = *(u8 *)(r2 + 14)
  r5 &= 15
  r5 <<= 2
  r2 += r5
  r4 = r2
  r4 += 18
  if r4 > r3 goto out
  r0 = *(u16 *)(r2 + 16)
  ${PASS}` },
  { name: 'metadata checked against data', asm: `
  r2 = *(u32 *)(r1 + 8)
  r3 = *(u32 *)(r1 + 0)
  r4 = r2
  r4 += 4
  if r4 > r3 goto out
  r0 = *(u32 *)(r2 + 0)
  ${PASS}` },
  { name: 'data reloaded after adjust_head', asm: `
  r6 = r1
  r2 = -14
  call 44
  ${PKT.replace(/r1/g, 'r6')}
  r4 = r2
  r4 += 14
  if r4 > r3 goto out
  r0 = *(u8 *)(r2 + 0)
  ${PASS}` },
  { name: 'map lookup with a NULL check and an atomic add', maps: ['array'], asm: `
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = map_fd(0) ll
  call 1
  if r0 == 0 goto out
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1
  ${PASS}` },
  { name: 'NULL check on a copy refines the original', maps: ['array'], asm: `
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = map_fd(0) ll
  call 1
  r6 = r0
  if r6 != 0 goto ok
  r0 = 2
  exit
ok:
  r1 = *(u64 *)(r0 + 0)
  r0 = 2
  exit` },
  { name: 'map value indexed by a bounded number', maps: ['array'], asm: `
  r6 = *(u32 *)(r1 + 12)
  if r6 > 7 goto out
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = map_fd(0) ll
  call 1
  if r0 == 0 goto out
  r0 += r6
  r1 = *(u8 *)(r0 + 0)
  ${PASS}` },
  { name: 'index bounded by a 32-bit comparison', maps: ['array'], asm: `
  r6 = *(u32 *)(r1 + 12)
  if w6 > 7 goto out
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = map_fd(0) ll
  call 1
  if r0 == 0 goto out
  r0 += r6
  r1 = *(u8 *)(r0 + 0)
  ${PASS}` },
  { name: 'index bounded through a copy', maps: ['array'], asm: `
  r6 = *(u32 *)(r1 + 12)
  r7 = r6
  if r7 > 7 goto out
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = map_fd(0) ll
  call 1
  if r0 == 0 goto out
  r0 += r6
  r1 = *(u8 *)(r0 + 0)
  ${PASS}` },
  { name: 'array lookup with a constant in-range key needs no NULL check', maps: ['array'], asm: `
  *(u32 *)(r10 - 8) = 3
  r2 = r10
  r2 += -8
  r1 = map_fd(0) ll
  call 1
  r1 = *(u64 *)(r0 + 0)
  r0 = 2
  exit` },
  { name: 'map update with key and value on the stack', maps: ['hash'], asm: `
  *(u64 *)(r10 - 8) = 0
  *(u64 *)(r10 - 24) = 0
  *(u64 *)(r10 - 16) = 0
  r2 = r10
  r2 += -8
  r3 = r10
  r3 += -24
  r4 = 0
  r1 = map_fd(0) ll
  call 2
  r0 = 2
  exit` },
  { name: 'map key read from the packet', maps: ['hash'], asm: `${PKT}
  r4 = r2
  r4 += 14
  if r4 > r3 goto out
  r1 = map_fd(0) ll
  call 1
  ${PASS}` },
  { name: 'bounded loop summing 16 bytes of the stack', asm: `
  *(u64 *)(r10 - 8) = 0
  *(u64 *)(r10 - 16) = 0
  r1 = 0
  r0 = 0
loop:
  r2 = r10
  r2 += -16
  r2 += r1
  r3 = *(u8 *)(r2 + 0)
  r0 += r3
  r1 += 1
  if r1 < 16 goto loop
  r0 = 2
  exit` },
  { name: 'loop over packet bytes with a bound check inside', asm: `${PKT}
  r1 = 0
  r0 = 0
loop:
  r4 = r2
  r4 += 1
  if r4 > r3 goto out
  r5 = *(u8 *)(r2 + 0)
  r0 += r5
  r2 = r4
  r1 += 1
  if r1 < 8 goto loop
  ${PASS}` },
  { name: 'a function writes through a pointer to the caller stack', asm: `
  r1 = r10
  r1 += -8
  call f1
  r0 = *(u64 *)(r10 - 8)
  r0 = 2
  exit
f1:
  *(u64 *)(r1 + 0) = 7
  r0 = 0
  exit` },
  { name: 'a function gets the context', asm: `
  call f1
  r0 = 2
  exit
f1:
  r0 = *(u32 *)(r1 + 12)
  exit` },
  { name: 'ringbuf reserve, write, submit', maps: ['ringbuf'], asm: `
  r2 = 16
  r3 = 0
  r1 = map_fd(0) ll
  call 131
  if r0 == 0 goto out
  *(u64 *)(r0 + 8) = 1
  r1 = r0
  r2 = 0
  call 132
  ${PASS}` },
  { name: 'ringbuf reserve then discard', maps: ['ringbuf'], asm: `
  r2 = 16
  r3 = 0
  r1 = map_fd(0) ll
  call 131
  if r0 != 0 goto ok
  r0 = 2
  exit
ok:
  r1 = r0
  r2 = 0
  call 133
  r0 = 2
  exit` },
  { name: 'ringbuf_output from the stack', maps: ['ringbuf'], asm: `
  *(u64 *)(r10 - 8) = 0
  r2 = r10
  r2 += -8
  r3 = 8
  r4 = 0
  r1 = map_fd(0) ll
  call 130
  r0 = 2
  exit` },
  { name: 'bpf_loop with a callback', kernelDiffers: 'the kernel wants BTF func_info for programs with callbacks, and raw bytecode has none', asm: `
  r1 = 4
  r2 = func(cb) ll
  r3 = 0
  r4 = 0
  call 181
  r0 = 2
  exit
cb:
  r0 = 0
  exit` },
  { name: 'tail call and redirect_map', maps: ['progs', 'devmap'], asm: `
  r6 = r1
  r2 = map_fd(0) ll
  r3 = 0
  call 12
  r1 = map_fd(1) ll
  r2 = 0
  r3 = 0
  call 51
  exit` },
  { name: 'csum_diff over the packet', asm: `${PKT}
  r4 = r2
  r4 += 20
  if r4 > r3 goto out
  r1 = 0
  r3 = r2
  r2 = 0
  r4 = 20
  r5 = 0
  call 28
  ${PASS}` },
  { name: 'global value through map_value lddw', maps: ['array1'], asm: `
  r1 = map_value(0, 8) ll
  r0 = *(u64 *)(r1 + 0)
  r0 = 2
  exit` },
  { name: 'pointer stored into a map value (privileged)', maps: ['array'], asm: `
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = map_fd(0) ll
  call 1
  if r0 == 0 goto out
  *(u64 *)(r0 + 0) = r10
  ${PASS}` },
  { name: 'uninitialised stack read (privileged)', asm: `
  r0 = *(u64 *)(r10 - 8)
  r0 = 2
  exit` },
  { name: 'uninitialised key on the stack (privileged)', maps: ['hash'], asm: `
  r2 = r10
  r2 += -8
  r1 = map_fd(0) ll
  call 1
  r0 = 2
  exit` },
  { name: 'pointer minus pointer (privileged)', asm: `${PKT}
  r3 -= r2
  r0 = 2
  exit` },
  { name: 'constant-folded dead branch', asm: `
  r1 = 5
  if r1 == 5 goto ok
  r0 = *(u64 *)(r5 + 0)
ok:
  r0 = 2
  exit` },
  { name: 'a static function may leave r0 unset', asm: `
  call f1
  r0 = 2
  exit
f1:
  exit` },
  { name: 'ktime and prandom', asm: `
  call 5
  r6 = r0
  call 7
  r0 &= 3
  exit` },
  // Borderline cases probed against the kernel (all agree).
  { name: 'half-initialised stack read', asm: `*(u32 *)(r10 - 8) = 1\n r0 = *(u64 *)(r10 - 8)\n r0 = 2\n exit` },
  { name: 'var-offset stack write', asm: `r2 = *(u32 *)(r1 + 12)\n r2 &= 8\n r1 = r10\n r1 += -16\n r1 += r2\n *(u64 *)(r1 + 0) = 0\n r0 = 2\n exit` },
  { name: 'var-offset stack read', asm: `*(u64 *)(r10 - 8) = 0\n *(u64 *)(r10 - 16) = 0\n r2 = *(u32 *)(r1 + 12)\n r2 &= 8\n r1 = r10\n r1 += -16\n r1 += r2\n r0 = *(u64 *)(r1 + 0)\n r0 = 2\n exit` },
  { name: 'or_null compared with 1', maps: ['hash'], asm: `*(u64 *)(r10 - 8) = 0\n r2 = r10\n r2 += -8\n r1 = map_fd(0) ll\n call 1\n if r0 == 1 goto +1\n r0 = 2\n r0 = 2\n exit` },
  { name: 'bounded loop 1000', asm: `r1 = 0\nl:\n r1 += 1\n if r1 < 1000 goto l\n r0 = 2\n exit` },
  { name: 'countdown loop', asm: `r1 = 10\nl:\n r1 -= 1\n if r1 != 0 goto l\n r0 = 2\n exit` },
  { name: 'ringbuf_output size 0', maps: ['ringbuf'], asm: `*(u64 *)(r10 - 8) = 0\n r2 = r10\n r2 += -8\n r3 = 0\n r4 = 0\n r1 = map_fd(0) ll\n call 130\n r0 = 2\n exit` },
  { name: 'atomic fetch on uninit stack', asm: `r1 = 1\n r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)\n r0 = 2\n exit` },
  { name: 'return 1000', asm: `r0 = 1000\n exit` },
  { name: 'return -1', asm: `r0 = -1\n exit` },
  { name: 'division by register zero', asm: `r0 = 2\n r1 = 0\n r0 /= r1\n exit` },
  { name: 'adjust_meta then meta check', asm: `r6 = r1\n r2 = -8\n call 54\n r2 = *(u32 *)(r6 + 8)\n r3 = *(u32 *)(r6 + 0)\n r4 = r2\n r4 += 8\n if r4 > r3 goto +1\n *(u64 *)(r2 + 0) = 0\n r0 = 2\n exit` },
  { name: 'pkt compared with map value', maps: ['array'], asm: `r6 = r1\n *(u32 *)(r10 - 4) = 0\n r2 = r10\n r2 += -4\n r1 = map_fd(0) ll\n call 1\n r2 = *(u32 *)(r6 + 0)\n if r2 > r0 goto +0\n r0 = 2\n exit` },
  { name: 'store to map value at var offset bounded', maps: ['array'], asm: `r6 = *(u32 *)(r1 + 12)\n r6 &= 7\n *(u32 *)(r10 - 4) = 0\n r2 = r10\n r2 += -4\n r1 = map_fd(0) ll\n call 1\n if r0 == 0 goto +2\n r0 += r6\n *(u8 *)(r0 + 0) = 1\n r0 = 2\n exit` },
  { name: 'pkt var off masked', asm: `${PKT}\n r4 = *(u32 *)(r1 + 12)\n r4 &= 0xff\n r2 += r4\n r5 = r2\n r5 += 4\n if r5 > r3 goto +1\n r0 = *(u32 *)(r2 + 0)\n r0 = 2\n exit` },
  { name: 'map lookup key in map value', maps: ['array', 'hash'], asm: `*(u32 *)(r10 - 4) = 0\n r2 = r10\n r2 += -4\n r1 = map_fd(0) ll\n call 1\n if r0 == 0 goto +4\n r2 = r0\n r1 = map_fd(1) ll\n call 1\n r0 = 2\n exit` },
  { name: 'xdp_load_bytes into map value', maps: ['array1'], asm: `r6 = r1\n r3 = map_value(0, 0) ll\n r1 = r6\n r2 = 0\n r4 = 16\n call 189\n r0 = 2\n exit` },
  { name: 'xdp_store_bytes from stack uninit', asm: `r3 = r10\n r3 += -16\n r2 = 0\n r4 = 16\n call 190\n r0 = 2\n exit` },
  { name: 'get_smp_processor_id', asm: `call 8\n r0 = 2\n exit` },
  { name: 'jiffies64', asm: `call 118\n r0 = 2\n exit` },
  { name: 'check_mtu', asm: `*(u32 *)(r10 - 4) = 0\n r3 = r10\n r3 += -4\n r2 = 0\n r4 = 0\n r5 = 0\n call 163\n r0 = 2\n exit` },
  { name: 'map_delete on array', maps: ['array'], asm: `*(u32 *)(r10 - 4) = 0\n r2 = r10\n r2 += -4\n r1 = map_fd(0) ll\n call 3\n r0 = 2\n exit` },
  { name: 'neg of pointer', asm: `r1 = -r1\n r0 = 2\n exit` },
  { name: 'bswap of pointer', asm: `r1 = be16 r1\n r0 = 2\n exit` },
  { name: 'mov32 of pointer', asm: `w1 = w10\n r0 = 2\n exit` },
];
