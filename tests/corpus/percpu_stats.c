// SPDX-License-Identifier: GPL-2.0
/* percpu_stats.c — lock-free traffic accounting, passes every frame.
 *
 * Packets and bytes are counted per L3 class (other, IPv4, IPv6, ARP) in l3_stats
 * (PERCPU_ARRAY) and per (L3 class, IP protocol) in l4_stats (PERCPU_HASH, entries created on
 * first sight).  Per-CPU maps need no atomics: each CPU updates its own copy and user space
 * sums them.  One 802.1Q tag is looked through.  cpu_packets (ARRAY, shared) counts frames by
 * the CPU that handled them (bpf_get_smp_processor_id), to watch RSS balance, with atomic adds.
 * Truncated IP headers are counted at L3 only.
 *
 * Linux runs BPF_PROG_TEST_RUN on the calling CPU: run_linux.py pins itself to CPU 0, so all
 * counts land in CPU 0's copies and in cpu_packets[0].  Unpinned, only sums over CPUs (and over
 * cpu_packets' keys) are deterministic.
 *
 * Maps: l3_stats PERCPU_ARRAY, l4_stats PERCPU_HASH, cpu_packets ARRAY.
 * Helpers: bpf_map_lookup_elem, bpf_map_update_elem, bpf_get_smp_processor_id.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_CPUS 64

enum { L3_OTHER, L3_IPV4, L3_IPV6, L3_ARP, L3_MAX };

struct datarec {
	__u64 packets;
	__u64 bytes;
};

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, L3_MAX);
	__type(key, __u32);
	__type(value, struct datarec);
} l3_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);	/* L3 class << 8 | IP protocol */
	__type(value, struct datarec);
} l4_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_CPUS);
	__type(key, __u32);
	__type(value, __u64);
} cpu_packets SEC(".maps");

static __always_inline void account_l4(__u32 l3, __u8 proto, __u64 bytes)
{
	__u32 key = l3 << 8 | proto;
	struct datarec *rec = bpf_map_lookup_elem(&l4_stats, &key);

	if (rec) {
		rec->packets++;
		rec->bytes += bytes;
	} else {
		struct datarec init = { .packets = 1, .bytes = bytes };

		/* Another CPU may create it first: then this frame goes uncounted at L4. */
		bpf_map_update_elem(&l4_stats, &key, &init, BPF_NOEXIST);
	}
}

SEC("xdp")
int xdp_percpu_stats(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 bytes = data_end - data, *per_cpu;
	__u32 l3 = L3_OTHER, cpu;
	struct datarec *rec;
	void *l3hdr;
	__be16 proto;

	cpu = bpf_get_smp_processor_id();
	if (cpu >= MAX_CPUS)
		cpu = MAX_CPUS - 1;	/* the last slot also counts every CPU beyond it */
	per_cpu = bpf_map_lookup_elem(&cpu_packets, &cpu);
	if (per_cpu)
		__sync_fetch_and_add(per_cpu, 1);

	if ((void *)(eth + 1) > data_end)
		goto out;
	proto = eth->h_proto;
	l3hdr = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_hdr *vh = l3hdr;

		if ((void *)(vh + 1) > data_end)
			goto out;
		proto = vh->encap_proto;
		l3hdr = vh + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = l3hdr;

		l3 = L3_IPV4;
		if ((void *)(iph + 1) <= data_end)
			account_l4(l3, iph->protocol, bytes);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3hdr;

		l3 = L3_IPV6;
		if ((void *)(ip6 + 1) <= data_end)
			account_l4(l3, ip6->nexthdr, bytes);
	} else if (proto == bpf_htons(ETH_P_ARP)) {
		l3 = L3_ARP;
	}

out:
	rec = bpf_map_lookup_elem(&l3_stats, &l3);
	if (rec) {
		rec->packets++;
		rec->bytes += bytes;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
