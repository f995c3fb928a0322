/* classify — a parse-and-classify XDP program's logic, written once and
 * compiled twice: for BPF by clang (classify.bpf.c, what sluice and the kernel
 * run) and natively by gcc -O2 (programs.c, the practical limit). It uses no
 * maps and no helpers, so the comparison is pure code generation.
 *
 * Ethernet (one optional 802.1Q tag) / IPv4 (options skipped by ihl) / UDP or
 * TCP; a hash of the 5-tuple (a Murmur3-style mix); then three rules:
 *   1. UDP to port 53 (DNS)                           -> XDP_PASS
 *   2. TCP from 10.0.0.0/8 with only SYN set          -> XDP_DROP
 *   3. the flow hash picks one of 16 buckets; bucket 0 -> XDP_TX, others PASS
 * Non-IPv4 frames pass; truncated headers drop. */
#ifndef BENCH_CLASSIFY_H
#define BENCH_CLASSIFY_H

#define CL_PASS 2
#define CL_DROP 1
#define CL_TX 3

static inline __attribute__((always_inline)) unsigned int cl_rotl(unsigned int x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static inline __attribute__((always_inline)) unsigned int cl_mix(unsigned int h, unsigned int k)
{
	k *= 0xcc9e2d51u;
	k = cl_rotl(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = cl_rotl(h, 13);
	return h * 5 + 0xe6546b64u;
}

static inline __attribute__((always_inline)) int classify(unsigned char *data, unsigned char *data_end)
{
	unsigned char *p = data + 14;
	unsigned int proto, ihl, saddr, daddr, ports, l4proto, h;

	if (p > data_end)
		return CL_DROP;
	proto = ((unsigned int)data[12] << 8) | data[13];
	if (proto == 0x8100) {
		if (p + 4 > data_end)
			return CL_DROP;
		proto = ((unsigned int)p[2] << 8) | p[3];
		p += 4;
	}
	if (proto != 0x0800)
		return CL_PASS;
	if (p + 20 > data_end)
		return CL_DROP;
	ihl = (p[0] & 15) * 4;
	if ((p[0] >> 4) != 4 || ihl < 20)
		return CL_DROP;
	l4proto = p[9];
	saddr = ((unsigned int)p[12] << 24) | ((unsigned int)p[13] << 16) | ((unsigned int)p[14] << 8) | p[15];
	daddr = ((unsigned int)p[16] << 24) | ((unsigned int)p[17] << 16) | ((unsigned int)p[18] << 8) | p[19];
	if (ihl > 60)
		return CL_DROP;
	p += ihl;
	if (l4proto != 6 && l4proto != 17)
		return CL_PASS;
	if (p + (l4proto == 6 ? 20 : 8) > data_end)
		return CL_DROP;
	ports = ((unsigned int)p[0] << 24) | ((unsigned int)p[1] << 16) | ((unsigned int)p[2] << 8) | p[3];

	if (l4proto == 17 && (ports & 0xffff) == 53)
		return CL_PASS;
	if (l4proto == 6 && (saddr >> 24) == 10 && (p[13] & 0x3f) == 0x02)
		return CL_DROP;

	h = cl_mix(0x9747b28cu, saddr);
	h = cl_mix(h, daddr);
	h = cl_mix(h, ports);
	h = cl_mix(h, l4proto);
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return (h & 15) == 0 ? CL_TX : CL_PASS;
}
#endif
