// SPDX-License-Identifier: GPL-2.0
/* Lab 1: count packets per IP protocol.
 *
 * Every frame passes (XDP_PASS); on the way, count it:
 *   - IPv4: proto_count[ip->protocol] += 1
 *   - IPv6: proto_count[ip6->nexthdr] += 1   (the first next header; no extension walk)
 *   - anything else (ARP, ...): not_ip_count[0] += 1
 * Frames too short for the header they announce pass without being counted.
 * README.md has the background and hints. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* One counter per IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

/* Frames that are neither IPv4 nor IPv6, in slot 0. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} not_ip_count SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	/* TODO: look at eth->h_proto, read the IPv4 or IPv6 header (check
	 * its bounds first), and bump the right counter with
	 * bpf_map_lookup_elem() and __sync_fetch_and_add(). */

	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
