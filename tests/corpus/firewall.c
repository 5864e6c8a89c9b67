// SPDX-License-Identifier: GPL-2.0
/* firewall.c — stateless 5-tuple firewall.
 *
 * IPv4 TCP/UDP/other packets are matched against fw_rules (HASH) first on the exact
 * 5-tuple, then with the source port wildcarded (sport = 0, "any client port").  A matching
 * rule names the XDP verdict; no rule means the default policy, a .rodata knob the loader
 * may set before load.  Every verdict is counted in fw_stats (PERCPU_ARRAY, indexed by
 * verdict).  Also shows global data: .rodata (default_action), .data (drop_fragments,
 * sink_port) and .bss (parse_errors, rule_hits).
 *
 * Maps: fw_rules HASH, fw_stats PERCPU_ARRAY, .rodata/.data/.bss ARRAY.
 * Helpers: bpf_map_lookup_elem.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct five_tuple {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;	/* 0 for protocols without ports, and for wildcard rules */
	__be16 dport;
	__u8 proto;
	__u8 pad[3];	/* always zero: the key is hashed bytewise */
};

struct rule {
	__u32 action;	/* an XDP verdict; anything above XDP_TX is a bad rule: XDP_ABORTED */
	__u32 pad;
	__u64 hits;	/* updated atomically, shared by all CPUs */
};

struct verdict_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct five_tuple);
	__type(value, struct rule);
} fw_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDP_REDIRECT + 1);
	__type(key, __u32);
	__type(value, struct verdict_stats);
} fw_stats SEC(".maps");

/* .rodata: fixed at load time. */
const volatile __u32 default_action = XDP_PASS;
/* .data: runtime-tunable by the control plane (non-zero initialisers). */
volatile __u32 drop_fragments = 1;
volatile __u16 sink_port = 9;	/* UDP "discard": always dropped, before any rule */
/* .bss: counters starting at zero. */
__u64 parse_errors;
__u64 rule_hits;

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

/* Parse Ethernet/IPv4/L4 into *t.  Returns 0 on success, -1 for a malformed packet and 1 for a
 * packet the firewall does not judge (not IPv4). */
static __noinline int parse(void *data, void *data_end, struct five_tuple *t, int *is_frag)
{
	struct ethhdr *eth = data;
	struct iphdr *iph;
	__u32 hlen;

	if ((void *)(eth + 1) > data_end)
		return -1;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return 1;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return -1;
	if (iph->version != 4 || iph->ihl < 5)
		return -1;
	hlen = iph->ihl * 4;
	if ((void *)iph + hlen > data_end)
		return -1;
	t->saddr = iph->saddr;
	t->daddr = iph->daddr;
	t->proto = iph->protocol;
	*is_frag = (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)) != 0;
	if (*is_frag)
		return 0;	/* no L4 header to look at (or only the first piece of it) */

	if (iph->protocol == IPPROTO_TCP) {
		struct tcphdr *th = (void *)iph + hlen;

		if ((void *)(th + 1) > data_end)
			return -1;
		t->sport = th->source;
		t->dport = th->dest;
	} else if (iph->protocol == IPPROTO_UDP) {
		struct udphdr *uh = (void *)iph + hlen;

		if ((void *)(uh + 1) > data_end)
			return -1;
		t->sport = uh->source;
		t->dport = uh->dest;
	}
	return 0;
}

static __always_inline __u32 judge(struct five_tuple *t, int is_frag)
{
	struct rule *r;

	if (is_frag)
		return drop_fragments ? XDP_DROP : default_action;
	if (t->proto == IPPROTO_UDP && t->dport == bpf_htons(sink_port))
		return XDP_DROP;

	r = bpf_map_lookup_elem(&fw_rules, t);
	if (!r) {
		t->sport = 0;	/* wildcard rule: any source port */
		r = bpf_map_lookup_elem(&fw_rules, t);
	}
	if (!r)
		return default_action;
	__sync_fetch_and_add(&r->hits, 1);
	__sync_fetch_and_add(&rule_hits, 1);
	return r->action <= XDP_TX ? r->action : XDP_ABORTED;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct five_tuple t = {};
	struct verdict_stats *st;
	int is_frag = 0, rc;
	__u32 verdict;

	rc = parse(data, data_end, &t, &is_frag);
	if (rc < 0) {
		parse_errors++;
		verdict = XDP_DROP;
	} else if (rc > 0) {
		verdict = XDP_PASS;
	} else {
		verdict = judge(&t, is_frag);
	}

	st = bpf_map_lookup_elem(&fw_stats, &verdict);
	if (st) {
		st->packets++;
		st->bytes += data_end - data;
	}
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
