// SPDX-License-Identifier: GPL-2.0
/* kfunc.c — a user mistake: the RX timestamp from the NIC driver through an XDP metadata kfunc
 * (a kernel function, called by BTF id). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym;

SEC("xdp")
int xdp_stamp(struct xdp_md *ctx)
{
	__u64 ts = 0;

	if (bpf_xdp_metadata_rx_timestamp(ctx, &ts))
		return XDP_PASS;
	return ts & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
