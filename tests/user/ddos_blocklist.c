// SPDX-License-Identifier: GPL-2.0
/* ddos_blocklist.c — a simple (SYN-cookie-free) flood dropper: sources in blocklist (HASH) are
 * dropped and their drops counted; every other IPv4 source is counted in src_packets (HASH),
 * created with BPF_NOEXIST on its first packet, and put on the blocklist (BPF_NOEXIST again)
 * once it sends more than pkt_limit packets.  first_seen (HASH) records the packet number a
 * source was first seen at: its BPF_NOEXIST update fails with -EEXIST for every later packet,
 * which .bss counts, so both outcomes of BPF_NOEXIST are checked.  Non-IPv4 traffic passes.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define EEXIST 17

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __be32);
	__type(value, __u64);		/* packets dropped */
} blocklist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __be32);
	__type(value, __u64);		/* packets seen */
} src_packets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __be32);
	__type(value, __u64);		/* packet number */
} first_seen SEC(".maps");

const volatile __u64 pkt_limit = 4;

__u64 ipv4_packets;
__u64 already_seen;		/* first_seen updates refused with -EEXIST */
__u64 newly_blocked;

SEC("xdp")
int xdp_ddos(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	__u64 *drops, *count, one = 1, zero = 0, n;
	__be32 src;
	long err;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return XDP_DROP;
	src = iph->saddr;

	n = ++ipv4_packets;
	err = bpf_map_update_elem(&first_seen, &src, &n, BPF_NOEXIST);
	if (err == -EEXIST)
		already_seen++;

	drops = bpf_map_lookup_elem(&blocklist, &src);
	if (drops) {
		(*drops)++;
		return XDP_DROP;
	}

	count = bpf_map_lookup_elem(&src_packets, &src);
	if (!count) {
		bpf_map_update_elem(&src_packets, &src, &one, BPF_NOEXIST);
		return XDP_PASS;
	}
	*count += 1;
	if (*count > pkt_limit) {
		if (bpf_map_update_elem(&blocklist, &src, &zero, BPF_NOEXIST) == 0)
			newly_blocked++;
		return XDP_DROP;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
