// SPDX-License-Identifier: GPL-2.0
/* Lab 8 reference solution: the two checks the verifier asked for. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* UDP destination ports (network order) to drop, with a hit counter. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __be16);
	__type(value, __u64);
} blocked_ports SEC(".maps");

/* Packets per UDP destination port (host order). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} port_hits SEC(".maps");

/* Finds the UDP header of an IPv4 packet, or returns 0. */
static __always_inline struct udphdr *udp_header(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	if (ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return 0;
	return (void *)(ip + 1);
}

/* Drops UDP to a blocked port (counting the hit); passes the rest. */
SEC("xdp")
int xdp_port_block(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct udphdr *udp = udp_header(data, data_end);
	__u64 *hits;

	if (!udp || (void *)(udp + 1) > data_end)
		return XDP_PASS;
	hits = bpf_map_lookup_elem(&blocked_ports, &udp->dest);
	if (!hits)
		return XDP_PASS;
	__sync_fetch_and_add(hits, 1);
	return XDP_DROP;
}

/* Counts UDP packets per destination port; passes everything. */
SEC("xdp")
int xdp_port_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct udphdr *udp = udp_header(data, data_end);
	__u32 port;
	__u64 *count;

	if (!udp || (void *)(udp + 1) > data_end)
		return XDP_PASS;
	port = bpf_ntohs(udp->dest);
	count = bpf_map_lookup_elem(&port_hits, &port);
	if (!count)
		return XDP_PASS;
	__sync_fetch_and_add(count, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
