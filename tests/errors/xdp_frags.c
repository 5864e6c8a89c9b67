// SPDX-License-Identifier: GPL-2.0
/* xdp_frags.c — a user mistake: a multi-buffer (xdp.frags) program; rvo holds each packet in
 * one buffer. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp.frags")
int xdp_jumbo(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (data + 14 > data_end)
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
