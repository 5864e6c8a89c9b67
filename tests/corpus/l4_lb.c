// SPDX-License-Identifier: GPL-2.0
/* l4_lb.c — hash-based L4 load balancer with a connection table (direct server return).
 *
 * TCP and UDP packets to the virtual IP (lb_config.vip) are spread over lb_config.count
 * backends (backends, ARRAY): a new flow takes backend hash(5-tuple) % count and is recorded in
 * conntrack (LRU_HASH), so later packets of the flow stick to it even if the hash would now
 * choose another; an entry naming a backend that no longer exists is re-hashed.  The packet's
 * destination address becomes the backend's, the IPv4 and TCP/UDP checksums are updated with
 * bpf_csum_diff (a UDP checksum of 0, "none", stays 0), the destination MAC becomes the
 * backend's and the frame goes back out (XDP_TX).  A TCP FIN or RST ends the flow: its entry is
 * deleted.  Per-backend packet/byte counters (backend_stats, ARRAY) are shared by all CPUs and
 * updated with atomic adds.  Other traffic, fragments and non-TCP/UDP to the VIP pass to the
 * stack; malformed packets are dropped, and so is VIP traffic while no backend is configured.
 *
 * Maps: lb_config ARRAY, backends ARRAY, backend_stats ARRAY, conntrack LRU_HASH.
 * Helpers: bpf_map_lookup_elem, bpf_map_update_elem, bpf_map_delete_elem, bpf_csum_diff.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_BACKENDS 8

struct flow_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct lb_config {
	__be32 vip;
	__u32 count;	/* backends in use: slots 0..count-1 */
};

struct backend {
	__be32 addr;
	__u8 mac[ETH_ALEN];
	__u16 pad;
};

struct backend_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_config);
} lb_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend_stats);
} backend_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flow_key);
	__type(value, __u32);	/* backend slot */
} conntrack SEC(".maps");

/* murmur3's 32-bit finaliser over the three words of the key: cheap and well mixed. */
static __noinline __u32 flow_hash(const struct flow_key *k)
{
	__u32 h = 0x9e3779b9;
	__u32 w[3] = { k->saddr, k->daddr, ((__u32)k->sport << 16 | k->dport) ^ k->proto };

	for (int i = 0; i < 3; i++) {
		h ^= w[i];
		h ^= h >> 16;
		h *= 0x85ebca6b;
		h ^= h >> 13;
		h *= 0xc2b2ae35;
		h ^= h >> 16;
	}
	return h;
}

/* Replace the 32-bit word old by new under the 16-bit checksum *csum. */
static __always_inline void csum_replace4(__u16 *csum, __be32 old, __be32 new)
{
	__u64 sum = bpf_csum_diff(&old, sizeof(old), &new, sizeof(new), ~(__u32)*csum & 0xffff);

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	*csum = ~sum & 0xffff;
}

SEC("xdp")
int xdp_l4_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct flow_key key = {};
	struct lb_config *cfg;
	struct backend_stats *st;
	struct backend *be;
	struct iphdr *iph;
	struct tcphdr *th = 0;
	struct udphdr *uh = 0;
	__u32 zero = 0, slot, *known;
	void *l4;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end || iph->version != 4 || iph->ihl < 5)
		return XDP_DROP;
	cfg = bpf_map_lookup_elem(&lb_config, &zero);
	if (!cfg || iph->daddr != cfg->vip)
		return XDP_PASS;
	if (iph->frag_off & bpf_htons(0x3fff))
		return XDP_PASS;	/* no ports to hash on: the stack reassembles */

	l4 = (void *)iph + iph->ihl * 4;
	if (iph->protocol == IPPROTO_TCP) {
		th = l4;
		if ((void *)(th + 1) > data_end)
			return XDP_DROP;
		key.sport = th->source;
		key.dport = th->dest;
	} else if (iph->protocol == IPPROTO_UDP) {
		uh = l4;
		if ((void *)(uh + 1) > data_end)
			return XDP_DROP;
		key.sport = uh->source;
		key.dport = uh->dest;
	} else {
		return XDP_PASS;
	}
	key.saddr = iph->saddr;
	key.daddr = iph->daddr;
	key.proto = iph->protocol;

	if (cfg->count == 0 || cfg->count > MAX_BACKENDS)
		return XDP_DROP;
	known = bpf_map_lookup_elem(&conntrack, &key);
	if (known && *known < cfg->count) {
		slot = *known;
	} else {
		slot = flow_hash(&key) % cfg->count;
		if (bpf_map_update_elem(&conntrack, &key, &slot, BPF_ANY))
			return XDP_DROP;
	}
	be = bpf_map_lookup_elem(&backends, &slot);
	if (!be)
		return XDP_DROP;
	st = bpf_map_lookup_elem(&backend_stats, &slot);
	if (st) {
		__sync_fetch_and_add(&st->packets, 1);
		__sync_fetch_and_add(&st->bytes, data_end - data);
	}

	/* The pseudo-header covers daddr, so both checksums change by the same word. */
	csum_replace4(&iph->check, iph->daddr, be->addr);
	if (th)
		csum_replace4(&th->check, iph->daddr, be->addr);
	else if (uh && uh->check) {
		csum_replace4(&uh->check, iph->daddr, be->addr);
		if (!uh->check)
			uh->check = 0xffff;	/* 0 would mean "no checksum" */
	}
	iph->daddr = be->addr;
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);

	if (th && (th->fin || th->rst))
		bpf_map_delete_elem(&conntrack, &key);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
