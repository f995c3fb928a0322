/* Time, randomness and "which CPU" helpers. The CPU is the worker's per-CPU
 * slot (sluice_worker_set), never sched_getcpu(). */
#include <sys/random.h>
#include <time.h>
#include "helpers.h"

/* jiffies are counted at this rate from CLOCK_MONOTONIC (the kernel's HZ is a
 * build option; programs compare jiffies with each other, not with wall time). */
#define SLUICE_HZ 1000

static inline uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

SLUICE_HELPER(ktime_get_ns) { U(r1); U(r2); U(r3); U(r4); U(r5); return clock_ns(CLOCK_MONOTONIC); }
SLUICE_HELPER(ktime_get_boot_ns) { U(r1); U(r2); U(r3); U(r4); U(r5); return clock_ns(CLOCK_BOOTTIME); }
SLUICE_HELPER(ktime_get_coarse_ns) { U(r1); U(r2); U(r3); U(r4); U(r5); return clock_ns(CLOCK_MONOTONIC_COARSE); }
SLUICE_HELPER(ktime_get_tai_ns) { U(r1); U(r2); U(r3); U(r4); U(r5); return clock_ns(CLOCK_TAI); }
SLUICE_HELPER(jiffies64) { U(r1); U(r2); U(r3); U(r4); U(r5); return clock_ns(CLOCK_MONOTONIC_COARSE) / (1000000000ull / SLUICE_HZ); }

/* xorshift128+ per thread, seeded from getrandom() on first use. */
static __thread uint64_t rnd[2];

SLUICE_HELPER(get_prandom_u32)
{
	U(r1); U(r2); U(r3); U(r4); U(r5);
	if (!rnd[0] && !rnd[1]) {
		if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd || (!rnd[0] && !rnd[1])) {
			rnd[0] = clock_ns(CLOCK_MONOTONIC) | 1;
			rnd[1] = (uint64_t)(uintptr_t)&rnd ^ 0x9e3779b97f4a7c15ull;
		}
	}
	uint64_t a = rnd[0], b = rnd[1];
	rnd[0] = b;
	a ^= a << 23;
	a ^= a >> 17;
	a ^= b ^ (b >> 26);
	rnd[1] = a;
	return (uint32_t)((a + b) >> 32);
}

SLUICE_HELPER(get_smp_processor_id) { U(r1); U(r2); U(r3); U(r4); U(r5); return sluice_worker.cpu; }
SLUICE_HELPER(get_numa_node_id) { U(r1); U(r2); U(r3); U(r4); U(r5); return 0; }
