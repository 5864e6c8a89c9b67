//! `cargo xtask corpus`: every corpus program on Linux and on rvo, a table, and the closing
//! line `N passed, M failed`.

use crate::root;
use anyhow::{anyhow, bail, Result};
use rvo_cli::corpus::{build, check_entry, manifest};
use rvo_compiler::Options;

#[derive(clap::Args)]
pub struct Args {
    /// Lanes of the core.
    #[arg(long, default_value_t = 1)]
    lanes: u8,
    /// Device: `model` (the ISA model) or `rtl` (the core under Verilator).
    #[arg(long, default_value = "model")]
    device: String,
    /// Print every difference, not only the first few.
    #[arg(short, long)]
    verbose: bool,
}

pub fn run(args: &Args) -> Result<()> {
    rvo_linux::availability().map_err(|why| {
        anyhow!("the corpus is checked against Linux, which cannot run BPF here: {why}")
    })?;
    let objects = root().join("target/corpus");
    build(&objects)?;
    let opts = Options {
        lanes: args.lanes,
        optimize: true,
    };
    println!(
        "{:<16} {:<20} {:>7} {:<34} {:>10}  result",
        "object", "program", "packets", "verdicts on Linux", "cycles/pkt"
    );
    let (mut passed, mut failed) = (0, 0);
    for e in manifest()? {
        match check_entry(&e, &objects, &opts, &args.device) {
            Ok(r) => {
                let verdicts: Vec<String> = r
                    .linux_verdicts
                    .iter()
                    .map(|(v, n)| format!("{}:{n}", v.trim_start_matches("XDP_")))
                    .collect();
                let mean = r.cycles.iter().sum::<u64>() as f64 / r.cycles.len().max(1) as f64;
                let ok = r.differences.is_empty();
                let result = if ok {
                    "identical".to_string()
                } else {
                    format!("{} differences", r.differences.len())
                };
                println!(
                    "{:<16} {:<20} {:>7} {:<34} {:>10.1}  {result}",
                    e.object,
                    r.program,
                    r.packets,
                    verdicts.join(" "),
                    mean
                );
                let shown = if args.verbose { usize::MAX } else { 5 };
                for d in r.differences.iter().take(shown) {
                    println!("    DIFF {d}");
                }
                if ok {
                    passed += 1;
                } else {
                    failed += 1;
                }
            }
            Err(err) => {
                failed += 1;
                println!("{:<16} FAILED TO RUN: {err:#}", e.object);
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        bail!("{failed} corpus program(s) differ from Linux");
    }
    Ok(())
}
