// SPDX-License-Identifier: GPL-2.0
/* ringbuf — reports events to userspace through a BPF ring buffer, the two
 * ways the API offers:
 *   - a TCP connection attempt (SYN without ACK) is written in place:
 *     bpf_ringbuf_reserve() a record, fill it, bpf_ringbuf_submit() it;
 *   - a frame that is neither IPv4 nor IPv6 is built on the stack and copied
 *     in with bpf_ringbuf_output().
 * When the buffer is full the event is lost and counted in `events_lost`.
 * Every frame passes: this program only watches. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum event_kind {
	EVENT_TCP_SYN = 1,
	EVENT_NOT_IP = 2,
};

struct syn_event {
	__u32 kind; /* EVENT_TCP_SYN */
	__u32 ifindex;
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u32 len; /* frame length */
};

struct not_ip_event {
	__u32 kind; /* EVENT_NOT_IP */
	__u32 ifindex;
	__u16 ethertype; /* host order */
	__u16 pad;
	__u32 len;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024); /* bytes; a power of two, whole pages */
} events SEC(".maps");

__u64 events_lost; /* .bss */

SEC("xdp")
int xdp_ringbuf(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp;
	struct syn_event *syn;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	if (eth->h_proto != bpf_htons(ETH_P_IP) && eth->h_proto != bpf_htons(ETH_P_IPV6)) {
		struct not_ip_event ev = {
			.kind = EVENT_NOT_IP,
			.ifindex = ctx->ingress_ifindex,
			.ethertype = bpf_ntohs(eth->h_proto),
			.len = data_end - data,
		};

		if (bpf_ringbuf_output(&events, &ev, sizeof(ev), 0))
			__sync_fetch_and_add(&events_lost, 1);
		return XDP_PASS;
	}

	if (eth->h_proto != bpf_htons(ETH_P_IP) || (void *)(ip + 1) > data_end ||
	    ip->ihl < 5 || ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	tcp = (void *)ip + ip->ihl * 4;
	if ((void *)(tcp + 1) > data_end || !tcp->syn || tcp->ack)
		return XDP_PASS;

	syn = bpf_ringbuf_reserve(&events, sizeof(*syn), 0);
	if (!syn) {
		__sync_fetch_and_add(&events_lost, 1);
		return XDP_PASS;
	}
	syn->kind = EVENT_TCP_SYN;
	syn->ifindex = ctx->ingress_ifindex;
	syn->saddr = ip->saddr;
	syn->daddr = ip->daddr;
	syn->sport = tcp->source;
	syn->dport = tcp->dest;
	syn->len = data_end - data;
	bpf_ringbuf_submit(syn, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
