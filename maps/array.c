/* Array-shaped maps: array, percpu_array, prog_array, devmap, xskmap and
 * array_of_maps. Storage is one flat preallocated block (m->values); lookups
 * are a bounds check and an address computation, with no lock (the JIT may
 * inline them, see map.h). Updates copy in place word by word. */
#include <stdlib.h>
#include <string.h>
#include "map.h"
#include "worker.h"

#define ARRAY_FLAGS (BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_RDONLY | BPF_F_WRONLY | \
		     BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP)
#define DEV_FLAGS (BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)
#define PCPU_MIN_UNIT_SIZE 32768
#define MAX_PROG_IDS 65536

struct array_extra {
	uint32_t *ids;     /* prog_array / array_of_maps: the id in each slot, 0 = empty */
	uint8_t *present;  /* xskmap: slot in use */
};

static uint64_t prog_addr[MAX_PROG_IDS];

long sluice_prog_register(uint32_t id, uint64_t address)
{
	if (id == 0 || id >= MAX_PROG_IDS || address == 0) return -EINVAL;
	__atomic_store_n(&prog_addr[id], address, __ATOMIC_RELEASE);
	return 0;
}

long sluice_prog_unregister(uint32_t id)
{
	if (id == 0 || id >= MAX_PROG_IDS) return -EINVAL;
	__atomic_store_n(&prog_addr[id], 0, __ATOMIC_RELEASE);
	return 0;
}

static inline struct array_extra *extra(struct sluice_map *m) { return m->impl; }
static inline uint32_t idx(const void *key) { uint32_t i; memcpy(&i, key, 4); return i; }
/* Per-CPU arrays are CPU-major: each CPU's copies of all entries are
 * contiguous and start on a 128-byte boundary (a pair of cache lines, which
 * the L2's adjacent-line prefetcher fetches together), so workers bumping the
 * same counter on different CPUs never write the same line. Index-major
 * storage put entry i's slots for every CPU side by side, and two workers
 * counting packets bounced that line between cores on every packet. */
#define PCPU_ALIGN 128ull
static inline uint8_t *slot(struct sluice_map *m, uint32_t i, uint32_t cpu)
{
	return m->values + (uint64_t)cpu * m->cpu_stride + (uint64_t)i * m->elem_size;
}
static int percpu(struct sluice_map *m) { return m->type == BPF_MAP_TYPE_PERCPU_ARRAY; }

/* --- array and percpu_array ------------------------------------------- */

static void *array_lookup(struct sluice_map *m, const void *key)
{
	uint32_t i = idx(key);
	if (i >= m->max_entries) return NULL;
	return percpu(m) ? slot(m, i, sluice_worker_cpu()) : m->values + (uint64_t)i * m->elem_size;
}

/* The helper path of percpu_array lookups (no type test) */
static void *percpu_array_lookup(struct sluice_map *m, const void *key)
{
	uint32_t i = idx(key);
	if (i >= m->max_entries) return NULL;
	return slot(m, i, sluice_worker.cpu);
}

static long array_check(struct sluice_map *m, const void *key, uint64_t flags)
{
	if ((flags & ~(uint64_t)BPF_F_LOCK) > BPF_EXIST) return -EINVAL;
	if ((flags & BPF_F_LOCK) && !m->lock_off) return -EINVAL; /* no bpf_spin_lock declared */
	flags &= ~(uint64_t)BPF_F_LOCK;
	if (idx(key) >= m->max_entries) return -E2BIG;
	if (flags == BPF_NOEXIST) return -EEXIST;
	return 0;
}

static long array_update(struct sluice_map *m, const void *key, const void *value, uint64_t flags)
{
	long rc = array_check(m, key, flags);
	if (rc) return rc;
	void *v = array_lookup(m, key);
	if (flags & BPF_F_LOCK) sluice_value_lock(m, v);
	sluice_copy_value(m, v, value);
	if (flags & BPF_F_LOCK) sluice_value_unlock(m, v);
	return 0;
}

static long array_update_sys(struct sluice_map *m, const void *key, const void *value, uint64_t flags)
{
	long rc = array_check(m, key, flags);
	if (rc) return rc;
	uint32_t i = idx(key);
	if (!percpu(m)) {
		uint8_t *v = m->values + (uint64_t)i * m->elem_size;
		if (flags & BPF_F_LOCK) sluice_value_lock(m, v);
		sluice_copy_value(m, v, value);
		if (flags & BPF_F_LOCK) sluice_value_unlock(m, v);
		return 0;
	}
	for (uint32_t c = 0; c < m->ncpus; c++)
		sluice_copy_words(slot(m, i, c), (const uint8_t *)value + (uint64_t)c * m->elem_size, m->value_size);
	return 0;
}

static long array_lookup_sys(struct sluice_map *m, const void *key, void *value)
{
	uint32_t i = idx(key);
	if (i >= m->max_entries) return -ENOENT;
	if (!percpu(m)) { memcpy(value, m->values + (uint64_t)i * m->elem_size, m->value_size); return 0; }
	for (uint32_t c = 0; c < m->ncpus; c++) {
		uint8_t *dst = (uint8_t *)value + (uint64_t)c * m->elem_size;
		memcpy(dst, slot(m, i, c), m->value_size);
		memset(dst + m->value_size, 0, m->elem_size - m->value_size);
	}
	return 0;
}

static long array_delete(struct sluice_map *m, const void *key) { (void)m; (void)key; return -EINVAL; }

long sluice_index_next_key(struct sluice_map *m, const void *key, void *next)
{
	uint32_t i = key ? idx(key) : UINT32_MAX;
	if (i >= m->max_entries) { memset(next, 0, 4); return 0; }
	if (i == m->max_entries - 1) return -ENOENT;
	i++;
	memcpy(next, &i, 4);
	return 0;
}

/* Bytes between two CPUs' copies in a percpu_array (pin.c sizes segments with it). */
uint64_t sluice_percpu_array_stride(uint32_t max_entries, uint32_t value_size)
{
	return ((uint64_t)max_entries * sluice_round_up8(value_size) + PCPU_ALIGN - 1) & ~(PCPU_ALIGN - 1);
}

static uint64_t array_bytes(struct sluice_map *m)
{
	if (m->type == BPF_MAP_TYPE_PERCPU_ARRAY) return (uint64_t)m->ncpus * m->cpu_stride;
	return (uint64_t)m->max_entries * m->elem_size;
}

static void array_free(struct sluice_map *m)
{
	struct array_extra *x = extra(m);
	if (m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS)
		for (uint32_t i = 0; i < m->max_entries; i++)
			sluice_map_release((struct sluice_map *)(uintptr_t)((uint64_t *)m->values)[i]);
	if (x) { free(x->ids); free(x->present); free(x); }
	sluice_big_free(m->values, array_bytes(m));
}

static const struct sluice_map_ops array_ops = {
	.lookup = array_lookup, .update = array_update, .delete = array_delete,
	.get_next_key = sluice_index_next_key, .lookup_sys = array_lookup_sys, .update_sys = array_update_sys,
	.free = array_free,
};

static const struct sluice_map_ops percpu_array_ops = {
	.lookup = percpu_array_lookup, .update = array_update, .delete = array_delete,
	.get_next_key = sluice_index_next_key, .lookup_sys = array_lookup_sys, .update_sys = array_update_sys,
	.free = array_free,
};

/* --- prog_array and array_of_maps: slots hold u64 addresses ------------- */

static void *fd_lookup(struct sluice_map *m, const void *key)
{
	uint32_t i = idx(key);
	if (i >= m->max_entries) return NULL;
	/* map-in-map: the helper returns the inner map itself, as the kernel does */
	return (void *)(uintptr_t)__atomic_load_n((uint64_t *)m->values + i, __ATOMIC_ACQUIRE);
}

static long fd_update_sys(struct sluice_map *m, const void *key, const void *value, uint64_t flags)
{
	uint32_t i = idx(key), id;
	if (flags != BPF_ANY) return -EINVAL;
	if (i >= m->max_entries) return -E2BIG;
	memcpy(&id, value, 4);
	uint64_t addr;
	if (m->type == BPF_MAP_TYPE_PROG_ARRAY) {
		addr = id < MAX_PROG_IDS ? __atomic_load_n(&prog_addr[id], __ATOMIC_ACQUIRE) : 0;
	} else {
		struct sluice_map *inner = sluice_map_by_id(id);
		if (inner && inner->type >= BPF_MAP_TYPE_ARRAY_OF_MAPS && inner->type <= BPF_MAP_TYPE_HASH_OF_MAPS)
			return -EINVAL; /* kernel: no nesting of map-in-map */
		addr = (uint64_t)(uintptr_t)inner;
	}
	if (!addr) return -EBADF; /* the kernel's answer to an fd that is not a program/map */
	sluice_lock(&m->lock);
	uint64_t was = __atomic_exchange_n((uint64_t *)m->values + i, addr, __ATOMIC_ACQ_REL);
	extra(m)->ids[i] = id;
	if (m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS) {
		sluice_map_hold((struct sluice_map *)(uintptr_t)addr);
		sluice_map_release((struct sluice_map *)(uintptr_t)was);
	}
	sluice_unlock(&m->lock);
	return 0;
}

static long fd_lookup_sys(struct sluice_map *m, const void *key, void *value)
{
	uint32_t i = idx(key);
	if (i >= m->max_entries) return -ENOENT;
	uint32_t id = __atomic_load_n(&extra(m)->ids[i], __ATOMIC_ACQUIRE);
	if (!id) return -ENOENT;
	memcpy(value, &id, 4);
	return 0;
}

static long fd_delete(struct sluice_map *m, const void *key)
{
	uint32_t i = idx(key);
	if (i >= m->max_entries) return -EINVAL;
	sluice_lock(&m->lock);
	long rc = extra(m)->ids[i] ? 0 : -ENOENT;
	extra(m)->ids[i] = 0;
	uint64_t was = __atomic_exchange_n((uint64_t *)m->values + i, 0, __ATOMIC_ACQ_REL);
	if (m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS) sluice_map_release((struct sluice_map *)(uintptr_t)was);
	sluice_unlock(&m->lock);
	return rc;
}

static long fd_update(struct sluice_map *m, const void *k, const void *v, uint64_t f)
{
	(void)m; (void)k; (void)v; (void)f;
	return -EINVAL; /* programs cannot update fd arrays (the verifier refuses it) */
}

static const struct sluice_map_ops fd_ops = {
	.lookup = fd_lookup, .update = fd_update, .delete = fd_delete, .get_next_key = sluice_index_next_key,
	.lookup_sys = fd_lookup_sys, .update_sys = fd_update_sys, .free = array_free,
};

/* --- devmap: slots hold the u32 ifindex (+ u32 program fd); 0 = empty --- */

static void *dev_lookup(struct sluice_map *m, const void *key)
{
	uint32_t i = idx(key);
	if (i >= m->max_entries) return NULL;
	uint8_t *v = m->values + (uint64_t)i * m->elem_size;
	return __atomic_load_n((uint32_t *)v, __ATOMIC_ACQUIRE) ? v : NULL;
}

static long dev_update_sys(struct sluice_map *m, const void *key, const void *value, uint64_t flags)
{
	uint32_t i = idx(key);
	if (flags > BPF_EXIST) return -EINVAL;
	if (i >= m->max_entries) return -E2BIG;
	if (flags == BPF_NOEXIST) return -EEXIST;
	if (m->value_size == 8) {
		int32_t prog_fd;
		memcpy(&prog_fd, (const uint8_t *)value + 4, 4);
		if (prog_fd > 0) return -EINVAL; /* devmap egress programs: not supported */
	}
	sluice_copy_words(m->values + (uint64_t)i * m->elem_size, value, m->value_size);
	return 0;
}

static long dev_lookup_sys(struct sluice_map *m, const void *key, void *value)
{
	void *v = dev_lookup(m, key);
	if (!v) return -ENOENT;
	memcpy(value, v, m->value_size);
	return 0;
}

static long dev_delete(struct sluice_map *m, const void *key)
{
	uint32_t i = idx(key);
	if (i >= m->max_entries) return -EINVAL;
	__atomic_store_n((uint32_t *)(m->values + (uint64_t)i * m->elem_size), 0, __ATOMIC_RELEASE);
	return 0;
}

static const struct sluice_map_ops dev_ops = {
	.lookup = dev_lookup, .update = fd_update, .delete = dev_delete, .get_next_key = sluice_index_next_key,
	.lookup_sys = dev_lookup_sys, .update_sys = dev_update_sys, .free = array_free,
};

/* --- xskmap: slots hold the socket's u32 value; present[] marks use ----- */

static void *xsk_lookup(struct sluice_map *m, const void *key)
{
	uint32_t i = idx(key);
	if (i >= m->max_entries || !__atomic_load_n(&extra(m)->present[i], __ATOMIC_ACQUIRE)) return NULL;
	return m->values + (uint64_t)i * m->elem_size;
}

static long xsk_update_sys(struct sluice_map *m, const void *key, const void *value, uint64_t flags)
{
	uint32_t i = idx(key);
	if (flags > BPF_EXIST) return -EINVAL;
	if (i >= m->max_entries) return -E2BIG;
	sluice_lock(&m->lock);
	uint8_t in_use = extra(m)->present[i];
	long rc = 0;
	if (in_use && flags == BPF_NOEXIST) rc = -EEXIST;
	else if (!in_use && flags == BPF_EXIST) rc = -ENOENT;
	else {
		sluice_copy_words(m->values + (uint64_t)i * m->elem_size, value, 4);
		__atomic_store_n(&extra(m)->present[i], 1, __ATOMIC_RELEASE);
	}
	sluice_unlock(&m->lock);
	return rc;
}

static long xsk_lookup_sys(struct sluice_map *m, const void *k, void *v)
{
	(void)m; (void)k; (void)v;
	return -EOPNOTSUPP; /* as the kernel: sockets are not readable back */
}

static long xsk_delete(struct sluice_map *m, const void *key)
{
	uint32_t i = idx(key);
	if (i >= m->max_entries) return -EINVAL;
	__atomic_store_n(&extra(m)->present[i], 0, __ATOMIC_RELEASE);
	return 0;
}

static const struct sluice_map_ops xsk_ops = {
	.lookup = xsk_lookup, .update = fd_update, .delete = xsk_delete, .get_next_key = sluice_index_next_key,
	.lookup_sys = xsk_lookup_sys, .update_sys = xsk_update_sys, .free = array_free,
};

int sluice_array_init(struct sluice_map *m, char *err, uint32_t errlen)
{
	uint32_t t = m->type;
	if (m->key_size != 4) return sluice_map_reject(m, err, errlen, EINVAL, "key_size must be 4 for array-type maps (got %u)", m->key_size);
	if (m->value_size == 0) return sluice_map_reject(m, err, errlen, EINVAL, "value_size must be > 0");
	switch (t) {
	case BPF_MAP_TYPE_ARRAY: case BPF_MAP_TYPE_PERCPU_ARRAY:
		if (m->map_flags & ~(uint32_t)ARRAY_FLAGS)
			return sluice_map_reject(m, err, errlen, EINVAL, "flags 0x%x not allowed for an array", m->map_flags);
		if (t == BPF_MAP_TYPE_PERCPU_ARRAY && m->value_size > PCPU_MIN_UNIT_SIZE)
			return sluice_map_reject(m, err, errlen, E2BIG, "per-CPU value_size %u exceeds %d", m->value_size, PCPU_MIN_UNIT_SIZE);
		if ((m->map_flags & BPF_F_MMAPABLE) && t != BPF_MAP_TYPE_ARRAY)
			return sluice_map_reject(m, err, errlen, EINVAL, "BPF_F_MMAPABLE only for BPF_MAP_TYPE_ARRAY");
		if (t == BPF_MAP_TYPE_ARRAY && (uint64_t)m->elem_size * m->max_entries > (1ull << 32))
			return sluice_map_reject(m, err, errlen, E2BIG, "value storage exceeds 4 GiB");
		m->ops = t == BPF_MAP_TYPE_PERCPU_ARRAY ? &percpu_array_ops : &array_ops;
		if (t == BPF_MAP_TYPE_PERCPU_ARRAY) m->cpu_stride = sluice_percpu_array_stride(m->max_entries, m->value_size);
		break;
	case BPF_MAP_TYPE_PROG_ARRAY: case BPF_MAP_TYPE_ARRAY_OF_MAPS:
		if (m->value_size != 4) return sluice_map_reject(m, err, errlen, EINVAL, "value_size must be 4 (a program or map id)");
		if (m->map_flags & ~(uint32_t)ARRAY_FLAGS & ~(uint32_t)BPF_F_PRESERVE_ELEMS)
			return sluice_map_reject(m, err, errlen, EINVAL, "flags 0x%x not allowed", m->map_flags);
		m->ops = &fd_ops;
		m->elem_size = 8;
		break;
	case BPF_MAP_TYPE_DEVMAP:
		if (m->value_size != 4 && m->value_size != 8)
			return sluice_map_reject(m, err, errlen, EINVAL, "value_size must be 4 (ifindex) or 8 (struct bpf_devmap_val)");
		if (m->map_flags & ~(uint32_t)DEV_FLAGS) return sluice_map_reject(m, err, errlen, EINVAL, "flags 0x%x not allowed for a devmap", m->map_flags);
		m->ops = &dev_ops;
		break;
	case BPF_MAP_TYPE_XSKMAP:
		if (m->value_size != 4) return sluice_map_reject(m, err, errlen, EINVAL, "value_size must be 4 (a socket)");
		if (m->map_flags & ~(uint32_t)DEV_FLAGS) return sluice_map_reject(m, err, errlen, EINVAL, "flags 0x%x not allowed for an xskmap", m->map_flags);
		m->ops = &xsk_ops;
		break;
	}
	uint64_t bytes = array_bytes(m);
	m->values = sluice_big_alloc(bytes);
	if (!m->values) return sluice_map_reject(m, err, errlen, ENOMEM, "cannot allocate %llu bytes", (unsigned long long)bytes);
	if (t == BPF_MAP_TYPE_PROG_ARRAY || t == BPF_MAP_TYPE_ARRAY_OF_MAPS || t == BPF_MAP_TYPE_XSKMAP) {
		struct array_extra *x = calloc(1, sizeof *x);
		if (x) {
			if (t == BPF_MAP_TYPE_XSKMAP) x->present = calloc(m->max_entries, 1);
			else x->ids = calloc(m->max_entries, 4);
		}
		if (!x || (!x->present && !x->ids)) {
			if (x) free(x);
			sluice_big_free(m->values, bytes);
			return sluice_map_reject(m, err, errlen, ENOMEM, "cannot allocate slots");
		}
		m->impl = x;
	}
	return 0;
}
