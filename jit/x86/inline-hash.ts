// bpf_map_lookup_elem on a plain hash map, inlined: the hash, the bucket walk and the key
// compare of maps/hash_lookup.c (find_fixed + sluice_hash_lookup4/8/16, hash_key.h's hash4/8/16 and
// key_equal) emitted in place of the call, for 4-, 8- and 16-byte keys.
//
// What the code computes (maps/map.h, sluice_hash_layout, is the contract):
//   hash = (u32) mum(k ^ seed, seed2)            4 bytes: k the u32 key, zero-extended; 8: the u64
//   hash = (u32) mum(k0 ^ seed, k1 ^ seed2)      16 bytes: the two little-endian u64 halves
//     mum(a, b) = low64(a * b) ^ high64(a * b)   one `mul`: rdx:rax
//   e = buckets[hash & bucket_mask].head
//   while (e) { if (e->hash == hash && e->data[0..key_size) == key) return e->data + key_bytes; e = e->next; }
//   return NULL
// The map's buckets, mask and seeds never change once it exists, and the struct offsets come
// from C, so they are all constants here. The C code's acquire loads of the chain are plain
// loads on x86 (TSO), and an element is recycled only after a grace period: a burst is a worker
// read section, so nothing the walk reads is freed under it.
//
// Registers: the call this replaces clobbers every caller-saved register, and eBPF r1-r5 are
// dead after it, so r0-r5's x86 registers and TMP1-TMP3 are all scratch. `mul` needs rax and
// rdx, which hold some of r0-r5 under any register map (regs.ts): the key's words are loaded
// first (r2 may be rax or rdx) into TMP2/TMP3, and r0 is written only at the end.
import { Cond as Cond_ } from './code-buffer.ts';
import { Alu as Alu_, Shift as Shift_, type Asm } from './encoder.ts';
import { TMP1 as TMP1_, TMP2 as TMP2_, TMP3 as TMP3_, X as X_, x86 as x86_ } from './regs.ts';
import { loadBlinded as loadBlinded_, loadBlinded64 as loadBlinded64_ } from './blind.ts';

const Cond = Cond_, Alu = Alu_, Shift = Shift_, TMP1 = TMP1_, TMP2 = TMP2_, TMP3 = TMP3_, X = X_, x86 = x86_,
  loadBlinded = loadBlinded_, loadBlinded64 = loadBlinded64_;
type X = X_;

/**
 * A plain BPF_MAP_TYPE_HASH map's lookup constants (maps/map.h sluice_hash_layout, which
 * MapHandle.hashLayout returns).
 */
export interface HashMapLayout {
  /** Address of the bucket array. */
  buckets: bigint;
  /** Number of buckets - 1 (a power of two minus one). */
  bucketMask: number;
  /** 4, 8 or 16 (anything else is not inlined). */
  keySize: number;
  /** The value's offset after the key in an element's data: keySize rounded up to 8. */
  keyBytes: number;
  seed: bigint;
  seed2: bigint;
  /** sizeof(struct bucket), a power of two; offsetof(struct bucket, head). */
  bucketSize: number;
  headOffset: number;
  /** offsetof(struct helem, next), (…, hash) a u32, (…, data): the key, then the value at + keyBytes. */
  nextOffset: number;
  hashOffset: number;
  dataOffset: number;
}

const isOffset = (v: number): boolean => Number.isInteger(v) && v >= 0 && v < 1 << 20;

/** Whether the layout is one the emitted code handles (anything else keeps the map's own lookup). */
export function hashInlinable(m: HashMapLayout): boolean {
  return (m.keySize === 4 || m.keySize === 8 || m.keySize === 16) &&
    Number.isInteger(m.bucketMask) && m.bucketMask >= 0 && m.bucketMask <= 0x7fffffff && (m.bucketMask & (m.bucketMask + 1)) === 0 &&
    isOffset(m.bucketSize) && m.bucketSize > 0 && (m.bucketSize & (m.bucketSize - 1)) === 0 &&
    [m.keyBytes, m.headOffset, m.nextOffset, m.hashOffset, m.dataOffset].every(isOffset) && m.keyBytes >= m.keySize &&
    m.buckets > 0n && m.buckets < 1n << 64n;
}

/** reg = a 64-bit constant; blinded (the map's seeds and addresses are no less plantable than the program's) through `scratch`. */
function constant(a: Asm, reg: X, value: bigint, scratch: X): void {
  if (a.blind) loadBlinded64(a, reg, value, scratch, a.blind);
  else a.movRI(reg, value, true);
}

/** Emits the lookup: r0 = the value's address for the key at r2, or NULL. */
export function hashLookup(a: Asm, m: HashMapLayout): void {
  const key = x86(2), r0 = x86(0);
  const k0 = TMP2, k1 = TMP3, e = TMP1;
  const next = a.newLabel(), loop = a.newLabel(), none = a.newLabel(), done = a.newLabel();
  const wide = m.keySize !== 4;
  // The key's words, before rax and rdx are overwritten (r2 may be one of them).
  a.load(wide ? 8 : 4, k0, { base: key, disp: 0 });
  if (m.keySize === 16) a.load(8, k1, { base: key, disp: 8 });
  // hash = (u32) mum(k0 ^ seed, seed2 [^ k1])
  constant(a, X.RAX, m.seed, X.RDX);
  a.aluRR(Alu.XOR, X.RAX, k0, true);
  constant(a, X.RDX, m.seed2, e);
  if (m.keySize === 16) a.aluRR(Alu.XOR, X.RDX, k1, true);
  a.mulR(X.RDX, true);
  a.aluRR(Alu.XOR, X.RAX, X.RDX, false); // eax: the hash (the low halves' xor; upper 32 bits cleared)
  // e = buckets[hash & mask].head
  a.movRR(X.RDX, X.RAX, false);
  if (a.blind) { loadBlinded(a, e, m.bucketMask, false, a.blind); a.aluRR(Alu.AND, X.RDX, e, false); }
  else a.aluRI(Alu.AND, X.RDX, m.bucketMask, false);
  const shift = Math.log2(m.bucketSize);
  if (shift > 0) a.shiftRI(Shift.SHL, X.RDX, shift, true);
  constant(a, e, m.buckets, X.RCX); // rcx: one of r0-r5, dead here
  a.load(8, e, { base: e, index: X.RDX, scale: 1, disp: m.headOffset });
  a.testRR(e, e, true);
  a.jcc(Cond.E, none);
  // The walk: the stored hash first (one compare rejects almost every other key), then the key.
  a.bind(loop);
  a.aluRM(Alu.CMP, X.RAX, { base: e, disp: m.hashOffset }, false);
  a.jcc(Cond.NE, next);
  a.aluRM(Alu.CMP, k0, { base: e, disp: m.dataOffset }, wide);
  a.jcc(Cond.NE, next);
  if (m.keySize === 16) {
    a.aluRM(Alu.CMP, k1, { base: e, disp: m.dataOffset + 8 }, true);
    a.jcc(Cond.NE, next);
  }
  a.lea(r0, { base: e, disp: m.dataOffset + m.keyBytes });
  a.jmp(done);
  a.bind(next);
  a.load(8, e, { base: e, disp: m.nextOffset });
  a.testRR(e, e, true);
  a.jcc(Cond.NE, loop);
  a.bind(none);
  a.movRI(r0, 0, false);
  a.bind(done);
}
