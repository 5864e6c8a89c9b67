// SPDX-License-Identifier: GPL-2.0
/* meta_tail.c — two-stage pipeline: classify and annotate, then enforce in a tail-called
 * program, passing state in XDP metadata.
 *
 * Stage 1, xdp_meta_classify (the entry point):
 *  - reserves 8 bytes of metadata in front of the frame (bpf_xdp_adjust_meta) and writes
 *    {magic, class, original length} into it;
 *  - reads the ethertype and the IPv4 header with bpf_xdp_load_bytes (a frame too short for
 *    the IPv4 header is dropped);
 *  - re-marks the DSCP of IPv4 UDP (EF) and TCP (AF11), fixes the header checksum and writes
 *    the header back with bpf_xdp_store_bytes;
 *  - grows IPv4 frames by a 4-byte trailer (bpf_xdp_adjust_tail, positive delta) holding
 *    TRAILER_MAGIC, after the IP datagram, where receivers ignore it;
 *  - tail-calls jump_table[class] (bpf_tail_call).  Only slot CLASS_IPV4 (1) is populated;
 *    other classes find an empty slot, the tail call falls through and the frame passes.
 *
 * Stage 2, xdp_meta_ipv4 (must be in jump_table slot 1): checks the metadata (no metadata or
 * wrong magic: XDP_ABORTED) and that the trailer was added, counts the frame per IP protocol
 * in proto_stats, and drops ICMP (policed elsewhere); everything else passes.
 *
 * jump_table is filled by the loader from maps/meta_tail.json: slot 1 -> xdp_meta_ipv4.
 * Linux's test run returns the metadata in front of the output frame (data_meta..data_end).
 *
 * Maps: jump_table PROG_ARRAY, proto_stats ARRAY.
 * Helpers: bpf_xdp_adjust_meta, bpf_xdp_load_bytes, bpf_xdp_store_bytes, bpf_xdp_adjust_tail,
 * bpf_tail_call, bpf_map_lookup_elem.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define META_MAGIC    0x6d657461	/* "meta" */
#define TRAILER_MAGIC 0x72766f21	/* "rvo!" */
#define DSCP_EF   46
#define DSCP_AF11 10

enum { CLASS_OTHER, CLASS_IPV4, CLASS_IPV6, CLASS_MAX };

struct meta {
	__u32 magic;
	__u16 class;
	__u16 orig_len;
};

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, CLASS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} jump_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);	/* IP protocol */
	__type(value, __u64);
} proto_stats SEC(".maps");

SEC("xdp")
int xdp_meta_classify(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data, class = CLASS_OTHER;
	__be32 trailer = bpf_htonl(TRAILER_MAGIC);
	struct iphdr iph;
	struct meta *meta;
	__be16 proto;
	__u8 dscp;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)))
		return XDP_ABORTED;
	if (bpf_xdp_load_bytes(ctx, offsetof(struct ethhdr, h_proto), &proto, sizeof(proto)))
		return XDP_DROP;

	if (proto == bpf_htons(ETH_P_IPV6)) {
		class = CLASS_IPV6;
	} else if (proto == bpf_htons(ETH_P_IP)) {
		class = CLASS_IPV4;
		if (bpf_xdp_load_bytes(ctx, sizeof(struct ethhdr), &iph, sizeof(iph)))
			return XDP_DROP;
		dscp = iph.protocol == IPPROTO_UDP ? DSCP_EF :
		       iph.protocol == IPPROTO_TCP ? DSCP_AF11 : iph.tos >> 2;
		if (dscp != iph.tos >> 2) {
			/* tos shares a 16-bit word with version/ihl: HC' = ~(~HC + ~m + m') */
			__u16 old = bpf_ntohs(*(__be16 *)&iph);
			__u32 sum;

			iph.tos = dscp << 2 | (iph.tos & 3);
			sum = (~bpf_ntohs(iph.check) & 0xffff) + (~old & 0xffff) +
			      bpf_ntohs(*(__be16 *)&iph);
			sum = (sum & 0xffff) + (sum >> 16);
			sum = (sum & 0xffff) + (sum >> 16);
			iph.check = bpf_htons(~sum & 0xffff);
			if (bpf_xdp_store_bytes(ctx, sizeof(struct ethhdr), &iph, sizeof(iph)))
				return XDP_ABORTED;
		}
		if (bpf_xdp_adjust_tail(ctx, sizeof(trailer)))
			return XDP_ABORTED;
		if (bpf_xdp_store_bytes(ctx, len, &trailer, sizeof(trailer)))
			return XDP_ABORTED;
	}

	/* Every helper above may move the packet: take the metadata pointer last. */
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 1) > (void *)(long)ctx->data)
		return XDP_ABORTED;
	meta->magic = META_MAGIC;
	meta->class = class;
	meta->orig_len = len;

	bpf_tail_call(ctx, &jump_table, class);
	return XDP_PASS;	/* no stage for this class */
}

SEC("xdp")
int xdp_meta_ipv4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct meta *meta = (void *)(long)ctx->data_meta;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	__u32 key;
	__u64 *cnt;

	if ((void *)(meta + 1) > data || meta->magic != META_MAGIC)
		return XDP_ABORTED;
	if (data_end - data != meta->orig_len + sizeof(__be32))
		return XDP_ABORTED;	/* stage 1 did not add the trailer */
	if ((void *)(iph + 1) > data_end)
		return XDP_DROP;

	key = iph->protocol;
	cnt = bpf_map_lookup_elem(&proto_stats, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return iph->protocol == IPPROTO_ICMP ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
