//! `cargo xtask`: every rvo workflow, one subcommand each.

mod bench;
mod ci;
mod conformance;
mod corpus;
mod isa_doc;
mod lockstep;
mod sim;
mod verilog;
mod vm;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::Command;

#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the bpf_conformance suite through the rvo-bpf-conformance plugin.
    Conformance(conformance::Args),
    /// The corpus on the rvo core (cycles per packet, 1/2/4 lanes) and on this CPU's JIT.
    Bench(bench::Args),
    /// Check every XDP corpus program on rvo against Linux (needs root and clang).
    Corpus(corpus::Args),
    /// Regenerate docs/ISA.md from the instruction table (`--check` only compares).
    IsaDoc {
        /// Fail if docs/ISA.md is out of date instead of writing it.
        #[arg(long)]
        check: bool,
    },
    /// Everything CI checks: format, lints, tests, conformance, the no_std build.
    Ci,
    /// The core's Verilog (target/verilog), verilator lint, yosys synth_ecp5 and its report.
    Verilog(verilog::Args),
    /// The conformance programs on the RTL and the model, compared bundle by bundle.
    Lockstep(lockstep::Args),
    /// A raw program over a pcap on the RTL (Verilator): verdict and cycles per packet.
    Sim(sim::Args),
    /// The Linux driver (rvo.ko) against rvo-devsim in QEMU: build, boot, in-guest checks.
    VmTest(vm::Args),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Conformance(args) => conformance::run(&args),
        Cmd::Corpus(args) => corpus::run(&args),
        Cmd::Bench(args) => bench::run(&args),
        Cmd::IsaDoc { check } => isa_doc::run(check),
        Cmd::Ci => ci::run(),
        Cmd::VmTest(args) => vm::run(&args),
        Cmd::Verilog(args) => verilog::run(&args),
        Cmd::Lockstep(args) => lockstep::run(&args),
        Cmd::Sim(args) => sim::run(&args),
    };
    if let Err(e) = result {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Run a command in the workspace root, failing with its command line if it fails.
pub fn exec(cmd: &mut Command) -> Result<()> {
    let line = format!("{cmd:?}");
    eprintln!("$ {line}");
    let status = cmd
        .current_dir(root())
        .status()
        .with_context(|| format!("cannot start {line}"))?;
    if !status.success() {
        bail!("{line} failed ({status})");
    }
    Ok(())
}

/// `cargo` as the one running xtask.
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}
