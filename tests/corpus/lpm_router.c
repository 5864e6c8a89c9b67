// SPDX-License-Identifier: GPL-2.0
/* lpm_router.c — IPv4 fast-path forwarding.
 *
 * The destination address is looked up in routes (LPM_TRIE, longest prefix wins).  A route
 * either delivers locally (XDP_PASS), blackholes (XDP_DROP) or forwards: the MAC addresses are
 * rewritten from the route, the TTL is decremented with an incremental header checksum update
 * (RFC 1624) and the frame is redirected to an egress port.  Ports are slots of tx_ports
 * (DEVMAP, value = ifindex); routes flagged ROUTE_F_IFINDEX name the egress ifindex directly
 * and go through tx_ifindex (DEVMAP_HASH, keyed by ifindex).  A port missing from its devmap
 * makes bpf_redirect_map return its fallback, XDP_DROP.  No route, TTL <= 1 and anything that
 * is not IPv4 go to the kernel stack (which sends ICMP time exceeded, ARP replies, ...).
 *
 * Maps: routes LPM_TRIE, tx_ports DEVMAP, tx_ifindex DEVMAP_HASH.
 * Helpers: bpf_map_lookup_elem, bpf_redirect_map.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ROUTE_FORWARD   0
#define ROUTE_LOCAL     1
#define ROUTE_BLACKHOLE 2

#define ROUTE_F_IFINDEX 1	/* port is an ifindex: redirect through tx_ifindex */

struct route_key {
	__u32 prefixlen;	/* LPM_TRIE keys start with the prefix length in bits */
	__u8 addr[4];		/* network byte order */
};

struct route {
	__u8 kind;		/* ROUTE_* */
	__u8 flags;		/* ROUTE_F_* */
	__u8 dmac[ETH_ALEN];	/* next hop */
	__u8 smac[ETH_ALEN];	/* our address on the egress port */
	__u16 pad;
	__u32 port;		/* tx_ports slot, or ifindex with ROUTE_F_IFINDEX */
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* required for LPM tries */
	__type(key, struct route_key);
	__type(value, struct route);
} routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);	/* ifindex */
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);	/* ifindex */
	__type(value, __u32);	/* ifindex */
} tx_ifindex SEC(".maps");

/* TTL is the high byte of the 16-bit word {ttl, protocol}: HC' = ~(~HC + ~m + m'). */
static __always_inline void ip_decrease_ttl(struct iphdr *iph)
{
	__u16 old = bpf_ntohs(*(__be16 *)&iph->ttl);
	__u16 new = old - 0x0100;
	__u32 sum;

	iph->ttl--;
	sum = (~bpf_ntohs(iph->check) & 0xffff) + (~old & 0xffff) + new;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	iph->check = bpf_htons(~sum & 0xffff);
}

SEC("xdp")
int xdp_router(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct route_key key;
	struct route *rt;
	struct iphdr *iph;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return XDP_DROP;
	if (iph->version != 4 || iph->ihl < 5)
		return XDP_DROP;
	if (iph->ttl <= 1)
		return XDP_PASS;	/* the stack answers with ICMP time exceeded */

	key.prefixlen = 32;
	__builtin_memcpy(key.addr, &iph->daddr, sizeof(key.addr));
	rt = bpf_map_lookup_elem(&routes, &key);
	if (!rt)
		return XDP_PASS;
	if (rt->kind == ROUTE_LOCAL)
		return XDP_PASS;
	if (rt->kind != ROUTE_FORWARD)
		return XDP_DROP;

	ip_decrease_ttl(iph);
	__builtin_memcpy(eth->h_dest, rt->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, rt->smac, ETH_ALEN);
	if (rt->flags & ROUTE_F_IFINDEX)
		return bpf_redirect_map(&tx_ifindex, rt->port, XDP_DROP);
	return bpf_redirect_map(&tx_ports, rt->port, XDP_DROP);
}

char LICENSE[] SEC("license") = "GPL";
