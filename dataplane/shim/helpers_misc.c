/* bpf_spin_lock / bpf_spin_unlock (struct bpf_spin_lock is one u32 inside a
 * map value) and bpf_loop. */
#include <stdint.h>
#include "helpers.h"

#define BPF_MAX_LOOPS (8u * 1024 * 1024)

SLUICE_HELPER(spin_lock)
{
	U(r2); U(r3); U(r4); U(r5);
	uint32_t *l = (uint32_t *)(uintptr_t)r1;
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED)) __builtin_ia32_pause();
	return 0;
}

SLUICE_HELPER(spin_unlock)
{
	U(r2); U(r3); U(r4); U(r5);
	__atomic_store_n((uint32_t *)(uintptr_t)r1, 0, __ATOMIC_RELEASE);
	return 0;
}

/* bpf_loop(nr_loops, callback, ctx, flags): callback(i, ctx) for i = 0.. until
 * it returns non-zero; returns the number of calls made. */
SLUICE_HELPER(loop)
{
	U(r5);
	sluice_helper_fn cb = (sluice_helper_fn)(uintptr_t)r2;
	if (r4) return (uint64_t)-EINVAL;
	if (r1 > BPF_MAX_LOOPS) return (uint64_t)-E2BIG;
	uint64_t i;
	for (i = 0; i < r1; i++)
		if (cb(i, r3, 0, 0, 0)) return i + 1;
	return i;
}
