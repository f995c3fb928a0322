/* Map creation (the kernel's generic rules), the id registry for map-in-map,
 * and the control-plane entry points that dispatch to each type's ops. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "map.h"
#include "worker.h"

#define MAX_MAP_IDS 65536
static struct sluice_map *by_id[MAX_MAP_IDS];
static int ids_lock;

int sluice_map_reject(struct sluice_map *m, char *err, uint32_t errlen, int errnum, const char *fmt, ...)
{
	char rule[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rule, sizeof rule, fmt, ap);
	va_end(ap);
	if (err && errlen) snprintf(err, errlen, "map '%s': %s (kernel: %s)", m->name, rule,
				       errnum == E2BIG ? "-E2BIG" : errnum == ENOTSUP ? "-ENOTSUPP" :
				       errnum == ENOMEM ? "-ENOMEM" : "-EINVAL");
	return -errnum;
}

static int register_id(struct sluice_map *m)
{
	sluice_lock(&ids_lock);
	for (uint32_t i = 1; i < MAX_MAP_IDS; i++)
		if (!by_id[i]) { by_id[i] = m; m->inner_map_id = i; sluice_unlock(&ids_lock); return 0; }
	sluice_unlock(&ids_lock);
	return -1;
}

uint32_t sluice_map_id(struct sluice_map *m) { return m->inner_map_id; }

/* Pinning (pin.c): `to`, a process-local copy of a map living in a pin
 * segment, takes over from's id (from == NULL: a new id). */
long sluice_map_rehome(struct sluice_map *from, struct sluice_map *to)
{
	if (from && from->inner_map_id && from->inner_map_id < MAX_MAP_IDS) {
		sluice_lock(&ids_lock);
		if (by_id[from->inner_map_id] == from) __atomic_store_n(&by_id[from->inner_map_id], to, __ATOMIC_RELEASE);
		sluice_unlock(&ids_lock);
		to->inner_map_id = from->inner_map_id;
		return 0;
	}
	return register_id(to) == 0 ? 0 : -ENOMEM;
}
struct sluice_map *sluice_map_by_id(uint32_t id)
{
	return id && id < MAX_MAP_IDS ? __atomic_load_n(&by_id[id], __ATOMIC_ACQUIRE) : NULL;
}

struct sluice_map *sluice_map_create(const char *name, uint32_t type, uint32_t key_size,
				     uint32_t value_size, uint32_t max_entries, uint32_t map_flags,
				     uint32_t ncpus, char *err, uint32_t errlen)
{
	struct sluice_map *m = sluice_big_alloc(sizeof *m); /* (in a pin segment when pinning: pin.c) */
	if (!m) { if (err && errlen) snprintf(err, errlen, "map '%s': out of memory", name); return NULL; }
	snprintf(m->name, sizeof m->name, "%s", name ? name : "");
	m->type = type;
	m->key_size = key_size;
	m->value_size = value_size;
	m->max_entries = max_entries;
	m->map_flags = map_flags;
	m->ncpus = ncpus ? ncpus : 1;
	m->elem_size = sluice_round_up8(value_size);
	int rc;
	if (name && strlen(name) >= SLUICE_MAP_NAME_LEN) {
		if (err && errlen) snprintf(err, errlen, "map '%s': name longer than %d bytes (kernel: -EINVAL)", name, SLUICE_MAP_NAME_LEN - 1);
		rc = -EINVAL;
	} else if (m->ncpus > SLUICE_MAX_CPUS) {
		rc = sluice_map_reject(m, err, errlen, EINVAL, "%u per-CPU slots (at most %d)", m->ncpus, SLUICE_MAX_CPUS);
	} else if (type != BPF_MAP_TYPE_RINGBUF && max_entries == 0) {
		rc = sluice_map_reject(m, err, errlen, EINVAL, "max_entries must be > 0");
	} else {
		switch (type) {
		case BPF_MAP_TYPE_ARRAY: case BPF_MAP_TYPE_PERCPU_ARRAY: case BPF_MAP_TYPE_PROG_ARRAY:
		case BPF_MAP_TYPE_DEVMAP: case BPF_MAP_TYPE_XSKMAP: case BPF_MAP_TYPE_ARRAY_OF_MAPS:
			rc = sluice_array_init(m, err, errlen); break;
		case BPF_MAP_TYPE_HASH: case BPF_MAP_TYPE_PERCPU_HASH: case BPF_MAP_TYPE_LRU_HASH:
		case BPF_MAP_TYPE_LRU_PERCPU_HASH: case BPF_MAP_TYPE_DEVMAP_HASH: case BPF_MAP_TYPE_HASH_OF_MAPS:
			rc = sluice_hash_init(m, err, errlen); break;
		case BPF_MAP_TYPE_LPM_TRIE: rc = sluice_lpm_init(m, err, errlen); break;
		case BPF_MAP_TYPE_RINGBUF: rc = sluice_ringbuf_init(m, err, errlen); break;
		case BPF_MAP_TYPE_QUEUE: case BPF_MAP_TYPE_STACK: rc = sluice_queue_stack_init(m, err, errlen); break;
		case BPF_MAP_TYPE_PERF_EVENT_ARRAY: rc = sluice_perf_event_array_init(m, err, errlen); break;
		default: rc = sluice_map_reject(m, err, errlen, EINVAL, "map type %u is not supported by sluice", type);
		}
	}
	if (rc == 0 && register_id(m) != 0) {
		if (m->ops && m->ops->free) m->ops->free(m);
		rc = sluice_map_reject(m, err, errlen, ENOMEM, "too many maps");
	}
	if (rc != 0) { sluice_big_free(m, sizeof *m); return NULL; }
	return m;
}

/* Map-in-map holds, as the kernel's references: a map closed while a slot
 * holds it loses its id at once (no new holds) and is destroyed when the last
 * slot lets go. Destruction waits for a grace period, so it runs outside any
 * read section: released maps queue on `doomed` and are reaped after the
 * control-plane call that released them. */
static struct sluice_map *doomed[1024];
static uint32_t n_doomed;

static void unregister_id(struct sluice_map *m)
{
	if (m->inner_map_id && m->inner_map_id < MAX_MAP_IDS && by_id[m->inner_map_id] == m)
		by_id[m->inner_map_id] = NULL;
}

void sluice_map_hold(struct sluice_map *inner)
{
	if (!inner) return;
	sluice_lock(&ids_lock);
	inner->outer_refs++;
	sluice_unlock(&ids_lock);
}

void sluice_map_release(struct sluice_map *inner)
{
	if (!inner) return;
	sluice_lock(&ids_lock);
	if (--inner->outer_refs == 0 && inner->dead && n_doomed < 1024) doomed[n_doomed++] = inner;
	sluice_unlock(&ids_lock);
}

static void destroy(struct sluice_map *m)
{
	/* Programs and other threads may still be reading: wait them out. */
	sluice_epoch_synchronize();
	if (m->ops->free) m->ops->free(m);
	sluice_big_free(m, sizeof *m);
}

/* Destroys maps whose last hold went away (never inside a read section). */
static void reap(void)
{
	for (;;) {
		sluice_lock(&ids_lock);
		struct sluice_map *m = n_doomed ? doomed[--n_doomed] : NULL;
		sluice_unlock(&ids_lock);
		if (!m) return;
		destroy(m);
	}
}

long sluice_map_free(struct sluice_map *m)
{
	if (!m) return 0;
	sluice_lock(&ids_lock);
	unregister_id(m);
	int held = m->outer_refs > 0;
	if (held) m->dead = 1;
	sluice_unlock(&ids_lock);
	if (!held) destroy(m); /* (freeing a map-in-map releases its inner maps) */
	reap();
	return held ? -EBUSY : 0;
}

long sluice_map_lookup(struct sluice_map *m, const void *key, void *value)
{
	if (!m->ops->lookup_sys) return -EINVAL;
	sluice_read_lock();
	long rc = m->ops->lookup_sys(m, key, value);
	sluice_read_unlock();
	return rc;
}

long sluice_map_update(struct sluice_map *m, const void *key, const void *value, uint64_t flags)
{
	if (!m->ops->update_sys) return -EINVAL;
	sluice_read_lock();
	long rc = m->ops->update_sys(m, key, value, flags);
	sluice_read_unlock();
	if (sluice_worker.read_depth == 0) reap();
	return rc;
}

long sluice_map_delete(struct sluice_map *m, const void *key)
{
	if (!m->ops->delete) return -EINVAL;
	sluice_read_lock();
	long rc = m->ops->delete(m, key);
	sluice_read_unlock();
	if (sluice_worker.read_depth == 0) reap();
	return rc;
}

long sluice_map_get_next_key(struct sluice_map *m, const void *key, void *next_key)
{
	if (!m->ops->get_next_key) return -EINVAL;
	sluice_read_lock();
	long rc = m->ops->get_next_key(m, key, next_key);
	sluice_read_unlock();
	return rc;
}

/* BPF_MAP_LOOKUP_AND_DELETE_ELEM: pop for queue/stack, lookup+delete otherwise. */
long sluice_map_lookup_and_delete(struct sluice_map *m, const void *key, void *value)
{
	long rc;
	sluice_read_lock();
	if (m->ops->pop) rc = m->ops->pop(m, value);
	else if (!m->ops->lookup_sys || !m->ops->delete) rc = -ENOTSUP;
	else if ((rc = m->ops->lookup_sys(m, key, value)) == 0) rc = m->ops->delete(m, key);
	sluice_read_unlock();
	return rc;
}

uint64_t sluice_map_value_base(struct sluice_map *m) { return (uint64_t)(uintptr_t)m->values; }
/* percpu_array: bytes from one CPU's copies to the next's (0 for other types). */
uint64_t sluice_map_cpu_stride(struct sluice_map *m) { return m->cpu_stride; }

/* The function bpf_map_lookup_elem dispatches to for this map (it never changes once the map
 * exists): the JIT calls it directly where a lookup's map is a constant. */
uint64_t sluice_map_lookup_fn(struct sluice_map *m) { return (uint64_t)(uintptr_t)m->ops->lookup; }

/* Bytes the control plane exchanges for one value: per-CPU maps carry one
 * 8-byte-aligned value per CPU, as the kernel's syscall does. */
uint32_t sluice_map_value_size_sys(struct sluice_map *m)
{
	switch (m->type) {
	case BPF_MAP_TYPE_PERCPU_ARRAY: case BPF_MAP_TYPE_PERCPU_HASH: case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return m->elem_size * m->ncpus;
	default:
		return m->value_size;
	}
}

uint64_t sluice_map_memory(struct sluice_map *m)
{
	uint64_t own = sizeof *m;
	if (m->ops->memory) return own + m->ops->memory(m);
	switch (m->type) {
	case BPF_MAP_TYPE_ARRAY: case BPF_MAP_TYPE_DEVMAP: case BPF_MAP_TYPE_XSKMAP:
	case BPF_MAP_TYPE_PROG_ARRAY: case BPF_MAP_TYPE_ARRAY_OF_MAPS:
		return own + (uint64_t)m->max_entries * m->elem_size;
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return own + (uint64_t)m->max_entries * m->elem_size * m->ncpus;
	default:
		return own;
	}
}

long sluice_map_dump(struct sluice_map *m, const void *after, void *keys, void *values, uint32_t max)
{
	uint8_t *k = keys, *v = values;
	uint32_t vsize = sluice_map_value_size_sys(m);
	long n = 0, rc;
	if (!m->ops->get_next_key || !m->ops->lookup_sys) return -EINVAL;
	if (max == 0) return 0;
	sluice_read_lock();
	if (m->ops->dump) {
		n = m->ops->dump(m, after, k, v, max);
		sluice_read_unlock();
		return n;
	}
	for (rc = m->ops->get_next_key(m, after, k); rc == 0;) {
		uint8_t *key = k + (uint64_t)n * m->key_size;
		if (m->ops->lookup_sys(m, key, v + (uint64_t)n * vsize) == 0) n++;
		if ((uint32_t)n >= max) break;
		/* the next key goes where the next entry will be written (over a
		 * key that vanished meanwhile: get_next_key reads before it writes) */
		rc = m->ops->get_next_key(m, key, k + (uint64_t)n * m->key_size);
	}
	sluice_read_unlock();
	return rc == 0 || rc == -ENOENT ? n : rc;
}

#define HUGE_2M (2ull << 20)

void *sluice_big_alloc(uint64_t size)
{
	if (sluice_pin_arena_active()) return sluice_pin_alloc(size); /* creating a pinned map */
	if (size < HUGE_2M) {
		void *p = aligned_alloc(64, (size + 63) & ~63ull);
		if (p) memset(p, 0, size);
		return p;
	}
	uint64_t len = (size + HUGE_2M - 1) & ~(HUGE_2M - 1);
	uint8_t *raw = mmap(NULL, len + HUGE_2M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) return NULL;
	uint8_t *p = (uint8_t *)(((uintptr_t)raw + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1));
	if (p > raw) munmap(raw, (size_t)(p - raw));
	uint8_t *end = raw + len + HUGE_2M;
	if (end > p + len) munmap(p + len, (size_t)(end - (p + len)));
	madvise(p, len, MADV_HUGEPAGE);
	return p;
}

void sluice_big_free(void *p, uint64_t size)
{
	if (!p || sluice_pin_contains(p)) return; /* pin segments go away whole (pin.c) */
	if (size < HUGE_2M) { free(p); return; }
	munmap(p, (size + HUGE_2M - 1) & ~(HUGE_2M - 1));
}

long sluice_map_set_spin_lock(struct sluice_map *m, uint32_t off)
{
	switch (m->type) {
	case BPF_MAP_TYPE_ARRAY: case BPF_MAP_TYPE_HASH: case BPF_MAP_TYPE_LRU_HASH: break;
	default: return -EINVAL; /* the kernel allows bpf_spin_lock in these only (and local storage) */
	}
	if ((off & 3) || (uint64_t)off + 4 > m->value_size) return -EINVAL;
	m->lock_off = off + 1;
	return 0;
}
