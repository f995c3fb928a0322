/* The example programs' logic in plain C, compiled natively with gcc -O2 by
 * bench/jit.ts: the practical limit the JIT is compared with. Each function
 * takes the same struct sluice_xdp_buff the JIT'd code receives and returns
 * the XDP action; the loops below call them per packet through a function
 * pointer, over the same xdp_buffs the JIT runs on.
 *
 * Maps become C data structures with the same work per packet:
 *   array / per-CPU array        a plain array (one CPU: the bench runs one worker)
 *   hash (blocked_v4, port_rules, blocked_v6)  a chained hash table (Murmur3-style
 *                                mix of the key words, power-of-two buckets)
 *   LPM trie (blocked_net_v4/v6) a binary trie walked bit by bit from the root
 *   .rodata defaults             const arrays
 * The tables are empty, as the examples' maps are in the benchmark, so the
 * work per lookup is the hash (or the trie root check) and one bucket probe. */
#include <stdint.h>
#include <string.h>
#include <time.h>
#include "xdp.h"
#include "classify.h"

#define noinline __attribute__((noinline))

/* --- xdp_pass: the burst loop's own cost --------------------------------- */
noinline int native_pass(struct sluice_xdp_buff *ctx) { (void)ctx; return SLUICE_PASS; }

/* --- xdp_drop: count packets and bytes atomically, drop ------------------ */
static struct { uint64_t packets, bytes; } drop_stats[1];

noinline int native_drop(struct sluice_xdp_buff *ctx)
{
	uint32_t key = 0;
	__sync_fetch_and_add(&drop_stats[key].packets, 1);
	__sync_fetch_and_add(&drop_stats[key].bytes, (uint64_t)(uint32_t)(ctx->data_end - ctx->data));
	return SLUICE_DROP;
}

/* --- xdp_tx: swap MAC addresses, transmit -------------------------------- */
noinline int native_tx(struct sluice_xdp_buff *ctx)
{
	uint8_t *eth = ctx->data, tmp[6];
	if (eth + 14 > ctx->data_end)
		return SLUICE_DROP;
	memcpy(tmp, eth, 6);
	memcpy(eth, eth + 6, 6);
	memcpy(eth + 6, tmp, 6);
	return SLUICE_TX;
}

/* --- firewall ------------------------------------------------------------ */
struct hnode { struct hnode *next; uint32_t hash; uint8_t key[16]; uint64_t hits; };
struct htable { struct hnode *bucket[1024]; uint32_t key_size; };
struct lnode { struct lnode *child[2]; uint32_t prefixlen; int leaf; uint64_t hits; };

static struct htable blocked_v4 = { .key_size = 4 }, blocked_v6 = { .key_size = 16 }, port_rules = { .key_size = 4 };
static struct lnode *blocked_net_v4, *blocked_net_v6;
static uint64_t fw_verdicts[5], fw_reasons[8];

static const uint32_t default_net_v4[2] = { 0x000200c0u, 0x00ffffffu };            /* 192.0.2.0/24, network order */
static const uint32_t default_net_v6[2][4] = { { 0xb80d0120u, 0x0000ad0bu, 0, 0 },  /* 2001:db8:bad::/48 */
					       { 0xffffffffu, 0x0000ffffu, 0, 0 } };
static const struct { uint8_t proto; uint16_t port; } default_ports[4] = { { 6, 23 }, { 6, 445 }, { 17, 19 }, { 17, 11211 } };

static inline uint32_t hmix(uint32_t h, uint32_t k)
{
	k *= 0xcc9e2d51u; k = (k << 15) | (k >> 17); k *= 0x1b873593u;
	h ^= k; h = (h << 13) | (h >> 19);
	return h * 5 + 0xe6546b64u;
}

static uint64_t *hlookup(struct htable *t, const void *key)
{
	uint32_t h = 0, w;
	for (uint32_t i = 0; i < t->key_size; i += 4) {
		memcpy(&w, (const uint8_t *)key + i, 4);
		h = hmix(h, w);
	}
	h ^= h >> 16;
	for (struct hnode *n = t->bucket[h & 1023]; n; n = n->next)
		if (n->hash == h && !memcmp(n->key, key, t->key_size))
			return &n->hits;
	return 0;
}

static uint64_t *llookup(struct lnode *root, const uint8_t *addr, uint32_t bits)
{
	uint64_t *best = 0;
	struct lnode *n = root;
	for (uint32_t depth = 0; n; depth++) {
		if (n->leaf && n->prefixlen <= bits)
			best = &n->hits;
		if (depth >= bits)
			break;
		n = n->child[(addr[depth / 8] >> (7 - depth % 8)) & 1];
	}
	return best;
}

static int rule_hit(uint64_t *hits, int reason) { __sync_fetch_and_add(hits, 1); return reason; }

static int check_port(uint8_t proto, uint16_t dport_be)
{
	uint8_t key[4] = { proto, 0, (uint8_t)dport_be, (uint8_t)(dport_be >> 8) };
	uint64_t *hits = hlookup(&port_rules, key);
	if (hits)
		return rule_hit(hits, 6);
	uint16_t port = (uint16_t)((dport_be >> 8) | (dport_be << 8));
	for (int i = 0; i < 4; i++)
		if (default_ports[i].proto == proto && default_ports[i].port == port)
			return 7;
	return 1;
}

static int check_l4(uint8_t *l4, uint8_t *end, uint8_t proto)
{
	uint16_t dport;
	if (proto == 6) {
		if (l4 + 20 > end) return 2;
		memcpy(&dport, l4 + 2, 2);
		return check_port(proto, dport);
	}
	if (proto == 17) {
		if (l4 + 8 > end) return 2;
		memcpy(&dport, l4 + 2, 2);
		return check_port(proto, dport);
	}
	return 1;
}

static int judge_ipv4(uint8_t *ip, uint8_t *end)
{
	uint32_t saddr;
	uint64_t *hits;
	if (ip + 20 > end || (ip[0] >> 4) != 4 || (ip[0] & 15) < 5)
		return 2;
	memcpy(&saddr, ip + 12, 4);
	if ((hits = hlookup(&blocked_v4, &saddr)))
		return rule_hit(hits, 3);
	if ((hits = llookup(blocked_net_v4, ip + 12, 32)))
		return rule_hit(hits, 4);
	if ((saddr & default_net_v4[1]) == default_net_v4[0])
		return 5;
	if (((ip[6] << 8) | ip[7]) & 0x1fff)
		return 1;
	return check_l4(ip + (ip[0] & 15) * 4, end, ip[9]);
}

static int judge_ipv6(uint8_t *ip6, uint8_t *end)
{
	uint32_t saddr[4];
	uint64_t *hits;
	int in_default = 1;
	if (ip6 + 40 > end || (ip6[0] >> 4) != 6)
		return 2;
	memcpy(saddr, ip6 + 8, 16);
	if ((hits = hlookup(&blocked_v6, saddr)))
		return rule_hit(hits, 3);
	if ((hits = llookup(blocked_net_v6, ip6 + 8, 128)))
		return rule_hit(hits, 4);
	for (int i = 0; i < 4; i++)
		if ((saddr[i] & default_net_v6[1][i]) != default_net_v6[0][i])
			in_default = 0;
	if (in_default)
		return 5;
	return check_l4(ip6 + 40, end, ip6[6]);
}

static int judge(struct sluice_xdp_buff *ctx)
{
	uint8_t *data = ctx->data, *end = ctx->data_end, *l3 = data + 14;
	if (l3 > end)
		return 2;
	uint16_t proto = (uint16_t)((data[12] << 8) | data[13]);
	for (int i = 0; i < 2; i++) {
		if (proto != 0x8100 && proto != 0x88a8)
			break;
		if (l3 + 4 > end)
			return 2;
		proto = (uint16_t)((l3[2] << 8) | l3[3]);
		l3 += 4;
	}
	if (proto == 0x0800)
		return judge_ipv4(l3, end);
	if (proto == 0x86dd)
		return judge_ipv6(l3, end);
	return 0;
}

noinline int native_firewall(struct sluice_xdp_buff *ctx)
{
	uint32_t reason = (uint32_t)judge(ctx);
	uint32_t action = reason <= 1 ? SLUICE_PASS : SLUICE_DROP;
	if (reason < 8) fw_reasons[reason] += 1;
	if (action < 5) fw_verdicts[action] += 1;
	return (int)action;
}

/* --- classify: the shared logic of classify.h ---------------------------- */
noinline int native_classify(struct sluice_xdp_buff *ctx) { return classify(ctx->data, ctx->data_end); }

/* --- the loops ------------------------------------------------------------ */
typedef int (*native_prog)(struct sluice_xdp_buff *);

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* 0: pass, 1: drop, 2: tx, 3: firewall, 4: classify */
static native_prog const programs[] = { native_pass, native_drop, native_tx, native_firewall, native_classify };

/* Runs program `which` over buffs[0..n) `rounds` times, one call per packet through
 * a function pointer the compiler cannot see through; returns the nanoseconds. */
uint64_t bench_native(uint32_t which, struct sluice_xdp_buff *buffs, uint32_t *verdicts, uint32_t n, uint64_t rounds)
{
	if (which >= sizeof(programs) / sizeof(programs[0]))
		return 0;
	native_prog volatile chosen = programs[which];
	native_prog prog = chosen;
	uint64_t t0 = now_ns();
	for (uint64_t r = 0; r < rounds; r++)
		for (uint32_t i = 0; i < n; i++)
			verdicts[i] = (uint32_t)prog(&buffs[i]);
	return now_ns() - t0;
}

/* Runs a JIT'd burst entry over the same buffs `rounds` times through
 * burst_run (sluice_burst_run: the worker read section drivers use); returns ns. */
uint64_t bench_entry(void *burst_run, void *entry, struct sluice_xdp_buff *buffs, uint32_t *verdicts, uint32_t n, uint64_t rounds)
{
	uint64_t (*run)(void *, void *, uint32_t *, uint64_t) = (uint64_t (*)(void *, void *, uint32_t *, uint64_t))burst_run;
	uint64_t t0 = now_ns();
	for (uint64_t r = 0; r < rounds; r++)
		run(entry, buffs, verdicts, n);
	return now_ns() - t0;
}
