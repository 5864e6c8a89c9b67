// SPDX-License-Identifier: GPL-2.0
/* ipip_decap.c — IPv4-in-IPv4 decapsulation at a tunnel endpoint.
 *
 * An IPv4 packet with protocol 4 (IPIP) whose outer destination is one of our endpoints
 * (decap_addrs, HASH) has its outer header (with options, if any: 20 to 60 bytes) verified
 * with bpf_csum_diff and then removed: the Ethernet header is moved forward over it and
 * bpf_xdp_adjust_head(+hlen) drops the bytes in front.  The inner IPv4 packet goes to the
 * stack (XDP_PASS).  IPIP to other addresses and all other traffic pass untouched; a bad outer
 * checksum, a truncated outer or inner header, or an inner packet that is not IPv4 is dropped.
 * decap_stats (ARRAY) counts per outcome: 0 decapsulated, 1 not for us, 2 dropped.
 *
 * Maps: decap_addrs HASH, decap_stats ARRAY.
 * Helpers: bpf_map_lookup_elem, bpf_csum_diff, bpf_xdp_adjust_head.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum { STAT_DECAP, STAT_NOT_OURS, STAT_DROP, STAT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __be32);	/* local tunnel endpoint address */
	__type(value, __u32);	/* unused flags */
} decap_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} decap_stats SEC(".maps");

static __always_inline int count(__u32 stat, int verdict)
{
	__u64 *c = bpf_map_lookup_elem(&decap_stats, &stat);

	if (c)
		__sync_fetch_and_add(c, 1);
	return verdict;
}

SEC("xdp")
int xdp_ipip_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, saved;
	struct iphdr *outer, *inner;
	__u32 hlen, *opt;
	__u64 sum;
	int i;

	if ((void *)(eth + 1) > data_end)
		return count(STAT_DROP, XDP_DROP);
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return count(STAT_NOT_OURS, XDP_PASS);
	outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > data_end)
		return count(STAT_DROP, XDP_DROP);
	if (outer->protocol != IPPROTO_IPIP || !bpf_map_lookup_elem(&decap_addrs, &outer->daddr))
		return count(STAT_NOT_OURS, XDP_PASS);

	hlen = outer->ihl * 4;	/* 0..60 */
	if (outer->version != 4 || hlen < sizeof(*outer))
		return count(STAT_DROP, XDP_DROP);
	if ((void *)outer + hlen > data_end)
		return count(STAT_DROP, XDP_DROP);
	/* The one's-complement sum of a correct header, check field included, is 0xffff.
	 * bpf_csum_diff sums the fixed 20 bytes; the options, 0 to 10 words, are added one by
	 * one (the verifier wants constant sizes for packet memory passed to helpers). */
	sum = bpf_csum_diff(0, 0, (__be32 *)outer, sizeof(*outer), 0);
	opt = (__u32 *)(outer + 1);
	for (i = 0; i < 10 && i < (hlen - sizeof(*outer)) / 4; i++) {
		if ((void *)(opt + i + 1) > data_end)
			return count(STAT_DROP, XDP_DROP);
		sum += opt[i];
	}
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	if (sum != 0xffff)
		return count(STAT_DROP, XDP_DROP);

	inner = (void *)outer + hlen;
	if ((void *)(inner + 1) > data_end)
		return count(STAT_DROP, XDP_DROP);
	if (inner->version != 4)
		return count(STAT_DROP, XDP_DROP);

	/* Keep the Ethernet header on the stack, drop everything up to the inner header, and
	 * write the Ethernet header back in front of it (once data has moved, the old copy is
	 * out of the program's reach). */
	__builtin_memcpy(&saved, eth, sizeof(saved));
	if (bpf_xdp_adjust_head(ctx, hlen))
		return count(STAT_DROP, XDP_ABORTED);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return count(STAT_DROP, XDP_ABORTED);
	__builtin_memcpy(eth, &saved, sizeof(saved));
	return count(STAT_DECAP, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
