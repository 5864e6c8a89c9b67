// SPDX-License-Identifier: GPL-2.0
/* too_many_insns.c — a user mistake: a checksum over the first 64 bytes, mixed 1500 times with
 * a fully unrolled loop.  Linux would take it (up to a million instructions); it has more eBPF
 * instructions than the device's instruction memory holds. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define ROUNDS 1500

SEC("xdp")
int xdp_unrolled(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	volatile __u8 *p = data;
	__u32 h = 2166136261u;

	if (data + 64 > data_end)
		return XDP_PASS;
#pragma unroll
	for (int i = 0; i < ROUNDS; i++)
		h = (h ^ p[(i * 7) & 63]) * 16777619u;
	return (h & 1) ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
