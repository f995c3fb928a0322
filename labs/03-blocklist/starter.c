// SPDX-License-Identifier: GPL-2.0
/* Lab 3: an IPv4/IPv6 blocklist firewall whose rules the control plane writes.
 *
 *   - IPv4 whose source address is a key of blocked_v4: count (value += 1), XDP_DROP
 *   - IPv6 whose source address is a key of blocked_v6: count (value += 1), XDP_DROP
 *   - IPv4/IPv6 too short for its header: XDP_DROP
 *   - anything else: XDP_PASS
 * Keys are the addresses as they are on the wire (network byte order), so the
 * header's saddr field can be the key as it is. README.md has hints. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Filled by the control plane (in the lab: by spec.yaml's `maps:`). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __be32);
	__type(value, __u64);       /* hit counter */
} blocked_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct in6_addr);
	__type(value, __u64);       /* hit counter */
} blocked_v6 SEC(".maps");

SEC("xdp")
int xdp_blocklist(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	/* TODO: find the source address, look it up in blocked_v4 or
	 * blocked_v6, and drop (after counting) when it is there. */

	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
