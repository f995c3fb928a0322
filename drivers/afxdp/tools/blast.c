/* Traffic generator for bench/afxdp.ts: sends one 64-byte UDP frame over and
 * over out of an interface through an AF_PACKET socket (qdisc bypassed,
 * sendmmsg batches of 64) for a number of seconds, then prints how many it
 * sent. The source MAC is a locally administered one nobody has, so frames
 * reflected back by XDP_TX are discarded early by the sender's kernel.
 *
 *   blast IFACE SECONDS DST_MAC [DST_IPV4]     (default destination 10.0.1.2)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) { fprintf(stderr, "usage: blast IFACE SECONDS DST_MAC [DST_IPV4]\n"); return 2; }
	struct in_addr daddr = { .s_addr = htonl(0x0a000102) };
	if (argc == 5 && inet_pton(AF_INET, argv[4], &daddr) != 1) { fprintf(stderr, "blast: bad IPv4 address\n"); return 2; }
	unsigned idx = if_nametoindex(argv[1]);
	double seconds = atof(argv[2]);
	unsigned char dst[6];
	if (!idx || seconds <= 0 || sscanf(argv[3], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dst[0], &dst[1], &dst[2], &dst[3], &dst[4], &dst[5]) != 6) {
		fprintf(stderr, "blast: bad interface, seconds or MAC\n");
		return 2;
	}
	int fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) { perror("blast: socket"); return 1; }
	int one = 1;
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = (int)idx, .sll_halen = 6 };
	memcpy(to.sll_addr, dst, 6);
	/* Ethernet + IPv4 (10.0.1.1 -> DST_IPV4, TTL 64) + UDP 9 -> 9 + zero payload: 60 bytes + FCS on a wire. */
	unsigned char frame[60] = { 0 };
	memcpy(frame, dst, 6);
	const unsigned char src[6] = { 0x02, 0x5e, 0x00, 0x00, 0x00, 0x01 };
	memcpy(frame + 6, src, 6);
	frame[12] = 0x08; frame[13] = 0x00;
	unsigned char ip[20] = { 0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 1, 1, 0, 0, 0, 0 };
	memcpy(ip + 16, &daddr.s_addr, 4);
	unsigned sum = 0;
	for (int i = 0; i < 20; i += 2) sum += (unsigned)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (unsigned char)(~sum >> 8); ip[11] = (unsigned char)~sum;
	memcpy(frame + 14, ip, 20);
	unsigned char udp[8] = { 0, 9, 0, 9, 0, 26, 0, 0 };
	memcpy(frame + 34, udp, 8);

	struct iovec iov = { .iov_base = frame, .iov_len = sizeof(frame) };
	struct mmsghdr msgs[BATCH];
	for (int i = 0; i < BATCH; i++)
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1 } };
	unsigned long long sent = 0;
	double end = now() + seconds;
	while (now() < end) {
		for (int k = 0; k < 16; k++) {
			int n = sendmmsg(fd, msgs, BATCH, 0);
			if (n > 0) sent += (unsigned long long)n;
		}
	}
	printf("%llu\n", sent);
	return 0;
}
