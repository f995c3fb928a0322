// SPDX-License-Identifier: GPL-2.0
/* Lab 4: an ICMP echo responder ("ping server") with XDP_TX.
 *
 * For an ICMP echo request (IPv4, type 8) or ICMPv6 echo request (IPv6,
 * type 128), turn the frame into the reply in place and send it back out
 * of the port it came in on (XDP_TX):
 *   - swap the Ethernet destination and source addresses;
 *   - swap the IP source and destination addresses;
 *   - type 8 -> 0 (ICMP) or 128 -> 129 (ICMPv6); id, sequence and data stay;
 *   - fix the ICMP checksum (an incremental update is enough: RFC 1624).
 * Everything else: XDP_PASS, untouched. README.md has hints. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int xdp_echo(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	/* TODO: recognise echo requests, rewrite them into replies, XDP_TX. */

	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
