/* bpf_fib_lookup against tables the control plane fills (sluice has no
 * kernel FIB of its own): routes (longest-prefix match, kept in lpm_trie
 * maps, one per family), neighbours (a hash map: address -> MAC) and devices
 * (MAC, MTU from sluice_set_mtu, an optional source address). Semantics of
 * net/core/filter.c's bpf_ipv{4,6}_fib_lookup for XDP:
 *   no route, or a local route         -> BPF_FIB_LKUP_RET_NOT_FWDED
 *   blackhole / unreachable / prohibit -> _BLACKHOLE / _UNREACHABLE / _PROHIBIT
 *   tot_len > the device's MTU         -> _FRAG_NEEDED, mtu_result = MTU
 *   BPF_FIB_LOOKUP_SRC without an address on the device -> _NO_SRC_ADDR
 *   no neighbour for the next hop      -> _NO_NEIGH (unless BPF_FIB_LOOKUP_SKIP_NEIGH)
 *   success: ifindex, rt_metric, smac, dmac, mtu_result set; returns 0.
 * Rules, table ids (BPF_FIB_LOOKUP_TBID), VLANs and forwarding-disabled
 * devices are not modelled: every lookup uses the one table. */
#include <string.h>
#include "helpers.h"

#define AF_INET 2
#define AF_INET6 10
#define MAX_IFINDEX 4096
#define DEFAULT_MTU 1500
#define FIB_FLAGS (BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_OUTPUT | BPF_FIB_LOOKUP_SKIP_NEIGH | \
		   BPF_FIB_LOOKUP_TBID | BPF_FIB_LOOKUP_SRC)

/* route types (enum rtn_type in linux/rtnetlink.h) */
enum { RTN_UNICAST = 1, RTN_LOCAL = 2, RTN_BLACKHOLE = 6, RTN_UNREACHABLE = 7, RTN_PROHIBIT = 8 };

struct route { uint32_t type, ifindex, metric, has_gw; uint8_t gw[16]; };
struct neigh_key { uint32_t family; uint8_t addr[16]; };
struct dev { uint8_t mac[6]; uint8_t has_src4, has_src6; uint8_t src4[4]; uint8_t src6[16]; };

static struct sluice_map *routes4, *routes6, *neighbours;
static struct dev devs[MAX_IFINDEX];
static int fib_lock;

uint32_t sluice_mtu_of(uint32_t ifindex);

static int tables(void)
{
	if (__atomic_load_n(&neighbours, __ATOMIC_ACQUIRE)) return 0;
	sluice_lock(&fib_lock);
	if (!neighbours) {
		routes4 = sluice_map_create("fib4", BPF_MAP_TYPE_LPM_TRIE, 8, sizeof(struct route), 1u << 20, BPF_F_NO_PREALLOC, 1, NULL, 0);
		routes6 = sluice_map_create("fib6", BPF_MAP_TYPE_LPM_TRIE, 20, sizeof(struct route), 1u << 20, BPF_F_NO_PREALLOC, 1, NULL, 0);
		struct sluice_map *n = sluice_map_create("neigh", BPF_MAP_TYPE_HASH, sizeof(struct neigh_key), 8, 1u << 16, BPF_F_NO_PREALLOC, 1, NULL, 0);
		__atomic_store_n(&neighbours, n, __ATOMIC_RELEASE);
	}
	sluice_unlock(&fib_lock);
	return routes4 && routes6 && neighbours ? 0 : -ENOMEM;
}

static long addr_len(uint32_t family) { return family == AF_INET ? 4 : family == AF_INET6 ? 16 : -EAFNOSUPPORT; }

/* Adds or replaces a route; gw NULL for a directly connected prefix. */
long sluice_fib_route_set(uint32_t family, const uint8_t *addr, uint32_t prefixlen, uint32_t type,
			  uint32_t ifindex, const uint8_t *gw, uint32_t metric)
{
	long len = addr_len(family), rc;
	if (len < 0) return len;
	if ((rc = tables())) return rc;
	if (ifindex >= MAX_IFINDEX) return -ENODEV;
	uint8_t key[20] = { 0 };
	memcpy(key, &prefixlen, 4);
	memcpy(key + 4, addr, (size_t)len);
	struct route r = { .type = type, .ifindex = ifindex, .metric = metric, .has_gw = gw != NULL };
	if (gw) memcpy(r.gw, gw, (size_t)len);
	return sluice_map_update(family == AF_INET ? routes4 : routes6, key, &r, BPF_ANY);
}

long sluice_fib_route_delete(uint32_t family, const uint8_t *addr, uint32_t prefixlen)
{
	long len = addr_len(family), rc;
	if (len < 0) return len;
	if ((rc = tables())) return rc;
	uint8_t key[20] = { 0 };
	memcpy(key, &prefixlen, 4);
	memcpy(key + 4, addr, (size_t)len);
	return sluice_map_delete(family == AF_INET ? routes4 : routes6, key);
}

/* mac NULL deletes the neighbour. */
long sluice_fib_neigh_set(uint32_t family, const uint8_t *addr, const uint8_t *mac)
{
	long len = addr_len(family), rc;
	if (len < 0) return len;
	if ((rc = tables())) return rc;
	struct neigh_key k = { .family = family };
	memcpy(k.addr, addr, (size_t)len);
	if (!mac) return sluice_map_delete(neighbours, &k);
	uint8_t v[8] = { 0 };
	memcpy(v, mac, 6);
	return sluice_map_update(neighbours, &k, v, BPF_ANY);
}

/* A device's MAC and source addresses (src4 / src6 may be NULL). */
long sluice_fib_dev_set(uint32_t ifindex, const uint8_t *mac, const uint8_t *src4, const uint8_t *src6)
{
	if (ifindex == 0 || ifindex >= MAX_IFINDEX) return -ENODEV;
	struct dev d = { 0 };
	if (mac) memcpy(d.mac, mac, 6);
	if (src4) { d.has_src4 = 1; memcpy(d.src4, src4, 4); }
	if (src6) { d.has_src6 = 1; memcpy(d.src6, src6, 16); }
	sluice_lock(&fib_lock);
	devs[ifindex] = d;
	sluice_unlock(&fib_lock);
	return 0;
}

SLUICE_HELPER(fib_lookup)
{
	U(r1); U(r5);
	struct bpf_fib_lookup *p = (struct bpf_fib_lookup *)(uintptr_t)r2;
	if (r3 < sizeof *p || (r4 & ~(uint64_t)FIB_FLAGS)) return (uint64_t)-EINVAL;
	long len = addr_len(p->family);
	if (len < 0) return (uint64_t)len;
	if (tables()) return (uint64_t)-ENOMEM;
	uint8_t key[20];
	uint32_t plen = (uint32_t)len * 8;
	memcpy(key, &plen, 4);
	const uint8_t *dst = p->family == AF_INET ? (const uint8_t *)&p->ipv4_dst : (const uint8_t *)p->ipv6_dst;
	memcpy(key + 4, dst, (size_t)len);
	struct sluice_map *rt = p->family == AF_INET ? routes4 : routes6;
	const struct route *r = rt->ops->lookup(rt, key);
	if (!r || r->type == RTN_LOCAL) return BPF_FIB_LKUP_RET_NOT_FWDED;
	switch (r->type) {
	case RTN_UNICAST: break;
	case RTN_BLACKHOLE: return BPF_FIB_LKUP_RET_BLACKHOLE;
	case RTN_UNREACHABLE: return BPF_FIB_LKUP_RET_UNREACHABLE;
	case RTN_PROHIBIT: return BPF_FIB_LKUP_RET_PROHIBIT;
	default: return BPF_FIB_LKUP_RET_NOT_FWDED;
	}
	uint32_t mtu = sluice_mtu_of(r->ifindex);
	if (!mtu) mtu = DEFAULT_MTU;
	if (p->tot_len > mtu) { p->mtu_result = (uint16_t)mtu; return BPF_FIB_LKUP_RET_FRAG_NEEDED; }
	struct dev d = devs[r->ifindex < MAX_IFINDEX ? r->ifindex : 0];
	p->ifindex = r->ifindex;
	p->rt_metric = r->metric;
	if (r4 & BPF_FIB_LOOKUP_SRC) {
		if (p->family == AF_INET ? !d.has_src4 : !d.has_src6) return BPF_FIB_LKUP_RET_NO_SRC_ADDR;
		if (p->family == AF_INET) memcpy(&p->ipv4_src, d.src4, 4);
		else memcpy(p->ipv6_src, d.src6, 16);
	}
	if (!(r4 & BPF_FIB_LOOKUP_SKIP_NEIGH)) {
		struct neigh_key k = { .family = p->family };
		memcpy(k.addr, r->has_gw ? r->gw : dst, (size_t)len);
		const uint8_t *mac = neighbours->ops->lookup(neighbours, &k);
		if (!mac) return BPF_FIB_LKUP_RET_NO_NEIGH;
		memcpy(p->dmac, mac, 6);
		memcpy(p->smac, d.mac, 6);
	}
	p->mtu_result = (uint16_t)mtu;
	return BPF_FIB_LKUP_RET_SUCCESS;
}
