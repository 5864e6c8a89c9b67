// SPDX-License-Identifier: GPL-2.0
/* helper_edges.c — the helpers at and past the limits Linux sets, one call per frame.
 *
 * A frame of ethertype 0x88b5 (local experimental) carries a request after its Ethernet
 * header: {u8 op, u8 flags, s16 delta, u32 a, u32 b, u32 c}. The program makes the one helper
 * call the op names with those arguments and records the helper's return value twice: in the
 * frame's first 8 bytes (when the frame still has them) and folded into results[0]
 * (results[0] = results[0] * 31 + ret), so that both the output frames and the final map dump
 * show every return value. Other frames pass untouched.
 *
 *   op 0  bpf_xdp_adjust_head(delta)        op 6  bpf_map_update_elem(table, a, c, flags),
 *   op 1  bpf_xdp_adjust_meta(delta)              then bpf_map_delete_elem(table, b)
 *   op 2  bpf_xdp_adjust_tail(delta)        op 7  bpf_tail_call(progs, a)
 *   op 3  bpf_csum_diff(buf, a & 63, buf, b & 63, c)   op 8  bpf_redirect_map(ports, a, flags)
 *   op 4  bpf_xdp_load_bytes(a, buf, b & 63 | 1)       op 9  bpf_redirect(a, flags)
 *   op 5  bpf_xdp_store_bytes(a, buf, b & 63 | 1)      op 10 bpf_map_lookup_elem(table, a)
 * (Linux wants a length of at least 1 there.)
 *
 * buf is a 64-byte stack buffer holding i * 7 + 1 at byte i. Sizes that are not multiples of
 * 4 (csum_diff), offsets past the frame or beyond 64 KiB (load/store_bytes), deltas past the
 * headroom, the reserved tailroom or the Ethernet header, metadata of bad length, flags Linux
 * refuses, full maps and empty program-array slots all appear in the frames.
 *
 * Maps: results ARRAY, table HASH (4 entries), progs PROG_ARRAY (slot 0 = xdp_edge_tail,
 * from maps/helper_edges.json), ports DEVMAP (key 0 = ifindex 1).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_EDGE 0x88b5

struct req {
	__u8 op;
	__u8 flags;
	__s16 delta;
	__u32 a;
	__u32 b;
	__u32 c;
} __attribute__((packed));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} results SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} progs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} ports SEC(".maps");

static __always_inline void record(struct xdp_md *ctx, long ret)
{
	__u32 zero = 0;
	__u64 *acc = bpf_map_lookup_elem(&results, &zero);
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (acc)
		*acc = *acc * 31 + (__u64)ret;
	if (data + 8 <= end)
		*(__u64 *)data = (__u64)ret;
}

SEC("xdp")
int xdp_edge_tail(struct xdp_md *ctx)
{
	record(ctx, 0x7a11);
	return XDP_PASS;
}

SEC("xdp")
int xdp_helper_edges(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct req *r = data + sizeof(*eth);
	__u8 buf[64];
	long ret = 0;

	if ((void *)(r + 1) > end || eth->h_proto != bpf_htons(ETH_P_EDGE))
		return XDP_PASS;
	__u8 op = r->op, flags = r->flags;
	__s32 delta = r->delta;
	__u32 a = r->a, b = r->b, c = r->c;

#pragma unroll
	for (int i = 0; i < 64; i++)
		buf[i] = i * 7 + 1;

	switch (op) {
	case 0:
		ret = bpf_xdp_adjust_head(ctx, delta);
		break;
	case 1:
		ret = bpf_xdp_adjust_meta(ctx, delta);
		if (ret == 0) {
			void *meta = (void *)(long)ctx->data_meta;
			void *start = (void *)(long)ctx->data;

			if (meta + 4 <= start)
				*(__u32 *)meta = 0x6d657461;
		}
		break;
	case 2:
		ret = bpf_xdp_adjust_tail(ctx, delta);
		break;
	case 3:
		ret = bpf_csum_diff((__be32 *)buf, a & 63, (__be32 *)buf, b & 63, c);
		break;
	case 4:
		ret = bpf_xdp_load_bytes(ctx, a, buf, (b & 63) | 1);
		record(ctx, *(__u64 *)&buf[0] ^ *(__u64 *)&buf[8]);
		break;
	case 5:
		ret = bpf_xdp_store_bytes(ctx, a, buf, (b & 63) | 1);
		break;
	case 6: {
		__u32 key = a, gone = b;
		__u64 value = c;

		ret = bpf_map_update_elem(&table, &key, &value, flags);
		record(ctx, ret);
		ret = bpf_map_delete_elem(&table, &gone);
		break;
	}
	case 7:
		bpf_tail_call(ctx, &progs, a);
		ret = -1;
		break;
	case 8:
		return bpf_redirect_map(&ports, a, flags);
	case 9:
		return bpf_redirect(a, flags);
	case 10: {
		__u32 key = a;
		__u64 *v = bpf_map_lookup_elem(&table, &key);

		ret = v ? (long)*v : -1;
		break;
	}
	default:
		return XDP_DROP;
	}
	record(ctx, ret);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
