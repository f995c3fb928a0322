// SPDX-License-Identifier: GPL-2.0
/* tailcall — a dispatcher that hands each frame to a per-protocol program
 * with bpf_tail_call through the prog_array `jump_table`. A tail call
 * replaces the running program (it does not return), so each program is
 * small and verified on its own. The table is filled declaratively with
 * `.values = { ... }`, which libbpf (and sluice) apply when loading.
 *
 * xdp_dispatch: IPv4 -> slot 0 (handle_ipv4), IPv6 -> slot 1 (handle_ipv6);
 *   anything else, or an empty slot, passes.
 * handle_ipv4 / handle_ipv6: count packets per IP protocol in proto_packets
 *   and drop ICMP / ICMPv6 echo requests (a "no ping" policy); the rest passes. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ICMP_ECHO_REQUEST 8     /* RFC 792 */
#define ICMPV6_ECHO_REQUEST 128 /* RFC 4443 */

enum { PROG_IPV4, PROG_IPV6, PROG_SLOTS };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);   /* IP protocol / IPv6 next header */
	__type(value, __u64); /* packets */
} proto_packets SEC(".maps");

/* The prog_array's type is named so the table can be declared here, for the
 * dispatcher, and defined at the end, after the programs it lists: clang
 * emits functions in the order the module first sees them, and loaders that
 * take "the first program" of an object (bpftool prog load) then get the
 * dispatcher. */
struct jump_table_map {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, PROG_SLOTS);
	__uint(key_size, sizeof(__u32));
	__array(values, int (struct xdp_md *));
};
extern struct jump_table_map jump_table;

SEC("xdp")
int xdp_dispatch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		bpf_tail_call(ctx, &jump_table, PROG_IPV4);
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		bpf_tail_call(ctx, &jump_table, PROG_IPV6);
	/* Reached only when there was no program to jump to. */
	return XDP_PASS;
}

static __always_inline void count(__u32 proto)
{
	__u64 *packets = bpf_map_lookup_elem(&proto_packets, &proto);

	if (packets)
		*packets += 1;
}

/* A tail-called program starts afresh: it parses the headers again. */
SEC("xdp")
int handle_ipv4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u8 *l4;

	if ((void *)(ip + 1) > data_end || ip->ihl < 5)
		return XDP_PASS;
	count(ip->protocol);
	if (ip->protocol != IPPROTO_ICMP)
		return XDP_PASS;
	l4 = (void *)ip + ip->ihl * 4;
	if ((void *)(l4 + 1) > data_end)
		return XDP_PASS;
	return *l4 == ICMP_ECHO_REQUEST ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int handle_ipv6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);
	__u8 *l4 = (void *)(ip6 + 1);

	if ((void *)(ip6 + 1) > data_end)
		return XDP_PASS;
	count(ip6->nexthdr);
	if (ip6->nexthdr != IPPROTO_ICMPV6 || (void *)(l4 + 1) > data_end)
		return XDP_PASS;
	return *l4 == ICMPV6_ECHO_REQUEST ? XDP_DROP : XDP_PASS;
}

/* Slot -> program, filled by the loader when it creates the map. */
struct jump_table_map jump_table SEC(".maps") = {
	.values = {
		[PROG_IPV4] = (void *)&handle_ipv4,
		[PROG_IPV6] = (void *)&handle_ipv6,
	},
};

char LICENSE[] SEC("license") = "GPL";
