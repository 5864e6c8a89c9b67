// SPDX-License-Identifier: GPL-2.0
/* rate_limiter.c — per-source IPv4 token bucket with a cool-down and random early drop.
 *
 * Each source address has a bucket in buckets (HASH), created full on its first packet.  A
 * packet takes one token.  A bucket that runs dry starts a cool-down of rl_config.cooldown_ns
 * (bpf_ktime_get_ns); packets are dropped until it ends, then the whole burst is credited at
 * once (lazy refill: time is read only for an empty bucket).  Below rl_config.low_water tokens,
 * packets are also dropped early with probability red_pct percent (bpf_get_prandom_u32), to
 * slow senders down before they hit the wall.  rl_stats (ARRAY) counts the outcomes.
 * Non-IPv4 frames pass; truncated IPv4 frames are dropped.
 *
 * Determinism.  ktime and prandom differ from run to run, yet the bundled packets give the same
 * verdicts and final maps on every run and on every device, because:
 *  - no bundled packet empties a bucket that is not already in cool-down: buckets start with
 *    rl_config.burst tokens (1000) or with what maps/rate_limiter.json gives them, and no source
 *    sends more packets than its bucket holds.  So "now" is never stored in a map;
 *  - the two buckets the map file starts empty have cool-downs ending at 1 ns (long over:
 *    refilled, cooldown_end reset to 0) and at 2^64-1 ns (never over: dropped), whatever the
 *    clock says;
 *  - red_pct is 0 in maps/rate_limiter.json, so (random % 100) < red_pct is always false: the
 *    bucket that starts below low_water runs the early-drop test, which never drops.
 * Both helpers are still called for every IPv4 packet that reaches the limiter.
 *
 * Maps: buckets HASH, rl_config ARRAY, rl_stats ARRAY.
 * Helpers: bpf_map_lookup_elem, bpf_map_update_elem, bpf_ktime_get_ns, bpf_get_prandom_u32.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum { RL_PASS, RL_DROP_EMPTY, RL_DROP_EARLY, RL_NEW_SOURCE, RL_MAX };

struct bucket {
	__u64 tokens;
	__u64 cooldown_end;	/* ktime (ns) the cool-down ends at; 0: not in cool-down */
};

struct rl_config {
	__u64 burst;		/* bucket size, and tokens credited after a cool-down */
	__u64 low_water;	/* random early drop below this many tokens */
	__u64 cooldown_ns;
	__u32 red_pct;		/* early-drop probability in percent */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __be32);	/* source address */
	__type(value, struct bucket);
} buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rl_config);
} rl_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RL_MAX);
	__type(key, __u32);
	__type(value, __u64);
} rl_stats SEC(".maps");

static __always_inline int outcome(__u32 what, int verdict)
{
	__u64 *c = bpf_map_lookup_elem(&rl_stats, &what);

	if (c)
		__sync_fetch_and_add(c, 1);
	return verdict;
}

SEC("xdp")
int xdp_rate_limit(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct rl_config *cfg;
	struct bucket *b;
	struct iphdr *iph;
	__u32 zero = 0, rnd;
	__u64 now;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return XDP_DROP;
	cfg = bpf_map_lookup_elem(&rl_config, &zero);
	if (!cfg || cfg->burst == 0)
		return XDP_PASS;	/* not configured */

	now = bpf_ktime_get_ns();
	rnd = bpf_get_prandom_u32();

	b = bpf_map_lookup_elem(&buckets, &iph->saddr);
	if (!b) {
		struct bucket fresh = { .tokens = cfg->burst - 1 };

		bpf_map_update_elem(&buckets, &iph->saddr, &fresh, BPF_NOEXIST);
		outcome(RL_NEW_SOURCE, XDP_PASS);
		return outcome(RL_PASS, XDP_PASS);
	}

	if (b->tokens == 0) {
		if (b->cooldown_end == 0) {
			b->cooldown_end = now + cfg->cooldown_ns;	/* just ran dry */
			return outcome(RL_DROP_EMPTY, XDP_DROP);
		}
		if (now < b->cooldown_end)
			return outcome(RL_DROP_EMPTY, XDP_DROP);
		b->tokens = cfg->burst;		/* cool-down over: refill */
		b->cooldown_end = 0;
	}
	if (b->tokens < cfg->low_water && rnd % 100 < cfg->red_pct)
		return outcome(RL_DROP_EARLY, XDP_DROP);
	b->tokens--;
	return outcome(RL_PASS, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
