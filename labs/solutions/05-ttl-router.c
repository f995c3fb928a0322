// SPDX-License-Identifier: GPL-2.0
/* Lab 5 reference solution: route by exact destination, TTL - 1 with an
 * incremental checksum update, next-hop MACs, redirect through a devmap. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct next_hop {
	__u32 port;                 /* slot of tx_ports */
	unsigned char dmac[ETH_ALEN];
	unsigned char smac[ETH_ALEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __be32);
	__type(value, struct next_hop);
} routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

SEC("xdp")
int xdp_router(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct next_hop *nh;
	__u32 sum;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if ((void *)(ip + 1) > data_end)
		return XDP_DROP;
	if (ip->ttl <= 1)
		return XDP_PASS;            /* the kernel sends "time exceeded" */
	nh = bpf_map_lookup_elem(&routes, &ip->daddr);
	if (!nh)
		return XDP_PASS;

	/* RFC 1624: the TTL is the high byte of its 16-bit word, so the word
	 * drops by 0x0100 and the checksum (its complement) rises by 0x0100. */
	ip->ttl--;
	sum = (__u32)ip->check + bpf_htons(0x0100);
	ip->check = (__u16)(sum + (sum >> 16));

	__builtin_memcpy(eth->h_dest, nh->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, nh->smac, ETH_ALEN);
	return bpf_redirect_map(&tx_ports, nh->port, 0);
}

char LICENSE[] SEC("license") = "GPL";
