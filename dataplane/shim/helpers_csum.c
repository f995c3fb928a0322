/* bpf_csum_diff(from, from_size, to, to_size, seed) as kernel 6.x computes it
 * on every architecture (checked against this machine's kernel by
 * test/helpers-kernel.test.ts): one's complement sums of 32-bit words with
 * end-around carry, folded to 16 bits (csum_from32to16):
 *   from and to:  fold(csum_sub(csum(to, seed), csum(from, 0)))
 *   to only:      fold(csum(to, seed))
 *   from only:    fold(~csum(from, ~seed))
 *   neither:      fold(seed)
 * Sizes must be multiples of 4 and total at most 512 bytes, else -EINVAL. */
#include <string.h>
#include "helpers.h"

#define DIFF_MAX 512

static inline uint32_t csum_add(uint32_t a, uint32_t b)
{
	uint32_t s = a + b;
	return s + (s < b);
}

/* The 32-bit one's complement sum of n words starting from seed: 0 only when
 * everything is 0, the same value x86's csum_partial returns. */
static uint32_t csum_words(const uint8_t *p, uint32_t size, uint32_t seed)
{
	uint32_t acc = seed;
	for (uint32_t i = 0; i < size; i += 4) {
		uint32_t w;
		memcpy(&w, p + i, 4);
		acc = csum_add(acc, w);
	}
	return acc;
}

static inline uint32_t fold16(uint32_t x)
{
	x = (x & 0xffff) + (x >> 16);
	return (x & 0xffff) + (x >> 16);
}

SLUICE_HELPER(csum_diff)
{
	const uint8_t *from = (const uint8_t *)(uintptr_t)r1, *to = (const uint8_t *)(uintptr_t)r3;
	uint32_t from_size = (uint32_t)r2, to_size = (uint32_t)r4, seed = (uint32_t)r5;
	if (((r2 | r4) & 3) || r2 + r4 > DIFF_MAX) return (uint64_t)-EINVAL;
	if (from_size && to_size)
		return fold16(csum_add(csum_words(to, to_size, seed), ~csum_words(from, from_size, 0)));
	if (to_size) return fold16(csum_words(to, to_size, seed));
	if (from_size) return fold16(~csum_words(from, from_size, ~seed));
	return fold16(seed);
}
