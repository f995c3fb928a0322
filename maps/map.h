/* sluice maps: native storage shared by JIT'd programs, the helpers and the
 * TypeScript control plane (through dataplane/ffi.ts).
 *
 * A map reference in a relocated program (lddw src=BPF_PSEUDO_MAP_FD) is the
 * address of a struct sluice_map. The first fields have a fixed layout so the
 * JIT can inline what the kernel inlines:
 *
 *   offset  field
 *    0      u32 type           (enum bpf_map_type)
 *    4      u32 key_size
 *    8      u32 value_size
 *   12      u32 max_entries
 *   16      u32 map_flags
 *   20      u32 ncpus          per-CPU slots (the runtime's worker count)
 *   24      u32 elem_size      array stride: round_up(value_size, 8)
 *   28      u32 index_mask     unused (0)
 *   32      u8 *values         array / percpu_array / global data: value storage;
 *                              prog_array: u64 entry addresses (0 = empty slot)
 *   56      u64 cpu_stride     percpu_array: bytes from one CPU's values to the next's
 *
 *  array lookup inlined:        i = *(u32 *)key; if (i >= max_entries) NULL
 *                               else values + i * elem_size
 *  percpu_array (CPU-major):    values + cpu * cpu_stride + i * elem_size
 *                               (cpu_stride at offset 56; each CPU's copies
 *                               start on their own 128-byte block, so two workers bumping the
 *                               same counter never write one cache line). Inlined too: cpu is
 *                               sluice_worker.cpu read as %fs:sluice_worker_cpu_tpoff()
 *                               (maps/worker.h; initial-exec TLS), cpu_stride is baked
 *                               into the code (it never changes once the map exists)
 *
 * Concurrency (see maps/README.md): readers never take locks on arrays, hash
 * maps or the LPM trie; writers serialise per bucket (hash) or per map; hash,
 * LRU and LPM elements are replaced by publishing a new element with release
 * semantics and recycled only after a grace period (maps/epoch.c).
 */
#ifndef SLUICE_MAP_H
#define SLUICE_MAP_H
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <linux/bpf.h>

#define SLUICE_MAP_NAME_LEN 16 /* BPF_OBJ_NAME_LEN */
#define SLUICE_MAX_CPUS 256

struct sluice_map;

/* Per-type operations. Helper-side ops act on the calling worker's per-CPU
 * slot; the *_sys ops are the control plane's (BPF syscall) view and copy
 * values in and out (all CPUs for per-CPU maps, ncpus * elem_size bytes). */
struct sluice_map_ops {
	void *(*lookup)(struct sluice_map *m, const void *key);
	long (*update)(struct sluice_map *m, const void *key, const void *value, uint64_t flags);
	long (*delete)(struct sluice_map *m, const void *key);
	long (*get_next_key)(struct sluice_map *m, const void *key, void *next_key);
	long (*lookup_sys)(struct sluice_map *m, const void *key, void *value);
	long (*update_sys)(struct sluice_map *m, const void *key, const void *value, uint64_t flags);
	long (*push)(struct sluice_map *m, const void *value, uint64_t flags);
	long (*pop)(struct sluice_map *m, void *value);
	long (*peek)(struct sluice_map *m, void *value);
	void (*free)(struct sluice_map *m);
	uint64_t (*memory)(struct sluice_map *m); /* bytes held (optional) */
	/* all entries in get_next_key order, up to max (optional; the generic
	 * version follows get_next_key) */
	long (*dump)(struct sluice_map *m, const void *after, uint8_t *keys, uint8_t *values, uint32_t max);
};

struct sluice_map {
	uint32_t type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags;
	uint32_t ncpus;
	uint32_t elem_size;
	uint32_t index_mask;
	uint8_t *values;
	/* --- below: not part of the JIT-visible layout --- */
	/* what lookups read, with the fields above, fills the first cache line
	 * (maps are 64-byte aligned); the lock and the counts writers change
	 * are on the second */
	const struct sluice_map_ops *ops;
	void *impl;                /* type-specific state */
	uint64_t cpu_stride;       /* percpu_array: bytes from one CPU's copies to the next's */
	char name[SLUICE_MAP_NAME_LEN];
	uint32_t inner_map_id;     /* this map's process-wide id (map-in-map values) */
	int lock;                  /* map-wide writer lock (spin) */
	uint32_t outer_refs;       /* slots of map-in-map maps holding this map */
	uint32_t dead;             /* closed, destroyed when outer_refs drops to 0 */
	uint32_t lock_off;         /* struct bpf_spin_lock in the value at lock_off - 1 (0: none) */
};
_Static_assert(offsetof(struct sluice_map, cpu_stride) == 56, "cpu_stride at the offset documented above");

/* Creation: returns NULL and writes a message naming the map and the rule
 * broken into err (errlen bytes) when the definition is invalid. */
struct sluice_map *sluice_map_create(const char *name, uint32_t type, uint32_t key_size,
				     uint32_t value_size, uint32_t max_entries, uint32_t map_flags,
				     uint32_t ncpus, char *err, uint32_t errlen);
/* Frees a map; while a map-in-map slot holds it, returns -EBUSY and defers
 * the free to the release of the last hold (the map loses its id at once). */
long sluice_map_free(struct sluice_map *m);
/* Map-in-map bookkeeping: a slot starts or stops holding inner. */
void sluice_map_hold(struct sluice_map *inner);
void sluice_map_release(struct sluice_map *inner);

/* Control-plane operations (kernel errno results, negative). */
long sluice_map_lookup(struct sluice_map *m, const void *key, void *value);
long sluice_map_update(struct sluice_map *m, const void *key, const void *value, uint64_t flags);
long sluice_map_delete(struct sluice_map *m, const void *key);
long sluice_map_get_next_key(struct sluice_map *m, const void *key, void *next_key);
/* get_next_key of maps keyed by a u32 index (array, prog_array, devmap, xskmap, perf_event_array). */
long sluice_index_next_key(struct sluice_map *m, const void *key, void *next);
long sluice_map_lookup_and_delete(struct sluice_map *m, const void *key, void *value);
uint64_t sluice_map_value_base(struct sluice_map *m);
uint64_t sluice_map_lookup_fn(struct sluice_map *m);
uint64_t sluice_map_cpu_stride(struct sluice_map *m);
uint32_t sluice_map_value_size_sys(struct sluice_map *m);
/* Plain BPF_MAP_TYPE_HASH maps with 4-, 8- or 16-byte keys: what the JIT needs
 * to inline bpf_map_lookup_elem (jit/x86/inline-hash.ts), exactly maps/hash_lookup.c's
 * find_fixed + sluice_hash_lookup##N:
 *   hash = (u32) mum(key ^ seed, seed2)  (16 bytes: mum(key[0..8) ^ seed, key[8..16) ^ seed2)),
 *          mum(a, b) = low64(a * b) ^ high64(a * b), keys read as little-endian words
 *   e = *(buckets + (hash & bucket_mask) * bucket_size + head_off)
 *   while (e): if u32 at e + hash_off == hash and key_size bytes at e + data_off equal
 *              the key: return e + data_off + key_bytes;  e = *(e + next_off)
 *   return NULL
 * Every word is fixed when the map is created (buckets, mask and seeds never change;
 * element offsets are the C struct's), so the JIT takes them as constants. Loads are
 * acquire loads in C, which plain x86 loads are; elements are recycled only after a
 * grace period, and a burst is a worker read section. Fills out[SLUICE_HASH_LAYOUT_WORDS]
 * (indexes below) and returns 0, or -EINVAL for any other map. */
enum {
	SLUICE_HL_BUCKETS, SLUICE_HL_BUCKET_MASK, SLUICE_HL_KEY_SIZE, SLUICE_HL_KEY_BYTES,
	SLUICE_HL_SEED, SLUICE_HL_SEED2, SLUICE_HL_BUCKET_SIZE, SLUICE_HL_HEAD_OFF,
	SLUICE_HL_NEXT_OFF, SLUICE_HL_HASH_OFF, SLUICE_HL_DATA_OFF, SLUICE_HASH_LAYOUT_WORDS
};
long sluice_hash_layout(struct sluice_map *m, uint64_t *out);
/* Bytes of native memory the map holds (storage, pools, nodes), for benchmarks. */
uint64_t sluice_map_memory(struct sluice_map *m);
/* Batch dump: writes up to max keys (key_size each) and values (the control
 * plane's value size each) in get_next_key order, starting after key `after`
 * (NULL: from the first); returns the count or -errno. */
long sluice_map_dump(struct sluice_map *m, const void *after, void *keys, void *values, uint32_t max);

/* Internal: fills err with "map 'NAME': RULE (kernel: -EXXX)" and returns -errnum. */
int sluice_map_reject(struct sluice_map *m, char *err, uint32_t errlen, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Programs that tail calls and prog_array updates refer to by id (the
 * control plane's stand-in for a program fd): the pipeline registers each
 * installed program's entry address under its id. */
long sluice_prog_register(uint32_t id, uint64_t address);
long sluice_prog_unregister(uint32_t id);

/* Internal: zeroed, 64-byte aligned storage; allocations of 2 MiB and more
 * are mmap'ed 2 MiB-aligned and advised to use transparent huge pages (large
 * maps are TLB-bound otherwise). Free with the same size. */
void *sluice_big_alloc(uint64_t size);
void sluice_big_free(void *p, uint64_t size);

/* Internal: spin lock on an int (writers only). */
static inline void sluice_lock(int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}
static inline void sluice_unlock(int *l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }

/* Copy a value so that every aligned 8-byte word is written with one store:
 * concurrent readers may see old and new words mixed for values > 8 bytes
 * (as in the kernel's arrays) but never a half-written word. */
static inline void sluice_copy_words(void *dst, const void *src, uint32_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	if (((uintptr_t)d & 7) == 0) {
		while (n >= 8) {
			uint64_t w;
			__builtin_memcpy(&w, s, 8);
			__atomic_store_n((uint64_t *)d, w, __ATOMIC_RELAXED);
			d += 8; s += 8; n -= 8;
		}
	}
	while (n--) *d++ = *s++;
}

static inline uint32_t sluice_round_up8(uint32_t n) { return (n + 7) & ~7u; }

/* A value copy that leaves the value's bpf_spin_lock alone, as the kernel's
 * copy_map_value does (a program may hold it). */
static inline void sluice_copy_value(const struct sluice_map *m, void *dst, const void *src)
{
	if (!m->lock_off) { sluice_copy_words(dst, src, m->value_size); return; }
	uint32_t off = m->lock_off - 1;
	sluice_copy_words(dst, src, off);
	sluice_copy_words((uint8_t *)dst + off + 4, (const uint8_t *)src + off + 4, m->value_size - off - 4);
}

/* BPF_F_LOCK: the value's own bpf_spin_lock around a control-plane copy. */
static inline void sluice_value_lock(const struct sluice_map *m, void *value)
{
	uint32_t *l = (uint32_t *)((uint8_t *)value + m->lock_off - 1);
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED)) __builtin_ia32_pause();
}
static inline void sluice_value_unlock(const struct sluice_map *m, void *value)
{
	__atomic_store_n((uint32_t *)((uint8_t *)value + m->lock_off - 1), 0, __ATOMIC_RELEASE);
}

/* Declares a struct bpf_spin_lock at byte `off` of the values (from BTF):
 * updates then leave it alone and accept BPF_F_LOCK. Arrays and (LRU) hash
 * maps only, before any value is written; -EINVAL otherwise. */
long sluice_map_set_spin_lock(struct sluice_map *m, uint32_t off);

/* Pinning (pin.c): while a pinned map is being created, sluice_big_alloc
 * carves from its shared segment; frees inside a segment are no-ops. */
int sluice_pin_arena_active(void);
void *sluice_pin_alloc(uint64_t size);
int sluice_pin_contains(const void *p);
long sluice_map_rehome(struct sluice_map *from, struct sluice_map *to);
int sluice_pin_supported(uint32_t type);

/* Type constructors (one per C file). */
int sluice_array_init(struct sluice_map *m, char *err, uint32_t errlen);
/* percpu_array: bytes from one CPU's copies to the next's (map.cpu_stride) */
uint64_t sluice_percpu_array_stride(uint32_t max_entries, uint32_t value_size);
int sluice_hash_init(struct sluice_map *m, char *err, uint32_t errlen);
int sluice_lpm_init(struct sluice_map *m, char *err, uint32_t errlen);
int sluice_ringbuf_init(struct sluice_map *m, char *err, uint32_t errlen);
int sluice_queue_stack_init(struct sluice_map *m, char *err, uint32_t errlen);
int sluice_perf_event_array_init(struct sluice_map *m, char *err, uint32_t errlen);

/* The calling worker's per-CPU slot (maps/worker.c). */
uint32_t sluice_worker_cpu(void);

/* Map-in-map: the id of a map; lookups from programs return the inner map's
 * address. Ids are process-wide and assigned at creation. */
uint32_t sluice_map_id(struct sluice_map *m);
struct sluice_map *sluice_map_by_id(uint32_t id);

#endif
