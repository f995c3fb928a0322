// The arithmetic of RFC 9669 that is more than one bigint operator: division
// and modulo with their zero and overflow rules, sign extension, byte swaps.
// Registers hold unsigned 64-bit values; a BigUint64Array store wraps any
// result to 64 bits, so callers may return negative or oversized bigints for
// 64-bit results. 32-bit results are returned already zero-extended.

export const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
export const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
export const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);

/** div (off 0) and sdiv (off 1), 64-bit: division by zero gives 0; INT64_MIN / -1 wraps to INT64_MIN. */
export function div64(a: bigint, b: bigint, signed: boolean): bigint {
  if (b === 0n) return 0n;
  return signed ? s64(a) / s64(b) : a / b;
}

/** mod and smod, 64-bit: modulo by zero leaves dst; INT64_MIN % -1 is 0; the sign follows the dividend. */
export function mod64(a: bigint, b: bigint, signed: boolean): bigint {
  if (b === 0n) return a;
  return signed ? s64(a) % s64(b) : a % b;
}

export function div32(a: bigint, b: bigint, signed: boolean): bigint {
  const d = u32(b);
  if (d === 0n) return 0n;
  return signed ? u32(s32(a) / s32(d)) : u32(a) / d;
}

/** 32-bit modulo by zero leaves dst's low half, zero-extended. */
export function mod32(a: bigint, b: bigint, signed: boolean): bigint {
  const d = u32(b);
  if (d === 0n) return u32(a);
  return signed ? u32(s32(a) % s32(d)) : u32(a) % d;
}

/** movsx: the low `bits` of x, sign-extended (to 64 bits; the caller truncates for ALU32). */
export const signExtend = (x: bigint, bits: number): bigint => BigInt.asIntN(bits, x);

const scratch = new DataView(new ArrayBuffer(8));

/** Reverses the byte order of the low `bits` (16, 32 or 64) of x; the result is zero-extended. */
export function swap(x: bigint, bits: number): bigint {
  switch (bits) {
    case 16: {
      const v = Number(x & 0xffffn);
      return BigInt(((v & 0xff) << 8) | (v >> 8));
    }
    case 32:
      scratch.setUint32(0, Number(x & 0xffffffffn), true);
      return BigInt(scratch.getUint32(0, false));
    default:
      scratch.setBigUint64(0, x, true);
      return scratch.getBigUint64(0, false);
  }
}

/** Converts to little-endian on this (little-endian) target: keeps the low `bits`, zero-extended. */
export const toLittleEndian = (x: bigint, bits: number): bigint => BigInt.asUintN(bits, x);
