/* Benchmark support (bench/maps.ts): times helper-path map operations in a
 * native loop, so the figures are the map's cost, not the FFI's. Operations
 * run in bursts of 64 inside sluice_worker_begin/end, as a worker runs them. */
#include <time.h>
#include "map.h"
#include "worker.h"

enum { BENCH_LOOKUP = 0, BENCH_UPDATE = 1 };

/* Runs `iterations` operations over nkeys keys (key_size bytes each, used in
 * order, wrapping); returns the thread's CPU time in nanoseconds (time spent
 * preempted on a shared machine is left out, as the kernel's test-run timer
 * leaves out time it yields the CPU). *found receives how many
 * lookups found a value (so the loop is not optimised away, and as a check). */
uint64_t sluice_bench_map(struct sluice_map *m, const uint8_t *keys, uint32_t nkeys, uint64_t iterations,
			  uint32_t op, const void *value, uint64_t *found)
{
	struct timespec a, b;
	uint64_t hits = 0, i = 0;
	uint32_t k = 0;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	while (i < iterations) {
		sluice_worker_begin();
		for (int j = 0; j < 64 && i < iterations; j++, i++) {
			const uint8_t *key = keys + (uint64_t)k * m->key_size;
			if (++k == nkeys) k = 0;
			if (op == BENCH_LOOKUP) hits += m->ops->lookup(m, key) != NULL;
			else hits += m->ops->update(m, key, value, BPF_ANY) == 0;
		}
		sluice_worker_end();
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	*found = hits;
	return (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ull + (uint64_t)(b.tv_nsec - a.tv_nsec);
}
