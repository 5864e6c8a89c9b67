// SPDX-License-Identifier: GPL-2.0
/* ringbuf.c — a user mistake: events to user space through a BPF ring buffer, a map type the
 * device has no engine for. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("xdp")
int xdp_events(struct xdp_md *ctx)
{
	__u32 *len = bpf_ringbuf_reserve(&events, sizeof(*len), 0);

	if (len) {
		*len = ctx->data_end - ctx->data;
		bpf_ringbuf_submit(len, 0);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
