// SPDX-License-Identifier: GPL-2.0
/* An array (verdict[0]: the verdict to give, 0 = pass) and a hash (frames per length). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} verdict SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} by_len SEC(".maps");

SEC("xdp")
int xdp_maps(struct xdp_md *ctx)
{
	__u32 zero = 0, len = ctx->data_end - ctx->data;
	__u64 one = 1, *n;
	__u32 *v;

	n = bpf_map_lookup_elem(&by_len, &len);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&by_len, &len, &one, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&verdict, &zero);
	if (v && *v)
		return *v;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
