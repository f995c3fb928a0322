// SPDX-License-Identifier: GPL-2.0
/* Lab 5: a router's fast path — decrement the TTL, fix the checksum
 * incrementally, and redirect by destination.
 *
 * For an IPv4 packet whose destination address is a key of `routes`:
 *   - TTL 0 or 1: XDP_PASS (leave it to the kernel, which answers with ICMP
 *     time exceeded);
 *   - otherwise TTL - 1, and update ip->check incrementally (RFC 1624),
 *     without summing the header again;
 *   - Ethernet destination := next_hop.dmac, source := next_hop.smac;
 *   - return bpf_redirect_map(&tx_ports, next_hop.port, 0).
 * IPv4 too short for its header: XDP_DROP. Anything else (no route, not
 * IPv4): XDP_PASS, untouched. README.md has hints. */
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

/* Destination address (network order) -> next hop; filled by the control plane. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __be32);
	__type(value, struct next_hop);
} routes SEC(".maps");

/* Slot -> egress ifindex; filled by the control plane. */
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

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	/* TODO: bounds-check the IPv4 header, look up the route, then TTL,
	 * checksum, MACs and the redirect. */

	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
