// SPDX-License-Identifier: GPL-2.0
/* sampler.c — a packet sampler: every third frame is cut to its first 64 bytes with
 * bpf_xdp_adjust_tail, readdressed to the collector's MAC and sent back out (XDP_TX); the
 * others pass untouched.  Counters live in a PERCPU_ARRAY, updated without atomics, as per-CPU
 * values may be.
 *
 * The mistake new users make here is to keep using data/data_end after adjust_tail; the
 * verifier refuses that, so they are read again.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#define SNAP_LEN	64
#define SAMPLE_EVERY	3

struct sampler_stats {
	__u64 frames;
	__u64 sampled;
	__u64 bytes_cut;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sampler_stats);
} sampler_stats SEC(".maps");

const volatile unsigned char collector_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0xc0, 0x11 };

SEC("xdp")
int xdp_sampler(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct sampler_stats *st;
	struct ethhdr *eth;
	__u32 key = 0;
	int len = data_end - data;
	int i;

	st = bpf_map_lookup_elem(&sampler_stats, &key);
	if (!st)
		return XDP_ABORTED;
	st->frames++;
	if (st->frames % SAMPLE_EVERY)
		return XDP_PASS;

	if (len > SNAP_LEN) {
		if (bpf_xdp_adjust_tail(ctx, SNAP_LEN - len))
			return XDP_ABORTED;
		st->bytes_cut += len - SNAP_LEN;
	}
	st->sampled++;

	/* adjust_tail invalidated every packet pointer: read them again. */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	for (i = 0; i < ETH_ALEN; i++)
		eth->h_dest[i] = collector_mac[i];
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
