// SPDX-License-Identifier: GPL-2.0
/* printk.c — a user mistake: debugging output with bpf_printk (bpf_trace_printk), a helper
 * the device has no unit for. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_debug(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	long len = data_end - data;

	bpf_printk("packet of %ld bytes", len);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
