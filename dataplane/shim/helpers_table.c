/* The table of helpers by kernel id (enum bpf_func_id in linux/bpf.h): what
 * the JIT resolves call targets with and what the loader checks ids against. */
#include <stddef.h>
#include "helpers.h"

#define DECL(name) SLUICE_HELPER(name);
#define SLUICE_HELPERS(X) \
	X(map_lookup_elem) X(map_update_elem) X(map_delete_elem) X(map_push_elem) X(map_pop_elem) \
	X(map_peek_elem) X(for_each_map_elem) X(ktime_get_ns) X(ktime_get_boot_ns) \
	X(ktime_get_coarse_ns) X(ktime_get_tai_ns) X(jiffies64) X(get_prandom_u32) \
	X(get_smp_processor_id) X(get_numa_node_id) X(redirect) X(redirect_map) X(xdp_adjust_head) \
	X(xdp_adjust_meta) X(xdp_adjust_tail) X(xdp_get_buff_len) X(xdp_load_bytes) X(xdp_store_bytes) \
	X(check_mtu) X(csum_diff) X(trace_printk) X(trace_vprintk) X(ringbuf_output) X(ringbuf_reserve) \
	X(ringbuf_submit) X(ringbuf_discard) X(ringbuf_query) X(perf_event_output) X(spin_lock) \
	X(spin_unlock) X(loop) X(fib_lookup) X(snprintf) X(strncmp) X(map_lookup_percpu_elem)

SLUICE_HELPERS(DECL)

struct helper { uint32_t id; const char *name; sluice_helper_fn fn; };

#define ENTRY(name) { BPF_FUNC_##name, #name, sluice_bpf_##name },
static const struct helper table[] = {
	SLUICE_HELPERS(ENTRY)
	/* inlined by the JIT (see helpers.h); listed so the loader accepts it */
	{ BPF_FUNC_tail_call, "tail_call", NULL },
};

#define NAME(x) #x
static const char *const kernel_names[] = { __BPF_FUNC_MAPPER(NAME) };

static const struct helper *find(uint32_t id)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].id == id) return &table[i];
	return NULL;
}

uint64_t sluice_helper_address(uint32_t id)
{
	const struct helper *h = find(id);
	return h && h->fn ? (uint64_t)(uintptr_t)h->fn : 0;
}

const char *sluice_helper_name(uint32_t id)
{
	const struct helper *h = find(id);
	return h ? h->name : NULL;
}

const char *sluice_helper_kernel_name(uint32_t id)
{
	return id < sizeof kernel_names / sizeof kernel_names[0] ? kernel_names[id] : NULL;
}
