// Safe assembly programs: sluice and the kernel accept them (see corpus-kit.ts).
import { type Case, PKT, PASS } from './corpus-kit.ts';

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
  { name: 'tail call from a function under a small caller frame', maps: ['progs'],
    kernelDiffers: 'the kernel allows tail calls in functions only with BTF, which raw bytecode lacks', asm: `
  *(u64 *)(r10 - 8) = 0
  call f
  r0 = 2
  exit
f:
  r2 = map_fd(0) ll
  r3 = 0
  call 12
  r0 = 0
  exit` },
  { name: 'sign-extending load of ctx->ingress_ifindex', asm: `
  r0 = *(s32 *)(r1 + 12)
  r0 = 2
  exit` },
];
