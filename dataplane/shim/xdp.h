/* The native ABI shared by the JIT, the shim, the helpers and the drivers.
 *
 * A JIT'd program receives r1 = struct sluice_xdp_buff * (the kernel's xdp_buff,
 * not the xdp_md the C source declares): the JIT rewrites the program's 32-bit
 * xdp_md field loads into loads from this struct, as the kernel's verifier does.
 * (A program compiled with a descriptor context receives the driver's own packet
 * descriptor instead, DPDK's rte_mbuf: jit/x86/descriptor.ts.)
 *
 *   xdp_md field (offset, size)     becomes
 *   data            (0, 4)          u64 load of data           (offset 0)
 *   data_end        (4, 4)          u64 load of data_end       (offset 8)
 *   data_meta       (8, 4)          u64 load of data_meta      (offset 16)
 *   ingress_ifindex (12, 4)         u32 load of ingress_ifindex (offset 40)
 *   rx_queue_index  (16, 4)         u32 load of rx_queue_index (offset 44)
 *   egress_ifindex  (20, 4)         u32 load of egress_ifindex (offset 48)
 */
#ifndef SLUICE_XDP_H
#define SLUICE_XDP_H
#include <stdint.h>

#define SLUICE_XDP_HEADROOM 256  /* XDP_PACKET_HEADROOM */

struct sluice_xdp_buff {
	uint8_t *data;            /*  0 first byte of the packet */
	uint8_t *data_end;        /*  8 one past the last byte */
	uint8_t *data_meta;       /* 16 metadata start; == data when there is none */
	uint8_t *data_hard_start; /* 24 start of the buffer (headroom begins here) */
	uint8_t *frame_end;       /* 32 end of the buffer: the limit for tail growth */
	uint32_t ingress_ifindex; /* 40 */
	uint32_t rx_queue_index;  /* 44 */
	uint32_t egress_ifindex;  /* 48 set by redirects (devmap egress programs) */
	uint32_t flags;           /* 52 driver-private */
	uint64_t frags;           /* 56 multi-buffer fragments: struct sluice_xdp_frags * (0: none) */
};

/* Multi-buffer (xdp.frags) frames: the packet is the linear part (data to
 * data_end) followed by the fragments in order, as the kernel's
 * skb_shared_info frags. Like the kernel's test run, each fragment sits at the
 * start of its own SLUICE_FRAG_SIZE-byte page and holds up to that many bytes;
 * there are at most SLUICE_MAX_FRAGS (MAX_SKB_FRAGS). Only the library path
 * (FrameArena, sluice_burst_fill_frags_run) builds such frames; the helpers
 * that understand them are xdp_get_buff_len, xdp_load_bytes, xdp_store_bytes
 * and xdp_adjust_tail (dataplane/shim/helpers_xdp.c). */
#define SLUICE_MAX_FRAGS 17
#define SLUICE_FRAG_SIZE 4096

struct sluice_xdp_frag {
	uint8_t *data;            /* 0 first byte (the start of a SLUICE_FRAG_SIZE page) */
	uint32_t len;             /* 8 bytes in use */
	uint32_t reserved;        /* 12 */
};

struct sluice_xdp_frags {
	uint32_t nr_frags;        /* 0 fragments in use */
	uint32_t size;            /* 4 bytes in all fragments (the kernel's xdp_frags_size) */
	struct sluice_xdp_frag frag[SLUICE_MAX_FRAGS]; /* 8 */
};

/* The burst entry the JIT emits around a program: runs the program once per
 * buffer and stores each return value (the XDP verdict) in verdicts[i].
 * Called once per burst by the drivers; returns n. */
typedef uint64_t (*sluice_burst_fn)(struct sluice_xdp_buff *buffs, uint32_t *verdicts, uint64_t n);

enum sluice_verdict { SLUICE_ABORTED = 0, SLUICE_DROP = 1, SLUICE_PASS = 2, SLUICE_TX = 3, SLUICE_REDIRECT = 4 };

#endif
