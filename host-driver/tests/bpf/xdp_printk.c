// SPDX-License-Identifier: GPL-2.0
/* Uses bpf_trace_printk, which rvo has no helper unit for: refused with an [rvo] message. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_printk(struct xdp_md *ctx)
{
	char fmt[] = "frame\n";

	bpf_trace_printk(fmt, sizeof(fmt));
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
