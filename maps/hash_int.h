/* Private to maps/hash.c and maps/hash_lookup.c: the hash map's structures
 * and the helpers every path uses to hash and find a key. */
#ifndef SLUICE_HASH_INT_H
#define SLUICE_HASH_INT_H
#include <stddef.h>
#include "map.h"
#include "worker.h"
#include "hash_key.h"

/* The JIT inlines plain hash maps' lookups from this layout (map.h sluice_hash_layout:
 * offsets of next, hash and data, the bucket's size and head) and from hash_key.h's
 * hash4/8/16: keep find_fixed, those and sluice_hash_layout in agreement. */
struct helem {
	struct helem *next;             /* bucket chain (release-published) */
	struct helem *link;             /* free list / retired list */
	struct helem *lru_prev, *lru_next;
	uint64_t retired_at;
	uint32_t hash;
	uint8_t ref, linked, on_lru, overflow; /* overflow: malloc'ed beyond the pool */
	uint8_t data[];                 /* key (rounded up to 8), then the value(s) */
};

struct bucket { struct helem *head; int lock; int pad; };

/* Read by every lookup: the first cache line holds only fields that never
 * change after creation, and everything writers touch (the element count,
 * the free and retired lists, the LRU list and their locks) starts on a later
 * line, so inserts and deletes on one core do not evict the lookup fields from
 * the caches of the cores that run programs. */
struct htab {
	struct bucket *buckets;
	uint32_t bucket_mask;           /* n_buckets - 1 */
	uint32_t key_bytes;             /* key size rounded up to 8: the value's offset */
	uint64_t seed, seed2;           /* hash_key's secrets (seed2 odd) */
	uint32_t n_buckets;
	uint32_t elem_bytes, value_bytes;
	uint32_t store_size;            /* bytes of a non-per-CPU value as stored */
	uint8_t *pool;
	uint32_t pool_n;
	int is_lru, is_percpu;
	int shared;                     /* in a pin segment: grace periods span processes (pin.c) */
	/* per-CPU maps (pslot): pool elements' values, CPU-major */
	uint8_t *pcpu;
	uint64_t pcpu_stride;           /* bytes from one CPU's block to the next's (128-aligned) */
	uint64_t idx_inv;               /* element index = ((e - pool) >> idx_shift) * idx_inv */
	uint32_t idx_shift;
	uint32_t ovf_value_off, ovf_stride, ovf_bytes; /* elements beyond the pool: values inline */
	/* --- written by updates and deletes --- */
	uint32_t count __attribute__((aligned(64))); /* live elements */
	int free_lock;
	struct helem *free, *retired, *retired_tail;
	uint32_t overflow, overflow_cap; /* elements allocated beyond the pool */
	struct helem lru __attribute__((aligned(64))); /* sentinel: lru.lru_next is the hot end */
	int lru_lock;
};

static inline struct htab *H(struct sluice_map *m) { return m->impl; }
static inline uint8_t *ekey(struct helem *e) { return e->data; }
static inline uint8_t *evalue(struct htab *h, struct helem *e) { return e->data + h->key_bytes; }

/* A per-CPU element's value for one CPU. Pool elements keep their values
 * CPU-major in h->pcpu, each CPU's block 128-byte aligned, so two workers
 * bumping the same key's counters never write one cache line (side by side in
 * the element, they bounced a line between the cores on every packet). The
 * element's index comes from its offset in the pool by an exact division (a
 * shift and a multiply by the inverse of the odd part of elem_bytes). An
 * element allocated beyond the pool keeps its values inline, one 64-byte
 * aligned stride per CPU. */
static inline uint8_t *pslot(const struct sluice_map *m, const struct htab *h, const struct helem *e, uint32_t cpu)
{
	if (__builtin_expect(e->overflow, 0)) return (uint8_t *)e + h->ovf_value_off + (uint64_t)cpu * h->ovf_stride;
	uint64_t i = ((uint64_t)((const uint8_t *)e - h->pool) >> h->idx_shift) * h->idx_inv;
	return h->pcpu + (uint64_t)cpu * h->pcpu_stride + i * m->elem_size;
}

/* Every path (lookup, update, delete, get_next_key) hashes through here, so
 * stored e->hash values agree. */
static inline uint32_t hash_key(const uint8_t *p, uint32_t n, const struct htab *h) { return hash_bytes(p, n, h->seed, h->seed2); }

static inline struct bucket *bucket_of(struct htab *h, uint32_t hash) { return &h->buckets[hash & h->bucket_mask]; }

static inline __attribute__((always_inline)) struct helem *find(struct sluice_map *m, struct bucket *b, uint32_t hash, const void *key)
{
	for (struct helem *e = __atomic_load_n(&b->head, __ATOMIC_ACQUIRE); e; e = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE))
		if (e->hash == hash && key_equal(ekey(e), key, m->key_size)) return e;
	return NULL;
}

/* Program lookups (hash_lookup.c): the general one, and the ones specialised to
 * 4-, 8- and 16-byte keys for plain and LRU maps. */
void *sluice_hash_lookup(struct sluice_map *m, const void *key);
void *sluice_hash_lookup4(struct sluice_map *m, const void *key);
void *sluice_hash_lookup8(struct sluice_map *m, const void *key);
void *sluice_hash_lookup16(struct sluice_map *m, const void *key);
void *sluice_lru_lookup4(struct sluice_map *m, const void *key);
void *sluice_lru_lookup8(struct sluice_map *m, const void *key);
void *sluice_lru_lookup16(struct sluice_map *m, const void *key);

#endif
