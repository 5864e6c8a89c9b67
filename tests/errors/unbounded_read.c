/* A mistake only Linux's verifier catches: reading the packet without checking data_end.
 * rvo itself would run it (the core bounds-checks every access), but `rvo compile` first runs
 * the kernel's verifier and must show its log. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_unchecked(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;

	return data[12] == 0x08 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
