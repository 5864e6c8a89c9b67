//! `cargo xtask lockstep`: the bpf_conformance programs and the XDP corpus on the RTL
//! (Verilator) and the ISA model, traced bundle by bundle (`rvo_rtl::lockstep`): the first
//! bundle whose pc, cycle count or register writes differ is reported with its index, pc, rvo
//! instruction and the eBPF instruction it came from; then r0, verdict, fault, cycles, counts,
//! packet, metadata, redirect and map memory, and r0 against the file's expected result.
//! Corpus programs run with their maps files and packets on `--device lockstep`, their maps
//! dumped through both. Closes with `N passed, M failed`.

use anyhow::{bail, Result};
use rvo_cli::conformance::{data_dir, data_files, program_bytes, OPT_IN};
use rvo_cli::devices::rvo_rtl::{self, RtlDevice};
use rvo_compiler::data_file::DataFile;
use rvo_compiler::disasm::Disasm;
use rvo_compiler::Options;
use rvo_sim::RunInput;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Conformance data directory (default: $RVO_CONFORMANCE_DIR or ../shared/conformance/tests).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Only conformance files and corpus objects whose name contains this.
    #[arg(long)]
    only: Option<String>,
    /// Skip the XDP corpus (it needs clang to build).
    #[arg(long)]
    no_corpus: bool,
}

pub fn run(args: &Args) -> Result<()> {
    rvo_rtl::available().map_err(anyhow::Error::msg)?;
    let mut rtl = RtlDevice::new(None).map_err(anyhow::Error::msg)?;
    let dir = args.dir.clone().unwrap_or_else(|| data_dir().join("tests"));
    let files = data_files(&dir)?;
    if files.is_empty() {
        bail!("no conformance data in {}", dir.display());
    }
    let (mut passed, mut failed, mut skipped) = (0usize, Vec::new(), Vec::new());
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if OPT_IN.contains(&name.as_str())
            || args
                .only
                .as_ref()
                .is_some_and(|o| !name.contains(o.as_str()))
        {
            continue;
        }
        match one(&name, &std::fs::read_to_string(path)?, &mut rtl) {
            Ok(true) => passed += 1,
            Ok(false) => skipped.push(name),
            Err(why) => {
                println!("FAIL {why}");
                failed.push(name);
            }
        }
    }
    if !skipped.is_empty() {
        println!(
            "not run ({}): {} (the compiler refuses them for every device)",
            skipped.len(),
            skipped.join(", ")
        );
    }
    println!(
        "conformance: {passed} in lockstep, {} diverged",
        failed.len()
    );
    if !args.no_corpus {
        let (p, f) = corpus(args)?;
        println!("corpus: {p} in lockstep, {} diverged", f.len());
        passed += p;
        failed.extend(f);
    }
    println!("{passed} passed, {} failed", failed.len());
    if !failed.is_empty() {
        bail!("{} programs diverge: {}", failed.len(), failed.join(", "));
    }
    Ok(())
}

/// `Ok(true)`: ran and agreed; `Ok(false)`: not runnable on this RTL stage; `Err`: differs.
fn one(name: &str, text: &str, rtl: &mut RtlDevice) -> Result<bool, String> {
    let Ok(file) = DataFile::parse(text) else {
        return Ok(false);
    };
    let Ok(prog) = program_bytes(&file) else {
        return Ok(false);
    };
    let opts = Options {
        lanes: 1,
        optimize: true,
    };
    let Ok(c) = rvo_compiler::compile_bytes(&prog, &opts) else {
        return Ok(false);
    };
    let input = RunInput::raw(&file.mem);
    let report = rvo_rtl::lockstep::lockstep(rtl, &c.image, &input)
        .map_err(|e| format!("{name}: a device refuses it: {e}"))?;
    if let Some(d) = report.divergence {
        let ebpf =
            d.pc.and_then(|pc| c.source_map.iter().find(|(b, _, _)| *b == pc as usize))
                .filter(|&&(_, _, slot)| slot < c.ebpf.len())
                .map_or_else(String::new, |&(_, _, slot)| {
                    format!(
                        ", from eBPF #{slot} `{}`",
                        Disasm {
                            insns: &c.ebpf,
                            pc: slot
                        }
                    )
                });
        return Err(format!(
            "{name}: first divergence at bundle #{} (@{} `{}`{ebpf}): {}",
            d.index,
            d.pc.map_or("-".into(), |pc| pc.to_string()),
            d.insn,
            d.what
        ));
    }
    match file.result {
        Some(want) if report.rtl.fault.is_none() && report.rtl.r0 != want => Err(format!(
            "{name}: RTL and model agree on r0 {:#x}, the file expects {want:#x}",
            report.rtl.r0
        )),
        _ => Ok(true),
    }
}

/// The corpus on `--device lockstep`: (programs passed, names of those that diverged).
fn corpus(args: &Args) -> Result<(usize, Vec<String>)> {
    let objects = crate::root().join("target/corpus");
    rvo_cli::corpus::build(&objects)?;
    let opts = Options {
        lanes: 1,
        optimize: true,
    };
    let (mut passed, mut failed) = (0, Vec::new());
    for e in rvo_cli::corpus::manifest()? {
        if args
            .only
            .as_ref()
            .is_some_and(|o| !e.object.contains(o.as_str()))
        {
            continue;
        }
        match rvo_cli::corpus::lockstep_entry(&e, &objects, &opts) {
            Ok(n) => {
                println!("{:<16} {n} packets in lockstep", e.object);
                passed += 1;
            }
            Err(err) => {
                println!("FAIL {}: {err:#}", e.object);
                failed.push(e.object.clone());
            }
        }
    }
    Ok((passed, failed))
}
