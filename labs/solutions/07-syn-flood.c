// SPDX-License-Identifier: GPL-2.0
/* Lab 7 reference solution: at most SYN_BUDGET SYNs per source per second. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define SYN_BUDGET 8
#define WINDOW_NS 1000000000ULL

struct syn_state {
	__u64 window_start;         /* bpf_ktime_get_ns() of the window's first SYN */
	__u64 count;                /* SYNs seen in this window, the dropped ones too */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __be32);
	__type(value, struct syn_state);
} syn_sources SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} syn_drops SEC(".maps");

SEC("xdp")
int xdp_syn_limit(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp;
	struct syn_state *st;
	__u64 now;
	__u32 zero = 0;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (ip->protocol != IPPROTO_TCP || ip->ihl < 5)
		return XDP_PASS;
	tcp = (void *)ip + ip->ihl * 4;
	if ((void *)(tcp + 1) > data_end)
		return XDP_DROP;
	if (!tcp->syn || tcp->ack)
		return XDP_PASS;

	now = bpf_ktime_get_ns();
	st = bpf_map_lookup_elem(&syn_sources, &ip->saddr);
	if (!st) {
		struct syn_state fresh = { .window_start = now, .count = 1 };

		bpf_map_update_elem(&syn_sources, &ip->saddr, &fresh, BPF_ANY);
		return XDP_PASS;
	}
	if (now - st->window_start >= WINDOW_NS) {
		st->window_start = now;
		st->count = 1;
		return XDP_PASS;
	}
	st->count++;
	if (st->count <= SYN_BUDGET)
		return XDP_PASS;

	__u64 *drops = bpf_map_lookup_elem(&syn_drops, &zero);
	if (drops)
		__sync_fetch_and_add(drops, 1);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
