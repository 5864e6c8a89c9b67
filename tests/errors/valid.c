// SPDX-License-Identifier: GPL-2.0
/* valid.c — no mistake: a small program rvo compiles (a map, global data, a bpf-to-bpf call),
 * the base that the corruption tests break, and compiled for the host instead of BPF (the
 * mistake of leaving out -target bpf). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u16 drop_proto = 0x88b5;	/* IEEE local experimental */
__u64 seen;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

static __noinline int classify(struct ethhdr *eth)
{
	return eth->h_proto == bpf_htons(drop_proto) ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_valid(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 key;
	__u64 *n;
	int v;

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	seen++;
	v = classify(eth);
	key = v == XDP_DROP;
	n = bpf_map_lookup_elem(&verdicts, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	return v;
}

char LICENSE[] SEC("license") = "GPL";
