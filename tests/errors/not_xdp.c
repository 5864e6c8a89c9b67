// SPDX-License-Identifier: GPL-2.0
/* not_xdp.c — a user mistake: a tc (sched_cls) classifier given to rvo, which runs XDP only. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
	if (skb->len < 64)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
