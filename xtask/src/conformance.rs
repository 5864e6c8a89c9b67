//! `cargo xtask conformance`: the bpf_conformance suite through the plugin process.

use crate::{cargo, exec, root};
use anyhow::{bail, Context, Result};
use rvo_cli::conformance::{
    data_dir, data_files, has_out_of_range_shift, program_bytes, run_file, run_negative, Outcome,
    OPT_IN,
};
use rvo_compiler::data_file::DataFile;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

#[derive(clap::Args)]
pub struct Args {
    /// Backend the plugin runs on.
    #[arg(long, default_value = "model")]
    device: String,
    /// Lanes of the core.
    #[arg(long, default_value_t = 1)]
    lanes: u8,
    /// Print every test, not only failures.
    #[arg(short, long)]
    verbose: bool,
}

/// Run the plugin once, as the suite's runner does.
fn plugin(bin: &Path, args: &Args, prog: &[u8], mem: &[u8]) -> Result<u64, String> {
    let hex = |b: &[u8]| {
        b.iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut child = Command::new(bin)
        .arg(hex(mem))
        .args(["--device", &args.device, "--lanes", &args.lanes.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start plugin: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(hex(prog).as_bytes())
            .map_err(|e| format!("cannot write program: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("plugin: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    u64::from_str_radix(text.trim(), 16).map_err(|_| format!("plugin printed `{}`", text.trim()))
}

pub fn run(args: &Args) -> Result<()> {
    exec(cargo().args([
        "build",
        "--release",
        "-p",
        "rvo-cli",
        "--bin",
        "rvo-bpf-conformance",
    ]))?;
    let bin = root().join("target/release/rvo-bpf-conformance");
    let dir = data_dir();
    let tests = data_files(&dir.join("tests")).with_context(|| {
        format!(
            "conformance data not found in {} (set RVO_CONFORMANCE_DIR)",
            dir.display()
        )
    })?;
    let negative = data_files(&dir.join("negative"))?;
    let mut runner = |p: &[u8], m: &[u8]| plugin(&bin, args, p, m);

    let (mut passed, mut failed) = (0, 0);
    let (mut shift_pass, mut shift_fail) = (0, 0);
    for path in &tests {
        let name = file_name(path);
        let outcome = run_file(path, &mut runner);
        if OPT_IN.contains(&name.as_str()) {
            match outcome {
                Outcome::Pass => println!("opt-in {name}: passes"),
                Outcome::Fail(why) => println!("opt-in {name}: rejected: {why}"),
            }
            continue;
        }
        let linux_rejects = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| DataFile::parse(&t).ok())
            .and_then(|f| program_bytes(&f).ok())
            .is_some_and(|p| has_out_of_range_shift(&p));
        match outcome {
            Outcome::Pass => {
                passed += 1;
                shift_pass += usize::from(linux_rejects);
                if args.verbose {
                    println!("PASS {name}");
                }
            }
            Outcome::Fail(why) => {
                failed += 1;
                shift_fail += usize::from(linux_rejects);
                println!("FAIL {name}: {why}");
            }
        }
    }
    let mut neg_rejected = 0;
    for path in &negative {
        let name = file_name(path);
        match run_negative(path, &mut runner) {
            Ok(why) => {
                neg_rejected += 1;
                if args.verbose {
                    println!("negative {name}: rejected: {why}");
                }
            }
            Err(why) => {
                failed += 1;
                println!("FAIL negative {name}: {why}");
            }
        }
    }
    println!(
        "device {} with {} lane(s), data from {}",
        args.device,
        args.lanes,
        dir.display()
    );
    println!("immediate shifts out of range (Linux's verifier rejects them): {shift_pass} passed, {shift_fail} failed");
    println!(
        "negative tests rejected: {neg_rejected} of {}",
        negative.len()
    );
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        bail!("{failed} conformance test(s) failed");
    }
    Ok(())
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
