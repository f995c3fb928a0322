/* lpm_trie: longest-prefix match over struct bpf_lpm_trie_key {u32 prefixlen;
 * u8 data[]} keys (data in network order, IPv4 or IPv6 or any length up to
 * 256 bytes), with the kernel's semantics:
 *   - lookup finds the longest stored prefix that matches the key's first
 *     min(prefixlen of the node, prefixlen of the key) bits;
 *   - update and delete act on the exact (prefixlen, data) entry;
 *   - get_next_key walks the trie in postorder (more specific prefixes first).
 *
 * A binary trie with path compression: each node holds a prefix; a node made
 * only to join two diverging subtrees is "intermediate" and holds no entry.
 * Readers walk it without a lock (acquire loads); writers hold the map lock,
 * build nodes completely before publishing them with a release store, and
 * retire replaced nodes for reclamation after a grace period.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include "map.h"
#include "worker.h"

#define LPM_DATA_SIZE_MAX 256
#define LPM_VAL_SIZE_MAX (1u << 22)
#define LPM_FLAGS (BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)
#define NODE_IM 1u

struct lnode {
	struct lnode *child[2];
	struct lnode *link;      /* retired list */
	uint64_t retired_at;
	uint32_t prefixlen;
	uint32_t flags;
	uint32_t alloc_size, pad;
	uint8_t data[];          /* data_size bytes, then the value at value_off */
};

/* Lookups read the first cache line only (root changes rarely); the fields
 * writers change on every update start on the next line. */
struct trie {
	struct lnode *root;
	uint32_t data_size, max_prefixlen, value_off;
	int shared;              /* in a pin segment (pin.c): nodes from the slab, shared grace periods */
	uint8_t *slab;           /* shared: slab_n nodes of node_bytes each */
	uint32_t slab_n, node_bytes;
	/* --- written by updates and deletes --- */
	uint32_t n_entries __attribute__((aligned(64)));
	int lock;                /* writers (in the trie, so a pinned trie's lock is shared) */
	uint64_t bytes; /* nodes allocated, for sluice_map_memory */
	struct lnode *retired, *retired_tail;
	struct lnode *slab_free;
};

static inline struct trie *T(struct sluice_map *m) { return m->impl; }
static inline uint8_t *nvalue(struct trie *t, struct lnode *n) { return n->data + t->value_off; }
static inline uint32_t key_plen(const void *key) { uint32_t p; memcpy(&p, key, 4); return p; }
static inline const uint8_t *key_data(const void *key) { return (const uint8_t *)key + 4; }
static inline int bit_at(const uint8_t *data, uint32_t i) { return (data[i / 8] >> (7 - i % 8)) & 1; }

/* Leading bits on which node and key agree, at most min(node, key prefixlen):
 * the first differing bit of the xor of 8 (then 4, then 1) bytes at a time,
 * read big-endian, found with a count of leading zeros. Reads only the bytes
 * the limit covers (never past a key of data_size bytes). */
static inline uint32_t match_len(const struct lnode *n, const uint8_t *data, uint32_t plen)
{
	uint32_t limit = n->prefixlen < plen ? n->prefixlen : plen;
	uint32_t nbytes = (limit + 7) / 8, i = 0, ml = limit;
	for (; i + 8 <= nbytes; i += 8) {
		uint64_t a, b;
		memcpy(&a, n->data + i, 8);
		memcpy(&b, data + i, 8);
		if (a != b) { ml = i * 8 + (uint32_t)__builtin_clzll(__builtin_bswap64(a ^ b)); goto out; }
	}
	if (i + 4 <= nbytes) {
		uint32_t a, b;
		memcpy(&a, n->data + i, 4);
		memcpy(&b, data + i, 4);
		if (a != b) { ml = i * 8 + (uint32_t)__builtin_clz(__builtin_bswap32(a ^ b)); goto out; }
		i += 4;
	}
	for (; i < nbytes; i++) {
		uint32_t x = (uint32_t)(n->data[i] ^ data[i]);
		if (x) { ml = i * 8 + (uint32_t)__builtin_clz(x) - 24; goto out; }
	}
out:
	return ml < limit ? ml : limit;
}

static struct lnode *lpm_find(struct sluice_map *m, const void *key)
{
	struct trie *t = T(m);
	const uint8_t *data = key_data(key);
	uint32_t plen = key_plen(key);
	struct lnode *found = NULL;
	for (struct lnode *n = __atomic_load_n(&t->root, __ATOMIC_ACQUIRE); n;) {
		uint32_t ml = match_len(n, data, plen);
		if (ml == t->max_prefixlen) { found = n; break; }
		if (ml < n->prefixlen) break;
		if (!(__atomic_load_n(&n->flags, __ATOMIC_ACQUIRE) & NODE_IM)) found = n;
		n = __atomic_load_n(&n->child[bit_at(data, n->prefixlen)], __ATOMIC_ACQUIRE);
	}
	return found;
}

static void *lpm_lookup(struct sluice_map *m, const void *key)
{
	struct trie *t = T(m);
	/* an empty trie (a blocklist with no rules yet) answers before any frame is set up */
	if (!__atomic_load_n(&t->root, __ATOMIC_ACQUIRE)) return NULL;
	struct lnode *n = lpm_find(m, key);
	return n ? nvalue(t, n) : NULL;
}

static long lpm_lookup_sys(struct sluice_map *m, const void *key, void *value)
{
	if (key_plen(key) > T(m)->max_prefixlen) return -EINVAL;
	struct lnode *n = lpm_find(m, key);
	if (!n) return -ENOENT;
	memcpy(value, nvalue(T(m), n), m->value_size);
	return 0;
}

static void reclaim(struct trie *t);

/* A pinned trie's nodes come from a slab in its segment (malloc'ed nodes
 * would be invisible to the other processes). When every spare awaits a
 * grace period, wait for one (bounded; the trie lock is held, but readers
 * never take it). Called under the trie lock. */
static struct lnode *slab_take(struct trie *t)
{
	for (uint32_t spins = 0; !t->slab_free && t->retired && spins < 200000; spins++) {
		sched_yield();
		reclaim(t);
	}
	struct lnode *n = t->slab_free;
	if (n) t->slab_free = n->link;
	return n;
}

static void node_free(struct trie *t, struct lnode *n)
{
	if (!t->shared) { free(n); return; }
	n->link = t->slab_free;
	t->slab_free = n;
}

static struct lnode *new_node(struct sluice_map *m, uint32_t plen, const uint8_t *data, const void *value)
{
	struct trie *t = T(m);
	size_t size = sizeof(struct lnode) + t->value_off + (value ? m->value_size : 0);
	struct lnode *n = t->shared ? slab_take(t) : calloc(1, size);
	if (!n) return NULL;
	if (t->shared) { size = t->node_bytes; memset(n, 0, size); }
	n->alloc_size = (uint32_t)size;
	t->bytes += size;
	n->prefixlen = plen;
	memcpy(n->data, data, t->data_size);
	if (value) memcpy(nvalue(t, n), value, m->value_size);
	else n->flags = NODE_IM;
	return n;
}

static void reclaim(struct trie *t)
{
	uint64_t safe = t->shared ? sluice_epoch_safe_shared() : sluice_epoch_safe();
	while (t->retired && t->retired->retired_at < safe) {
		struct lnode *n = t->retired;
		t->retired = n->link;
		t->bytes -= n->alloc_size;
		node_free(t, n);
	}
	if (!t->retired) t->retired_tail = NULL;
}

static void retire_node(struct trie *t, struct lnode *n)
{
	n->link = NULL;
	n->retired_at = t->shared ? sluice_epoch_retire_shared() : sluice_epoch_retire();
	if (t->retired_tail) t->retired_tail->link = n; else t->retired = n;
	t->retired_tail = n;
}

static long lpm_update(struct sluice_map *m, const void *key, const void *value, uint64_t flags)
{
	struct trie *t = T(m);
	uint32_t plen = key_plen(key);
	const uint8_t *data = key_data(key);
	if (flags > BPF_EXIST || plen > t->max_prefixlen) return -EINVAL;
	long rc = 0;
	sluice_lock(&T(m)->lock);
	reclaim(t);
	struct lnode **slot = &t->root, *n;
	uint32_t ml = 0;
	while ((n = *slot)) {
		ml = match_len(n, data, plen);
		if (n->prefixlen != ml || n->prefixlen == plen || n->prefixlen == t->max_prefixlen) break;
		slot = &n->child[bit_at(data, n->prefixlen)];
	}
	int exact = n && n->prefixlen == plen && ml == plen;
	int exists = exact && !(n->flags & NODE_IM);
	if (exists && flags == BPF_NOEXIST) { rc = -EEXIST; goto out; }
	if (!exists && flags == BPF_EXIST) { rc = -ENOENT; goto out; }
	if (!exists && t->n_entries >= m->max_entries) { rc = -ENOSPC; goto out; }
	struct lnode *fresh = new_node(m, plen, data, value);
	if (!fresh) { rc = -ENOMEM; goto out; }
	if (exact) { /* replace the entry (or fill an intermediate node) */
		fresh->child[0] = n->child[0];
		fresh->child[1] = n->child[1];
		__atomic_store_n(slot, fresh, __ATOMIC_RELEASE);
		retire_node(t, n);
	} else if (!n) {
		__atomic_store_n(slot, fresh, __ATOMIC_RELEASE);
	} else if (ml == plen) { /* the new prefix covers n: it becomes n's parent */
		fresh->child[bit_at(n->data, plen)] = n;
		__atomic_store_n(slot, fresh, __ATOMIC_RELEASE);
	} else { /* n and the new prefix diverge at bit ml: join them */
		struct lnode *im = new_node(m, ml, n->data, NULL);
		if (!im) { node_free(t, fresh); t->bytes -= fresh->alloc_size; rc = -ENOMEM; goto out; }
		int b = bit_at(data, ml);
		im->child[b] = fresh;
		im->child[!b] = n;
		__atomic_store_n(slot, im, __ATOMIC_RELEASE);
	}
	if (!exists) t->n_entries++;
out:
	sluice_unlock(&T(m)->lock);
	return rc;
}

static long lpm_delete(struct sluice_map *m, const void *key)
{
	struct trie *t = T(m);
	uint32_t plen = key_plen(key);
	const uint8_t *data = key_data(key);
	if (plen > t->max_prefixlen) return -EINVAL;
	long rc = 0;
	sluice_lock(&T(m)->lock);
	struct lnode **slot = &t->root, **parent_slot = NULL, *n, *parent = NULL;
	while ((n = *slot)) {
		uint32_t ml = match_len(n, data, plen);
		if (n->prefixlen != ml || n->prefixlen == plen) break;
		if (n->prefixlen == t->max_prefixlen) { n = NULL; break; }
		parent_slot = slot;
		parent = n;
		slot = &n->child[bit_at(data, n->prefixlen)];
	}
	if (!n || n->prefixlen != plen || (n->flags & NODE_IM) || match_len(n, data, plen) != plen) { rc = -ENOENT; goto out; }
	t->n_entries--;
	if (n->child[0] && n->child[1]) { /* still joins two subtrees: keep it, entry-less */
		__atomic_store_n(&n->flags, NODE_IM, __ATOMIC_RELEASE);
		goto out;
	}
	struct lnode *only = n->child[0] ? n->child[0] : n->child[1];
	__atomic_store_n(slot, only, __ATOMIC_RELEASE);
	retire_node(t, n);
	/* an intermediate parent left with one child is no longer needed */
	if (!only && parent && (parent->flags & NODE_IM)) {
		struct lnode *sibling = parent->child[0] ? parent->child[0] : parent->child[1];
		__atomic_store_n(parent_slot, sibling, __ATOMIC_RELEASE);
		retire_node(t, parent);
	}
out:
	sluice_unlock(&T(m)->lock);
	return rc;
}

/* Postorder walk: calls visit on each entry node; stops when visit returns 1. */
struct walk { struct sluice_map *m; const void *key; int seen; struct lnode *result; };

static int postorder(struct lnode *n, struct walk *w)
{
	if (!n) return 0;
	if (postorder(n->child[0], w) || postorder(n->child[1], w)) return 1;
	if (n->flags & NODE_IM) return 0;
	if (!w->key || w->seen) { w->result = n; return 1; }
	struct trie *t = T(w->m);
	if (n->prefixlen == key_plen(w->key) && match_len(n, key_data(w->key), t->max_prefixlen) == n->prefixlen)
		w->seen = 1;
	return 0;
}

static long lpm_next(struct sluice_map *m, const void *key, void *next)
{
	struct trie *t = T(m);
	sluice_lock(&T(m)->lock);
	struct walk w = { m, key, 0, NULL };
	if (key && key_plen(key) > t->max_prefixlen) w.key = NULL;
	postorder(t->root, &w);
	if (!w.result && w.key && !w.seen) { /* key absent: start over from the first */
		w.key = NULL;
		postorder(t->root, &w);
	}
	long rc = -ENOENT;
	if (w.result) {
		memcpy(next, &w.result->prefixlen, 4);
		memcpy((uint8_t *)next + 4, w.result->data, t->data_size);
		rc = 0;
	}
	sluice_unlock(&T(m)->lock);
	return rc;
}

struct dump { struct sluice_map *m; const void *after; int seen; uint8_t *keys, *values; uint32_t max, n; };

static void dump_walk(struct lnode *n, struct dump *d)
{
	if (!n || d->n >= d->max) return;
	dump_walk(n->child[0], d);
	dump_walk(n->child[1], d);
	if ((n->flags & NODE_IM) || d->n >= d->max) return;
	struct trie *t = T(d->m);
	if (d->after && !d->seen) { /* skip up to and including `after` */
		if (n->prefixlen == key_plen(d->after) && match_len(n, key_data(d->after), t->max_prefixlen) == n->prefixlen)
			d->seen = 1;
		return;
	}
	uint8_t *key = d->keys + (uint64_t)d->n * d->m->key_size;
	memcpy(key, &n->prefixlen, 4);
	memcpy(key + 4, n->data, t->data_size);
	memcpy(d->values + (uint64_t)d->n * d->m->value_size, nvalue(t, n), d->m->value_size);
	d->n++;
}

/* One postorder walk (get_next_key's order) instead of one walk per key. */
static long lpm_dump(struct sluice_map *m, const void *after, uint8_t *keys, uint8_t *values, uint32_t max)
{
	struct dump d = { m, after, 0, keys, values, max, 0 };
	if (after && key_plen(after) > T(m)->max_prefixlen) d.after = NULL;
	sluice_lock(&T(m)->lock);
	dump_walk(T(m)->root, &d);
	if (d.after && !d.seen) { /* `after` is absent: from the first, as get_next_key */
		d.after = NULL;
		dump_walk(T(m)->root, &d);
	}
	sluice_unlock(&T(m)->lock);
	return d.n;
}

static void free_tree(struct lnode *n)
{
	if (!n) return;
	free_tree(n->child[0]);
	free_tree(n->child[1]);
	free(n);
}

static void lpm_free(struct sluice_map *m)
{
	struct trie *t = T(m);
	if (!t) return;
	if (!t->shared) { /* (a pinned trie's nodes go with its segment) */
		free_tree(t->root);
		while (t->retired) { struct lnode *n = t->retired; t->retired = n->link; free(n); }
	}
	sluice_big_free(t, sizeof *t);
}

static uint64_t lpm_memory(struct sluice_map *m) { return sizeof(struct trie) + T(m)->bytes; }

static const struct sluice_map_ops lpm_ops = {
	.lookup = lpm_lookup, .update = lpm_update, .delete = lpm_delete, .get_next_key = lpm_next,
	.lookup_sys = lpm_lookup_sys, .update_sys = lpm_update, .free = lpm_free,
	.memory = lpm_memory, .dump = lpm_dump,
};

int sluice_lpm_init(struct sluice_map *m, char *err, uint32_t errlen)
{
	if (!(m->map_flags & BPF_F_NO_PREALLOC)) return sluice_map_reject(m, err, errlen, EINVAL, "an lpm_trie needs BPF_F_NO_PREALLOC");
	if (m->map_flags & ~(uint32_t)LPM_FLAGS) return sluice_map_reject(m, err, errlen, EINVAL, "flags 0x%x not allowed for an lpm_trie", m->map_flags);
	if (m->key_size <= 4 || m->key_size > 4 + LPM_DATA_SIZE_MAX)
		return sluice_map_reject(m, err, errlen, EINVAL, "key_size must be 4 (prefixlen) + 1..%d data bytes (got %u)", LPM_DATA_SIZE_MAX, m->key_size);
	if (m->value_size < 1 || m->value_size > LPM_VAL_SIZE_MAX)
		return sluice_map_reject(m, err, errlen, EINVAL, "value_size must be 1..%u", LPM_VAL_SIZE_MAX);
	struct trie *t = sluice_big_alloc(sizeof *t);
	if (!t) return sluice_map_reject(m, err, errlen, ENOMEM, "out of memory");
	t->data_size = m->key_size - 4;
	t->max_prefixlen = t->data_size * 8;
	t->value_off = sluice_round_up8(t->data_size);
	if (sluice_pin_arena_active()) {
		/* pinned: every node from a slab in the segment; an entry needs at
		 * most two nodes (itself and an intermediate), plus spares for
		 * replacements waiting for a grace period */
		t->shared = 1;
		t->node_bytes = sluice_round_up8((uint32_t)sizeof(struct lnode) + t->value_off + m->value_size);
		t->slab_n = 2 * m->max_entries + 1088;
		t->slab = sluice_big_alloc((uint64_t)t->slab_n * t->node_bytes);
		if (!t->slab) return sluice_map_reject(m, err, errlen, ENOMEM, "cannot preallocate %u trie nodes", t->slab_n);
		for (uint32_t i = t->slab_n; i-- > 0;) {
			struct lnode *n = (struct lnode *)(t->slab + (uint64_t)i * t->node_bytes);
			n->link = t->slab_free;
			t->slab_free = n;
		}
	}
	m->impl = t;
	m->ops = &lpm_ops;
	return 0;
}
