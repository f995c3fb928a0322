// SPDX-License-Identifier: GPL-2.0
/* Lab 6: a stateless layer-4 load balancer with IPIP encapsulation.
 *
 * For an IPv4 TCP or UDP packet to the virtual IP (lb_config.vip):
 *   - choose backend index (ntohl(ip->saddr) ^ ntohs(source port))
 *     % lb_config.backend_count  (so a flow always reaches the same backend);
 *     backend_count 0 (or above 16): XDP_DROP;
 *   - grow the frame by 20 bytes at the front (bpf_xdp_adjust_head) and
 *     put an outer IPv4 header between the Ethernet header and the original
 *     IPv4 header: version 4, ihl 5, tos 0, tot_len = inner tot_len + 20,
 *     id 0, frag_off 0, ttl 64, protocol 4 (IPPROTO_IPIP), a correct
 *     checksum, saddr = lb_config.self, daddr = backend.addr;
 *   - Ethernet: destination := backend.mac, source := the frame's old
 *     destination (this balancer's MAC), type IPv4;
 *   - XDP_TX.
 * Anything else (other destinations, ICMP to the VIP, ARP, IPv6): XDP_PASS.
 * A TCP/UDP packet to the VIP too short for its ports: XDP_DROP.
 * README.md has hints. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_BACKENDS 16

struct lb_config {
	__be32 vip;                 /* the service address clients use */
	__be32 self;                /* this balancer: the tunnel's source */
	__u32 backend_count;        /* backends[0 .. backend_count-1] are in use */
};

struct backend {
	__be32 addr;
	unsigned char mac[ETH_ALEN];
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_config);
} lb_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	/* TODO: match the VIP, pick the backend, adjust the head, write the
	 * outer header and the Ethernet header, XDP_TX. */

	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
