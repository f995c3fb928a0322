// SPDX-License-Identifier: GPL-2.0
/* Lab 2 reference solution: drop everything but SSH (and ARP). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define SSH_PORT 22

static __always_inline int ssh_or_drop(struct tcphdr *tcp, void *data_end)
{
	if ((void *)(tcp + 1) > data_end)
		return XDP_DROP;
	if (tcp->dest == bpf_htons(SSH_PORT) || tcp->source == bpf_htons(SSH_PORT))
		return XDP_PASS;
	return XDP_DROP;
}

SEC("xdp")
int xdp_ssh_only(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;

	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			return XDP_DROP;
		if (ip->protocol != IPPROTO_TCP)
			return XDP_DROP;
		return ssh_or_drop((void *)ip + ip->ihl * 4, data_end);
	}

	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return XDP_DROP;
		if (ip6->nexthdr != IPPROTO_TCP)
			return XDP_DROP;
		return ssh_or_drop((void *)(ip6 + 1), data_end);
	}
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
