//! Shared by the tests: prerequisites (skip locally, fail on CI) and compiling C to BPF.

// Each test crate uses a part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The prelude of every test program: only `<linux/bpf.h>` (from the kernel headers that
/// libc6-dev pulls in), no libbpf headers.
pub const PRELUDE: &str = r#"
#include <linux/bpf.h>
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;
static long (*bpf_xdp_adjust_head)(struct xdp_md *ctx, int delta) = (void *)44;
static long (*bpf_xdp_adjust_meta)(struct xdp_md *ctx, int delta) = (void *)54;
static long (*bpf_xdp_adjust_tail)(struct xdp_md *ctx, int delta) = (void *)65;
char LICENSE[] SEC("license") = "GPL";
"#;

/// Whether the tests can run here: `Err(reason)` if not root, no BPF, or no clang.
pub fn prerequisites() -> Result<(), String> {
    rvo_linux::availability()?;
    match Command::new("clang").arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "clang --version failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => Err(format!("clang not found ({e}); install clang")),
    }
}

/// Skips the test locally; on CI (`CI=true`) a missing prerequisite is a failure.
pub fn unavailable(reason: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("Linux BPF tests cannot run on CI: {reason}");
    }
    eprintln!("skipping Linux BPF test: {reason}");
}

/// Returns early from the test (skip or, on CI, panic) unless BPF and clang are usable.
#[macro_export]
macro_rules! require_linux_bpf {
    () => {
        if let Err(reason) = common::prerequisites() {
            common::unavailable(&reason);
            return;
        }
    };
}

/// Compiles `PRELUDE` + `source` with `clang -O2 -g -target bpf` into `dir/name.o`.
pub fn compile(dir: &Path, name: &str, source: &str) -> PathBuf {
    let c = dir.join(format!("{name}.c"));
    let o = dir.join(format!("{name}.o"));
    std::fs::write(&c, format!("{PRELUDE}\n{source}")).expect("write C source");
    let mut cmd = Command::new("clang");
    cmd.args(["-O2", "-g", "-target", "bpf", "-c"]);
    let multiarch = PathBuf::from(format!("/usr/include/{}-linux-gnu", std::env::consts::ARCH));
    if multiarch.is_dir() {
        cmd.arg("-I").arg(multiarch);
    }
    let out = cmd.arg(&c).arg("-o").arg(&o).output().expect("run clang");
    assert!(
        out.status.success(),
        "clang failed on {}:\n{}",
        c.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    o
}

/// A little-endian u32 key or value.
pub fn u32le(v: u32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// A little-endian u64 value.
pub fn u64le(v: u64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}
