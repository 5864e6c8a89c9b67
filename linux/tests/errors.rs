//! Every way a run can fail names what is wrong; the verifier's log reaches the caller.

mod common;

use std::path::PathBuf;

use rvo_linux::{run_xdp, verify_xdp, LinuxError, MapEntry, MapState, TestRunOptions};

use common::{u32le, u64le};

const OBJECT: &str = r#"
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 2);
         __type(key, __u32); __type(value, __u64); } counts SEC(".maps");
/* Pinned by name: must neither reuse nor leave anything in /sys/fs/bpf. */
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 2); __uint(pinning, 1);
         __type(key, __u32); __type(value, __u32); } rvo_linux_pinned SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_DEVMAP); __uint(max_entries, 2);
         __type(key, __u32); __type(value, __u32); } ports SEC(".maps");

SEC("xdp") int pass(struct xdp_md *ctx) {
    __u32 key = 1, one = 1;
    __u64 *c = bpf_map_lookup_elem(&counts, &key);
    if (c) *c += 1;
    bpf_map_update_elem(&rvo_linux_pinned, &key, &one, 0);
    return XDP_PASS;
}
SEC("xdp") int drop(struct xdp_md *ctx) { return XDP_DROP; }
SEC("tc") int classifier(struct __sk_buff *skb) { return 0; }
SEC("xdp/devmap") int on_devmap(struct xdp_md *ctx) { return XDP_PASS; }
"#;

const REJECTED: &str = r#"
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 2); __uint(pinning, 1);
         __type(key, __u32); __type(value, __u32); } rvo_linux_pinned_too SEC(".maps");
SEC("xdp") int bad(struct xdp_md *ctx) {
    __u32 key = 0;
    bpf_map_lookup_elem(&rvo_linux_pinned_too, &key);
    return ctx->egress_ifindex;
}
"#;

/// Nothing this process pinned is left in bpffs.
fn assert_nothing_pinned() {
    let ours = format!("rvo-linux-{}-", std::process::id());
    let leftovers: Vec<_> = std::fs::read_dir("/sys/fs/bpf")
        .expect("bpffs")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&ours) || name.starts_with("rvo_linux_pinned"))
        .collect();
    assert!(leftovers.is_empty(), "left in /sys/fs/bpf: {leftovers:?}");
}

fn object(name: &str, source: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = common::compile(dir.path(), name, source);
    (dir, path)
}

fn run(path: &std::path::Path, prog: Option<&str>, init: &[MapState]) -> Result<(), LinuxError> {
    run_xdp(
        path,
        prog,
        init,
        &[vec![0u8; 64]],
        &TestRunOptions::default(),
    )
    .map(drop)
}

#[test]
fn verifier_rejection_carries_the_full_log() {
    require_linux_bpf!();
    let (_dir, path) = object("rejected", REJECTED);
    for err in [verify_xdp(&path, None), run(&path, None, &[])] {
        match err {
            Err(LinuxError::VerifierRejected {
                program,
                errno,
                log,
            }) => {
                assert_eq!(program, "bad");
                assert_eq!(errno, Some(13));
                assert!(log.starts_with("0: R1=ctx() R10=fp0\n"), "{log}");
                assert!(
                    log.contains("invalid bpf_context access off=20 size=4"),
                    "{log}"
                );
                assert!(log.contains("processed "), "{log}");
            }
            other => panic!("expected a verifier rejection, got {other:?}"),
        }
    }
    assert_nothing_pinned();
}

#[test]
fn a_good_object_verifies_and_runs() {
    require_linux_bpf!();
    let (_dir, path) = object("good", OBJECT);
    verify_xdp(&path, Some("pass")).unwrap_or_else(|e| panic!("{e}"));
    verify_xdp(&path, None).unwrap_or_else(|e| panic!("the whole object: {e}"));
    let init = [MapState::init(
        "ports",
        vec![MapEntry::new(u32le(1), u32le(1))],
    )];
    let run = run_xdp(
        &path,
        Some("pass"),
        &init,
        &vec![vec![0u8; 64]; 2],
        &TestRunOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = run.maps.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["counts", "rvo_linux_pinned", "ports"]);
    assert_eq!(run.maps[0].entries[1], MapEntry::new(u32le(1), u64le(2)));
    assert_eq!(run.maps[1].entries, [MapEntry::new(u32le(1), u32le(1))]);
    // DEVMAP: the empty slot 0 is left out, slot 1 holds ifindex 1.
    assert_eq!(run.maps[2].entries, [MapEntry::new(u32le(1), u32le(1))]);
    assert_nothing_pinned();
}

#[test]
fn programs_are_found_by_name_and_must_be_xdp() {
    require_linux_bpf!();
    let (_dir, path) = object("programs", OBJECT);
    match run(&path, Some("nope"), &[]) {
        Err(LinuxError::ProgramNotFound { name, available }) => {
            assert_eq!(name, "nope");
            assert_eq!(available, ["pass", "drop", "on_devmap"]);
        }
        other => panic!("{other:?}"),
    }
    match run(&path, Some("classifier"), &[]) {
        Err(LinuxError::NotXdp { name, kind }) => {
            assert_eq!(name, "classifier");
            assert!(kind.contains("SchedCls"), "{kind}");
        }
        other => panic!("{other:?}"),
    }
    match run(&path, Some("on_devmap"), &[]) {
        Err(LinuxError::NotXdp { kind, .. }) => assert!(kind.contains("XdpDevmap"), "{kind}"),
        other => panic!("{other:?}"),
    }
    match run(&path, None, &[]) {
        Err(LinuxError::NoUniqueXdpProgram { xdp, all }) => {
            assert_eq!(xdp, ["pass", "drop", "on_devmap"]);
            assert_eq!(all, ["pass", "drop", "classifier", "on_devmap"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn map_init_errors_name_the_map() {
    require_linux_bpf!();
    let (_dir, path) = object("init", OBJECT);
    let bad = |name: &str, key: Vec<u8>, value: Vec<u8>| {
        run(
            &path,
            Some("pass"),
            &[MapState::init(name, vec![MapEntry::new(key, value)])],
        )
    };
    match bad("nope", u32le(0), u64le(0)) {
        Err(LinuxError::UnknownMap { name, available }) => {
            assert_eq!(name, "nope");
            assert_eq!(available, ["counts", "rvo_linux_pinned", "ports"]);
        }
        other => panic!("{other:?}"),
    }
    match bad("counts", vec![0; 8], u64le(0)) {
        Err(LinuxError::KeySize {
            map, expected, got, ..
        }) => {
            assert_eq!((map.as_str(), expected, got), ("counts", 4, 8));
        }
        other => panic!("{other:?}"),
    }
    match bad("counts", u32le(0), u32le(0)) {
        Err(LinuxError::ValueSize {
            map, expected, got, ..
        }) => {
            assert_eq!((map.as_str(), expected, got), ("counts", 8, 4));
        }
        other => panic!("{other:?}"),
    }
    match bad("counts", u32le(2), u64le(0)) {
        Err(e @ LinuxError::MapUpdate { errno: Some(7), .. }) => {
            assert!(
                e.to_string().contains("map 'counts': setting key 02000000"),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    }
    let two_values = MapEntry {
        key: u32le(0),
        values: vec![u64le(1), u64le(2)],
    };
    match run(
        &path,
        Some("pass"),
        &[MapState::init("counts", vec![two_values])],
    ) {
        Err(LinuxError::ValueCount { map, got: 2, .. }) => assert_eq!(map, "counts"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_files_and_packets() {
    require_linux_bpf!();
    let dir = tempfile::tempdir().expect("temp dir");
    let garbage = dir.path().join("garbage.o");
    std::fs::write(&garbage, b"not an ELF file").expect("write");
    match verify_xdp(&garbage, None) {
        Err(e @ LinuxError::Open { .. }) => assert!(e.to_string().contains("garbage.o"), "{e}"),
        other => panic!("{other:?}"),
    }
    match verify_xdp(&dir.path().join("missing.o"), None) {
        Err(LinuxError::Open { .. }) => {}
        other => panic!("{other:?}"),
    }
    let path = common::compile(
        dir.path(),
        "short",
        "SEC(\"xdp\") int p(struct xdp_md *c) { return 2; }",
    );
    let packets = [vec![0u8; 20], vec![0u8; 13]];
    match run_xdp(&path, None, &[], &packets, &TestRunOptions::default()) {
        Err(
            e @ LinuxError::TestRun {
                packet: 1,
                len: 13,
                errno: Some(22),
                ..
            },
        ) => {
            assert!(e.to_string().contains("at least 14 bytes"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}
