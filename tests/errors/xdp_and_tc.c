// SPDX-License-Identifier: GPL-2.0
/* xdp_and_tc.c — one object with an XDP program and its tc counterpart (SEC("tc"), libbpf's
 * name since 0.8), as users keep both halves of a data path in one file.  Asking rvo for the
 * tc program is a mistake; the XDP program should compile. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_half(struct xdp_md *ctx)
{
	return ctx->data_end - ctx->data < 64 ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int tc_half(struct __sk_buff *skb)
{
	return skb->len < 64 ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
