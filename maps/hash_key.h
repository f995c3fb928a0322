/* Hashing and comparing hash-map keys (maps/hash.c). Seeded: the secrets
 * come from the map's address unless BPF_F_ZERO_SEED asks for a fixed hash. */
#ifndef SLUICE_HASH_KEY_H
#define SLUICE_HASH_KEY_H
#include <stdint.h>
#include <string.h>

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33; x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

/* One 64x64->128 multiply folded (the high half carries every input bit to
 * the low bits the bucket index uses). */
static inline uint64_t mum(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* The common key sizes (IPv4 address, port tuple: 4; u64: 8; IPv6 address:
 * 16) take one multiply after xoring the key with the map's secrets; others
 * fold 8 bytes at a time. The secrets come from the map's address unless
 * BPF_F_ZERO_SEED asks for a fixed hash. */
static inline uint32_t hash4(const uint8_t *p, uint64_t s1, uint64_t s2) { uint32_t w; memcpy(&w, p, 4); return (uint32_t)mum(w ^ s1, s2); }
static inline uint32_t hash8(const uint8_t *p, uint64_t s1, uint64_t s2) { uint64_t w; memcpy(&w, p, 8); return (uint32_t)mum(w ^ s1, s2); }
static inline uint32_t hash16(const uint8_t *p, uint64_t s1, uint64_t s2)
{
	uint64_t a, b;
	memcpy(&a, p, 8);
	memcpy(&b, p + 8, 8);
	return (uint32_t)mum(a ^ s1, b ^ s2);
}

static inline uint32_t hash_bytes(const uint8_t *p, uint32_t n, uint64_t s1, uint64_t s2)
{
	if (n == 4) return hash4(p, s1, s2);
	if (n == 8) return hash8(p, s1, s2);
	if (n == 16) return hash16(p, s1, s2);
	uint64_t acc = s1 ^ ((uint64_t)n * 0x9e3779b97f4a7c15ull);
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		acc = (acc ^ mix64(w)) * 0x9e3779b97f4a7c15ull;
		p += 8; n -= 8;
	}
	if (n) { uint64_t w = 0; memcpy(&w, p, n); acc ^= mix64(w ^ ((uint64_t)n << 56)); }
	return (uint32_t)mix64(acc);
}

static inline int key_equal(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	if (n == 4) { uint32_t x, y; memcpy(&x, a, 4); memcpy(&y, b, 4); return x == y; }
	if (n == 8) { uint64_t x, y; memcpy(&x, a, 8); memcpy(&y, b, 8); return x == y; }
	if (n == 16) {
		uint64_t x0, x1, y0, y1;
		memcpy(&x0, a, 8); memcpy(&x1, a + 8, 8); memcpy(&y0, b, 8); memcpy(&y1, b + 8, 8);
		return ((x0 ^ y0) | (x1 ^ y1)) == 0;
	}
	return memcmp(a, b, n) == 0;
}

#endif
