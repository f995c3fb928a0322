// SPDX-License-Identifier: GPL-2.0
/* Lab 6 reference solution: a stateless layer-4 load balancer that sends
 * each flow to a backend chosen by a hash, in an IPIP tunnel. */
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

static __always_inline __u16 ip_checksum(struct iphdr *ip)
{
	__u16 *w = (__u16 *)ip;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < (int)sizeof(*ip) / 2; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct lb_config *cfg;
	struct backend *be;
	struct ethhdr old_eth;
	struct iphdr *outer;
	__u32 key = 0, idx;
	__u16 sport, inner_len;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	cfg = bpf_map_lookup_elem(&lb_config, &key);
	if (!cfg || ip->daddr != cfg->vip)
		return XDP_PASS;
	if (ip->ihl < 5 || (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP))
		return XDP_PASS;
	/* The source port is the first field of both TCP and UDP. */
	{
		__be16 *ports = (void *)ip + ip->ihl * 4;

		if ((void *)(ports + 2) > data_end)
			return XDP_DROP;
		sport = bpf_ntohs(ports[0]);
	}
	if (cfg->backend_count == 0 || cfg->backend_count > MAX_BACKENDS)
		return XDP_DROP;
	idx = (bpf_ntohl(ip->saddr) ^ sport) % cfg->backend_count;
	be = bpf_map_lookup_elem(&backends, &idx);
	if (!be)
		return XDP_DROP;

	old_eth = *eth;
	inner_len = bpf_ntohs(ip->tot_len);
	__be32 self = cfg->self, dst = be->addr;
	unsigned char mac[ETH_ALEN];

	__builtin_memcpy(mac, be->mac, ETH_ALEN);
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_DROP;

	/* Every packet pointer is stale after adjust_head: read them again. */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > data_end)
		return XDP_DROP;

	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, old_eth.h_dest, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);

	outer->version = 4;
	outer->ihl = 5;
	outer->tos = 0;
	outer->tot_len = bpf_htons(inner_len + sizeof(struct iphdr));
	outer->id = 0;
	outer->frag_off = 0;
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = self;
	outer->daddr = dst;
	outer->check = ip_checksum(outer);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
