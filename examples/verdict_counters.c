// SPDX-License-Identifier: GPL-2.0
/* verdict_counters — a tiny EtherType policy that counts each verdict it gives
 * in a per-CPU array indexed by the XDP action (XDP_ABORTED=0 … XDP_REDIRECT=4).
 * Per-CPU slots need no atomics: each CPU adds to its own copy and the control
 * plane sums the copies when it reads the map.
 * Policy: IPv4, IPv6 and ARP pass; every other EtherType is dropped. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDP_REDIRECT + 1);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

static __always_inline int count(__u32 action)
{
	__u64 *packets = bpf_map_lookup_elem(&verdicts, &action);

	if (packets)
		*packets += 1;
	return action;
}

SEC("xdp")
int xdp_verdict_counters(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return count(XDP_DROP);

	switch (bpf_ntohs(eth->h_proto)) {
	case ETH_P_IP:
	case ETH_P_IPV6:
	case ETH_P_ARP:
		return count(XDP_PASS);
	default:
		return count(XDP_DROP);
	}
}

char LICENSE[] SEC("license") = "GPL";
