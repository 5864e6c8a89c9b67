// SPDX-License-Identifier: GPL-2.0
/* ipip_encap.c — IPv4-in-IPv4 encapsulation toward a tunnel endpoint (as a load balancer's
 * forwarding plane does).
 *
 * IPv4 packets whose destination is a key of tunnels (HASH) get 20 bytes of headroom with
 * bpf_xdp_adjust_head(-20); the Ethernet header moves to the new start, an outer IPv4 header
 * (protocol 4, addresses from the tunnel entry, TOS copied from the inner header, DF set) is
 * written after it, its checksum computed with bpf_csum_diff, and the frame goes back out of
 * the port it came in on (XDP_TX) with the next hop's MAC addresses.  Other IPv4 and non-IPv4
 * traffic passes; malformed packets and inner packets too large to encapsulate are dropped.
 * encap_stats (ARRAY) counts packets and bytes encapsulated.
 *
 * Maps: tunnels HASH, encap_stats ARRAY.
 * Helpers: bpf_map_lookup_elem, bpf_xdp_adjust_head, bpf_csum_diff.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct tunnel {
	__be32 saddr;		/* our tunnel source address */
	__be32 daddr;		/* the tunnel endpoint */
	__u8 dmac[ETH_ALEN];	/* next hop toward the endpoint */
	__u8 smac[ETH_ALEN];	/* our MAC */
};

struct counter {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __be32);	/* inner destination (service address) */
	__type(value, struct tunnel);
} tunnels SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counter);
} encap_stats SEC(".maps");

static __always_inline __u16 csum_fold(__s64 csum)
{
	__u64 sum = (__u64)csum;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

SEC("xdp")
int xdp_ipip_encap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *inner, *outer;
	struct tunnel *tun;
	struct counter *cnt;
	__u16 inner_len;
	__u8 tos;
	__u32 zero = 0;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	inner = (void *)(eth + 1);
	if ((void *)(inner + 1) > data_end)
		return XDP_DROP;
	if (inner->version != 4 || inner->ihl < 5)
		return XDP_DROP;

	tun = bpf_map_lookup_elem(&tunnels, &inner->daddr);
	if (!tun)
		return XDP_PASS;
	inner_len = bpf_ntohs(inner->tot_len);
	if (inner_len > 0xffff - sizeof(struct iphdr))
		return XDP_DROP;	/* the outer total length would overflow */
	tos = inner->tos;

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	/* The new Ethernet header is written from the tunnel entry, so the old one (now at
	 * data + 20, under the outer IPv4 header) needs no copying. */
	eth = data;
	outer = data + sizeof(struct ethhdr);
	if ((void *)(outer + 1) > data_end)
		return XDP_ABORTED;

	__builtin_memcpy(eth->h_dest, tun->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tun->smac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);

	outer->version = 4;
	outer->ihl = 5;
	outer->tos = tos;
	outer->tot_len = bpf_htons(inner_len + sizeof(struct iphdr));
	outer->id = 0;
	outer->frag_off = bpf_htons(0x4000);	/* DF */
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = tun->saddr;
	outer->daddr = tun->daddr;
	outer->check = csum_fold(bpf_csum_diff(0, 0, (__be32 *)outer, sizeof(*outer), 0));

	cnt = bpf_map_lookup_elem(&encap_stats, &zero);
	if (cnt) {
		__sync_fetch_and_add(&cnt->packets, 1);
		__sync_fetch_and_add(&cnt->bytes, data_end - data);
	}
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
