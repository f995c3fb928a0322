/* BPF_MAP_TYPE_PERF_EVENT_ARRAY: in the kernel each slot holds a perf event
 * fd that user space reads per CPU. Here a slot is "open" once the control
 * plane stores any u32 in it (the reader's id), and bpf_perf_event_output
 * appends {u32 slot; sample} to one ring (256 KiB) that the control plane
 * drains. Output to a closed slot fails with -ENOENT, to a full ring with
 * -ENOSPC, as the kernel does. */
#include <stdlib.h>
#include <string.h>
#include "ringbuf.h"

#define PERF_RING_SIZE (256u * 1024)

struct perf { struct sluice_ring *ring; uint32_t *open; };

static inline struct perf *P(struct sluice_map *m) { return m->impl; }
static inline uint32_t idx(const void *k) { uint32_t i; memcpy(&i, k, 4); return i; }

static void *pe_lookup(struct sluice_map *m, const void *k) { (void)m; (void)k; return NULL; }

static long pe_update_sys(struct sluice_map *m, const void *k, const void *v, uint64_t flags)
{
	uint32_t i = idx(k), val;
	if (flags != BPF_ANY) return -EINVAL;
	if (i >= m->max_entries) return -E2BIG;
	memcpy(&val, v, 4);
	__atomic_store_n(&P(m)->open[i], val | 0x80000000u, __ATOMIC_RELEASE);
	return 0;
}

static long pe_lookup_sys(struct sluice_map *m, const void *k, void *v)
{
	(void)m; (void)k; (void)v;
	return -ENOENT; /* the kernel does not return perf event fds either */
}

static long pe_delete(struct sluice_map *m, const void *k)
{
	uint32_t i = idx(k);
	if (i >= m->max_entries) return -EINVAL;
	uint32_t was = __atomic_exchange_n(&P(m)->open[i], 0, __ATOMIC_ACQ_REL);
	return was ? 0 : -ENOENT;
}

static long pe_update(struct sluice_map *m, const void *k, const void *v, uint64_t f) { (void)m; (void)k; (void)v; (void)f; return -EINVAL; }
static void pe_free(struct sluice_map *m) { if (P(m)) { sluice_ring_free(P(m)->ring); free(P(m)->open); free(P(m)); } }

long sluice_perf_output(struct sluice_map *m, uint64_t flags, const void *a, uint32_t alen, const void *b, uint32_t blen)
{
	if (m->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY) return -EINVAL;
	if (flags & ~(BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK)) return -EINVAL;
	uint64_t index = flags & BPF_F_INDEX_MASK;
	if (index == BPF_F_CURRENT_CPU) index = sluice_worker_cpu();
	if (index >= m->max_entries) return -E2BIG;
	if (!__atomic_load_n(&P(m)->open[index], __ATOMIC_ACQUIRE)) return -ENOENT;
	uint32_t slot = (uint32_t)index;
	uint8_t *s = sluice_ring_reserve(P(m)->ring, 4ull + alen + blen);
	if (!s) return -ENOSPC;
	memcpy(s, &slot, 4);
	if (alen) memcpy(s + 4, a, alen);
	if (blen) memcpy(s + 4 + alen, b, blen);
	sluice_ringbuf_commit(s, 0);
	return 0;
}

long sluice_perf_drain(struct sluice_map *m, void *out, uint32_t cap)
{
	if (m->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY) return -EINVAL;
	return sluice_ring_drain(P(m)->ring, out, cap);
}

static const struct sluice_map_ops pe_ops = {
	.lookup = pe_lookup, .update = pe_update, .delete = pe_delete, .get_next_key = sluice_index_next_key,
	.lookup_sys = pe_lookup_sys, .update_sys = pe_update_sys, .free = pe_free,
};

int sluice_perf_event_array_init(struct sluice_map *m, char *err, uint32_t errlen)
{
	if (m->key_size != 4 || m->value_size != 4) return sluice_map_reject(m, err, errlen, EINVAL, "key_size and value_size must be 4 for a perf_event_array");
	if (m->map_flags & ~(uint32_t)(BPF_F_NUMA_NODE | BPF_F_PRESERVE_ELEMS)) return sluice_map_reject(m, err, errlen, EINVAL, "flags 0x%x not allowed", m->map_flags);
	struct perf *p = calloc(1, sizeof *p);
	if (p) { p->open = calloc(m->max_entries, 4); p->ring = sluice_ring_new(PERF_RING_SIZE); }
	if (!p || !p->open || !p->ring) {
		if (p) { free(p->open); sluice_ring_free(p->ring); free(p); }
		return sluice_map_reject(m, err, errlen, ENOMEM, "out of memory");
	}
	m->impl = p;
	m->ops = &pe_ops;
	return 0;
}
