// SPDX-License-Identifier: GPL-2.0
/* ipv6_exthdr.c — IPv6 extension header walk and RFC 5095 enforcement.
 *
 * The chain of extension headers after the IPv6 header (hop-by-hop, routing, fragment,
 * destination options, authentication) is walked with a bounded loop of at most MAX_EXT_HDRS
 * steps; the loop is kept a loop (unrolling disabled) and the verifier checks it as one.
 * A routing header of type 0 (deprecated by RFC 5095: amplification attacks) is dropped; so is
 * a chain longer than MAX_EXT_HDRS and any header cut short by the end of the frame.  The
 * upper-layer protocol at the end of the chain (TCP, UDP, ICMPv6, ESP, "no next header"...)
 * is counted in nh_stats (ARRAY indexed by protocol number, atomic adds) and the packet goes
 * to the stack.  Non-IPv6 frames pass uncounted.
 *
 * Maps: nh_stats ARRAY.  Helpers: bpf_map_lookup_elem.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_EXT_HDRS 8

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);	/* upper-layer protocol number */
	__type(value, __u64);	/* packets */
} nh_stats SEC(".maps");

/* The first bytes shared by every extension header (RFC 8200 4.4, 4.5). */
struct ext_hdr {
	__u8 nexthdr;
	__u8 hdrlen;
	__u8 type;	/* routing header: routing type */
	__u8 segleft;	/* routing header: segments left */
	__u8 rest[4];	/* every extension header is at least 8 bytes long */
};

static __always_inline int is_ext_hdr(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_FRAGMENT ||
	       nh == IPPROTO_DSTOPTS || nh == IPPROTO_AH;
}

SEC("xdp")
int xdp_ipv6_exthdr(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6;
	struct ext_hdr *eh;
	__u32 off, len, key;
	__u64 *cnt;
	__u8 nh;
	int i;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IPV6))
		return XDP_PASS;
	ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > data_end)
		return XDP_DROP;
	if (ip6->version != 6)
		return XDP_DROP;

	nh = ip6->nexthdr;
	off = sizeof(*eth) + sizeof(*ip6);
#pragma clang loop unroll(disable)
	for (i = 0; i < MAX_EXT_HDRS; i++) {
		if (!is_ext_hdr(nh))
			break;
		/* off < 14 + 40 + 8 * 2048: the verifier needs the bound on the variable offset. */
		if (off > 0x8000)
			return XDP_DROP;
		eh = data + off;
		if ((void *)(eh + 1) > data_end)
			return XDP_DROP;	/* cut short */
		if (nh == IPPROTO_ROUTING && eh->type == 0)
			return XDP_DROP;	/* RFC 5095 */
		if (nh == IPPROTO_FRAGMENT)
			len = 8;
		else if (nh == IPPROTO_AH)
			len = (eh->hdrlen + 2) * 4;
		else
			len = (eh->hdrlen + 1) * 8;
		nh = eh->nexthdr;
		off += len;
	}
	if (is_ext_hdr(nh))
		return XDP_DROP;	/* more than MAX_EXT_HDRS extension headers */
	if (data + off > data_end)
		return XDP_DROP;	/* the last extension header runs past the frame */

	key = nh;
	cnt = bpf_map_lookup_elem(&nh_stats, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
