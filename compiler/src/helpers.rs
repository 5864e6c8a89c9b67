//! Linux helper numbers the compiler knows by name, for messages about helpers rvo lacks.

/// Linux's name for helper `id` (`enum bpf_func_id`), for the common ones.
pub fn linux_name(id: i32) -> Option<&'static str> {
    if let Some(h) = rvo_isa::Helper::from_id(id) {
        return Some(h.linux_name());
    }
    Some(match id {
        1 => "bpf_map_lookup_elem",
        2 => "bpf_map_update_elem",
        3 => "bpf_map_delete_elem",
        6 => "bpf_trace_printk",
        12 => "bpf_tail_call",
        23 => "bpf_redirect",
        28 => "bpf_csum_diff",
        44 => "bpf_xdp_adjust_head",
        51 => "bpf_redirect_map",
        54 => "bpf_xdp_adjust_meta",
        65 => "bpf_xdp_adjust_tail",
        69 => "bpf_fib_lookup",
        113 => "bpf_probe_read_kernel",
        130 => "bpf_ringbuf_output",
        131 => "bpf_ringbuf_reserve",
        189 => "bpf_xdp_load_bytes",
        190 => "bpf_xdp_store_bytes",
        _ => return None,
    })
}
