/* bpf_csum_diff(from, from_size, to, to_size, seed): the one's complement sum
 * of seed, the complement of each 32-bit word of `from` and each word of `to`,
 * as the kernel computes it on x86-64 (csum_partial: 64-bit end-around-carry
 * accumulation of little-endian words, folded to 32 bits). Sizes must be
 * multiples of 4 and total at most 512 bytes, else -EINVAL. */
#include <string.h>
#include "helpers.h"

#define DIFF_MAX 512

static inline uint64_t add_carry64(uint64_t a, uint64_t b)
{
	uint64_t s = a + b;
	return s + (s < a);
}

static inline uint32_t add_carry32(uint32_t a, uint32_t b)
{
	uint32_t s = a + b;
	return s + (s < a);
}

uint32_t sluice_csum_partial(const uint8_t *buf, uint32_t len, uint32_t seed)
{
	uint64_t acc = seed;
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, buf, 8);
		acc = add_carry64(acc, w);
		buf += 8; len -= 8;
	}
	if (len >= 4) {
		uint32_t w;
		memcpy(&w, buf, 4);
		acc = add_carry64(acc, w);
		buf += 4; len -= 4;
	}
	/* (len is a multiple of 4 for csum_diff; other tails are not needed) */
	return add_carry32((uint32_t)(acc >> 32), (uint32_t)acc);
}

SLUICE_HELPER(csum_diff)
{
	const uint32_t *from = (const uint32_t *)(uintptr_t)r1, *to = (const uint32_t *)(uintptr_t)r3;
	uint32_t from_size = (uint32_t)r2, to_size = (uint32_t)r4;
	uint64_t total = (uint64_t)from_size + to_size;
	if (((from_size | to_size) & 3) || total > DIFF_MAX) return (uint64_t)-EINVAL;
	uint32_t diff[DIFF_MAX / 4];
	uint32_t j = 0;
	for (uint32_t i = 0; i < from_size / 4; i++) { uint32_t w; memcpy(&w, from + i, 4); diff[j++] = ~w; }
	for (uint32_t i = 0; i < to_size / 4; i++) { uint32_t w; memcpy(&w, to + i, 4); diff[j++] = w; }
	return sluice_csum_partial((const uint8_t *)diff, (uint32_t)total, (uint32_t)r5);
}
