/* BPF_MAP_TYPE_QUEUE (FIFO) and BPF_MAP_TYPE_STACK (LIFO): a ring of
 * max_entries + 1 slots under a spin lock (values are copied in and out, so
 * nobody holds a pointer into it). As the kernel: push on a full map fails with
 * -E2BIG unless BPF_EXIST, which drops the oldest value to make room; pop and
 * peek on an empty map return -ENOENT; keys are absent (key_size 0). */
#include <stdlib.h>
#include <string.h>
#include "map.h"

#define QS_FLAGS (BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)

struct qs { uint32_t head, tail, size; uint8_t *elems; };

static inline struct qs *Q(struct sluice_map *m) { return m->impl; }
static inline uint8_t *at(struct sluice_map *m, uint32_t i) { return Q(m)->elems + (uint64_t)i * m->value_size; }

static long qs_push(struct sluice_map *m, const void *value, uint64_t flags)
{
	struct qs *q = Q(m);
	if ((flags & BPF_NOEXIST) || flags > BPF_EXIST) return -EINVAL;
	sluice_lock(&m->lock);
	uint32_t next = q->head + 1 == q->size ? 0 : q->head + 1;
	if (next == q->tail) {
		if (!(flags & BPF_EXIST)) { sluice_unlock(&m->lock); return -E2BIG; }
		q->tail = q->tail + 1 == q->size ? 0 : q->tail + 1; /* drop the oldest */
	}
	memcpy(at(m, q->head), value, m->value_size);
	q->head = next;
	sluice_unlock(&m->lock);
	return 0;
}

static long qs_take(struct sluice_map *m, void *value, int remove)
{
	struct qs *q = Q(m);
	sluice_lock(&m->lock);
	if (q->head == q->tail) { sluice_unlock(&m->lock); return -ENOENT; }
	if (m->type == BPF_MAP_TYPE_QUEUE) {
		memcpy(value, at(m, q->tail), m->value_size);
		if (remove) q->tail = q->tail + 1 == q->size ? 0 : q->tail + 1;
	} else {
		uint32_t top = q->head == 0 ? q->size - 1 : q->head - 1;
		memcpy(value, at(m, top), m->value_size);
		if (remove) q->head = top;
	}
	sluice_unlock(&m->lock);
	return 0;
}

static long qs_pop(struct sluice_map *m, void *value) { return qs_take(m, value, 1); }
static long qs_peek(struct sluice_map *m, void *value) { return qs_take(m, value, 0); }
static void *qs_lookup(struct sluice_map *m, const void *k) { (void)m; (void)k; return NULL; }
static long qs_lookup_sys(struct sluice_map *m, const void *k, void *v) { (void)k; return qs_peek(m, v); }
static long qs_update(struct sluice_map *m, const void *k, const void *v, uint64_t f) { (void)k; return qs_push(m, v, f); }
static long qs_delete(struct sluice_map *m, const void *k) { (void)m; (void)k; return -EINVAL; }
static long qs_next(struct sluice_map *m, const void *k, void *n) { (void)m; (void)k; (void)n; return -EINVAL; }
static void qs_free(struct sluice_map *m) { if (Q(m)) { free(Q(m)->elems); free(Q(m)); } }

static const struct sluice_map_ops qs_ops = {
	.lookup = qs_lookup, .update = qs_update, .delete = qs_delete, .get_next_key = qs_next,
	.lookup_sys = qs_lookup_sys, .update_sys = qs_update, .push = qs_push, .pop = qs_pop,
	.peek = qs_peek, .free = qs_free,
};

int sluice_queue_stack_init(struct sluice_map *m, char *err, uint32_t errlen)
{
	if (m->key_size != 0) return sluice_map_reject(m, err, errlen, EINVAL, "key_size must be 0 for a queue or stack");
	if (m->value_size == 0) return sluice_map_reject(m, err, errlen, EINVAL, "value_size must be > 0");
	if (m->map_flags & ~(uint32_t)QS_FLAGS) return sluice_map_reject(m, err, errlen, EINVAL, "flags 0x%x not allowed for a queue or stack", m->map_flags);
	if ((uint64_t)m->value_size * (m->max_entries + 1ull) > (1ull << 32))
		return sluice_map_reject(m, err, errlen, E2BIG, "storage exceeds 4 GiB");
	struct qs *q = calloc(1, sizeof *q);
	if (q) { q->size = m->max_entries + 1; q->elems = calloc(q->size, m->value_size); }
	if (!q || !q->elems) { free(q); return sluice_map_reject(m, err, errlen, ENOMEM, "out of memory"); }
	m->impl = q;
	m->ops = &qs_ops;
	return 0;
}
