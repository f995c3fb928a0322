// SPDX-License-Identifier: GPL-2.0
/* firewall — a stateless IPv4/IPv6 blocklist firewall, sluice's flagship demo.
 *
 * Each frame is judged in this order (the first match decides):
 *   1. not IPv4/IPv6 (ARP, LLDP, ...)         -> XDP_PASS
 *   2. headers shorter than they announce     -> XDP_DROP
 *   3. source address in blocked_v4/blocked_v6 (exact, hash maps)  -> XDP_DROP
 *   4. source address in blocked_net_v4/blocked_net_v6 (prefixes, LPM tries)
 *      or in the default networks below        -> XDP_DROP
 *   5. TCP/UDP destination port in port_rules or in the default ports below
 *                                              -> XDP_DROP
 *   6. anything else                           -> XDP_PASS
 * Up to two VLAN tags (802.1Q / 802.1ad) are skipped before the IP header.
 *
 * The maps start empty and the control plane fills them; the defaults in
 * .rodata (const volatile: a loader may rewrite them before loading, the
 * program only reads them) make the firewall block something out of the box.
 * Every map key is the bytes as they appear on the wire (network order); the
 * value of every rule map is that rule's hit counter, which the program bumps.
 * fw_verdicts counts per XDP action and fw_reasons per step above (per CPU). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_VLAN_TAGS 2
#define IP_FRAG_OFFSET 0x1fff /* the fragment offset bits of frag_off */

/* Key of the prefix maps. An LPM trie key starts with the prefix length in
 * bits (host order); a lookup uses the full length (32 or 128). */
struct lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct lpm_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Key of port_rules: bytes [proto, 0, port_hi, port_lo]. */
struct port_key {
	__u8 proto; /* IPPROTO_TCP (6) or IPPROTO_UDP (17) */
	__u8 pad;   /* always 0 */
	__be16 port;
};

enum fw_reason {
	FW_PASS_NOT_IP,       /* 0: neither IPv4 nor IPv6 */
	FW_PASS_ALLOWED,      /* 1: IP that matched no rule */
	FW_DROP_MALFORMED,    /* 2: truncated or impossible headers */
	FW_DROP_SRC_ADDR,     /* 3: blocked_v4 / blocked_v6 */
	FW_DROP_SRC_NET,      /* 4: blocked_net_v4 / blocked_net_v6 */
	FW_DROP_DEFAULT_NET,  /* 5: default_nets_v4 / default_nets_v6 */
	FW_DROP_PORT,         /* 6: port_rules */
	FW_DROP_DEFAULT_PORT, /* 7: default_ports */
	FW_REASON_COUNT
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __be32);  /* IPv4 source address */
	__type(value, __u64); /* hits */
} blocked_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct in6_addr); /* IPv6 source address */
	__type(value, __u64);         /* hits */
} blocked_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* required for LPM tries */
	__type(key, struct lpm_v4_key);
	__type(value, __u64); /* hits */
} blocked_net_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v6_key);
	__type(value, __u64); /* hits */
} blocked_net_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct port_key);
	__type(value, __u64); /* hits */
} port_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDP_REDIRECT + 1); /* indexed by XDP action */
	__type(key, __u32);
	__type(value, __u64);
} fw_verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FW_REASON_COUNT); /* indexed by enum fw_reason */
	__type(key, __u32);
	__type(value, __u64);
} fw_reasons SEC(".maps");

/* Default rules, active with empty maps. The networks are the documentation
 * ranges of RFC 5737 and RFC 3849, so the demo never blocks a real network. */
struct net_v4 {
	__be32 addr;
	__be32 mask;
};

struct net_v6 {
	__be32 addr[4];
	__be32 mask[4];
};

struct port_rule {
	__u8 proto;
	__u16 port; /* host order, for readability */
};

const volatile struct net_v4 default_nets_v4[1] = {
	{ __bpf_constant_htonl(0xc0000200), __bpf_constant_htonl(0xffffff00) }, /* 192.0.2.0/24 */
};

const volatile struct net_v6 default_nets_v6[1] = {
	{ /* 2001:db8:bad::/48 */
	  { __bpf_constant_htonl(0x20010db8), __bpf_constant_htonl(0x0bad0000), 0, 0 },
	  { __bpf_constant_htonl(0xffffffff), __bpf_constant_htonl(0xffff0000), 0, 0 } },
};

const volatile struct port_rule default_ports[4] = {
	{ IPPROTO_TCP, 23 },    /* telnet */
	{ IPPROTO_TCP, 445 },   /* SMB */
	{ IPPROTO_UDP, 19 },    /* chargen, an amplification vector */
	{ IPPROTO_UDP, 11211 }, /* memcached, an amplification vector */
};

/* Rule maps are shared by all CPUs: count hits atomically. */
static __always_inline int rule_hit(__u64 *hits, int reason)
{
	__sync_fetch_and_add(hits, 1);
	return reason;
}

/* Each check returns an enum fw_reason: FW_PASS_ALLOWED or why to drop. */
static __always_inline int check_port(__u8 proto, __be16 dport)
{
	struct port_key key = { .proto = proto, .pad = 0, .port = dport };
	__u64 *hits = bpf_map_lookup_elem(&port_rules, &key);

	if (hits)
		return rule_hit(hits, FW_DROP_PORT);
#pragma unroll
	for (int i = 0; i < 4; i++) {
		if (default_ports[i].proto == proto && default_ports[i].port == bpf_ntohs(dport))
			return FW_DROP_DEFAULT_PORT;
	}
	return FW_PASS_ALLOWED;
}

/* Checks the TCP or UDP header at l4; other protocols are allowed. */
static __always_inline int check_l4(void *l4, void *data_end, __u8 proto)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;

		if ((void *)(tcp + 1) > data_end)
			return FW_DROP_MALFORMED;
		return check_port(proto, tcp->dest);
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *udp = l4;

		if ((void *)(udp + 1) > data_end)
			return FW_DROP_MALFORMED;
		return check_port(proto, udp->dest);
	}
	return FW_PASS_ALLOWED;
}

static __always_inline int judge_ipv4(struct iphdr *ip, void *data_end)
{
	struct lpm_v4_key net = { .prefixlen = 32 };
	__be32 saddr;
	__u64 *hits;

	if ((void *)(ip + 1) > data_end)
		return FW_DROP_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return FW_DROP_MALFORMED;

	saddr = ip->saddr;
	hits = bpf_map_lookup_elem(&blocked_v4, &saddr);
	if (hits)
		return rule_hit(hits, FW_DROP_SRC_ADDR);

	__builtin_memcpy(net.addr, &saddr, sizeof(saddr));
	hits = bpf_map_lookup_elem(&blocked_net_v4, &net);
	if (hits)
		return rule_hit(hits, FW_DROP_SRC_NET);
	if ((saddr & default_nets_v4[0].mask) == default_nets_v4[0].addr)
		return FW_DROP_DEFAULT_NET;

	/* Only the first fragment carries the TCP/UDP header. */
	if (ip->frag_off & bpf_htons(IP_FRAG_OFFSET))
		return FW_PASS_ALLOWED;
	return check_l4((void *)ip + ip->ihl * 4, data_end, ip->protocol);
}

static __always_inline int judge_ipv6(struct ipv6hdr *ip6, void *data_end)
{
	struct lpm_v6_key net = { .prefixlen = 128 };
	struct in6_addr saddr;
	__u64 *hits;
	int in_default = 1;

	if ((void *)(ip6 + 1) > data_end)
		return FW_DROP_MALFORMED;
	if (ip6->version != 6)
		return FW_DROP_MALFORMED;

	__builtin_memcpy(&saddr, &ip6->saddr, sizeof(saddr));
	hits = bpf_map_lookup_elem(&blocked_v6, &saddr);
	if (hits)
		return rule_hit(hits, FW_DROP_SRC_ADDR);

	__builtin_memcpy(net.addr, &saddr, sizeof(saddr));
	hits = bpf_map_lookup_elem(&blocked_net_v6, &net);
	if (hits)
		return rule_hit(hits, FW_DROP_SRC_NET);
#pragma unroll
	for (int i = 0; i < 4; i++) {
		if ((saddr.in6_u.u6_addr32[i] & default_nets_v6[0].mask[i]) != default_nets_v6[0].addr[i])
			in_default = 0;
	}
	if (in_default)
		return FW_DROP_DEFAULT_NET;

	/* Extension headers are not walked: a packet whose first next header is
	 * not TCP or UDP is judged by its source address only. */
	return check_l4(ip6 + 1, data_end, ip6->nexthdr);
}

/* Returns the enum fw_reason that decides the frame's fate. */
static __always_inline int judge(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__be16 proto;

	if (l3 > data_end)
		return FW_DROP_MALFORMED;
	proto = eth->h_proto;

#pragma unroll
	for (int i = 0; i < MAX_VLAN_TAGS; i++) {
		/* A VLAN tag: 2 bytes of TCI, then the next EtherType. */
		__be16 *tag = l3;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(tag + 2) > data_end)
			return FW_DROP_MALFORMED;
		proto = tag[1];
		l3 = tag + 2;
	}

	if (proto == bpf_htons(ETH_P_IP))
		return judge_ipv4(l3, data_end);
	if (proto == bpf_htons(ETH_P_IPV6))
		return judge_ipv6(l3, data_end);
	return FW_PASS_NOT_IP;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	__u32 reason = judge(ctx);
	__u32 action = reason <= FW_PASS_ALLOWED ? XDP_PASS : XDP_DROP;
	__u64 *count;

	count = bpf_map_lookup_elem(&fw_reasons, &reason);
	if (count)
		*count += 1;
	count = bpf_map_lookup_elem(&fw_verdicts, &action);
	if (count)
		*count += 1;
	return action;
}

char LICENSE[] SEC("license") = "GPL";
