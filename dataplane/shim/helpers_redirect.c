/* bpf_redirect and bpf_redirect_map: they record the target in the worker's
 * state and return XDP_REDIRECT (or the fallback action); the burst loop
 * resolves it per packet with sluice_redirect_commit (helpers.h). */
#include <string.h>
#include "helpers.h"

#define XDP_ACTION_MASK 3ull /* XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX as fallbacks */

SLUICE_HELPER(redirect)
{
	U(r3); U(r4); U(r5);
	if (r2) return SLUICE_ABORTED; /* no flags are defined for XDP */
	sluice_worker.redirect_kind = SLUICE_REDIRECT_IFINDEX;
	sluice_worker.redirect_target = (uint32_t)r1;
	sluice_worker.redirect_map = 0;
	sluice_worker.redirect_flags = 0;
	return SLUICE_REDIRECT;
}

SLUICE_HELPER(redirect_map)
{
	U(r4); U(r5);
	struct sluice_map *m = (struct sluice_map *)(uintptr_t)r1;
	uint32_t key = (uint32_t)r2;
	uint64_t allowed = XDP_ACTION_MASK;
	if (m->type == BPF_MAP_TYPE_DEVMAP || m->type == BPF_MAP_TYPE_DEVMAP_HASH)
		allowed |= BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;
	if (r3 & ~allowed) return SLUICE_ABORTED;
	void *v = NULL;
	uint32_t kind = SLUICE_REDIRECT_IFINDEX;
	switch (m->type) {
	case BPF_MAP_TYPE_DEVMAP: case BPF_MAP_TYPE_DEVMAP_HASH:
		if (r3 & BPF_F_BROADCAST) { /* every slot: the driver walks the map */
			sluice_worker.redirect_kind = SLUICE_REDIRECT_IFINDEX;
			sluice_worker.redirect_target = 0;
			sluice_worker.redirect_map = r1;
			sluice_worker.redirect_flags = r3;
			return SLUICE_REDIRECT;
		}
		v = m->ops->lookup(m, &key);
		break;
	case BPF_MAP_TYPE_XSKMAP:
		v = m->ops->lookup(m, &key);
		kind = SLUICE_REDIRECT_XSK;
		break;
	default:
		return SLUICE_ABORTED; /* cpumap is not supported */
	}
	if (!v) return r3 & XDP_ACTION_MASK;
	uint32_t target;
	memcpy(&target, v, 4);
	sluice_worker.redirect_kind = kind;
	sluice_worker.redirect_target = target;
	sluice_worker.redirect_map = r1;
	sluice_worker.redirect_key = key;
	sluice_worker.redirect_flags = r3;
	return SLUICE_REDIRECT;
}

uint32_t sluice_redirect_commit_u32(uint32_t *target)
{
	uint32_t kind = sluice_worker.redirect_kind;
	*target = kind == SLUICE_REDIRECT_NONE ? 0 : sluice_worker.redirect_target;
	sluice_worker.redirect_kind = SLUICE_REDIRECT_NONE;
	return kind;
}

uint32_t sluice_redirect_commit(struct sluice_xdp_buff *buff)
{
	return sluice_redirect_commit_u32(&buff->egress_ifindex);
}
