// SPDX-License-Identifier: GPL-2.0
/* vlan.c — 802.1Q edge port: filter and pop tags on ingress from the trunk, push the access
 * VLAN's tag on untagged frames and send them to the trunk.
 *
 * Tagged frames (TPID 0x8100): the VLAN id must be allowed in vlan_policy (ARRAY indexed by
 * VID) or the frame is dropped; VID 4095 is reserved (drop), VID 0 is a priority tag (always
 * popped).  A VLAN with VLAN_POP has its tag removed (MACs moved 4 bytes forward,
 * bpf_xdp_adjust_head(+4)); the frame goes to the stack either way.  Service tags (0x88a8,
 * QinQ) are not supported here: drop.  Untagged frames get the access VLAN's tag
 * (vlan_cfg: VID, priority; bpf_xdp_adjust_head(-4)) and are redirected with bpf_redirect
 * to the trunk's ifindex; with no access VLAN configured they pass untouched.
 * vlan_counters (HASH) counts frames per VID; a VID's entry is created on its first frame.
 *
 * Maps: vlan_policy ARRAY, vlan_cfg ARRAY, vlan_counters HASH.
 * Helpers: bpf_map_lookup_elem, bpf_map_update_elem, bpf_xdp_adjust_head, bpf_redirect.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define VLAN_ALLOW 1
#define VLAN_POP   2
#define VID_MASK   0x0fff
#define VID_RESERVED 0x0fff

struct vlan_hdr {
	__be16 tci;		/* priority (3 bits), DEI (1), VID (12) */
	__be16 encap_proto;	/* the ethertype of what follows */
};

struct vlan_cfg {
	__u16 access_vid;	/* 0: no access VLAN, untagged frames pass */
	__u8 pcp;		/* priority for pushed tags */
	__u8 pad;
	__u32 trunk_ifindex;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4096);
	__type(key, __u32);	/* VID */
	__type(value, __u32);	/* VLAN_* flags */
} vlan_policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vlan_cfg);
} vlan_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);	/* VID */
	__type(value, __u64);	/* frames */
} vlan_counters SEC(".maps");

static __always_inline void count(__u32 vid)
{
	__u64 one = 1, *c = bpf_map_lookup_elem(&vlan_counters, &vid);

	if (c)
		__sync_fetch_and_add(c, 1);
	else
		bpf_map_update_elem(&vlan_counters, &vid, &one, BPF_NOEXIST);
}

SEC("xdp")
int xdp_vlan(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vlan_hdr *vh;
	struct vlan_cfg *cfg;
	__u8 macs[2 * ETH_ALEN];
	__u32 vid, zero = 0, *policy;
	int pop;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(ETH_P_8021AD))
		return XDP_DROP;

	if (eth->h_proto == bpf_htons(ETH_P_8021Q)) {
		vh = (void *)(eth + 1);
		if ((void *)(vh + 1) > data_end)
			return XDP_DROP;
		vid = bpf_ntohs(vh->tci) & VID_MASK;
		if (vid == VID_RESERVED)
			return XDP_DROP;
		pop = 1;	/* priority tags carry no VLAN: always popped */
		if (vid != 0) {
			policy = bpf_map_lookup_elem(&vlan_policy, &vid);
			if (!policy || !(*policy & VLAN_ALLOW))
				return XDP_DROP;
			pop = *policy & VLAN_POP;
		}
		count(vid);
		if (!pop)
			return XDP_PASS;

		__builtin_memcpy(macs, eth, sizeof(macs));
		if (bpf_xdp_adjust_head(ctx, (int)sizeof(*vh)))
			return XDP_ABORTED;
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		if (data + sizeof(struct ethhdr) > data_end)
			return XDP_ABORTED;
		/* The inner ethertype is already in place, right after the MACs. */
		__builtin_memcpy(data, macs, sizeof(macs));
		return XDP_PASS;
	}

	cfg = bpf_map_lookup_elem(&vlan_cfg, &zero);
	if (!cfg || cfg->access_vid == 0)
		return XDP_PASS;
	count(cfg->access_vid);
	__builtin_memcpy(macs, eth, sizeof(macs));
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(*vh)))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	vh = (void *)(eth + 1);
	if ((void *)(vh + 1) > data_end)
		return XDP_ABORTED;
	/* The original ethertype is already in place as the tag's encapsulated protocol. */
	__builtin_memcpy(eth, macs, sizeof(macs));
	eth->h_proto = bpf_htons(ETH_P_8021Q);
	vh->tci = bpf_htons(((__u16)cfg->pcp << 13) | (cfg->access_vid & VID_MASK));
	return bpf_redirect(cfg->trunk_ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
