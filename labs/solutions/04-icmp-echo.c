// SPDX-License-Identifier: GPL-2.0
/* Lab 4 reference solution: answer ICMP and ICMPv6 echo requests with XDP_TX. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), on one 16-bit word. */
static __always_inline __u16 csum_replace(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check + (__u16)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static __always_inline void swap_mac(struct ethhdr *eth)
{
	unsigned char tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
}

static __always_inline int echo_v4(struct ethhdr *eth, void *data_end)
{
	struct iphdr *ip = (void *)(eth + 1);
	struct icmphdr *icmp;
	__be32 addr;
	__u16 old;

	if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_ICMP || ip->ihl < 5)
		return XDP_PASS;
	icmp = (void *)ip + ip->ihl * 4;
	if ((void *)(icmp + 1) > data_end || icmp->type != ICMP_ECHO)
		return XDP_PASS;

	old = *(__u16 *)icmp;                   /* type and code */
	icmp->type = ICMP_ECHOREPLY;
	icmp->checksum = csum_replace(icmp->checksum, old, *(__u16 *)icmp);
	addr = ip->saddr;                       /* a swap keeps the IP checksum */
	ip->saddr = ip->daddr;
	ip->daddr = addr;
	swap_mac(eth);
	return XDP_TX;
}

static __always_inline int echo_v6(struct ethhdr *eth, void *data_end)
{
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	struct icmp6hdr *icmp6 = (void *)(ip6 + 1);
	struct in6_addr addr;
	__u16 old;

	if ((void *)(icmp6 + 1) > data_end || ip6->nexthdr != IPPROTO_ICMPV6)
		return XDP_PASS;
	if (icmp6->icmp6_type != ICMPV6_ECHO_REQUEST)
		return XDP_PASS;

	old = *(__u16 *)icmp6;
	icmp6->icmp6_type = ICMPV6_ECHO_REPLY;
	icmp6->icmp6_cksum = csum_replace(icmp6->icmp6_cksum, old, *(__u16 *)icmp6);
	addr = ip6->saddr;                      /* the pseudo-header sum is unchanged */
	ip6->saddr = ip6->daddr;
	ip6->daddr = addr;
	swap_mac(eth);
	return XDP_TX;
}

SEC("xdp")
int xdp_echo(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return echo_v4(eth, data_end);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return echo_v6(eth, data_end);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
