// STX | ATOMIC: read-modify-write of 4 or 8 bytes (RFC 9669 section 5.3).
// The interpreter is single-threaded, so "atomic" is simply load, compute,
// store. What lands in registers:
//   add/or/and/xor          memory only
//   ... | FETCH             src = the old value
//   xchg                    src = the old value, memory = src
//   cmpxchg                 r0 = the old value; memory = src when old == r0
// In the 32-bit forms the comparison uses r0's low half and every value
// written to a register is zero-extended.
import { ATOMIC_FETCH, AtomicOp } from '../isa/opcode.ts';
import type { Memory } from './memory.ts';

export function atomic(mem: Memory, R: BigUint64Array, src: number, address: bigint, size: 4 | 8, imm: number): void {
  const bits = size * 8;
  const old = mem.load(address, size);
  const value = BigInt.asUintN(bits, R[src]!);
  switch (imm) {
    case AtomicOp.XCHG:
      mem.store(address, size, value);
      R[src] = old;
      return;
    case AtomicOp.CMPXCHG:
      if (old === BigInt.asUintN(bits, R[0]!)) mem.store(address, size, value);
      R[0] = old;
      return;
  }
  let next: bigint;
  switch (imm & ~ATOMIC_FETCH) {
    case AtomicOp.ADD: next = old + value; break;
    case AtomicOp.OR: next = old | value; break;
    case AtomicOp.AND: next = old & value; break;
    case AtomicOp.XOR: next = old ^ value; break;
    default: throw new RangeError(`unknown atomic operation 0x${(imm >>> 0).toString(16)}`);
  }
  mem.store(address, size, BigInt.asUintN(bits, next));
  if (imm & ATOMIC_FETCH) R[src] = old;
}
