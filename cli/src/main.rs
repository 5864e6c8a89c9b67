//! `rvo`: compile, inspect and run eBPF programs on the rvo core.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand};
use rvo_cli::input::{parse_hex, read_program, Program};
use rvo_cli::listing::{image_listing, side_by_side};
use rvo_cli::packets::{
    read_pcap, read_pcap_file, write_pcap_file, Packet, EXAMPLE_PCAP, EXAMPLE_PROGRAM,
};
use rvo_compiler::Options;
use rvo_sim::RunInput;
use rvo_sim::RunOutcome;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "rvo",
    version,
    about = "eBPF/XDP on the rvo FPGA core: compile, inspect, run"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args)]
struct CompileOpts {
    /// Lanes per bundle of the target core (1-4).
    #[arg(long, default_value_t = 1)]
    lanes: u8,
    /// Turn off the peephole fusions.
    #[arg(long)]
    no_opt: bool,
}

impl CompileOpts {
    fn options(&self) -> Options {
        Options {
            lanes: self.lanes,
            optimize: !self.no_opt,
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Assemble eBPF text (the bpf_conformance syntax) into raw instruction bytes.
    Asm {
        /// Assembly source.
        input: PathBuf,
        /// Output file (raw little-endian instructions); hex on stdout when absent.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Show eBPF and the rvo code it compiles to side by side (or list an rvo image).
    Disasm {
        /// Assembly, raw instructions, a .data file, or an rvo image.
        input: PathBuf,
        #[command(flatten)]
        opts: CompileOpts,
    },
    /// Compile to an rvo image.
    Compile {
        /// Assembly, raw instructions or a .data file.
        input: PathBuf,
        /// Image file to write.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        opts: CompileOpts,
    },
    /// Run a program over every packet of a pcap file: verdict, length and cycles per packet.
    /// With no program and no pcap, runs the bundled example filter over the bundled packets.
    Run {
        /// Assembly, raw instructions, a .data file or an rvo image (raw form: r1 = frame,
        /// r2 = its length, r0 = the verdict).
        program: Option<PathBuf>,
        /// Packets to run.
        #[arg(long)]
        pcap: Option<PathBuf>,
        /// Write every packet after processing, in input order.
        #[arg(long)]
        out: Option<PathBuf>,
        /// One JSON object per packet and line.
        #[arg(long)]
        json: bool,
        /// Backend to run on.
        #[arg(long, default_value = "model")]
        device: String,
        #[command(flatten)]
        opts: CompileOpts,
    },
    /// Run a raw program once (r1 = memory, r2 = its length) and print r0.
    Exec {
        /// Assembly, raw instructions, a .data file (its memory is used) or an rvo image.
        input: PathBuf,
        /// Input memory as hex bytes (overrides a .data file's).
        #[arg(long)]
        mem: Option<String>,
        /// Backend to run on.
        #[arg(long, default_value = "model")]
        device: String,
        /// Print cycles, bundles and instructions too.
        #[arg(short, long)]
        verbose: bool,
        #[command(flatten)]
        opts: CompileOpts,
    },
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("rvo: {e:#}");
        std::process::exit(1);
    }
}

/// Compile what the user gave, or take the image as it is.
fn image_of(program: Program, opts: &Options, name: &str) -> Result<(Vec<u8>, Vec<u8>)> {
    match program {
        Program::Image(img) => Ok((img, Vec::new())),
        Program::Ebpf { insns, mem } => {
            let c =
                rvo_compiler::compile_insns(&insns, opts).map_err(|e| anyhow!("{name}: {e}"))?;
            Ok((c.image, mem))
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Asm { input, output } => {
            let text = std::fs::read_to_string(&input)
                .with_context(|| format!("cannot read {}", input.display()))?;
            let bytes = rvo_compiler::asm::assemble_bytes(&text)
                .map_err(|e| anyhow!("{}: {e}", input.display()))?;
            match output {
                Some(out) => std::fs::write(&out, &bytes)
                    .with_context(|| format!("cannot write {}", out.display()))?,
                None => {
                    for insn in bytes.chunks(8) {
                        println!(
                            "{}",
                            insn.iter()
                                .map(|b| format!("{b:02x}"))
                                .collect::<Vec<_>>()
                                .join(" ")
                        );
                    }
                }
            }
        }
        Cmd::Disasm { input, opts } => match read_program(&input)? {
            Program::Image(img) => print!("{}", image_listing(&img)?),
            Program::Ebpf { insns, .. } => {
                let c = rvo_compiler::compile_insns(&insns, &opts.options())
                    .map_err(|e| anyhow!("{}: {e}", input.display()))?;
                print!("{}", side_by_side(&c));
                print!("{}", image_listing(&c.image)?);
            }
        },
        Cmd::Compile {
            input,
            output,
            opts,
        } => {
            let name = input.display().to_string();
            let (image, _) = image_of(read_program(&input)?, &opts.options(), &name)?;
            let h = rvo_isa::ImageHeader::from_bytes(&image).map_err(|e| anyhow!("{e}"))?;
            std::fs::write(&output, &image)
                .with_context(|| format!("cannot write {}", output.display()))?;
            println!(
                "{name}: {} eBPF instructions -> {} bundles x {} lanes, stack {} bytes, image {} bytes -> {}",
                h.ebpf_insns,
                h.code_bundles,
                h.lanes,
                h.stack_size,
                image.len(),
                output.display()
            );
        }
        Cmd::Run {
            program,
            pcap,
            out,
            json,
            device,
            opts,
        } => {
            let (name, image) = match &program {
                Some(p) => {
                    let name = p.display().to_string();
                    (
                        name.clone(),
                        image_of(read_program(p)?, &opts.options(), &name)?.0,
                    )
                }
                None => {
                    let insns = rvo_compiler::asm::assemble(EXAMPLE_PROGRAM)
                        .map_err(|e| anyhow!("example: {e}"))?;
                    let c = rvo_compiler::compile_insns(&insns, &opts.options())
                        .map_err(|e| anyhow!("example: {e}"))?;
                    ("examples/filter.s".to_string(), c.image)
                }
            };
            let (pcap_name, packets) = match &pcap {
                Some(p) => (p.display().to_string(), read_pcap_file(p)?),
                None => (
                    "examples/packets.pcap".to_string(),
                    read_pcap(EXAMPLE_PCAP, "examples/packets.pcap")?,
                ),
            };
            let results = run_packets(&device, &image, &packets)?;
            report(&name, &pcap_name, &device, &results, json);
            if let Some(path) = out {
                let after: Vec<Packet> = packets
                    .iter()
                    .zip(&results)
                    .map(|(p, r)| Packet {
                        timestamp: p.timestamp,
                        data: r.mem.clone(),
                    })
                    .collect();
                write_pcap_file(&path, &after)?;
            }
        }
        Cmd::Exec {
            input,
            mem,
            device,
            verbose,
            opts,
        } => {
            let name = input.display().to_string();
            let (image, file_mem) = image_of(read_program(&input)?, &opts.options(), &name)?;
            let mem = match mem {
                Some(hex) => parse_hex(&hex)?,
                None => file_mem,
            };
            let mut dev = rvo_sim::open(&device)?;
            dev.load(&image)
                .with_context(|| format!("{name}: the {device} device refused the image"))?;
            let out = dev.run(&RunInput::raw(&mem))?;
            if let Some(fault) = out.fault {
                bail!("{name}: aborted at {fault} after {} cycles", out.cycles);
            }
            println!("{:#x}", out.r0);
            if verbose {
                println!(
                    "cycles {} bundles {} instructions {}",
                    out.cycles, out.bundles, out.insns
                );
            }
        }
    }
    Ok(())
}

/// Run every packet on a fresh load of the image.
fn run_packets(device: &str, image: &[u8], packets: &[Packet]) -> Result<Vec<RunOutcome>> {
    let mut dev = rvo_sim::open(device)?;
    dev.load(image)
        .with_context(|| format!("the {device} device refused the image"))?;
    packets
        .iter()
        .map(|p| {
            dev.run(&RunInput::raw(&p.data))
                .map_err(anyhow::Error::from)
        })
        .collect()
}

/// Per-packet lines (text or JSON) and a summary.
fn report(name: &str, pcap: &str, device: &str, results: &[RunOutcome], json: bool) {
    if !json {
        println!("{name} over {pcap} on {device}:");
        println!(
            "{:>6}  {:<13} {:>6} {:>7} {:>7}",
            "packet", "verdict", "len", "cycles", "bundles"
        );
    }
    for (i, r) in results.iter().enumerate() {
        if json {
            let obj = serde_json::json!({
                "index": i,
                "verdict": r.verdict.name(),
                "len_in": r.mem.len(),
                "len_out": r.mem.len(),
                "cycles": r.cycles,
                "fault": r.fault.map(|f| f.to_string()),
            });
            println!("{obj}");
        } else {
            let fault = r.fault.map(|f| format!("  ({f})")).unwrap_or_default();
            println!(
                "{i:>6}  {:<13} {:>6} {:>7} {:>7}{fault}",
                r.verdict.name(),
                r.mem.len(),
                r.cycles,
                r.bundles
            );
        }
    }
    if json || results.is_empty() {
        return;
    }
    let total: u64 = results.iter().map(|r| r.cycles).sum();
    let mut counts = std::collections::BTreeMap::new();
    for r in results {
        *counts.entry(r.verdict.name()).or_insert(0) += 1;
    }
    let counts: Vec<String> = counts.iter().map(|(v, n)| format!("{v} {n}")).collect();
    println!(
        "{} packets: {}; {:.1} cycles per packet on average",
        results.len(),
        counts.join(", "),
        total as f64 / results.len() as f64
    );
}
