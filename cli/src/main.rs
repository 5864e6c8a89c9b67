//! `rvo`: compile, inspect and run eBPF programs on the rvo core.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand};
use rvo_cli::input::{parse_hex, read_program, Program};
use rvo_cli::listing::{image_listing, side_by_side};
use rvo_compiler::Options;
use rvo_sim::RunInput;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "rvo", version, about = "eBPF/XDP on the rvo FPGA core: compile, inspect, run")]
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
        Options { lanes: self.lanes, optimize: !self.no_opt }
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
            let c = rvo_compiler::compile_insns(&insns, opts).map_err(|e| anyhow!("{name}: {e}"))?;
            Ok((c.image, mem))
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Asm { input, output } => {
            let text = std::fs::read_to_string(&input).with_context(|| format!("cannot read {}", input.display()))?;
            let bytes = rvo_compiler::asm::assemble_bytes(&text).map_err(|e| anyhow!("{}: {e}", input.display()))?;
            match output {
                Some(out) => std::fs::write(&out, &bytes).with_context(|| format!("cannot write {}", out.display()))?,
                None => {
                    for insn in bytes.chunks(8) {
                        println!("{}", insn.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" "));
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
        Cmd::Compile { input, output, opts } => {
            let name = input.display().to_string();
            let (image, _) = image_of(read_program(&input)?, &opts.options(), &name)?;
            let h = rvo_isa::ImageHeader::from_bytes(&image).map_err(|e| anyhow!("{e}"))?;
            std::fs::write(&output, &image).with_context(|| format!("cannot write {}", output.display()))?;
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
        Cmd::Exec { input, mem, device, verbose, opts } => {
            let name = input.display().to_string();
            let (image, file_mem) = image_of(read_program(&input)?, &opts.options(), &name)?;
            let mem = match mem {
                Some(hex) => parse_hex(&hex)?,
                None => file_mem,
            };
            let mut dev = rvo_sim::open(&device)?;
            dev.load(&image).with_context(|| format!("{name}: the {device} device refused the image"))?;
            let out = dev.run(&RunInput::raw(&mem))?;
            if let Some(fault) = out.fault {
                bail!("{name}: aborted at {fault} after {} cycles", out.cycles);
            }
            println!("{:#x}", out.r0);
            if verbose {
                println!("cycles {} bundles {} instructions {}", out.cycles, out.bundles, out.insns);
            }
        }
    }
    Ok(())
}
