/* Map helpers: lookup/update/delete, queue and stack push/pop/peek, and
 * bpf_for_each_map_elem. A lookup returns a pointer into the map (NULL, i.e.
 * 0, when absent): the element stays valid until the program's burst ends
 * (grace periods, maps/worker.h). */
#include <stdlib.h>
#include <string.h>
#include "helpers.h"

#define MAP(x) ((struct sluice_map *)(uintptr_t)(x))
#define PTR(x) ((void *)(uintptr_t)(x))
#define MAX_KEY_BYTES 512 /* MAX_BPF_STACK: no key is larger */

SLUICE_HELPER(map_lookup_elem)
{
	U(r3); U(r4); U(r5);
	return (uint64_t)(uintptr_t)MAP(r1)->ops->lookup(MAP(r1), PTR(r2));
}

SLUICE_HELPER(map_update_elem)
{
	U(r5);
	return (uint64_t)MAP(r1)->ops->update(MAP(r1), PTR(r2), PTR(r3), r4);
}

SLUICE_HELPER(map_delete_elem)
{
	U(r3); U(r4); U(r5);
	struct sluice_map *m = MAP(r1);
	if (m->type == BPF_MAP_TYPE_PROG_ARRAY || m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS) return (uint64_t)-EINVAL;
	return (uint64_t)m->ops->delete(m, PTR(r2));
}

SLUICE_HELPER(map_push_elem)
{
	U(r4); U(r5);
	struct sluice_map *m = MAP(r1);
	return (uint64_t)(m->ops->push ? m->ops->push(m, PTR(r2), r3) : -EINVAL);
}

SLUICE_HELPER(map_pop_elem)
{
	U(r3); U(r4); U(r5);
	struct sluice_map *m = MAP(r1);
	return (uint64_t)(m->ops->pop ? m->ops->pop(m, PTR(r2)) : -EINVAL);
}

SLUICE_HELPER(map_peek_elem)
{
	U(r3); U(r4); U(r5);
	struct sluice_map *m = MAP(r1);
	return (uint64_t)(m->ops->peek ? m->ops->peek(m, PTR(r2)) : -EINVAL);
}

/* bpf_map_lookup_percpu_elem(map, key, cpu): another CPU's value in a
 * per-CPU map; NULL for a CPU beyond the map's slots. */
SLUICE_HELPER(map_lookup_percpu_elem)
{
	U(r4); U(r5);
	struct sluice_map *m = MAP(r1);
	switch (m->type) {
	case BPF_MAP_TYPE_PERCPU_ARRAY: case BPF_MAP_TYPE_PERCPU_HASH: case BPF_MAP_TYPE_LRU_PERCPU_HASH: break;
	default: return 0;
	}
	if (r3 >= m->ncpus) return 0;
	uint32_t mine = sluice_worker.cpu;
	sluice_worker.cpu = (uint32_t)r3; /* the per-CPU lookups read the worker's slot */
	void *v = m->ops->lookup(m, PTR(r2));
	sluice_worker.cpu = mine;
	return (uint64_t)(uintptr_t)v;
}

/* bpf_for_each_map_elem(map, callback, ctx, flags): callback(map, key, value,
 * ctx) for each element (this CPU's value in per-CPU maps) until it returns
 * 1; returns the number of elements visited. Arrays and hash maps only, as in
 * the kernel. */
SLUICE_HELPER(for_each_map_elem)
{
	U(r5);
	struct sluice_map *m = MAP(r1);
	sluice_helper_fn cb = (sluice_helper_fn)PTR(r2);
	if (r4) return (uint64_t)-EINVAL;
	switch (m->type) {
	case BPF_MAP_TYPE_ARRAY: case BPF_MAP_TYPE_PERCPU_ARRAY: case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH: case BPF_MAP_TYPE_LRU_HASH: case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		break;
	default:
		return (uint64_t)-EINVAL;
	}
	uint8_t small[2][MAX_KEY_BYTES], *key[2] = { small[0], small[1] }, *big = NULL;
	if (m->key_size > MAX_KEY_BYTES) { /* hash keys may exceed the stack nowadays */
		if (!(big = malloc(2ull * m->key_size))) return (uint64_t)-ENOMEM;
		key[0] = big;
		key[1] = big + m->key_size;
	}
	uint64_t n = 0;
	int cur = 0;
	long rc = m->ops->get_next_key(m, NULL, key[cur]);
	sluice_read_lock();
	while (rc == 0) {
		void *value = m->ops->lookup(m, key[cur]);
		if (value) {
			n++;
			if (cb(r1, (uint64_t)(uintptr_t)key[cur], (uint64_t)(uintptr_t)value, r3, 0)) break;
		}
		rc = m->ops->get_next_key(m, key[cur], key[!cur]);
		cur = !cur;
	}
	sluice_read_unlock();
	free(big);
	return n;
}
