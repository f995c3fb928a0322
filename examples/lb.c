// SPDX-License-Identifier: GPL-2.0
/* lb — a stateless layer-4 load balancer (the shape of Katran, much smaller).
 *
 * A TCP or UDP packet to a virtual service (VIP address, port, protocol) found
 * in `vips` is sent to one of that service's backends: the backend is chosen
 * by a hash of the 5-tuple, so every packet of a flow reaches the same
 * backend without any per-flow state. The packet is encapsulated in a new
 * outer IPv4 header (IPIP, protocol 4) from `tunnel_source` to the backend,
 * made room for with bpf_xdp_adjust_head, and sent back out of the port it
 * came in on (XDP_TX) with its MAC addresses swapped, i.e. back to the router
 * that delivered it. The backend decapsulates and answers the client directly.
 *
 * Maps: vips (hash: struct vip_key -> struct vip_info, a range of slots in
 * backends), backends (array: slot -> struct backend). Other traffic passes;
 * a VIP with no usable backend is dropped. IPv4 only. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_BACKENDS 256
#define IP_MF_OR_OFFSET 0x3fff /* more-fragments flag and fragment offset */

struct vip_key {
	__be32 addr;
	__be16 port;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;   /* always 0 */
};

struct vip_info {
	__u32 first; /* first slot in backends */
	__u32 count; /* number of slots, from first on */
};

struct backend {
	__be32 addr; /* the backend's IPv4 address, the tunnel's far end */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct vip_key);
	__type(value, struct vip_info);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

/* The load balancer's own address: the outer source of every tunnel. */
const volatile __be32 tunnel_source = __bpf_constant_htonl(0x0a000001); /* 10.0.0.1 */

static __always_inline __u32 rotl32(__u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

/* One MurmurHash3 round: mixes a 32-bit word into the running hash. */
static __always_inline __u32 mix(__u32 h, __u32 k)
{
	k *= 0xcc9e2d51;
	k = rotl32(k, 15);
	k *= 0x1b873593;
	h ^= k;
	h = rotl32(h, 13);
	return h * 5 + 0xe6546b64;
}

static __always_inline __u32 flow_hash(__be32 saddr, __be32 daddr, __be16 sport,
				       __be16 dport, __u8 proto)
{
	__u32 h = 0x2545f491 ^ proto;

	h = mix(h, saddr);
	h = mix(h, daddr);
	h = mix(h, ((__u32)sport << 16) | dport);
	/* Final avalanche, so that every input bit moves the low bits too. */
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* The Internet checksum of a 20-byte IPv4 header (RFC 1071). */
static __always_inline __u16 ipv4_checksum(struct iphdr *ip)
{
	__u16 *word = (__u16 *)ip;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < (int)sizeof(*ip) / 2; i++)
		sum += word[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct vip_key vip = {};
	struct vip_info *info;
	struct backend *be;
	struct ethhdr orig_eth;
	struct iphdr *outer;
	__be16 sport, dport;
	__u16 inner_len;
	__u32 slot;
	__u8 tos;

	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl < 5)
		return XDP_PASS;
	/* Fragments have no ports to hash on: leave them to the kernel. */
	if (ip->frag_off & bpf_htons(IP_MF_OR_OFFSET))
		return XDP_PASS;

	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)ip + ip->ihl * 4;

		if ((void *)(tcp + 1) > data_end)
			return XDP_PASS;
		sport = tcp->source;
		dport = tcp->dest;
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)ip + ip->ihl * 4;

		if ((void *)(udp + 1) > data_end)
			return XDP_PASS;
		sport = udp->source;
		dport = udp->dest;
	} else {
		return XDP_PASS;
	}

	vip.addr = ip->daddr;
	vip.port = dport;
	vip.proto = ip->protocol;
	info = bpf_map_lookup_elem(&vips, &vip);
	if (!info)
		return XDP_PASS;
	if (info->count == 0)
		return XDP_DROP;
	slot = info->first + flow_hash(ip->saddr, ip->daddr, sport, dport, ip->protocol) % info->count;
	be = bpf_map_lookup_elem(&backends, &slot); /* NULL when slot >= MAX_BACKENDS */
	if (!be || be->addr == 0)
		return XDP_DROP;

	/* Keep what the new headers need: adjust_head invalidates every packet
	 * pointer taken before it. */
	__builtin_memcpy(&orig_eth, eth, sizeof(orig_eth));
	inner_len = bpf_ntohs(ip->tot_len);
	tos = ip->tos;

	/* Grow the frame at the front by one IPv4 header. */
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > data_end)
		return XDP_DROP;

	__builtin_memcpy(eth->h_dest, orig_eth.h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, orig_eth.h_dest, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);

	outer->version = 4;
	outer->ihl = 5;
	outer->tos = tos;
	outer->tot_len = bpf_htons(inner_len + sizeof(struct iphdr));
	outer->id = 0;
	outer->frag_off = 0;
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->saddr = tunnel_source;
	outer->daddr = be->addr;
	outer->check = 0;
	outer->check = ipv4_checksum(outer);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
