// SPDX-License-Identifier: GPL-2.0
/* socket_filter.c — a user mistake: a socket filter given to rvo, which runs XDP programs. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int sock_short(struct __sk_buff *skb)
{
	return skb->len < 64 ? 0 : skb->len;
}

char LICENSE[] SEC("license") = "GPL";
