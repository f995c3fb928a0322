// Helper calls: the helper must exist and be one XDP programs may call, each
// argument must match its prototype, and the result gets the prototype's return
// type. Helpers that can move the packet invalidate every packet pointer.
import type { MapSpec } from '../object/spec.ts';
import { MapType as MapType$ } from '../object/map-types.ts';
import * as S$ from './scalar.ts';
import { Arg as Arg$, HELPERS as HELPERS$, type HelperProto, Ret as Ret$ } from './helpers.ts';
import { type Reg, RegType as RegType$, type VState, cur as cur$, pointer as pointer$, scalar as scalar$, showReg as showReg$, NOT_INIT as NOT_INIT$ } from './state.ts';
import { type Env, helperMemory as helperMemory$, readStack as readStack$ } from './memory.ts';
// Local copies: esbuild-compiled imports read through a getter on every use, which
// dominated the verifier's profile.
const MapType = MapType$;
type MapType = MapType$;
const S = { ...S$ };
const Arg = Arg$;
const HELPERS = HELPERS$;
const Ret = Ret$;
const RegType = RegType$;
const cur = cur$;
const pointer = pointer$;
const scalar = scalar$;
const showReg = showReg$;
const NOT_INIT = NOT_INIT$;
const helperMemory = helperMemory$;
const readStack = readStack$;

export interface CallbackRequest {
  /** pc of the callback subprogram. */
  target: number;
  /** The callback's r1..r5. */
  args: Reg[];
}

/** Which map types each map-taking helper accepts (the kernel's check_map_func_compatibility). */
function mapAllowed(h: HelperProto, m: MapSpec): boolean {
  const t = m.type;
  switch (h.name) {
    case 'tail_call': return t === MapType.PROG_ARRAY;
    case 'redirect_map': return t === MapType.DEVMAP || t === MapType.DEVMAP_HASH || t === MapType.CPUMAP || t === MapType.XSKMAP;
    case 'perf_event_output': return t === MapType.PERF_EVENT_ARRAY;
    case 'ringbuf_output': case 'ringbuf_reserve': case 'ringbuf_query': return t === MapType.RINGBUF;
    case 'map_push_elem': case 'map_pop_elem': case 'map_peek_elem':
      return t === MapType.QUEUE || t === MapType.STACK || (h.name === 'map_peek_elem' && t === MapType.BLOOM_FILTER) || (h.name === 'map_push_elem' && t === MapType.BLOOM_FILTER);
    case 'map_lookup_elem':
      return ![MapType.PROG_ARRAY, MapType.RINGBUF, MapType.PERF_EVENT_ARRAY, MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER, MapType.CPUMAP].includes(t as MapType);
    case 'map_update_elem': case 'map_delete_elem':
      return ![MapType.PROG_ARRAY, MapType.RINGBUF, MapType.PERF_EVENT_ARRAY, MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER, MapType.DEVMAP, MapType.DEVMAP_HASH, MapType.CPUMAP, MapType.XSKMAP].includes(t as MapType);
    default: return true;
  }
}

/** Maps that only redirect helpers and tail calls may use, not the generic map helpers. */
function helperAllowedForMap(h: HelperProto, m: MapSpec): boolean {
  const t = m.type;
  if (t === MapType.PROG_ARRAY) return h.name === 'tail_call';
  if (t === MapType.RINGBUF) return h.name.startsWith('ringbuf_');
  if (t === MapType.PERF_EVENT_ARRAY) return h.name === 'perf_event_output';
  return true;
}

export function helperCall(env: Env, st: VState, id: number, pc: number): { proto: HelperProto; callback?: CallbackRequest } {
  const proto = HELPERS.get(id);
  if (!proto) env.fail(`unknown helper ${id}: not a helper XDP programs may call in sluice`);
  if (proto.privileged && env.strict) env.fail(`${proto.name} needs a privileged loader (refused in strict mode)`);
  const regs = cur(st).regs;
  let map: MapSpec | undefined;
  let callback: CallbackRequest | undefined;
  let allocSize = 0;
  let released = 0;
  const key = regs[2]!;
  proto.args.forEach((kind, i) => {
    const n = i + 1;
    const r = regs[n]!;
    const what = `${proto.name} argument ${n} (r${n})`;
    if (r.type === RegType.NOT_INIT) env.fail(`${what} is not initialised`);
    switch (kind) {
      case Arg.ANYTHING:
        return;
      case Arg.CTX:
        if (r.type !== RegType.CTX || r.off !== 0) env.fail(`${what} must be the context pointer (r1 at entry), not ${showReg(r)}`);
        return;
      case Arg.CONST_MAP_PTR:
        if (r.type !== RegType.MAP_PTR || !r.map) env.fail(`${what} must be a map (lddw of a map), not ${showReg(r)}`);
        map = r.map;
        if (!mapAllowed(proto, map) || !helperAllowedForMap(proto, map)) {
          env.fail(`${proto.name} cannot be used with map '${map.name}' of type ${map.typeName}`);
        }
        return;
      case Arg.MAP_KEY:
      case Arg.MAP_VALUE:
      case Arg.UNINIT_MAP_VALUE: {
        if (!map) env.fail(`${what}: no map argument before it`);
        const size = kind === Arg.MAP_KEY ? map.keySize : map.valueSize;
        const label = kind === Arg.MAP_KEY ? `key of map '${map.name}' (${size} bytes)` : `value of map '${map.name}' (${size} bytes)`;
        if (r.type === RegType.SCALAR || r.type === RegType.CTX || r.type === RegType.MAP_PTR || r.type === RegType.PKT_END) {
          env.fail(`${what} must point to the ${label}, on the stack or in a map value or the packet, not ${showReg(r)}`);
        }
        helperMemory(env, st, n, r, size, kind === Arg.UNINIT_MAP_VALUE ? 'write' : 'read', `${what}, the ${label}`);
        return;
      }
      case Arg.MEM:
      case Arg.UNINIT_MEM:
      case Arg.OPTIONAL_MEM: {
        const sizeReg = regs[n + 1]!;
        if (kind === Arg.OPTIONAL_MEM && r.type === RegType.SCALAR && S.isConst(r.v) && r.v.value === 0n) {
          if (sizeReg.type !== RegType.SCALAR || !S.isConst(sizeReg.v) || sizeReg.v.value !== 0n) {
            env.fail(`${what} is NULL, so its size (r${n + 1}) must be 0, not ${showReg(sizeReg)}`);
          }
          return;
        }
        const zeroOk = proto.args[i + 1] === Arg.SIZE_OR_ZERO;
        const sz = checkSize(env, proto, n + 1, sizeReg, zeroOk);
        if (sz === 0) return;
        helperMemory(env, st, n, r, sz, kind === Arg.UNINIT_MEM ? 'write' : 'read', `${what} (${sz} bytes)`);
        return;
      }
      case Arg.SIZE:
      case Arg.SIZE_OR_ZERO:
        return; // checked with its memory argument
      case Arg.CONST_ALLOC_SIZE:
        if (r.type !== RegType.SCALAR || !S.isConst(r.v)) env.fail(`${what} must be a constant size, not ${showReg(r)}`);
        allocSize = Number(r.v.value);
        if (map && allocSize > map.maxEntries) env.fail(`${what}: ${allocSize} bytes do not fit in ring buffer '${map.name}'`);
        return;
      case Arg.RINGBUF_MEM:
        if (r.type !== RegType.MEM || !r.ref || r.off !== 0 || !S.isConst(r.v) || r.v.value !== 0n) {
          env.fail(`${what} must be a ring-buffer record from ringbuf_reserve, checked against NULL and unmoved, not ${showReg(r)}`);
        }
        released = r.ref;
        return;
      case Arg.SPIN_LOCK:
        if (r.type !== RegType.MAP_VALUE || !S.isConst(r.v)) env.fail(`${what} must point to a bpf_spin_lock in a map value (constant offset), not ${showReg(r)}`);
        // The kernel finds the lock through the value's BTF type; without one it refuses.
        if (!r.map!.valueTypeId) env.fail(`${what}: map '${r.map!.name}' has no BTF value type, so it holds no bpf_spin_lock`);
        if ((r.off + Number(r.v.value)) % 4 !== 0) env.fail(`${what}: a bpf_spin_lock is 4-byte aligned, offset ${r.off + Number(r.v.value)} is not`);
        helperMemory(env, st, n, r, 4, 'write', what);
        return;
      case Arg.FUNC:
        if (r.type !== RegType.FUNC) env.fail(`${what} must be a callback function (a subprogram address), not ${showReg(r)}`);
        callback = { target: r.off, args: [] };
        return;
      case Arg.INT:
        helperMemory(env, st, n, r, 4, 'write', `${what} (a 4-byte int)`);
        return;
    }
  });
  if (callback) {
    if (proto.name === 'loop') {
      callback.args = [scalar(S.unknownOfSize(4)), regs[3]!, NOT_INIT, NOT_INIT, NOT_INIT];
      const n = regs[1]!;
      if (n.type !== RegType.SCALAR) env.fail(`loop argument 1 (r1), the iteration count, must be a number, not ${showReg(n)}`);
    } else {
      const m = map!;
      callback.args = [pointer(RegType.MAP_PTR, { map: m }), pointer(RegType.MAP_VALUE, { map: keyRegion(m) }), pointer(RegType.MAP_VALUE, { map: m }), regs[3]!, NOT_INIT];
    }
  }
  if (released) {
    st.refs = st.refs.filter((x) => x !== released);
    for (const f of st.frames) {
      const gone = { ...scalar(), note: `the ring-buffer record it pointed to was released by ${proto.name} at pc ${pc}` };
      f.regs.forEach((r, i) => { if (r.ref === released) f.regs[i] = gone; });
      f.stack.forEach((sl, i) => { if (sl?.spilled && sl.spilled.ref === released) f.stack[i] = { ...sl, spilled: gone }; });
    }
  }
  if (proto.changesPacket) {
    for (const f of st.frames) {
      const stale = (r: Reg): boolean => r.type === RegType.PKT || r.type === RegType.PKT_END || r.type === RegType.PKT_META;
      const gone = { ...scalar(), note: `the packet pointer was invalidated by ${proto.name} at pc ${pc} (it may move the packet): load ctx->data and ctx->data_end again and re-check` };
      f.regs.forEach((r, i) => { if (stale(r)) f.regs[i] = gone; });
      f.stack.forEach((sl, i) => { if (sl?.spilled && stale(sl.spilled)) f.stack[i] = { ...sl, spilled: gone }; });
    }
  }
  for (let r = 1; r <= 5; r++) regs[r] = NOT_INIT;
  switch (proto.ret) {
    case Ret.INTEGER: regs[0] = scalar(); break;
    case Ret.VOID: regs[0] = NOT_INIT; break;
    case Ret.MAP_VALUE_OR_NULL: {
      if ((map!.type === MapType.ARRAY_OF_MAPS || map!.type === MapType.HASH_OF_MAPS) && map!.inner) {
        regs[0] = pointer(RegType.MAP_PTR_OR_NULL, { map: map!.inner, id: env.newId() });
        break;
      }
      // Kernel 6.14+: an array lookup with a constant key below max_entries cannot fail.
      const k = map!.type === MapType.ARRAY || map!.type === MapType.PERCPU_ARRAY ? constantKey(env, st, key, map!.keySize) : undefined;
      regs[0] = k !== undefined && k < BigInt(map!.maxEntries)
        ? pointer(RegType.MAP_VALUE, { map: map! })
        : pointer(RegType.MAP_VALUE_OR_NULL, { map: map!, id: env.newId() });
      break;
    }
    case Ret.MEM_OR_NULL: {
      const ref = env.newId();
      st.refs = [...st.refs, ref];
      regs[0] = pointer(RegType.MEM_OR_NULL, { size: allocSize, id: env.newId(), ref });
      break;
    }
  }
  if (proto.name === 'tail_call' || proto.name === 'redirect_map' || proto.name === 'redirect') regs[0] = scalar();
  return callback ? { proto, callback } : { proto };
}

const keyRegions = new WeakMap<MapSpec, MapSpec>();

/** for_each_map_elem hands its callback the key read-only: a frozen pseudo-map the key's size. */
function keyRegion(m: MapSpec): MapSpec {
  let k = keyRegions.get(m);
  if (!k) {
    k = { ...m, name: `${m.name} (key)`, valueSize: m.keySize, frozen: true, data: undefined };
    keyRegions.set(m, k);
  }
  return k;
}

/** The key's value when it is a constant on the stack (a spilled constant or zeroed bytes). */
function constantKey(env: Env, st: VState, key: Reg, size: number): bigint | undefined {
  if (key.type !== RegType.STACK || !S.isConst(key.v) || size > 8) return undefined;
  const pos = key.off + Number(BigInt.asIntN(64, key.v.value));
  const v = readStack(env, st.frames[key.frame]!.stack, pos, size);
  return v.type === RegType.SCALAR && S.isConst(v.v) ? v.v.value : undefined;
}

/** A size argument: a bounded number; returns the largest size the helper may touch. */
function checkSize(env: Env, proto: HelperProto, n: number, r: Reg, zeroOk: boolean): number {
  const what = `${proto.name} argument ${n} (r${n}), a size`;
  if (r.type !== RegType.SCALAR) env.fail(`${what}, must be a number, not ${showReg(r)}`);
  if (r.v.smin < 0n) env.fail(`${what}, may be negative (${showReg(r)}): bound it from below`);
  if (r.v.umax >= 1n << 29n) env.fail(`${what}, is unbounded (${showReg(r)}): bound it from above with a comparison`);
  if (!zeroOk && r.v.umin === 0n) env.fail(`${what}, may be zero (${showReg(r)}), which ${proto.name} does not accept`);
  return Number(r.v.umax);
}
