/* Lookups from programs in hash-shaped maps (the ops' lookup), and the layout
 * the JIT inlines plain hash maps' lookups from (map.h sluice_hash_layout).
 * Readers take no lock: chains are walked with acquire loads (hash.c says how
 * writers publish and retire elements). */
#include <string.h>
#include "hash_int.h"

void *sluice_hash_lookup(struct sluice_map *m, const void *key)
{
	struct htab *h = H(m);
	uint32_t hash = hash_key(key, m->key_size, h);
	struct helem *e = find(m, bucket_of(h, hash), hash, key);
	if (!e) return NULL;
	if (h->is_lru && !__atomic_load_n(&e->ref, __ATOMIC_RELAXED)) __atomic_store_n(&e->ref, 1, __ATOMIC_RELAXED);
	uint8_t *v = evalue(h, e);
	if (m->type == BPF_MAP_TYPE_HASH_OF_MAPS) { uint64_t p; memcpy(&p, v + 8, 8); return (void *)(uintptr_t)p; }
	return h->is_percpu ? pslot(m, h, e, sluice_worker.cpu) : v;
}

/* Program lookups in plain and LRU hash maps (HASH, DEVMAP_HASH, LRU_HASH) with the
 * common key sizes: the hash, bucket walk and key compare specialised to the
 * size and inlined, a leaf function with no frame. */
static inline __attribute__((always_inline)) struct helem *find_fixed(const struct htab *h, const void *key, uint32_t n)
{
	uint32_t hash = n == 4 ? hash4(key, h->seed, h->seed2) : n == 8 ? hash8(key, h->seed, h->seed2) : hash16(key, h->seed, h->seed2);
	struct helem *e = __atomic_load_n(&h->buckets[hash & h->bucket_mask].head, __ATOMIC_ACQUIRE);
	for (; e; e = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE))
		if (e->hash == hash && key_equal(ekey(e), key, n)) return e;
	return NULL;
}

#define FIXED_LOOKUP(N)                                                                      \
	void *sluice_hash_lookup##N(struct sluice_map *m, const void *key)                 \
	{                                                                                    \
		const struct htab *h = H(m);                                                 \
		struct helem *e = find_fixed(h, key, N);                                     \
		return e ? e->data + h->key_bytes : NULL;                                    \
	}                                                                                    \
	/* LRU: also the reference bit, written only when clear (no line bounces) */ \
	void *sluice_lru_lookup##N(struct sluice_map *m, const void *key)                  \
	{                                                                                    \
		const struct htab *h = H(m);                                                 \
		struct helem *e = find_fixed(h, key, N);                                     \
		if (!e) return NULL;                                                         \
		if (!__atomic_load_n(&e->ref, __ATOMIC_RELAXED)) __atomic_store_n(&e->ref, 1, __ATOMIC_RELAXED); \
		return e->data + h->key_bytes;                                               \
	}
FIXED_LOOKUP(4)
FIXED_LOOKUP(8)
FIXED_LOOKUP(16)

/* The layout an inlined lookup reads (map.h, sluice_hash_layout): only plain
 * hash maps with 4-, 8- or 16-byte keys, whose lookup is exactly find_fixed +
 * sluice_hash_lookup##N above. LRU maps also set a reference bit, per-CPU ones return
 * a per-worker slot, devmap_hash and hash_of_maps values are not plain data:
 * those keep their own lookup functions. */
long sluice_hash_layout(struct sluice_map *m, uint64_t *out)
{
	if (!m || m->type != BPF_MAP_TYPE_HASH) return -EINVAL;
	if (m->key_size != 4 && m->key_size != 8 && m->key_size != 16) return -EINVAL;
	const struct htab *h = H(m);
	uint64_t words[SLUICE_HASH_LAYOUT_WORDS] = {
		[SLUICE_HL_BUCKETS] = (uint64_t)(uintptr_t)h->buckets,
		[SLUICE_HL_BUCKET_MASK] = h->bucket_mask,
		[SLUICE_HL_KEY_SIZE] = m->key_size,
		[SLUICE_HL_KEY_BYTES] = h->key_bytes,
		[SLUICE_HL_SEED] = h->seed,
		[SLUICE_HL_SEED2] = h->seed2,
		[SLUICE_HL_BUCKET_SIZE] = sizeof(struct bucket),
		[SLUICE_HL_HEAD_OFF] = offsetof(struct bucket, head),
		[SLUICE_HL_NEXT_OFF] = offsetof(struct helem, next),
		[SLUICE_HL_HASH_OFF] = offsetof(struct helem, hash),
		[SLUICE_HL_DATA_OFF] = offsetof(struct helem, data),
	};
	_Static_assert(sizeof(((struct helem *)0)->hash) == 4, "the inlined compare reads a u32 hash");
	_Static_assert(sizeof(((struct helem *)0)->next) == 8 && sizeof(((struct bucket *)0)->head) == 8, "chain links are pointers");
	memcpy(out, words, sizeof words);
	return 0;
}
