// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* xdp.bpf.c — written the way libbpf-bootstrap lays a program out: vmlinux.h (generated with
 * `bpftool btf dump file /sys/kernel/btf/vmlinux format c`) instead of the uapi headers, a
 * configuration in `const volatile` globals that user space sets through the skeleton before
 * load (skel->rodata->...), and counters in plain globals that it reads back
 * (skel->bss->...) instead of bpf_printk.
 *
 * The filter: frames longer than max_frame are dropped, so are IPv6 frames when drop_ipv6 is
 * set and IPv4 packets of protocol blocked_proto (0: none); everything else passes.
 *
 * .rodata layout (what xdp.bpf.json sets, 6 bytes): max_frame (u32, offset 0), drop_ipv6
 * (bool, offset 4), blocked_proto (u8, offset 5).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* vmlinux.h has the types but not the #defines. */
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD

const volatile __u32 max_frame = 1514;
const volatile bool drop_ipv6 = false;
const volatile __u8 blocked_proto = 0;

__u64 frames = 0;
__u64 bytes = 0;
__u64 dropped_big = 0;
__u64 dropped_ipv6 = 0;
__u64 dropped_proto = 0;

SEC("xdp")
int xdp_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	__u32 len = data_end - data;

	__sync_fetch_and_add(&frames, 1);
	__sync_fetch_and_add(&bytes, len);

	if (len > max_frame) {
		dropped_big++;
		return XDP_DROP;
	}
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		if (drop_ipv6) {
			dropped_ipv6++;
			return XDP_DROP;
		}
		return XDP_PASS;
	}
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return XDP_PASS;
	if (blocked_proto && iph->protocol == blocked_proto) {
		dropped_proto++;
		return XDP_DROP;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
