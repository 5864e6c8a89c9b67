// SPDX-License-Identifier: GPL-2.0
/* perf_event.c — a user mistake: samples to user space through a perf event array, a map
 * type the device has no engine for. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} samples SEC(".maps");

SEC("xdp")
int xdp_sample(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;

	bpf_perf_event_output(ctx, &samples, BPF_F_CURRENT_CPU, &len, sizeof(len));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
