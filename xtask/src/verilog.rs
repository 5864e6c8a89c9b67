//! `cargo xtask verilog [--out DIR]`: the core's Verilog as a build output (rvo-hw's
//! `rvo-verilog`), checked by `verilator --lint-only`, synthesized for the ECP5 by yosys
//! (`synth_ecp5 -top top`); the cell counts go to `DIR/synth-report.txt` and stdout.

use crate::{cargo, exec, root};
use anyhow::{bail, Context, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(clap::Args)]
pub struct Args {
    /// Output directory (default: target/verilog).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Generate and lint only; skip the yosys synthesis.
    #[arg(long)]
    no_synth: bool,
}

/// The cells the report leads with: (yosys cell, what it is).
const CELLS: &[(&str, &str)] = &[
    ("LUT4", "LUT4"),
    ("TRELLIS_FF", "FF"),
    ("DP16KD", "BRAM (DP16KD)"),
    ("MULT18X18D", "DSP (MULT18X18D)"),
    ("TRELLIS_DPR16X4", "LUTRAM (TRELLIS_DPR16X4)"),
    ("CCU2C", "carry (CCU2C)"),
];

pub fn run(args: &Args) -> Result<()> {
    let out = match &args.out {
        Some(d) if d.is_relative() => std::env::current_dir()?.join(d),
        Some(d) => d.clone(),
        None => root().join("target/verilog"),
    };
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    exec(
        cargo()
            .args([
                "run",
                "--release",
                "-q",
                "-p",
                "rvo-hw",
                "--bin",
                "rvo-verilog",
                "--",
            ])
            .arg(&out),
    )?;
    let verilog = out.join("rvo_core.v");
    exec(
        Command::new("verilator")
            .args([
                "--lint-only",
                "-Wno-WIDTH",
                "-Wno-UNOPTFLAT",
                "-Wno-CMPCONST",
            ])
            .args(["--top-module", "top"])
            .arg(&verilog),
    )?;
    println!("verilator --lint-only: clean ({})", verilog.display());
    if args.no_synth {
        return Ok(());
    }
    let stat = out.join("synth-stat.txt");
    let log = out.join("synth.log");
    exec(
        Command::new("yosys")
            .arg("-q")
            .arg("-l")
            .arg(&log)
            .arg("-p")
            .arg(format!(
                "read_verilog {}; synth_ecp5 -top top; tee -q -o {} stat",
                verilog.display(),
                stat.display()
            )),
    )?;
    let text = std::fs::read_to_string(&stat)
        .with_context(|| format!("yosys wrote no statistics to {}", stat.display()))?;
    let counts = cell_counts(&text);
    if counts.is_empty() {
        bail!("no cell counts in {}", stat.display());
    }
    let report = report(&verilog, &counts, &text);
    let path = out.join("synth-report.txt");
    std::fs::write(&path, &report).with_context(|| format!("cannot write {}", path.display()))?;
    for (cell, what) in CELLS {
        println!("{what:<26} {}", counts_of(&counts, cell));
    }
    println!("report: {}", path.display());
    Ok(())
}

/// `(cell, count)` from yosys' `stat` of the top module.
fn cell_counts(stat: &str) -> Vec<(String, u64)> {
    stat.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (name, n) = (w.next()?, w.next()?);
            let n: u64 = n.parse().ok()?;
            (w.next().is_none()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .then(|| (name.to_string(), n))
        })
        .collect()
}

fn counts_of(counts: &[(String, u64)], cell: &str) -> u64 {
    counts
        .iter()
        .find(|(c, _)| c == cell)
        .map_or(0, |&(_, n)| n)
}

fn report(verilog: &Path, counts: &[(String, u64)], stat: &str) -> String {
    let mut r = String::new();
    let _ = writeln!(r, "rvo core synthesis report (yosys synth_ecp5 -top top)");
    let _ = writeln!(
        r,
        "source: {} (CoreConfig::BOARD: 1 lane, 256 KiB of map memory in block RAM)",
        verilog.display()
    );
    let _ = writeln!(r);
    for (cell, what) in CELLS {
        let _ = writeln!(r, "{what:<26} {}", counts_of(counts, cell));
    }
    let _ = writeln!(r, "\nAll cells:");
    for (cell, n) in counts {
        let _ = writeln!(r, "  {cell:<20} {n}");
    }
    let _ = writeln!(r, "\nyosys stat:\n{stat}");
    r
}
