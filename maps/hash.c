/* Hash-shaped maps: hash, percpu_hash, lru_hash, lru_percpu_hash, devmap_hash
 * and hash_of_maps.
 *
 * Elements come from a pool preallocated at creation (max_entries plus spares
 * for replacements in flight), as the kernel preallocates. Buckets are singly
 * linked chains:
 *   - readers (lookups from programs and the control plane) walk the chain
 *     with acquire loads and take no lock;
 *   - writers take the bucket's spin lock; an update of an existing key links
 *     a fully written new element in place of the old one with a release
 *     store, so a reader sees the old value or the new one, never a mix;
 *   - an unlinked element goes to the retired list stamped with an epoch and
 *     returns to the free list only after a grace period (worker.h).
 * Per-CPU maps update an existing element in place (each CPU's slot is
 * written by its own worker), as the kernel does.
 *
 * LRU maps approximate LRU the way the kernel does: a lookup from a program
 * sets the element's reference bit (no lock); when the map is full an insert
 * scans the LRU list from its cold end, gives referenced elements a second
 * chance (moved to the hot end, bit cleared) and evicts the first
 * unreferenced one. Lock order: bucket, then the LRU list.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include "hash_int.h"

#define HTAB_FLAGS (BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_RDONLY | \
		    BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG | BPF_F_ZERO_SEED | BPF_F_INNER_MAP)
#define MAX_BPF_STACK 512
#define KMALLOC_MAX_SIZE (4ull << 20)
#define PCPU_MIN_UNIT_SIZE 32768

/* --- the element pool ---------------------------------------------------- */

/* Takes a free element; recycles retired ones whose grace period has passed.
 * When readers are stalled (a preempted worker holds back reclamation) and the
 * spares run out, allocates beyond the pool, as a BPF_F_NO_PREALLOC map does,
 * so an update never has to overwrite an element in place. */
static struct helem *alloc_elem_once(struct htab *h);

/* A pinned map cannot allocate beyond its segment: when the spares are all
 * waiting for a grace period (a reader in some process was preempted inside
 * its burst), wait for it, a bounded time (two writers inside bursts could
 * otherwise wait on each other), then fail with -ENOMEM. */
static struct helem *alloc_elem(struct htab *h)
{
	struct helem *e = alloc_elem_once(h);
	for (uint32_t spins = 0; !e && h->shared && spins < 200000 && __atomic_load_n(&h->retired, __ATOMIC_RELAXED); spins++) {
		sched_yield();
		e = alloc_elem_once(h);
	}
	return e;
}

static struct helem *alloc_elem_once(struct htab *h)
{
	sluice_lock(&h->free_lock);
	if (!h->free && h->retired) {
		uint64_t safe = h->shared ? sluice_epoch_safe_shared() : sluice_epoch_safe();
		while (h->retired && h->retired->retired_at < safe) {
			struct helem *e = h->retired;
			h->retired = e->link;
			if (e->overflow) { free(e); h->overflow--; continue; }
			e->link = h->free;
			h->free = e;
		}
		if (!h->retired) h->retired_tail = NULL;
	}
	struct helem *e = h->free;
	if (e) h->free = e->link;
	else if (h->overflow < h->overflow_cap && (e = aligned_alloc(64, (h->ovf_bytes + 63) & ~63u))) {
		memset(e, 0, h->ovf_bytes);
		e->overflow = 1;
		h->overflow++;
	}
	sluice_unlock(&h->free_lock);
	return e;
}

static void free_now(struct htab *h, struct helem *e)
{
	sluice_lock(&h->free_lock);
	if (e->overflow) { free(e); h->overflow--; }
	else { e->link = h->free; h->free = e; }
	sluice_unlock(&h->free_lock);
}

static void retire(struct htab *h, struct helem *e)
{
	e->link = NULL;
	e->retired_at = h->shared ? sluice_epoch_retire_shared() : sluice_epoch_retire();
	sluice_lock(&h->free_lock);
	if (h->retired_tail) h->retired_tail->link = e; else h->retired = e;
	h->retired_tail = e;
	sluice_unlock(&h->free_lock);
}

/* --- LRU list (under lru_lock) ------------------------------------------- */

static void lru_remove(struct helem *e)
{
	e->lru_prev->lru_next = e->lru_next;
	e->lru_next->lru_prev = e->lru_prev;
	e->on_lru = 0;
}

static void lru_push_hot(struct htab *h, struct helem *e)
{
	e->lru_next = h->lru.lru_next;
	e->lru_prev = &h->lru;
	h->lru.lru_next->lru_prev = e;
	h->lru.lru_next = e;
	e->on_lru = 1;
}

static void unlink_locked(struct bucket *b, struct helem *e)
{
	struct helem **pp = &b->head;
	while (*pp != e) pp = &(*pp)->next;
	__atomic_store_n(pp, e->next, __ATOMIC_RELEASE);
	e->linked = 0;
}

/* Evicts one element (second chance for referenced ones). */
static void evict_one(struct sluice_map *m)
{
	struct htab *h = H(m);
	struct helem *victim = NULL;
	sluice_lock(&h->lru_lock);
	for (uint64_t budget = 2ull * m->max_entries + 2; budget && h->lru.lru_prev != &h->lru; budget--) {
		struct helem *e = h->lru.lru_prev;
		lru_remove(e);
		if (__atomic_load_n(&e->ref, __ATOMIC_RELAXED)) {
			__atomic_store_n(&e->ref, 0, __ATOMIC_RELAXED);
			lru_push_hot(h, e);
			continue;
		}
		victim = e;
		break;
	}
	sluice_unlock(&h->lru_lock);
	if (!victim) return;
	struct bucket *b = bucket_of(h, victim->hash);
	sluice_lock(&b->lock);
	int mine = victim->linked;
	if (mine) unlink_locked(b, victim);
	sluice_unlock(&b->lock);
	if (mine) {
		__atomic_sub_fetch(&h->count, 1, __ATOMIC_RELAXED);
		retire(h, victim);
	}
}

/* Reserves a place for one more element (evicting on a full LRU map). */
static int reserve(struct sluice_map *m)
{
	struct htab *h = H(m);
	for (int tries = 0; ; tries++) {
		if (__atomic_add_fetch(&h->count, 1, __ATOMIC_RELAXED) <= m->max_entries) return 0;
		__atomic_sub_fetch(&h->count, 1, __ATOMIC_RELAXED);
		if (!h->is_lru) return -E2BIG;
		evict_one(m);
		if (tries > 64) sched_yield();
		if (tries > 100000) return -ENOMEM;
	}
}

/* --- values -------------------------------------------------------------- */

/* Writes the value of a new element: all CPUs from the control plane (value
 * holds ncpus slots), or the calling CPU's slot with the others zeroed. */
static void fill_value(struct sluice_map *m, struct helem *e, const void *value, int sys)
{
	struct htab *h = H(m);
	uint8_t *v = evalue(h, e);
	if (!h->is_percpu) {
		memcpy(v, value, h->store_size);
		if (m->lock_off) memset(v + m->lock_off - 1, 0, 4); /* a new element's lock starts free */
		return;
	}
	uint32_t cpu = sluice_worker_cpu();
	for (uint32_t c = 0; c < m->ncpus; c++) {
		uint8_t *slot = pslot(m, h, e, c);
		if (sys) memcpy(slot, (const uint8_t *)value + (uint64_t)c * m->elem_size, m->value_size);
		else if (c == cpu) memcpy(slot, value, m->value_size);
		else memset(slot, 0, m->value_size);
	}
}

static void write_in_place(struct sluice_map *m, struct helem *e, const void *value, int sys)
{
	struct htab *h = H(m);
	uint8_t *v = evalue(h, e);
	if (!h->is_percpu) {
		if (m->type == BPF_MAP_TYPE_HASH_OF_MAPS) sluice_copy_words(v, value, h->store_size);
		else sluice_copy_value(m, v, value);
		return;
	}
	if (!sys) { sluice_copy_words(pslot(m, h, e, sluice_worker_cpu()), value, m->value_size); return; }
	for (uint32_t c = 0; c < m->ncpus; c++)
		sluice_copy_words(pslot(m, h, e, c), (const uint8_t *)value + (uint64_t)c * m->elem_size, m->value_size);
}

/* The stored form of a control-plane value: hash_of_maps keeps {id, map *}. */
static long stored_value(struct sluice_map *m, const void *value, uint8_t *buf, const void **out)
{
	*out = value;
	if (m->type == BPF_MAP_TYPE_HASH_OF_MAPS) {
		uint32_t id;
		memcpy(&id, value, 4);
		struct sluice_map *inner = sluice_map_by_id(id);
		if (!inner) return -EBADF;
		if (inner->type == BPF_MAP_TYPE_ARRAY_OF_MAPS || inner->type == BPF_MAP_TYPE_HASH_OF_MAPS) return -EINVAL;
		uint64_t p = (uint64_t)(uintptr_t)inner;
		memset(buf, 0, 16);
		memcpy(buf, &id, 4);
		memcpy(buf + 8, &p, 8);
		*out = buf;
	} else if (m->type == BPF_MAP_TYPE_DEVMAP_HASH && m->value_size == 8) {
		int32_t prog_fd;
		memcpy(&prog_fd, (const uint8_t *)value + 4, 4);
		if (prog_fd > 0) return -EINVAL; /* devmap egress programs: not supported */
	}
	return 0;
}

/* hash_of_maps: the inner map an element holds */
static struct sluice_map *inner_of(struct sluice_map *m, struct helem *e)
{
	if (m->type != BPF_MAP_TYPE_HASH_OF_MAPS || !e) return NULL;
	uint64_t p;
	memcpy(&p, evalue(H(m), e) + 8, 8);
	return (struct sluice_map *)(uintptr_t)p;
}

/* --- operations ---------------------------------------------------------- */

static long do_update(struct sluice_map *m, const void *key, const void *value, uint64_t flags, int sys)
{
	struct htab *h = H(m);
	if ((flags & ~(uint64_t)BPF_F_LOCK) > BPF_EXIST) return -EINVAL;
	if (flags & BPF_F_LOCK) {
		/* as the kernel: an existing element is updated in place under its
		 * bpf_spin_lock; an absent key is inserted as without the flag */
		if (!m->lock_off) return -EINVAL;
		flags &= ~(uint64_t)BPF_F_LOCK;
		sluice_read_lock();
		uint32_t hh = hash_key(key, m->key_size, h);
		struct helem *e = find(m, bucket_of(h, hh), hh, key);
		long done = 1;
		if (e && flags == BPF_NOEXIST) done = -EEXIST;
		else if (e) {
			uint8_t *v = evalue(h, e);
			sluice_value_lock(m, v);
			sluice_copy_value(m, v, value);
			sluice_value_unlock(m, v);
			done = 0;
		}
		sluice_read_unlock();
		if (done != 1) return done;
	}
	uint8_t buf[16];
	long rc = stored_value(m, value, buf, &value);
	if (rc) return rc;
	uint32_t hash = hash_key(key, m->key_size, h);
	struct bucket *b = bucket_of(h, hash);
	struct helem *fresh = NULL, *old = NULL;
	int reserved = 0;
	sluice_read_lock();
	if (h->is_lru) {
		/* Take a node before the bucket lock (an eviction locks another
		 * bucket); reserve a place, evicting, only for a key that looks new,
		 * so replacing a key never evicts another. */
		struct helem *seen = find(m, b, hash, key);
		if (seen && h->is_percpu && flags != BPF_NOEXIST) goto locked;
		if (!seen) {
			if ((rc = reserve(m)) != 0) goto out;
			reserved = 1;
		}
		if (!(fresh = alloc_elem(h))) { rc = -ENOMEM; goto unreserve; }
	}
locked:
	sluice_lock(&b->lock);
	old = find(m, b, hash, key);
	if (old && flags == BPF_NOEXIST) rc = -EEXIST;
	else if (!old && flags == BPF_EXIST) rc = -ENOENT;
	else if (old && h->is_percpu) {
		write_in_place(m, old, value, sys);
		if (h->is_lru) __atomic_store_n(&old->ref, 1, __ATOMIC_RELAXED);
		rc = 1; /* done; release the fresh node below */
	} else if (h->is_lru && !old && !reserved) {
		/* deleted since we looked: start over, reserving this time */
		sluice_unlock(&b->lock);
		if (fresh) free_now(h, fresh);
		fresh = NULL;
		if ((rc = reserve(m)) != 0) goto out;
		reserved = 1;
		if (!(fresh = alloc_elem(h))) { rc = -ENOMEM; goto unreserve; }
		goto locked;
	} else if (!fresh) {
		if (!old && (rc = reserve(m)) != 0) goto unlock;
		if (!(fresh = alloc_elem(h))) {
			if (old) { write_in_place(m, old, value, sys); rc = 1; } /* no spare: in place */
			else { __atomic_sub_fetch(&h->count, 1, __ATOMIC_RELAXED); rc = -ENOMEM; }
			goto unlock;
		}
	}
	if (rc) goto unlock;
	memcpy(ekey(fresh), key, m->key_size);
	fill_value(m, fresh, value, sys);
	fresh->hash = hash;
	fresh->ref = 0;
	fresh->linked = 1;
	if (old) {
		fresh->next = old->next;
		struct helem **pp = &b->head;
		while (*pp != old) pp = &(*pp)->next;
		__atomic_store_n(pp, fresh, __ATOMIC_RELEASE);
		old->linked = 0;
	} else {
		fresh->next = b->head;
		__atomic_store_n(&b->head, fresh, __ATOMIC_RELEASE);
	}
	if (h->is_lru) {
		sluice_lock(&h->lru_lock);
		if (old && old->on_lru) lru_remove(old);
		lru_push_hot(h, fresh);
		sluice_unlock(&h->lru_lock);
	}
	if (m->type == BPF_MAP_TYPE_HASH_OF_MAPS) {
		sluice_map_hold(inner_of(m, fresh));
		sluice_map_release(inner_of(m, old));
	}
	fresh = NULL;
unlock:
	sluice_unlock(&b->lock);
	if (rc == 0 && old) retire(h, old);
	if (fresh) free_now(h, fresh); /* prepared for an LRU insert that did not happen */
unreserve:
	/* an LRU reservation is kept only by an insert of a new key */
	if (reserved && !(rc == 0 && !old)) __atomic_sub_fetch(&h->count, 1, __ATOMIC_RELAXED);
	if (rc == 1) rc = 0;
out:
	sluice_read_unlock();
	return rc;
}

static long hash_update(struct sluice_map *m, const void *k, const void *v, uint64_t f) { return do_update(m, k, v, f, 0); }
static long hash_update_sys(struct sluice_map *m, const void *k, const void *v, uint64_t f) { return do_update(m, k, v, f, 1); }


static long hash_lookup_sys(struct sluice_map *m, const void *key, void *value)
{
	struct htab *h = H(m);
	uint32_t hash = hash_key(key, m->key_size, h);
	struct helem *e = find(m, bucket_of(h, hash), hash, key);
	if (!e) return -ENOENT;
	uint8_t *v = evalue(h, e);
	if (!h->is_percpu) { memcpy(value, v, m->value_size); return 0; }
	for (uint32_t c = 0; c < m->ncpus; c++) {
		uint8_t *dst = (uint8_t *)value + (uint64_t)c * m->elem_size;
		memcpy(dst, pslot(m, h, e, c), m->value_size);
		memset(dst + m->value_size, 0, m->elem_size - m->value_size);
	}
	return 0;
}

static long hash_delete(struct sluice_map *m, const void *key)
{
	struct htab *h = H(m);
	uint32_t hash = hash_key(key, m->key_size, h);
	struct bucket *b = bucket_of(h, hash);
	sluice_lock(&b->lock);
	struct helem *e = find(m, b, hash, key);
	if (e) {
		unlink_locked(b, e);
		if (h->is_lru) {
			sluice_lock(&h->lru_lock);
			if (e->on_lru) lru_remove(e);
			sluice_unlock(&h->lru_lock);
		}
	}
	sluice_unlock(&b->lock);
	if (!e) return -ENOENT;
	sluice_map_release(inner_of(m, e));
	__atomic_sub_fetch(&h->count, 1, __ATOMIC_RELAXED);
	retire(h, e);
	return 0;
}

/* Kernel order: the chain after the key, then the following buckets; a key
 * that is absent (or NULL) restarts from the first element. */
static long hash_next(struct sluice_map *m, const void *key, void *next)
{
	struct htab *h = H(m);
	uint32_t i = 0;
	if (key) {
		uint32_t hash = hash_key(key, m->key_size, h);
		struct bucket *b = bucket_of(h, hash);
		struct helem *e = find(m, b, hash, key);
		if (e) {
			struct helem *n = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE);
			if (n) { memcpy(next, ekey(n), m->key_size); return 0; }
			i = (uint32_t)(b - h->buckets) + 1;
		}
	}
	for (; i < h->n_buckets; i++) {
		struct helem *e = __atomic_load_n(&h->buckets[i].head, __ATOMIC_ACQUIRE);
		if (e) { memcpy(next, ekey(e), m->key_size); return 0; }
	}
	return -ENOENT;
}

static void hash_free(struct sluice_map *m)
{
	struct htab *h = H(m);
	if (!h) return;
	/* pinned: other processes may be changing the chains; everything is in
	 * the segment, which goes whole (pin.c) */
	if (h->shared) return;
	for (uint32_t i = 0; i < h->n_buckets; i++)
		for (struct helem *e = h->buckets[i].head, *n; e; e = n) {
			n = e->next;
			sluice_map_release(inner_of(m, e));
			if (e->overflow) free(e);
		}
	for (struct helem *e = h->retired, *n; e; e = n) { n = e->link; if (e->overflow) free(e); }
	sluice_big_free(h->buckets, (uint64_t)h->n_buckets * sizeof *h->buckets);
	sluice_big_free(h->pool, (uint64_t)h->pool_n * h->elem_bytes);
	sluice_big_free(h->pcpu, (uint64_t)m->ncpus * h->pcpu_stride);
	sluice_big_free(h, sizeof *h);
}

static long hash_lookup_sys_any(struct sluice_map *m, const void *key, void *value)
{
	if (m->type != BPF_MAP_TYPE_HASH_OF_MAPS) return hash_lookup_sys(m, key, value);
	uint8_t buf[16];
	long rc = hash_lookup_sys(m, key, buf);
	if (rc == 0) memcpy(value, buf, 4); /* the inner map's id */
	return rc;
}

static uint64_t hash_memory(struct sluice_map *m)
{
	struct htab *h = H(m);
	return sizeof *h + (uint64_t)h->n_buckets * sizeof(struct bucket) + (uint64_t)h->pool_n * h->elem_bytes +
	       (uint64_t)h->overflow * h->ovf_bytes + (uint64_t)m->ncpus * h->pcpu_stride;
}

#define HASH_OPS(name, lookup_fn)                                                                    \
	static const struct sluice_map_ops name = {                                                  \
		.lookup = lookup_fn, .update = hash_update, .delete = hash_delete, .get_next_key = hash_next, \
		.lookup_sys = hash_lookup_sys_any, .update_sys = hash_update_sys, .free = hash_free,  \
		.memory = hash_memory,                                                               \
	};
HASH_OPS(hash_ops, sluice_hash_lookup)
HASH_OPS(hash4_ops, sluice_hash_lookup4)
HASH_OPS(hash8_ops, sluice_hash_lookup8)
HASH_OPS(hash16_ops, sluice_hash_lookup16)
HASH_OPS(lru4_ops, sluice_lru_lookup4)
HASH_OPS(lru8_ops, sluice_lru_lookup8)
HASH_OPS(lru16_ops, sluice_lru_lookup16)

/* The ops of a map: the specialised lookups for plain maps whose key size has one. */
static const struct sluice_map_ops *ops_for(struct sluice_map *m)
{
	if (m->type == BPF_MAP_TYPE_LRU_HASH) {
		switch (m->key_size) {
		case 4: return &lru4_ops;
		case 8: return &lru8_ops;
		case 16: return &lru16_ops;
		default: return &hash_ops;
		}
	}
	if (m->type != BPF_MAP_TYPE_HASH && m->type != BPF_MAP_TYPE_DEVMAP_HASH) return &hash_ops;
	switch (m->key_size) {
	case 4: return &hash4_ops;
	case 8: return &hash8_ops;
	case 16: return &hash16_ops;
	default: return &hash_ops;
	}
}

int sluice_hash_init(struct sluice_map *m, char *err, uint32_t errlen)
{
	uint32_t t = m->type;
	int lru = t == BPF_MAP_TYPE_LRU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	int percpu = t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	if (m->map_flags & ~(uint32_t)HTAB_FLAGS) return sluice_map_reject(m, err, errlen, EINVAL, "flags 0x%x not allowed for a hash map", m->map_flags);
	if (!lru && (m->map_flags & BPF_F_NO_COMMON_LRU)) return sluice_map_reject(m, err, errlen, EINVAL, "BPF_F_NO_COMMON_LRU is only for LRU maps");
	if (lru && (m->map_flags & BPF_F_NO_PREALLOC)) return sluice_map_reject(m, err, errlen, ENOTSUP, "LRU maps are always preallocated (BPF_F_NO_PREALLOC not allowed)");
	if (m->key_size == 0 || m->value_size == 0) return sluice_map_reject(m, err, errlen, EINVAL, "key_size and value_size must be > 0");
	/* kernels since 6.x size an element by kmalloc's limit, not the stack */
	if ((uint64_t)m->key_size + m->value_size >= KMALLOC_MAX_SIZE - MAX_BPF_STACK - 64)
		return sluice_map_reject(m, err, errlen, E2BIG, "key_size + value_size (%llu) must stay under 4 MiB", (unsigned long long)m->key_size + m->value_size);
	if (percpu && m->value_size > PCPU_MIN_UNIT_SIZE) return sluice_map_reject(m, err, errlen, E2BIG, "per-CPU value_size %u exceeds %d", m->value_size, PCPU_MIN_UNIT_SIZE);
	if (t == BPF_MAP_TYPE_DEVMAP_HASH) {
		if (m->key_size != 4) return sluice_map_reject(m, err, errlen, EINVAL, "key_size must be 4 for a devmap_hash");
		if (m->value_size != 4 && m->value_size != 8) return sluice_map_reject(m, err, errlen, EINVAL, "value_size must be 4 (ifindex) or 8 (struct bpf_devmap_val)");
	}
	if (t == BPF_MAP_TYPE_HASH_OF_MAPS && m->value_size != 4) return sluice_map_reject(m, err, errlen, EINVAL, "value_size must be 4 (a map id)");
	if (m->max_entries > (1u << 28)) return sluice_map_reject(m, err, errlen, E2BIG, "max_entries %u too large", m->max_entries);

	struct htab *h = sluice_big_alloc(sizeof *h);
	if (!h) return sluice_map_reject(m, err, errlen, ENOMEM, "out of memory");
	h->is_lru = lru;
	h->is_percpu = percpu;
	h->key_bytes = sluice_round_up8(m->key_size);
	h->value_bytes = t == BPF_MAP_TYPE_HASH_OF_MAPS ? 16 : percpu ? 0 /* in h->pcpu */ : m->elem_size;
	h->store_size = t == BPF_MAP_TYPE_HASH_OF_MAPS ? 16 : m->value_size;
	h->elem_bytes = (uint32_t)sizeof(struct helem) + h->key_bytes + h->value_bytes;
	h->n_buckets = 1;
	while (h->n_buckets < m->max_entries) h->n_buckets <<= 1;
	h->bucket_mask = h->n_buckets - 1;
	/* spares for replacements in flight (recycled after grace periods), at
	 * most ~16 MiB of them; beyond, elements are malloc'ed and freed */
	uint64_t spares = 64 + 32ull * m->ncpus + m->max_entries / 8;
	uint64_t cap = (16ull << 20) / (h->elem_bytes + (percpu ? (uint64_t)m->ncpus * m->elem_size : 0));
	if (spares > cap) spares = cap > 2ull * m->ncpus + 2 ? cap : 2ull * m->ncpus + 2;
	/* BPF_F_NO_PREALLOC: only the spares up front, elements on demand */
	int prealloc = !(m->map_flags & BPF_F_NO_PREALLOC);
	h->pool_n = (uint32_t)((prealloc ? m->max_entries : 0) + spares);
	h->overflow_cap = (prealloc ? 0 : m->max_entries) + (m->max_entries > (1u << 20) ? m->max_entries : (1u << 20));
	if (sluice_pin_arena_active()) {
		/* a pinned map: everything in the segment, preallocated (malloc'ed
		 * elements would be invisible to the other processes) */
		h->shared = 1;
		h->pool_n = m->max_entries + (uint32_t)spares + 1024; /* more spares: other processes' readers stall too */
		h->overflow_cap = 0;
	}
	uint64_t seed = (m->map_flags & BPF_F_ZERO_SEED) ? 0 : mix64((uint64_t)(uintptr_t)h ^ 0x5eed);
	/* Fixed secrets (digits of pi) mixed in, so that a zero seed does not make
	 * keys whose first 8 bytes are 0 (::1, ::ffff:a.b.c.d) multiply by 0 and
	 * share one bucket; seed2 is odd, never 0. */
	h->seed = seed ^ 0x452821e638d01377ull;
	h->seed2 = mix64(seed ^ 0x243f6a8885a308d3ull) | 1;
	h->ovf_bytes = h->elem_bytes;
	if (percpu) {
		h->pcpu_stride = ((uint64_t)h->pool_n * m->elem_size + 127) & ~127ull;
		h->idx_shift = (uint32_t)__builtin_ctz(h->elem_bytes);
		uint64_t odd = h->elem_bytes >> h->idx_shift, inv = odd;
		for (int i = 0; i < 5; i++) inv *= 2 - odd * inv; /* Newton: 3, 6, ..., 96 correct bits */
		h->idx_inv = inv;
		h->ovf_value_off = (h->elem_bytes + 63) & ~63u;
		h->ovf_stride = (m->elem_size + 63) & ~63u;
		h->ovf_bytes = h->ovf_value_off + m->ncpus * h->ovf_stride;
		h->pcpu = sluice_big_alloc((uint64_t)m->ncpus * h->pcpu_stride);
	}
	h->buckets = sluice_big_alloc((uint64_t)h->n_buckets * sizeof *h->buckets);
	h->pool = sluice_big_alloc((uint64_t)h->pool_n * h->elem_bytes);
	if (!h->buckets || !h->pool || (percpu && !h->pcpu)) {
		sluice_big_free(h->buckets, (uint64_t)h->n_buckets * sizeof *h->buckets);
		sluice_big_free(h->pool, (uint64_t)h->pool_n * h->elem_bytes);
		sluice_big_free(h->pcpu, (uint64_t)m->ncpus * h->pcpu_stride);
		sluice_big_free(h, sizeof *h);
		return sluice_map_reject(m, err, errlen, ENOMEM, "cannot preallocate %u elements", m->max_entries);
	}
	for (uint32_t i = h->pool_n; i-- > 0;) {
		struct helem *e = (struct helem *)(h->pool + (uint64_t)i * h->elem_bytes);
		e->link = h->free;
		h->free = e;
	}
	h->lru.lru_next = h->lru.lru_prev = &h->lru;
	m->impl = h;
	m->ops = ops_for(m);
	return 0;
}
