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
    crate::conformance::run(&defaults::<crate::conformance::Args>())?;
    crate::corpus::run(&defaults::<crate::corpus::Args>())?;
    // The RTL: bundle by bundle against the model (conformance and corpus), and the corpus
    // against Linux through the lockstep device.
    crate::lockstep::run(&defaults::<crate::lockstep::Args>())?;
    crate::corpus::run(&with::<crate::corpus::Args>(&["--device", "lockstep"]))?;
    // The driver end to end: kernel (cached in ~/.cache/rvo), rvo.ko, rvo-devsim, QEMU; on the
    // model, then on the RTL core.
    crate::vm::run(&defaults::<crate::vm::Args>())?;
    crate::vm::run(&with::<crate::vm::Args>(&[
        "--backend",
        "rtl",
        "--lanes",
        "1",
    ]))?;
    // Synthesis sanity: the board build through yosys synth_ecp5, its cell counts reported.
    crate::verilog::run(&defaults::<crate::verilog::Args>())
}

/// A subcommand's arguments with every default, as a user gets them with no flags.
fn defaults<T: clap::Args>() -> T {
    with(&[])
}

/// A subcommand's arguments as given by `flags`, the rest defaults.
fn with<T: clap::Args>(flags: &[&str]) -> T {
    #[derive(clap::Parser)]
    struct Wrap<T: clap::Args> {
        #[command(flatten)]
        args: T,
    }
    <Wrap<T> as clap::Parser>::parse_from(std::iter::once("xtask").chain(flags.iter().copied()))
        .args
}
