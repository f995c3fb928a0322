// The scalar domain: what the verifier knows about a 64-bit number, as the
// kernel tracks it — known bits (a "tnum": value bits known to be 1, mask bits
// unknown) plus unsigned and signed 64-bit bounds. 32-bit facts are derived from
// these when a 32-bit operation needs them. Values are immutable; every
// operation returns a new Scalar and over-approximates (never drops a possible value).

const U64 = (1n << 64n) - 1n;
const S64_MAX = (1n << 63n) - 1n;
const S64_MIN = -(1n << 63n);
const U32 = 0xffffffffn;
const S32_MIN = -(1n << 31n);
const S32_MAX = (1n << 31n) - 1n;
const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);

const u = (x: bigint): bigint => BigInt.asUintN(64, x);
const s = (x: bigint): bigint => BigInt.asIntN(64, x);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

export interface Scalar {
  /** Bits known to be 1. */
  readonly value: bigint;
  /** Bits whose value is unknown. */
  readonly mask: bigint;
  readonly umin: bigint;
  readonly umax: bigint;
  readonly smin: bigint;
  readonly smax: bigint;
  /** The low 32 bits read as a signed 32-bit number (the kernel's s32 bounds). */
  readonly s32min: bigint;
  readonly s32max: bigint;
}

export const UNKNOWN: Scalar = { value: 0n, mask: U64, umin: 0n, umax: U64, smin: S64_MIN, smax: S64_MAX, s32min: S32_MIN, s32max: S32_MAX };

export function constant(v: bigint): Scalar {
  const x = u(v);
  return { value: x, mask: 0n, umin: x, umax: x, smin: s(x), smax: s(x), s32min: s32(x), s32max: s32(x) };
}

export const isConst = (a: Scalar): boolean => a.mask === 0n;
export const ZERO = constant(0n);

/** The tnum of all values in [lo, hi] (unsigned). */
function tnumRange(lo: bigint, hi: bigint): { value: bigint; mask: bigint } {
  const chi = lo ^ hi;
  if (chi === 0n) return { value: lo, mask: 0n };
  const high = Number(chi >> 32n);
  const bits = high !== 0 ? 64 - Math.clz32(high) : 32 - Math.clz32(Number(chi));
  if (bits > 63) return { value: 0n, mask: U64 };
  const delta = (1n << BigInt(bits)) - 1n;
  return { value: lo & ~delta, mask: delta };
}

/** Makes the tnum and the four bounds agree with each other (the kernel's reg_bounds_sync). */
export function make(value: bigint, mask: bigint, umin: bigint, umax: bigint, smin: bigint, smax: bigint,
  s32min: bigint = S32_MIN, s32max: bigint = S32_MAX): Scalar {
  for (let round = 0; round < 2; round++) {
    umin = max(umin, value);
    umax = min(umax, value | mask);
    // Signed bounds that do not cross zero say the same as unsigned ones.
    if (smin >= 0n || smax < 0n) {
      umin = max(umin, u(smin));
      umax = min(umax, u(smax));
    }
    if (umax <= S64_MAX) {
      smin = max(smin, umin);
      smax = min(smax, umax);
    } else if (umin > S64_MAX) {
      smin = max(smin, s(umin));
      smax = min(smax, s(umax));
    }
    // The low 32 bits as s32: from a 64-bit range that stays in one 2^32 block without
    // crossing bit 31, from a sign-extended 32-bit range, and from the known bits.
    if ((umin >> 32n) === (umax >> 32n) && ((umin >> 31n) & 1n) === ((umax >> 31n) & 1n)) {
      s32min = max(s32min, s32(umin)); s32max = min(s32max, s32(umax));
    }
    if (smin >= S32_MIN && smax <= S32_MAX) { s32min = max(s32min, smin); s32max = min(s32max, smax); }
    const bit31 = 1n << 31n;
    if (!(mask & bit31)) {
      const lo = s32(value & U32), hi = s32((value | mask) & U32);
      s32min = max(s32min, lo); s32max = min(s32max, hi);
    }
    // And back: a zero-extended 32-bit value, or a sign-extended one, is bounded by its s32 range.
    if (umax <= U32 && s32min <= s32max) {
      if (s32min >= 0n) { umin = max(umin, s32min); umax = min(umax, s32max); }
      else if (s32max < 0n) { umin = max(umin, s32min + (1n << 32n)); umax = min(umax, s32max + (1n << 32n)); }
    }
    if (smin >= S32_MIN && smax <= S32_MAX) { smin = max(smin, s32min); smax = min(smax, s32max); }
    const r = tnumRange(umin, umax);
    const v = value | r.value;
    const m = mask & r.mask;
    value = v & ~m;
    mask = m;
  }
  return { value, mask, umin, umax, smin, smax, s32min, s32max };
}

/** The same scalar with its low 32 bits known to be within [lo, hi] as s32. */
export const withS32 = (a: Scalar, lo: bigint, hi: bigint): Scalar =>
  make(a.value, a.mask, a.umin, a.umax, a.smin, a.smax, max(a.s32min, lo), min(a.s32max, hi));

const fromTnum = (value: bigint, mask: bigint): Scalar => make(u(value), u(mask), 0n, U64, S64_MIN, S64_MAX);

/** True when the bounds contradict each other (an impossible branch). */
export const empty = (a: Scalar): boolean =>
  a.umin > a.umax || a.smin > a.smax || a.s32min > a.s32max || (a.value & a.mask) !== 0n;

/** Every value of `inner` is a value of `outer`. */
export function within(outer: Scalar, inner: Scalar): boolean {
  return outer.umin <= inner.umin && inner.umax <= outer.umax && outer.smin <= inner.smin && inner.smax <= outer.smax &&
    outer.s32min <= inner.s32min && inner.s32max <= outer.s32max &&
    (inner.mask & ~outer.mask) === 0n && (inner.value & ~outer.mask) === outer.value;
}

export function equal(a: Scalar, b: Scalar): boolean {
  return a.value === b.value && a.mask === b.mask && a.umin === b.umin && a.umax === b.umax && a.smin === b.smin && a.smax === b.smax &&
    a.s32min === b.s32min && a.s32max === b.s32max;
}

export function add(a: Scalar, b: Scalar): Scalar {
  const sm = a.mask + b.mask, sv = a.value + b.value;
  const chi = (sm + sv) ^ sv;
  const mu = u(chi | a.mask | b.mask);
  const umin = a.umin + b.umin, umax = a.umax + b.umax;
  const smin = a.smin + b.smin, smax = a.smax + b.smax;
  const uok = umax <= U64;
  const sok = smin >= S64_MIN && smax <= S64_MAX;
  return make(u(sv) & ~mu, mu, uok ? umin : 0n, uok ? umax : U64, sok ? smin : S64_MIN, sok ? smax : S64_MAX);
}

export function sub(a: Scalar, b: Scalar): Scalar {
  const dv = a.value - b.value;
  const alpha = dv + a.mask, beta = dv - b.mask;
  const mu = u((alpha ^ beta) | a.mask | b.mask);
  const uok = a.umin >= b.umax;
  const smin = a.smin - b.smax, smax = a.smax - b.smin;
  const sok = smin >= S64_MIN && smax <= S64_MAX;
  return make(u(dv) & ~mu, mu, uok ? a.umin - b.umax : 0n, uok ? a.umax - b.umin : U64, sok ? smin : S64_MIN, sok ? smax : S64_MAX);
}

export function neg(a: Scalar): Scalar {
  return sub(ZERO, a);
}

export function mul(a: Scalar, b: Scalar): Scalar {
  if (isConst(a) && isConst(b)) return constant(a.value * b.value);
  const hi = a.umax * b.umax;
  if (hi <= U64) return make(0n, U64, a.umin * b.umin, hi, S64_MIN, S64_MAX);
  return UNKNOWN;
}

export function and(a: Scalar, b: Scalar): Scalar {
  const v = a.value & b.value;
  const m = (a.value | a.mask) & (b.value | b.mask) & ~v;
  return make(v, m, 0n, min(a.umax, b.umax), S64_MIN, S64_MAX);
}

export function or(a: Scalar, b: Scalar): Scalar {
  const v = a.value | b.value;
  return make(v, (a.mask | b.mask) & ~v, max(a.umin, b.umin), U64, S64_MIN, S64_MAX);
}

export function xor(a: Scalar, b: Scalar): Scalar {
  const mu = a.mask | b.mask;
  return fromTnum((a.value ^ b.value) & ~mu, mu);
}

/** Shift amounts must be constants below the width; otherwise nothing is known. */
export function lsh(a: Scalar, k: number): Scalar {
  const n = BigInt(k);
  const r = fromTnum(u(a.value << n), u(a.mask << n));
  if (a.umax << n <= U64) return make(r.value, r.mask, a.umin << n, a.umax << n, S64_MIN, S64_MAX);
  return r;
}

export function rsh(a: Scalar, k: number): Scalar {
  const n = BigInt(k);
  return make(a.value >> n, a.mask >> n, a.umin >> n, a.umax >> n, S64_MIN, S64_MAX);
}

export function arsh(a: Scalar, k: number): Scalar {
  const n = BigInt(k);
  // Known bits shift with the sign bit; an unknown sign bit makes the high bits unknown.
  const signUnknown = (a.mask >> 63n) & 1n;
  let value = u(s(a.value) >> n);
  let mask = u(s(a.mask) >> n);
  if (signUnknown) value &= ~mask;
  return make(value, mask, 0n, U64, a.smin >> n, a.smax >> n);
}

export function div(a: Scalar, b: Scalar): Scalar {
  if (isConst(b)) {
    if (b.value === 0n) return ZERO;
    if (isConst(a)) return constant(a.value / b.value);
    return make(0n, U64, a.umin / b.value, a.umax / b.value, S64_MIN, S64_MAX);
  }
  return make(0n, U64, 0n, a.umax, S64_MIN, S64_MAX);
}

export function mod(a: Scalar, b: Scalar): Scalar {
  if (isConst(b)) {
    if (b.value === 0n) return a; // the kernel's rule: x % 0 = x
    if (isConst(a)) return constant(a.value % b.value);
    return make(0n, U64, 0n, min(a.umax, b.value - 1n), S64_MIN, S64_MAX);
  }
  return make(0n, U64, 0n, max(a.umax, b.umax), S64_MIN, S64_MAX);
}

/** The low 32 bits, zero-extended (what a 32-bit ALU operation sees and produces). */
export function trunc32(a: Scalar): Scalar {
  if (a.umax <= U32) return a;
  if ((a.umin >> 32n) === (a.umax >> 32n)) {
    return make(a.value & U32, a.mask & U32, a.umin & U32, a.umax & U32, S64_MIN, S64_MAX, a.s32min, a.s32max);
  }
  return make(a.value & U32, a.mask & U32, 0n, U32, S64_MIN, S64_MAX, a.s32min, a.s32max);
}

/** The low 32 bits, sign-extended to 64 (for signed 32-bit comparisons and movsx). */
export function sext(a: Scalar, bits: 8 | 16 | 32): Scalar {
  const width = BigInt(bits);
  const lim = (1n << width) - 1n;
  const sign = 1n << (width - 1n);
  const half = sign;
  const v = a.value & lim, m = a.mask & lim;
  // Known bits below the sign bit stay; the sign bit, known or not, fills the bits above.
  const value = m & sign ? v & ~sign : v & sign ? u(v | ~lim) : v;
  const mask = m & sign ? u(m | ~(sign - 1n)) : m;
  if (bits === 32) return make(value & ~mask, mask, 0n, U64, a.s32min, a.s32max, a.s32min, a.s32max);
  const t = a.umax <= lim ? a : null;
  if (t && t.umax < sign) return t; // the sign bit is known clear
  if (t && t.umin >= sign) return make(u(t.value | ~lim), t.mask, u(t.umin | ~lim), u(t.umax | ~lim), S64_MIN, S64_MAX);
  return make(value & ~mask, mask, 0n, U64, -half, half - 1n);
}

/** Byte swap of the low `bits` bits (only constants stay known). */
export function bswap(a: Scalar, bits: 16 | 32 | 64): Scalar {
  const lim = bits === 64 ? U64 : (1n << BigInt(bits)) - 1n;
  if (!isConst(a)) return make(0n, lim, 0n, lim, S64_MIN, S64_MAX);
  let v = a.value & lim, r = 0n;
  for (let i = 0; i < bits / 8; i++) { r = (r << 8n) | (v & 0xffn); v >>= 8n; }
  return constant(r);
}

export function truncTo(a: Scalar, bits: 8 | 16 | 32 | 64): Scalar {
  if (bits === 64) return a;
  const lim = (1n << BigInt(bits)) - 1n;
  if (a.umax <= lim) return a;
  return make(a.value & lim, a.mask & lim, 0n, lim, S64_MIN, S64_MAX);
}

/** An unknown value of `bytes` bytes, zero-extended. */
export const unknownOfSize = (bytes: number): Scalar =>
  bytes >= 8 ? UNKNOWN : make(0n, (1n << BigInt(bytes * 8)) - 1n, 0n, (1n << BigInt(bytes * 8)) - 1n, 0n, (1n << BigInt(bytes * 8)) - 1n);

export const range = (lo: bigint, hi: bigint): Scalar => make(0n, U64, lo, hi, S64_MIN, S64_MAX);

/** Narrow a's bounds (the result of a comparison); may return an empty scalar. */
export function refine(a: Scalar, b: { umin?: bigint; umax?: bigint; smin?: bigint; smax?: bigint }): Scalar {
  return make(a.value, a.mask, max(a.umin, b.umin ?? 0n), min(a.umax, b.umax ?? U64),
    max(a.smin, b.smin ?? S64_MIN), min(a.smax, b.smax ?? S64_MAX), a.s32min, a.s32max);
}

/** Both a and b at once (an equality). */
export function intersect(a: Scalar, b: Scalar): Scalar {
  const v = a.value | b.value;
  const m = a.mask & b.mask;
  if (((a.value ^ b.value) & ~(a.mask | b.mask)) !== 0n) return { ...a, umin: 1n, umax: 0n }; // known bits disagree
  return make(v & ~m, m, max(a.umin, b.umin), min(a.umax, b.umax), max(a.smin, b.smin), min(a.smax, b.smax),
    max(a.s32min, b.s32min), min(a.s32max, b.s32max));
}

export function show(a: Scalar): string {
  if (isConst(a)) return String(s(a.value));
  const parts: string[] = [];
  if (a.umin !== 0n || a.umax !== U64) parts.push(`umin=${a.umin},umax=${a.umax}`);
  if (a.smin !== S64_MIN || a.smax !== S64_MAX) {
    if (!(a.smin === a.umin && a.smax === a.umax)) parts.push(`smin=${a.smin},smax=${a.smax}`);
  }
  if (a.mask !== U64) parts.push(`var_off=(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`);
  return parts.length ? `scalar(${parts.join(',')})` : 'scalar()';
}

export { U64, U32, S64_MAX, S64_MIN, S32_MIN, S32_MAX };
