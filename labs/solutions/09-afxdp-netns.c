// SPDX-License-Identifier: GPL-2.0
/* Lab 9 reference solution: answer ARP and ping for one address, from XDP. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_arp.h>
#include <linux/ip.h>
#include <linux/icmp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct responder {
	__be32 addr;
	unsigned char mac[ETH_ALEN];
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct responder);
} responder SEC(".maps");

/* The ARP body for Ethernet and IPv4 (RFC 826), after struct arphdr. */
struct arp_eth_ipv4 {
	unsigned char sha[ETH_ALEN];
	__be32 spa;
	unsigned char tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

static __always_inline __u16 csum_replace(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check + (__u16)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static __always_inline int arp_reply(struct ethhdr *eth, void *data_end, struct responder *me)
{
	struct arphdr *arp = (void *)(eth + 1);
	struct arp_eth_ipv4 *body = (void *)(arp + 1);

	if ((void *)(body + 1) > data_end)
		return XDP_PASS;
	if (arp->ar_hrd != bpf_htons(ARPHRD_ETHER) || arp->ar_pro != bpf_htons(ETH_P_IP) ||
	    arp->ar_hln != ETH_ALEN || arp->ar_pln != 4 || arp->ar_op != bpf_htons(ARPOP_REQUEST))
		return XDP_PASS;
	if (body->tpa != me->addr)
		return XDP_PASS;

	arp->ar_op = bpf_htons(ARPOP_REPLY);
	__builtin_memcpy(body->tha, body->sha, ETH_ALEN);
	body->tpa = body->spa;
	__builtin_memcpy(body->sha, me->mac, ETH_ALEN);
	body->spa = me->addr;
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, me->mac, ETH_ALEN);
	return XDP_TX;
}

static __always_inline int echo_reply(struct ethhdr *eth, void *data_end, struct responder *me)
{
	struct iphdr *ip = (void *)(eth + 1);
	struct icmphdr *icmp;
	__u16 old;

	if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_ICMP || ip->ihl < 5 || ip->daddr != me->addr)
		return XDP_PASS;
	icmp = (void *)ip + ip->ihl * 4;
	if ((void *)(icmp + 1) > data_end || icmp->type != ICMP_ECHO)
		return XDP_PASS;

	old = *(__u16 *)icmp;
	icmp->type = ICMP_ECHOREPLY;
	icmp->checksum = csum_replace(icmp->checksum, old, *(__u16 *)icmp);
	ip->daddr = ip->saddr;
	ip->saddr = me->addr;
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, me->mac, ETH_ALEN);
	return XDP_TX;
}

SEC("xdp")
int xdp_responder(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct responder *me;
	__u32 zero = 0;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	me = bpf_map_lookup_elem(&responder, &zero);
	if (!me || me->addr == 0)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return arp_reply(eth, data_end, me);
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return echo_reply(eth, data_end, me);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
