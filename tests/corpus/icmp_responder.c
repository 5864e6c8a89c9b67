// SPDX-License-Identifier: GPL-2.0
/* icmp_responder.c — answers ICMP echo requests in XDP, without the stack.
 *
 * An IPv4 echo request (type 8, code 0, no IP options, not a fragment) is turned into its
 * reply in place: MAC and IP addresses swapped, TTL reset, type 0, and the frame sent back
 * out (XDP_TX).  Replies carry at most MAX_PAYLOAD bytes of the request's data (so that the
 * responder cannot be used to reflect big frames): longer requests, and frames with Ethernet
 * padding after the IP datagram, are trimmed with bpf_xdp_adjust_tail (negative delta).  The
 * IP header checksum is recomputed; the ICMP checksum is updated incrementally when the
 * message is whole, and recomputed over the shortened message when it was cut.  Anything else
 * goes to the stack; truncated packets are dropped.  replies (ARRAY) counts replies sent,
 * whole and cut.
 *
 * Maps: replies ARRAY.  Helpers: bpf_map_lookup_elem, bpf_xdp_adjust_tail.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ICMP_ECHOREPLY 0
#define ICMP_ECHO      8
#define MAX_PAYLOAD    64
#define ICMP_MSG_MAX (sizeof(struct icmphdr) + MAX_PAYLOAD)	/* 72 */

/* <linux/icmp.h> would drag in libc's socket headers: the echo header is all we need. */
struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 sequence;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);	/* 0: whole replies, 1: cut replies */
	__type(key, __u32);
	__type(value, __u64);
} replies SEC(".maps");

static __always_inline __u16 fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static __always_inline void ip_checksum(struct iphdr *iph)
{
	__u16 *w = (__u16 *)iph;
	__u32 sum = 0;

	iph->check = 0;
#pragma unroll
	for (int i = 0; i < (int)sizeof(*iph) / 2; i++)
		sum += w[i];
	iph->check = fold(sum);
}

SEC("xdp")
int xdp_icmp_echo(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct icmphdr *icmp;
	struct iphdr *iph;
	__u32 ip_len, new_ip_len, frame_len, key, sum;
	__u8 mac[ETH_ALEN];
	__be32 addr;
	__u64 *cnt;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return XDP_DROP;
	if (iph->version != 4 || iph->ihl != 5 || iph->protocol != IPPROTO_ICMP)
		return XDP_PASS;
	if (iph->frag_off & bpf_htons(0x3fff))
		return XDP_PASS;	/* MF or an offset: leave reassembly to the stack */
	icmp = (void *)(iph + 1);
	if ((void *)(icmp + 1) > data_end)
		return XDP_DROP;
	if (icmp->type != ICMP_ECHO || icmp->code != 0)
		return XDP_PASS;

	ip_len = bpf_ntohs(iph->tot_len);
	frame_len = data_end - data;
	if (ip_len < sizeof(*iph) + sizeof(*icmp) || sizeof(*eth) + ip_len > frame_len)
		return XDP_DROP;	/* the IP length disagrees with the frame */
	new_ip_len = ip_len;
	if (new_ip_len > sizeof(*iph) + ICMP_MSG_MAX)
		new_ip_len = sizeof(*iph) + ICMP_MSG_MAX;
	if (frame_len > sizeof(*eth) + new_ip_len) {
		if (bpf_xdp_adjust_tail(ctx, (int)(sizeof(*eth) + new_ip_len) - (int)frame_len))
			return XDP_ABORTED;
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		eth = data;
		iph = (void *)(eth + 1);
		icmp = (void *)(iph + 1);
		if ((void *)(icmp + 1) > data_end)
			return XDP_ABORTED;
	}

	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	addr = iph->saddr;
	iph->saddr = iph->daddr;
	iph->daddr = addr;
	iph->ttl = 64;
	iph->tot_len = bpf_htons(new_ip_len);
	ip_checksum(iph);

	icmp->type = ICMP_ECHOREPLY;
	if (new_ip_len == ip_len) {
		/* Whole message: only the type word changed, 0x0800 -> 0x0000 (RFC 1624). */
		sum = (~bpf_ntohs(icmp->checksum) & 0xffff) + (~0x0800 & 0xffff);
		icmp->checksum = bpf_htons(fold(sum));
		key = 0;
	} else {
		/* Cut message: sum the ICMP_MSG_MAX bytes that are left (unrolled: constant
		 * offsets under one bounds check). */
		__u16 *w = (__u16 *)icmp;

		if ((void *)icmp + ICMP_MSG_MAX > data_end)
			return XDP_ABORTED;
		icmp->checksum = 0;
		sum = 0;
#pragma unroll
		for (int i = 0; i < (int)ICMP_MSG_MAX / 2; i++)
			sum += w[i];
		icmp->checksum = fold(sum);
		key = 1;
	}

	cnt = bpf_map_lookup_elem(&replies, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
