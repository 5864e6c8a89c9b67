//! `cargo xtask ci`: the whole test suite, as CI runs it.

use crate::{cargo, exec};
use anyhow::Result;

pub fn run() -> Result<()> {
    exec(cargo().args(["fmt", "--all", "--check"]))?;
    exec(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The compiler core exactly as the kernel module gets it: no std, no allocator.
    exec(cargo().args([
        "build",
        "-p",
        "rvo-compiler",
        "--no-default-features",
        "--target",
        "x86_64-unknown-none",
    ]))?;
    crate::isa_doc::run(true)?;
    exec(cargo().args(["test", "--workspace", "--release"]))?;
    crate::conformance::run(&crate::conformance::Args::default())?;
    crate::corpus::run(&crate::corpus::Args::default())
}
