// Unsafe assembly programs, each with the reason sluice must give (see corpus-kit.ts).
import { type Case, PKT, PASS } from './corpus-kit.ts';

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
  // (The kernel refuses it too, but first for the missing BTF func_info callbacks need.)
  { name: 'bpf_loop callback indexing the caller stack by a counter it increments', error: 'outside the 512-byte frame', asm: `
  *(u64 *)(r10 - 8) = 0
  r1 = 100
  r2 = func(cb) ll
  r3 = r10
  r3 += -8
  r4 = 0
  call 181
  r0 = 2
  exit
cb:
  r3 = *(u64 *)(r2 + 0)
  r4 = r2
  r4 -= r3
  *(u8 *)(r4 - 1) = 1
  r3 += 1
  if r3 > 600 goto +1
  *(u64 *)(r2 + 0) = r3
  r0 = 0
  exit` },
  { name: 'one load through the context on one path and the stack on another', error: 'cannot be used with different pointers', asm: `
  r2 = *(u32 *)(r1 + 12)
  *(u64 *)(r10 - 8) = 0
  if r2 == 0 goto +2
  r1 = r10
  r1 += -8
  r0 = *(u32 *)(r1 + 0)
  r0 = 2
  exit` },
  { name: 'callee stores a pointer to its own stack in the caller stack', error: "pointer to a callee's stack frame", asm: `
  r1 = r10
  r1 += -8
  call f
  r1 = *(u64 *)(r10 - 8)
  r0 = *(u64 *)(r1 + 0)
  r0 = 2
  exit
f:
  r2 = r10
  r2 += -8
  *(u64 *)(r1 + 0) = r2
  r0 = 0
  exit` },
  // (The kernel refuses it too, but first for the missing BTF func_info callbacks need.)
  { name: 'for_each_map_elem callback writes the key', maps: ['hash'], error: 'read-only to the program', asm: `
  r1 = map_fd(0) ll
  r2 = func(cb) ll
  r3 = 0
  r4 = 0
  call 164
  r0 = 2
  exit
cb:
  *(u8 *)(r2 + 0) = 1
  r0 = 0
  exit` },
  // (The kernel refuses raw bytecode with tail calls in functions for lack of BTF; c-corpus has the real check.)
  { name: 'tail call from a function under a 256-byte caller frame', maps: ['progs'], error: 'tail calls are not allowed', asm: `
  *(u64 *)(r10 - 256) = 0
  call f
  r0 = 2
  exit
f:
  r2 = map_fd(0) ll
  r3 = 0
  call 12
  r0 = 0
  exit` },
  { name: 'sign-extending load of ctx->data', error: 'sign-extending load of data', asm: `
  r0 = *(s32 *)(r1 + 0)
  r0 = 2
  exit` },
];

