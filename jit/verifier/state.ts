// The abstract machine state: what is known about every register and stack byte
// of every active call frame at one point of one path. Registers and stack slots
// are immutable values, so copying a state for a branch copies arrays of references.
import type { MapSpec } from '../object/spec.ts';
import { type Scalar, UNKNOWN as UNKNOWN$, ZERO as ZERO$, equal as equal$, show as show$, within as within$, isConst as isConst$ } from './scalar.ts';
// Local copies: esbuild-compiled imports read through a getter on every use, which
// dominated the verifier's profile.
const UNKNOWN = UNKNOWN$;
const ZERO = ZERO$;
const equal = equal$;
const show = show$;
const within = within$;
const isConst = isConst$;


export enum RegType {
  NOT_INIT = 'uninit',
  SCALAR = 'scalar',
  CTX = 'ctx',
  PKT = 'pkt',
  PKT_END = 'pkt_end',
  PKT_META = 'pkt_meta',
  STACK = 'fp',
  MAP_PTR = 'map_ptr',
  MAP_PTR_OR_NULL = 'map_ptr_or_null', // an inner map from a map-in-map lookup
  MAP_VALUE = 'map_value',
  MAP_VALUE_OR_NULL = 'map_value_or_null',
  MEM = 'mem', // ring-buffer record (size known)
  MEM_OR_NULL = 'mem_or_null',
  FUNC = 'func',
}

export interface Reg {
  readonly type: RegType;
  /** Scalars: the value. Pointers: the variable part of the offset (constant 0 when fixed). */
  readonly v: Scalar;
  /** Pointers: the fixed part of the offset. */
  readonly off: number;
  /** Null-check id (map_value_or_null, mem_or_null), packet variable-offset id, or linked scalar id. */
  readonly id: number;
  /** Packet pointers: bytes past the pointer's id base proven inside the packet. */
  readonly range: number;
  /** Map pointers and map values: the map. */
  readonly map?: MapSpec;
  /** Stack pointers: the frame (0 = the entry function). */
  readonly frame: number;
  /** Memory regions (ring-buffer records): their size; also the acquired reference id. */
  readonly size: number;
  readonly ref: number;
  /** Why a former pointer is now a number (for error messages only). */
  readonly note?: string;
}

const base: Reg = { type: RegType.NOT_INIT, v: ZERO, off: 0, id: 0, range: 0, frame: 0, size: 0, ref: 0 };
export const NOT_INIT: Reg = base;
export const scalar = (v: Scalar = UNKNOWN, id = 0): Reg => ({ ...base, type: RegType.SCALAR, v, id });
export const pointer = (type: RegType, fields: Partial<Reg> = {}): Reg => ({ ...base, type, ...fields });

export const isPointer = (r: Reg): boolean => r.type !== RegType.SCALAR && r.type !== RegType.NOT_INIT;
export const isPacket = (r: Reg): boolean => r.type === RegType.PKT || r.type === RegType.PKT_META;

/** Per-byte kinds of an 8-byte stack slot. */
export enum Byte { INVALID = 0, MISC = 1, SPILL = 2, ZERO = 3 }

export interface Slot {
  /** 8 byte kinds, lowest address first. */
  readonly bytes: readonly Byte[];
  /** A register spilled whole (all 8 bytes SPILL) or a scalar spilled partially. */
  readonly spilled?: Reg;
}

export interface Frame {
  readonly regs: Reg[];
  /** 64 slots; slot i covers fp-8*(i+1) .. fp-8*i-1. undefined = never written. */
  readonly stack: (Slot | undefined)[];
  /** pc of the call instruction that created this frame (-1 for the entry). */
  readonly callsite: number;
  /** Index of the subprogram this frame runs. */
  readonly subprog: number;
  /** Deepest stack byte used (positive). */
  depth: number;
  /** Callback frames: the helper's return-value rules apply to this frame's exit. */
  readonly callback?: boolean;
  /** Callback frames: the caller's r1-r5 at the helper call, to call the callback again. */
  readonly callArgs?: readonly Reg[];
}

export interface VState {
  frames: Frame[];
  /** Acquired references (ring-buffer reservations) that must be released before exit. */
  refs: number[];
  /** The checkpoint this state descends from (for loop detection). */
  parent?: Checkpoint;
  /** Callback re-entries on this path (the kernel's callback_unroll_depth): iterations of a callback are not an infinite loop. */
  unroll?: number;
}

export interface Checkpoint {
  readonly pc: number;
  readonly state: VState;
  readonly parent?: Checkpoint;
  /** Times a later state was (hit) or was not (miss) covered by this one: the kernel's eviction heuristic. */
  hit: number;
  miss: number;
  /**
   * Paths still being explored below this checkpoint (the kernel's `branches`): while
   * it is above zero the checkpoint's exploration is unfinished and it prunes nothing.
   */
  branches: number;
}

export const cloneFrame = (f: Frame): Frame => ({ ...f, regs: f.regs.slice(), stack: f.stack.slice() });
export const cloneState = (st: VState): VState => ({ frames: st.frames.map(cloneFrame), refs: st.refs.slice(), parent: st.parent, unroll: st.unroll });

export const cur = (st: VState): Frame => st.frames[st.frames.length - 1]!;

export function showReg(r: Reg): string {
  switch (r.type) {
    case RegType.NOT_INIT: return 'uninit';
    case RegType.SCALAR: return show(r.v);
    default: {
      const parts: string[] = [];
      if (r.id) parts.push(`id=${r.id}`);
      if (r.off) parts.push(`off=${r.off}`);
      if (!isConst(r.v) || r.v.value !== 0n) parts.push(`var=${show(r.v)}`);
      if (r.type === RegType.PKT || r.type === RegType.PKT_META) parts.push(`r=${r.range}`);
      if (r.map) parts.push(`map=${r.map.name}`);
      if (r.type === RegType.MEM || r.type === RegType.MEM_OR_NULL) parts.push(`size=${r.size}`);
      if (r.type === RegType.STACK && r.frame) parts.push(`frame=${r.frame}`);
      return parts.length ? `${r.type}(${parts.join(',')})` : r.type;
    }
  }
}

export function showState(st: VState): string {
  const out: string[] = [];
  st.frames.forEach((f, i) => {
    const regs = f.regs.map((r, n) => (r.type === RegType.NOT_INIT ? '' : `R${n}=${showReg(r)}`)).filter(Boolean);
    const slots = f.stack.map((sl, n) => {
      if (!sl) return '';
      if (sl.spilled && sl.bytes.every((b) => b === Byte.SPILL)) return `fp-${8 * (n + 1)}=${showReg(sl.spilled)}`;
      return `fp-${8 * (n + 1)}=${sl.bytes.map((b) => '?msz'[b]).reverse().join('')}`;
    }).filter(Boolean);
    out.push(`${st.frames.length > 1 ? `frame${i}: ` : ''}${[...regs, ...slots].join(' ')}`);
  });
  return out.join(' | ');
}

// The id correspondence of one stateWithin() call (module-level: no closure per call).
const idmap = new Map<number, number>();
function ids(a: number, b: number): boolean {
  if (a === 0 || b === 0) return a === b;
  const seen = idmap.get(a);
  if (seen === undefined) { idmap.set(a, b); return true; }
  return seen === b;
}

/**
 * Pruning: every concrete state `inner` describes is one `outer` describes, so the
 * already-explored `outer` proves `inner` safe. Ids must correspond one to one. Only
 * registers in each frame's `live` mask matter: the others are written before any read.
 */
export function stateWithin(outer: VState, inner: VState, strict: boolean, live: readonly number[]): boolean {
  if (outer.frames.length !== inner.frames.length) return false;
  if (outer.refs.length !== inner.refs.length) return false;
  idmap.clear();
  for (let i = 0; i < outer.frames.length; i++) {
    const o = outer.frames[i]!, n = inner.frames[i]!;
    if (o.callsite !== n.callsite) return false;
    // A callback frame's saved call arguments decide its next call: they must be covered too.
    if (o.callArgs || n.callArgs) {
      if (!o.callArgs || !n.callArgs) return false;
      for (let r = 0; r < o.callArgs.length; r++) if (!regWithin(o.callArgs[r]!, n.callArgs[r]!)) return false;
    }
    const mask = live[i]!;
    for (let r = 0; r < 11; r++) if ((mask >> r) & 1 && !regWithin(o.regs[r]!, n.regs[r]!)) return false;
    for (let k = 0; k < 64; k++) {
      const os = o.stack[k], ns = n.stack[k];
      if (os === ns || os === undefined) {
        if (os === undefined && !strict && ns?.bytes.some((b) => b === Byte.SPILL)) return false;
        continue;
      }
      if (ns === undefined) return false;
      for (let b = 0; b < 8; b++) {
        const ob = os.bytes[b]!, nb = ns.bytes[b]!;
        if (ob === nb || ob === Byte.INVALID && (strict || nb !== Byte.SPILL) || (ob === Byte.MISC && nb === Byte.ZERO)) continue;
        return false;
      }
      if (os.spilled && !(ns.spilled && regWithin(os.spilled, ns.spilled))) return false;
    }
  }
  return true;
}

function regWithin(o: Reg, n: Reg): boolean {
  if (o === n) return true;
  if (o.type === RegType.NOT_INIT) return true;
  if (o.type !== n.type) return false;
  if (o.type === RegType.SCALAR) return within(o.v, n.v) && (o.id === 0 || ids(o.id, n.id));
  if (o.off !== n.off || o.map !== n.map || o.frame !== n.frame || o.size !== n.size) return false;
  if (!(equal(o.v, n.v) || within(o.v, n.v))) return false;
  if ((o.type === RegType.PKT || o.type === RegType.PKT_META) && n.range < o.range) return false;
  return ids(o.id, n.id) && ids(o.ref, n.ref);
}
