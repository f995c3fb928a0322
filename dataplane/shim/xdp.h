/* The native ABI shared by the JIT, the shim, the helpers and the drivers.
 *
 * A JIT'd program receives r1 = struct sluice_xdp_buff * (the kernel's xdp_buff,
 * not the xdp_md the C source declares): the JIT rewrites the program's 32-bit
 * xdp_md field loads into loads from this struct, as the kernel's verifier does.
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
	uint64_t frags;           /* 56 multi-buffer fragments (0: none) */
};

/* The burst entry the JIT emits around a program: runs the program once per
 * buffer and stores each return value (the XDP verdict) in verdicts[i].
 * Called once per burst by the drivers; returns n. */
typedef uint64_t (*sluice_burst_fn)(struct sluice_xdp_buff *buffs, uint32_t *verdicts, uint64_t n);

enum sluice_verdict { SLUICE_ABORTED = 0, SLUICE_DROP = 1, SLUICE_PASS = 2, SLUICE_TX = 3, SLUICE_REDIRECT = 4 };

#endif
