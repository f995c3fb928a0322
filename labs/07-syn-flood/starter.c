// SPDX-License-Identifier: GPL-2.0
/* Lab 7: SYN-flood rate limiting with an LRU map and time.
 *
 * For each IPv4 TCP SYN (SYN set, ACK clear), per source address:
 *   - no entry in syn_sources: insert {window_start = now, count = 1}, XDP_PASS;
 *   - now - window_start >= 1 s: a new window {now, 1}, XDP_PASS;
 *   - else count += 1; count <= SYN_BUDGET (8): XDP_PASS;
 *     above the budget: syn_drops[0] += 1, XDP_DROP.
 * now is bpf_ktime_get_ns(). Every other frame: XDP_PASS (a TCP header cut
 * short: XDP_DROP). The LRU map forgets the least recently seen sources by
 * itself when it is full, so a flood of spoofed sources cannot fill it up.
 * README.md has hints. */
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

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	/* TODO: find the TCP header, recognise a SYN, and keep the budget
	 * per source in syn_sources. */

	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
