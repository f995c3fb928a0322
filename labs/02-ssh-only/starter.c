// SPDX-License-Identifier: GPL-2.0
/* Lab 2: drop everything but SSH.
 *
 * Let through (XDP_PASS):
 *   - TCP over IPv4 or IPv6 whose destination OR source port is 22
 *     (both directions of an SSH session);
 *   - ARP (without it the host cannot even find its neighbours).
 * Drop (XDP_DROP) everything else, including frames too short for the
 * headers they announce. Mind IPv4 options: the TCP header starts at
 * ip->ihl * 4 bytes after the IPv4 header's start, not always at 20.
 * README.md has the background and hints. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define SSH_PORT 22

SEC("xdp")
int xdp_ssh_only(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;

	/* TODO: pass ARP; for IPv4 and IPv6, find the TCP header and pass
	 * port 22 in either direction; drop the rest. */

	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
