// Memory accesses through a pointer register: loads, stores and atomics, and the
// memory a helper reads or writes through an argument. Each pointer kind has its
// bounds: the packet up to its proven range, the stack frame's 512 bytes, a map
// value's value_size, a ring-buffer record's size, and xdp_md's six 4-byte fields.
import type { MapSpec } from '../object/spec.ts';
import { BPF_F_RDONLY_PROG as BPF_F_RDONLY_PROG$ } from '../object/map-types.ts';
import { constant as constant$, isConst as isConst$, truncTo as truncTo$, unknownOfSize as unknownOfSize$, UNKNOWN as UNKNOWN$, type Scalar } from './scalar.ts';
import { Byte as Byte$, type Reg, RegType as RegType$, type Slot, type VState, scalar as scalar$, pointer as pointer$, isPointer as isPointer$, showReg as showReg$ } from './state.ts';
// Local copies: esbuild-compiled imports read through a getter on every use, which
// dominated the verifier's profile.
const BPF_F_RDONLY_PROG = BPF_F_RDONLY_PROG$;
const constant = constant$;
const isConst = isConst$;
const truncTo = truncTo$;
const unknownOfSize = unknownOfSize$;
const UNKNOWN = UNKNOWN$;
const Byte = Byte$;
const RegType = RegType$;
const scalar = scalar$;
const pointer = pointer$;
const isPointer = isPointer$;
const showReg = showReg$;

type Byte = Byte$;

export interface Env {
  readonly strict: boolean;
  fail(message: string): never;
  newId(): number;
}

/** Largest packet offset the kernel reasons about (MAX_PACKET_OFF). */
export const MAX_PACKET_OFF = 0xffff;
const MAX_VAR_OFF = 1 << 29;

export const XDP_MD_FIELDS: ReadonlyMap<number, string> = new Map([
  [0, 'data'], [4, 'data_end'], [8, 'data_meta'], [12, 'ingress_ifindex'], [16, 'rx_queue_index'], [20, 'egress_ifindex'],
]);

const bytesWord = (n: number): string => `${n} byte${n === 1 ? '' : 's'}`;
const rangeText = (r: Reg, off: number): string =>
  isConst(r.v) ? `${off + Number(r.v.value)}` : `${off}+var(${r.v.umin}..${r.v.umax})`;

export type Access = 'read' | 'write' | 'atomic';

export interface AccessResult {
  /** The loaded value (reads). */
  value?: Reg;
  /** ctx loads: the xdp_md field read. */
  ctxField?: string;
}

/** Checks an access of `size` bytes at `reg + off`; for reads returns what is loaded. */
export function access(env: Env, st: VState, regno: number, reg: Reg, off: number, size: number, kind: Access, stored?: Reg): AccessResult {
  if (kind === 'atomic' && isConst(reg.v) && (reg.off + off + Number(BigInt.asIntN(64, reg.v.value))) % size !== 0) {
    env.fail(`misaligned atomic access: ${bytesWord(size)} at offset ${reg.off + off} of r${regno} (${showReg(reg)})`);
  }
  const verb = kind === 'read' ? 'reads' : 'writes';
  if (reg.type === RegType.NOT_INIT) env.fail(`r${regno} is read before it is written (uninitialised register used as a pointer)`);
  switch (reg.type) {
    case RegType.SCALAR:
      return env.fail(reg.note ? `r${regno} is no longer a pointer: ${reg.note}` : `r${regno} is not a pointer (${showReg(reg)}): invalid memory access through a number`);
    case RegType.MAP_VALUE_OR_NULL:
    case RegType.MEM_OR_NULL:
    case RegType.MAP_PTR_OR_NULL:
      return env.fail(`r${regno} may be NULL (${reg.type}): compare it with 0 before the access`);
    case RegType.PKT_END:
    case RegType.MAP_PTR:
    case RegType.FUNC:
      return env.fail(`invalid memory access through r${regno} (${reg.type}): it cannot be dereferenced`);
    case RegType.CTX: return ctxAccess(env, regno, reg, off, size, kind);
    case RegType.PKT:
    case RegType.PKT_META: {
      if (kind === 'atomic') env.fail(`atomic operation on packet memory through r${regno} is not allowed`);
      const at = reg.off + off;
      const what = reg.type === RegType.PKT ? 'packet' : 'packet metadata';
      if (reg.v.smin < 0n) env.fail(`r${regno} (${showReg(reg)}) may have a negative variable offset: bound it from below before the ${what} access`);
      if (reg.v.umax > BigInt(MAX_PACKET_OFF) || Number(reg.v.umax) + at > MAX_PACKET_OFF) {
        env.fail(`r${regno}'s variable offset is unbounded (${showReg(reg)}): bound it before the ${what} access`);
      }
      if (at < 0 || at + size > reg.range) {
        const proven = reg.range > 0 ? `only bytes 0..${reg.range - 1} are proven in bounds` : 'no byte is proven in bounds';
        const base = reg.type === RegType.PKT ? 'data' : 'data_meta';
        const end = reg.type === RegType.PKT ? 'data_end' : 'data';
        const fix = at < 0 ? 'the offset is before the start' : `compare ${base} + ${rangeText(reg, at + size)} with ${end} first`;
        env.fail(`${verb} ${bytesWord(size)} at ${what} offset ${rangeText(reg, at)}, but ${proven}: ${fix}`);
      }
      if (kind === 'write' && stored && isPointer(stored) && env.strict) env.fail(`storing a pointer into the packet leaks an address`);
      return kind === 'read' ? { value: scalar(unknownOfSize(size)) } : {};
    }
    case RegType.MAP_VALUE: {
      const map = reg.map!;
      if (kind !== 'read' && (map.flags & BPF_F_RDONLY_PROG || map.frozen)) {
        env.fail(`${verb} into map '${map.name}', which is read-only to the program`);
      }
      boundedRegion(env, regno, reg, off, size, map.valueSize, `map '${map.name}' value (value_size ${map.valueSize})`, verb);
      if (kind !== 'read' && stored && isPointer(stored) && env.strict) env.fail(`storing a pointer into map '${map.name}' leaks an address`);
      if (kind === 'read') return { value: scalar(readFrozen(map, reg, off, size) ?? unknownOfSize(size)) };
      return {};
    }
    case RegType.MEM:
      boundedRegion(env, regno, reg, off, size, reg.size, `ring-buffer record (${reg.size} bytes)`, verb);
      return kind === 'read' ? { value: scalar(unknownOfSize(size)) } : {};
    case RegType.STACK: return stackAccess(env, st, regno, reg, off, size, kind, stored);
  }
  return env.fail(`invalid memory access through r${regno}`);
}

function boundedRegion(env: Env, regno: number, reg: Reg, off: number, size: number, limit: number, what: string, verb: string): void {
  const at = reg.off + off;
  if (reg.v.smin < 0n || at + Number(reg.v.smin) < 0) {
    env.fail(`${verb} ${bytesWord(size)} at offset ${rangeText(reg, at)} of ${what}: the offset may be negative, bound r${regno} from below`);
  }
  if (reg.v.umax >= BigInt(MAX_VAR_OFF) || at + Number(reg.v.umax) + size > limit) {
    env.fail(`${verb} ${bytesWord(size)} at offset ${rangeText(reg, at)} of ${what}, past its end: bound the offset so that offset + ${size} <= ${limit}`);
  }
}

/** .rodata is frozen before the program loads: constant-offset reads of it are constants. */
function readFrozen(map: MapSpec, reg: Reg, off: number, size: number): Scalar | undefined {
  if (!map.frozen || !map.data || !isConst(reg.v)) return undefined;
  const at = reg.off + off + Number(reg.v.value);
  if (at < 0 || at + size > map.data.length) return undefined;
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(map.data[at + i]!);
  return constant(v);
}

function ctxAccess(env: Env, regno: number, reg: Reg, off: number, size: number, kind: Access): AccessResult {
  if (kind !== 'read') env.fail(`writes into the context (xdp_md) through r${regno}: its fields are read-only`);
  if (!isConst(reg.v) || reg.v.value !== 0n) env.fail(`variable-offset access to the context through r${regno} (${showReg(reg)}): ctx fields need a constant offset`);
  const at = reg.off + off;
  const field = XDP_MD_FIELDS.get(at);
  if (field === undefined || size !== 4) {
    env.fail(`invalid access to xdp_md: ${bytesWord(size)} at offset ${at} (its fields are 4-byte loads at offsets 0, 4, 8, 12, 16, 20)`);
  }
  if (reg.off !== 0) env.fail(`dereference of a moved ctx pointer (r${regno} = ctx + ${reg.off}) is not allowed, as in the kernel: load the field from the unmoved ctx pointer`);
  const value = field === 'data' ? pointer(RegType.PKT)
    : field === 'data_end' ? pointer(RegType.PKT_END)
      : field === 'data_meta' ? pointer(RegType.PKT_META)
        : scalar(unknownOfSize(4));
  return { value, ctxField: field };
}

const slotOf = (byteOff: number): number => Math.floor((-byteOff - 1) / 8); // fp-1..fp-8 -> 0
const fresh = (): Byte[] => [Byte.INVALID, Byte.INVALID, Byte.INVALID, Byte.INVALID, Byte.INVALID, Byte.INVALID, Byte.INVALID, Byte.INVALID];

function stackAccess(env: Env, st: VState, regno: number, reg: Reg, off: number, size: number, kind: Access, stored?: Reg): AccessResult {
  const frame = st.frames[reg.frame]!;
  const at = reg.off + off;
  const verb = kind === 'read' ? 'reads' : 'writes';
  let lo = at, hi = at;
  if (!isConst(reg.v)) {
    if (env.strict) env.fail(`variable-offset stack access through r${regno} (${showReg(reg)}) is not allowed in strict mode`);
    lo = at + Number(reg.v.smin < -1000000n ? -1000000n : reg.v.smin);
    hi = at + Number(reg.v.smax > 1000000n ? 1000000n : reg.v.smax);
  } else {
    lo = hi = at + Number(BigInt.asIntN(64, reg.v.value));
  }
  if (lo < -512 || hi + size > 0) {
    env.fail(`${verb} ${bytesWord(size)} at stack offset ${lo === hi ? lo : `${lo}..${hi}`} (fp${lo < 0 ? '' : '+'}${lo}), outside the 512-byte frame fp-512..fp-1`);
  }
  frame.depth = Math.max(frame.depth, -lo);
  // The kernel always requires aligned stack accesses (its spill tracking relies on it).
  if (lo === hi && lo % size !== 0) env.fail(`misaligned stack access: ${bytesWord(size)} at fp${lo} (offset must be a multiple of ${size})`);
  if (lo !== hi) {
    // A variable offset: reads see any of the bytes, writes may hit any of them.
    for (let b = lo; b < hi + size; b++) markBytes(frame.stack, b, 1, Byte.MISC);
    return kind === 'read' ? { value: scalar(unknownOfSize(size)) } : {};
  }
  if (kind === 'read') return { value: readStack(env, frame.stack, at + Number(BigInt.asIntN(64, reg.v.value)), size) };
  const pos = lo;
  if (kind === 'atomic') {
    readStack(env, frame.stack, pos, size);
    markBytes(frame.stack, pos, size, Byte.MISC);
    return {};
  }
  if (stored?.type === RegType.STACK && stored.frame > reg.frame) {
    env.fail(`cannot spill a pointer to a callee's stack frame (r${regno} points into frame ${reg.frame}, the value into frame ${stored.frame}): it dies when the callee returns`);
  }
  writeStack(env, frame.stack, pos, size, stored ?? scalar(UNKNOWN));
  return {};
}

/** Marks bytes [pos, pos+size) (fp-relative) as `kind`; a partly overwritten spill becomes misc. */
export function markBytes(stack: (Slot | undefined)[], pos: number, size: number, kind: Byte): void {
  for (let b = pos; b < pos + size; b++) {
    const i = slotOf(b);
    const old = stack[i];
    const bytes = old ? old.bytes.map((k) => (old.spilled && k === Byte.SPILL ? Byte.MISC : k)) : fresh();
    bytes[b - (-8 * (i + 1))] = kind;
    stack[i] = { bytes };
  }
}

export function writeStack(env: Env, stack: (Slot | undefined)[], pos: number, size: number, value: Reg): void {
  if (size === 8 && pos % 8 === 0 && value.type !== RegType.NOT_INIT) {
    stack[slotOf(pos)] = { bytes: [Byte.SPILL, Byte.SPILL, Byte.SPILL, Byte.SPILL, Byte.SPILL, Byte.SPILL, Byte.SPILL, Byte.SPILL], spilled: value };
    return;
  }
  // The kernel refuses pointer spills of less than 8 bytes outright ("invalid size of register spill").
  if (isPointer(value)) env.fail(`invalid size of register spill: a pointer (${showReg(value)}) is stored to the stack with ${size} bytes; pointers spill as 8 aligned bytes`);
  const zero = value.type === RegType.SCALAR && isConst(value.v) && value.v.value === 0n;
  if (value.type === RegType.SCALAR && pos % 8 === 0 && !zero && (size === 4 || size === 2)) {
    // A narrower scalar spill at the slot's start keeps its bounds, as the kernel's partial spills do.
    markBytes(stack, pos, size, Byte.MISC);
    const i = slotOf(pos);
    const bytes = stack[i]!.bytes.slice();
    for (let b = 0; b < size; b++) bytes[b] = Byte.SPILL;
    stack[i] = { bytes, spilled: scalar(truncTo(value.v, size === 4 ? 32 : 16)) };
    return;
  }
  markBytes(stack, pos, size, zero ? Byte.ZERO : Byte.MISC);
}

export function readStack(env: Env, stack: readonly (Slot | undefined)[], pos: number, size: number): Reg {
  const i = slotOf(pos);
  const slot = stack[i];
  const start = pos - (-8 * (i + 1));
  if (slot?.spilled && start === 0) {
    const spilledSize = slot.bytes.filter((b) => b === Byte.SPILL).length;
    if (size === spilledSize && slot.bytes.slice(0, size).every((b) => b === Byte.SPILL)) return slot.spilled;
    if (size === 8 && spilledSize === 8) return slot.spilled;
    if (isPointer(slot.spilled) && size !== 8) {
      env.fail(`invalid size of register fill: fp${pos} holds a spilled pointer (${showReg(slot.spilled)}), read with ${size} bytes instead of 8`);
    }
    if (slot.spilled.type === RegType.SCALAR && size < spilledSize) {
      return scalar(isConst(slot.spilled.v) ? constant(slot.spilled.v.value & ((1n << BigInt(size * 8)) - 1n)) : unknownOfSize(size));
    }
  }
  let allZero = true;
  for (let b = pos; b < pos + size; b++) {
    const j = slotOf(b);
    const k = stack[j]?.bytes[b - (-8 * (j + 1))] ?? Byte.INVALID;
    if (k === Byte.INVALID) {
      if (env.strict) env.fail(`reads ${bytesWord(size)} at stack offset ${pos} (fp${pos}), but byte fp${b} was never written`);
      allZero = false;
    }
    if (k === Byte.SPILL && stack[j]?.spilled && isPointer(stack[j]!.spilled!) && env.strict) {
      env.fail(`reads part of a spilled pointer at fp${pos} as a number`);
    }
    if (k !== Byte.ZERO) allZero = false;
  }
  return scalar(allZero ? constant(0n) : unknownOfSize(size));
}

/** A helper reads or writes [reg, reg + size) for any size in [minSize, maxSize]. */
export function helperMemory(env: Env, st: VState, regno: number, reg: Reg, maxSize: number, kind: 'read' | 'write', what: string): void {
  if (maxSize === 0) return;
  if (reg.type === RegType.STACK) {
    const frame = st.frames[reg.frame]!;
    if (!isConst(reg.v)) env.fail(`${what}: r${regno} is a stack pointer with a variable offset`);
    const pos = reg.off + Number(BigInt.asIntN(64, reg.v.value));
    if (pos < -512 || pos + maxSize > 0) {
      env.fail(`${what}: r${regno} points to fp${pos}, and ${maxSize} bytes from there leave the 512-byte stack frame`);
    }
    frame.depth = Math.max(frame.depth, -pos);
    if (kind === 'read') {
      for (let b = pos; b < pos + maxSize; b++) {
        const j = slotOf(b);
        const k = frame.stack[j]?.bytes[b - (-8 * (j + 1))] ?? Byte.INVALID;
        if (k === Byte.INVALID && env.strict) {
          env.fail(`${what}: r${regno} points to fp${pos}, but byte fp${b} of the ${maxSize} bytes it reads was never written`);
        }
      }
    } else {
      markBytes(frame.stack, pos, maxSize, Byte.MISC);
    }
    return;
  }
  if (reg.type === RegType.PKT || reg.type === RegType.PKT_META || reg.type === RegType.MAP_VALUE || reg.type === RegType.MEM) {
    access(env, st, regno, reg, 0, maxSize, kind === 'read' ? 'read' : 'write');
    return;
  }
  if (reg.type === RegType.NOT_INIT) env.fail(`${what}: r${regno} is not initialised`);
  env.fail(`${what}: r${regno} must point to the stack, the packet or a map value, not ${showReg(reg)}`);
}

