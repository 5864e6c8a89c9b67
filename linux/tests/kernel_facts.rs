//! The numbers the crate documents about `BPF_PROG_TEST_RUN` for XDP, measured on the running
//! kernel. If a kernel changes one, this fails and the docs (and the rvo model) must follow.

mod common;

use rvo_linux::{
    run_xdp, LinuxError, PacketResult, TestRunOptions, DEFAULT_INGRESS_IFINDEX, MAX_LINEAR_PACKET,
    MAX_METADATA, MAX_PACKET, MIN_PACKET, XDP_FRAME_HEADER, XDP_PACKET_HEADROOM,
};

/// Each program takes a signed 32-bit argument from bytes 14..18 of the packet and returns
/// 1000 + the helper's result (1000 = success, 978 = -EINVAL, 987 = -EACCES).
const PROGRAMS: &str = r#"
static __attribute__((always_inline)) int arg(struct xdp_md *ctx) {
    void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
    if (data + 18 > end) return 0;
    return *(__s32 *)(data + 14);
}
SEC("xdp") int context(struct xdp_md *ctx) {
    return ctx->ingress_ifindex * 1000000 + ctx->rx_queue_index * 1000
         + (ctx->data - ctx->data_meta);
}
SEC("xdp") int linear_len(struct xdp_md *ctx) { return ctx->data_end - ctx->data; }
SEC("xdp") int verdict_7(struct xdp_md *ctx) { return 7; }
SEC("xdp") int head(struct xdp_md *ctx) { return 1000 + bpf_xdp_adjust_head(ctx, arg(ctx)); }
SEC("xdp") int tail(struct xdp_md *ctx) { return 1000 + bpf_xdp_adjust_tail(ctx, arg(ctx)); }
SEC("xdp") int meta(struct xdp_md *ctx) {
    int r = bpf_xdp_adjust_meta(ctx, arg(ctx));
    if (r == 0) {
        unsigned char *m = (void *)(long)ctx->data_meta, *d = (void *)(long)ctx->data;
        if (m + 1 <= d) *m = 0xab;
    }
    return 1000 + r;
}
"#;

const OK: u32 = 1000;
const EINVAL: u32 = 1000 - 22;
const EACCES: u32 = 1000 - 13;

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 + 1).collect()
}

fn with_arg(arg: i32, len: usize) -> Vec<u8> {
    let mut p = pattern(len);
    p[14..18].copy_from_slice(&arg.to_le_bytes());
    p
}

struct Facts {
    _dir: tempfile::TempDir,
    object: std::path::PathBuf,
}

impl Facts {
    fn new() -> Facts {
        let dir = tempfile::tempdir().expect("temp dir");
        let object = common::compile(dir.path(), "facts", PROGRAMS);
        Facts { _dir: dir, object }
    }

    fn run(&self, prog: &str, packets: &[Vec<u8>]) -> Result<Vec<PacketResult>, LinuxError> {
        run_xdp(
            &self.object,
            Some(prog),
            &[],
            packets,
            &TestRunOptions::default(),
        )
        .map(|r| r.packets)
    }

    fn one(&self, prog: &str, packet: Vec<u8>) -> PacketResult {
        let mut results = self.run(prog, &[packet]).unwrap_or_else(|e| panic!("{e}"));
        results.remove(0)
    }
}

#[test]
fn context_defaults_and_verdicts() {
    require_linux_bpf!();
    let facts = Facts::new();
    // loopback, queue 0, data_meta == data
    assert_eq!(
        facts.one("context", vec![0; 64]).retval,
        DEFAULT_INGRESS_IFINDEX * 1000000
    );
    let seven = facts.one("verdict_7", vec![9; 64]);
    assert_eq!((seven.retval, seven.data_out), (7, vec![9; 64]));
}

#[test]
fn packet_sizes() {
    require_linux_bpf!();
    let facts = Facts::new();
    let sizes = [
        MIN_PACKET,
        64,
        MAX_LINEAR_PACKET,
        MAX_LINEAR_PACKET + 1,
        MAX_PACKET,
    ];
    let packets: Vec<Vec<u8>> = sizes.iter().map(|&n| pattern(n as usize)).collect();
    let results = facts
        .run("linear_len", &packets)
        .unwrap_or_else(|e| panic!("{e}"));
    let linear: Vec<u32> = results.iter().map(|r| r.retval).collect();
    assert_eq!(linear, [14, 64, 3520, 3520, 3520]);
    for (result, packet) in results.iter().zip(&packets) {
        assert!(result.data_out == *packet, "fragments come back too");
    }
    let too_short = facts.run("linear_len", &[vec![0; MIN_PACKET as usize - 1]]);
    assert!(matches!(
        too_short,
        Err(LinuxError::TestRun {
            errno: Some(22),
            ..
        })
    ));
    let too_long = facts.run("linear_len", &[vec![0; MAX_PACKET as usize + 1]]);
    assert!(matches!(
        too_long,
        Err(LinuxError::TestRun {
            errno: Some(12),
            ..
        })
    ));
}

#[test]
fn adjust_head_limits_and_zeroed_headroom() {
    require_linux_bpf!();
    let facts = Facts::new();
    let room = (XDP_PACKET_HEADROOM - XDP_FRAME_HEADER) as i32;
    assert_eq!(room, 216);
    let grown = facts.one("head", with_arg(-room, 64));
    assert_eq!(grown.retval, OK);
    assert_eq!(grown.data_out.len(), 64 + 216);
    assert!(
        grown.data_out[..216].iter().all(|&b| b == 0),
        "headroom is zeroed"
    );
    assert_eq!(grown.data_out[216..], with_arg(-room, 64)[..]);
    assert_eq!(facts.one("head", with_arg(-room - 1, 64)).retval, EINVAL);
    let shrunk = facts.one("head", with_arg(64 - 14, 64));
    assert_eq!((shrunk.retval, shrunk.data_out.len()), (OK, 14));
    assert_eq!(facts.one("head", with_arg(64 - 13, 64)).retval, EINVAL);
}

#[test]
fn adjust_tail_limits_and_zeroed_growth() {
    require_linux_bpf!();
    let facts = Facts::new();
    let most = (MAX_LINEAR_PACKET - 64) as i32;
    let grown = facts.one("tail", with_arg(most, 64));
    assert_eq!(
        (grown.retval, grown.data_out.len()),
        (OK, MAX_LINEAR_PACKET as usize)
    );
    assert!(
        grown.data_out[64..].iter().all(|&b| b == 0),
        "grown bytes are zero"
    );
    assert_eq!(facts.one("tail", with_arg(most + 1, 64)).retval, EINVAL);
    let shrunk = facts.one("tail", with_arg(-(64 - 14), 64));
    assert_eq!((shrunk.retval, shrunk.data_out.len()), (OK, 14));
    assert_eq!(facts.one("tail", with_arg(-(64 - 13), 64)).retval, EINVAL);
}

#[test]
fn adjust_meta_limits_and_metadata_first_in_the_output() {
    require_linux_bpf!();
    let facts = Facts::new();
    let four = facts.one("meta", with_arg(-4, 64));
    assert_eq!((four.retval, four.meta_len), (OK, 4));
    assert_eq!(four.data_out[..4], [0xab, 0, 0, 0]);
    assert_eq!(four.data_out[4..], with_arg(-4, 64)[..]);
    let most = facts.one("meta", with_arg(-(MAX_METADATA as i32), 64));
    assert_eq!((most.retval, most.meta_len), (OK, MAX_METADATA));
    assert_eq!(
        facts
            .one("meta", with_arg(-(MAX_METADATA as i32) - 4, 64))
            .retval,
        EINVAL
    );
    let unaligned = facts.one("meta", with_arg(-2, 64));
    assert_eq!((unaligned.retval, unaligned.meta_len), (EACCES, 0));
}
