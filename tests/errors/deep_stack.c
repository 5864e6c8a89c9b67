// SPDX-License-Identifier: GPL-2.0
/* deep_stack.c — a user mistake: two nested bpf-to-bpf calls, each with a 300-byte buffer on
 * its stack; together the frames exceed the 512 bytes of stack. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __noinline int sum_tail(struct xdp_md *ctx)
{
	volatile __u8 buf[300];
	int s = 0;

	if (bpf_xdp_load_bytes(ctx, 0, (void *)buf, sizeof(buf)))
		return 0;
	for (int i = 0; i < 300; i += 30)
		s += buf[i];
	return s;
}

static __noinline int sum_head(struct xdp_md *ctx)
{
	volatile __u8 buf[300];
	int s;

	if (bpf_xdp_load_bytes(ctx, 0, (void *)buf, sizeof(buf)))
		return 0;
	s = sum_tail(ctx);
	for (int i = 0; i < 300; i += 30)
		s += buf[i];
	return s;
}

SEC("xdp")
int xdp_deep(struct xdp_md *ctx)
{
	return sum_head(ctx) & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
