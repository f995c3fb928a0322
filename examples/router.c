// SPDX-License-Identifier: GPL-2.0
/* router — an IPv4 forwarder in XDP. The destination address is looked up in
 * the `routes` LPM trie (longest prefix wins); the route names an output slot
 * of the `tx_ports` devmap and the next hop's MAC address. The TTL is
 * decremented with an incremental checksum update (RFC 1624) instead of
 * summing the header again, the MACs are rewritten, and bpf_redirect_map sends
 * the frame out of the device in that slot.
 *
 * Left to the kernel (XDP_PASS): non-IPv4 frames, destinations without a
 * route, and packets whose TTL would expire (the kernel sends the ICMP Time
 * Exceeded). A route whose devmap slot holds no device is a configuration
 * error and its frames are dropped: the low bits of bpf_redirect_map's flags
 * are the verdict it returns when the slot is empty. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct route_key {
	__u32 prefixlen; /* bits, host order; lookups use 32 */
	__u8 addr[4];    /* network order */
};

struct route {
	__u32 port;           /* slot in tx_ports */
	__u8 next_hop[ETH_ALEN]; /* destination MAC */
	__u8 source[ETH_ALEN];   /* the output port's own MAC */
};

enum fwd_counter {
	FWD_FORWARDED,
	FWD_NO_ROUTE,
	FWD_TTL_EXPIRED,
	FWD_NOT_IPV4,
	FWD_COUNTERS
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct route_key);
	__type(value, struct route);
} routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 64);
	__type(key, __u32);   /* slot */
	__type(value, __u32); /* ifindex */
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FWD_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} fwd_stats SEC(".maps");

static __always_inline void count(__u32 counter)
{
	__u64 *packets = bpf_map_lookup_elem(&fwd_stats, &counter);

	if (packets)
		*packets += 1;
}

/* RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m') when one 16-bit word of the
 * header changes from m to m'. One's complement sums do not depend on byte
 * order, so the words are used as they sit in the packet. */
static __always_inline void csum_replace16(__u16 *check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~*check;

	sum += (__u16)~old;
	sum += new;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	*check = ~sum;
}

SEC("xdp")
int xdp_router(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct route_key key = { .prefixlen = 32 };
	struct route *rt;
	__u16 old_word, new_word;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->version != 4 || ip->ihl < 5) {
		count(FWD_NOT_IPV4);
		return XDP_PASS;
	}

	__builtin_memcpy(key.addr, &ip->daddr, sizeof(key.addr));
	rt = bpf_map_lookup_elem(&routes, &key);
	if (!rt) {
		count(FWD_NO_ROUTE);
		return XDP_PASS;
	}
	if (ip->ttl <= 1) {
		count(FWD_TTL_EXPIRED);
		return XDP_PASS;
	}

	/* TTL and protocol share one 16-bit word of the header. */
	old_word = *(__u16 *)&ip->ttl;
	ip->ttl--;
	new_word = *(__u16 *)&ip->ttl;
	csum_replace16(&ip->check, old_word, new_word);

	__builtin_memcpy(eth->h_dest, rt->next_hop, ETH_ALEN);
	__builtin_memcpy(eth->h_source, rt->source, ETH_ALEN);
	count(FWD_FORWARDED);
	return bpf_redirect_map(&tx_ports, rt->port, XDP_DROP);
}

char LICENSE[] SEC("license") = "GPL";
