// SPDX-License-Identifier: GPL-2.0
/* port_filter.c — a TCP/UDP destination-port blocklist for IPv4 and IPv6, written with two
 * non-static global functions, as users split a parser up once it grows: the kernel verifies
 * each global function once, on its own, from its BTF signature (ctx and scalars in, a scalar
 * out), so they take the context and an offset, never a packet pointer.
 *
 *   l3_parse(ctx)           -> (protocol << 16) | L4 offset, or -1 (not IP, truncated, fragment)
 *   l4_dport(ctx, off, pr)  -> the destination port in host order, or -1
 *
 * blocked_ports (HASH, port in host order -> 1) decides; port_stats (ARRAY) counts passes,
 * drops and parse failures.  Header structs come from the uapi headers (iphdr, ipv6hdr,
 * tcphdr, udphdr), byte order from bpf_ntohs/bpf_htons.
 *
 * l4_dport computes `data + off` once, before the switch: with `th = data + off` and
 * `uh = data + off` in the two branches, clang 14 merged the additions so that the load used
 * a copy of the pointer the bounds check never saw, and the verifier refused the program
 * ("invalid access to packet, off=2 size=2").
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum { STAT_PASS, STAT_DROP, STAT_NOT_L4, STAT_BAD, STAT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} blocked_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} port_stats SEC(".maps");

#define IP_MF		0x2000
#define IP_OFFSET	0x1fff

__noinline int l3_parse(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6h;
	struct iphdr *iph;
	int ihl;

	if ((void *)(eth + 1) > data_end)
		return -1;

	switch (bpf_ntohs(eth->h_proto)) {
	case ETH_P_IP:
		iph = (void *)(eth + 1);
		if ((void *)(iph + 1) > data_end)
			return -1;
		ihl = iph->ihl * 4;
		if (ihl < sizeof(*iph))
			return -1;
		/* Later fragments carry no L4 header. */
		if (iph->frag_off & bpf_htons(IP_OFFSET))
			return -1;
		return (iph->protocol << 16) | (sizeof(*eth) + ihl);
	case ETH_P_IPV6:
		ip6h = (void *)(eth + 1);
		if ((void *)(ip6h + 1) > data_end)
			return -1;
		return (ip6h->nexthdr << 16) | (sizeof(*eth) + sizeof(*ip6h));
	default:
		return -1;
	}
}

__noinline int l4_dport(struct xdp_md *ctx, __u32 off, __u32 proto)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct tcphdr *th;
	struct udphdr *uh;
	void *l4;

	if (off > 128)
		return -1;
	l4 = data + off;
	switch (proto) {
	case IPPROTO_TCP:
		th = l4;
		if ((void *)(th + 1) > data_end)
			return -1;
		return bpf_ntohs(th->dest);
	case IPPROTO_UDP:
		uh = l4;
		if ((void *)(uh + 1) > data_end)
			return -1;
		return bpf_ntohs(uh->dest);
	default:
		return -1;
	}
}

static __always_inline int count(__u32 stat, int verdict)
{
	__u64 *n = bpf_map_lookup_elem(&port_stats, &stat);

	if (n)
		__sync_fetch_and_add(n, 1);
	return verdict;
}

SEC("xdp")
int xdp_port_filter(struct xdp_md *ctx)
{
	int l3 = l3_parse(ctx);
	__u32 proto;
	__u16 port;
	int dport;

	if (l3 < 0)
		return count(STAT_NOT_L4, XDP_PASS);
	proto = l3 >> 16;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return count(STAT_NOT_L4, XDP_PASS);
	dport = l4_dport(ctx, l3 & 0xffff, proto);
	if (dport < 0)
		return count(STAT_BAD, XDP_DROP);	/* truncated L4 header */
	port = dport;
	if (bpf_map_lookup_elem(&blocked_ports, &port))
		return count(STAT_DROP, XDP_DROP);
	return count(STAT_PASS, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
