//! `rvo`: compile, inspect and run eBPF/XDP programs on the rvo core.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand};
use rvo_cli::input::{parse_hex, read_program, Program};
use rvo_cli::listing::{image_listing, side_by_side};
use rvo_cli::maps_json;
use rvo_cli::packets::{
    read_pcap, read_pcap_file, write_pcap_file, Packet, EXAMPLE_PCAP, EXAMPLE_PROGRAM,
};
use rvo_cli::report::{print_report, PacketReport};
use rvo_cli::xdp::XdpSession;
use rvo_compiler::elf::{ElfObject, ElfProgram};
use rvo_compiler::{Compiled, Options};
use rvo_sim::RunInput;
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
    /// Program of an ELF object with several (by function name).
    #[arg(long)]
    prog: Option<String>,
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
    /// Show eBPF (with source lines from BTF) and the rvo code it compiles to, side by side.
    Disasm {
        /// ELF object, assembly, raw instructions, a .data file, or an rvo image.
        input: PathBuf,
        #[command(flatten)]
        opts: CompileOpts,
    },
    /// Compile to an rvo image.
    Compile {
        /// ELF object, assembly, raw instructions or a .data file.
        input: PathBuf,
        /// Image file to write.
        #[arg(short, long)]
        output: PathBuf,
        /// Fail unless the running kernel's verifier accepted the program (ELF objects).
        #[arg(long)]
        require_verified: bool,
        #[command(flatten)]
        opts: CompileOpts,
    },
    /// Run a program over every packet of a pcap file: verdict, length and cycles per packet.
    /// With no program and no pcap, runs the bundled example over the bundled packets.
    Run {
        /// An XDP ELF object, or a raw program (assembly, instructions, .data, image) that gets
        /// r1 = frame, r2 = its length.
        program: Option<PathBuf>,
        /// Packets to run.
        #[arg(long)]
        pcap: Option<PathBuf>,
        /// Write every packet after processing, in input order.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Initial map contents (bpftool map dump -j, per map name).
        #[arg(long)]
        maps: Option<PathBuf>,
        /// Write the final map contents (same format).
        #[arg(long)]
        dump_maps: Option<PathBuf>,
        /// One JSON object per packet and line.
        #[arg(long)]
        json: bool,
        /// Backend to run on.
        #[arg(long, default_value = "model")]
        device: String,
        #[command(flatten)]
        opts: CompileOpts,
    },
    /// Run an XDP object on Linux (BPF_PROG_TEST_RUN, as root) and on rvo over the same
    /// packets and maps, and report every difference: verdict, bytes, metadata, maps.
    Check {
        /// The XDP ELF object.
        program: PathBuf,
        /// Packets to run.
        #[arg(long)]
        pcap: PathBuf,
        /// Initial map contents (bpftool map dump -j, per map name).
        #[arg(long)]
        maps: Option<PathBuf>,
        /// Backend rvo runs on.
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
        /// Write a VCD waveform of every cycle (for GTKWave or Surfer; `--device rtl` only).
        #[arg(long)]
        trace: Option<PathBuf>,
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

/// Compile what the user gave (or take the image as it is): the image and any memory a
/// `.data` file carried.
fn image_of(program: Program, opts: &CompileOpts, name: &str) -> Result<(Vec<u8>, Vec<u8>)> {
    match program {
        Program::Image(img) => Ok((img, Vec::new())),
        Program::Ebpf { insns, mem } => {
            let c = rvo_compiler::compile_insns(&insns, &opts.options())
                .map_err(|e| anyhow!("{name}: {e}"))?;
            Ok((c.image, mem))
        }
        Program::Elf(object) => Ok((compile_elf(&object, opts, name)?.1.image, Vec::new())),
    }
}

/// The chosen program of an object, compiled.
fn compile_elf<'a>(
    object: &'a ElfObject,
    opts: &CompileOpts,
    name: &str,
) -> Result<(&'a ElfProgram, Compiled)> {
    let p = object
        .program(opts.prog.as_deref())
        .map_err(|e| anyhow!("{name}: {e}"))?;
    let c = object
        .compile(p, &opts.options())
        .map_err(|e| anyhow!("{name}: {e}"))?;
    Ok((p, c))
}

fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Asm { input, output } => asm(input, output),
        Cmd::Disasm { input, opts } => disasm(input, opts),
        Cmd::Compile {
            input,
            output,
            require_verified,
            opts,
        } => {
            let name = input.display().to_string();
            let program = read_program(&input)?;
            if matches!(program, Program::Elf(_)) {
                verify(&input, opts.prog.as_deref(), require_verified)?;
            } else if require_verified {
                bail!("{name}: --require-verified needs an ELF object (Linux verifies programs with their maps)");
            }
            let (image, _) = image_of(program, &opts, &name)?;
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
            Ok(())
        }
        Cmd::Run {
            program,
            pcap,
            out,
            maps,
            dump_maps,
            json,
            device,
            opts,
        } => {
            let (pcap_name, packets) = match &pcap {
                Some(p) => (p.display().to_string(), read_pcap_file(p)?),
                None => (
                    "examples/packets.pcap".to_string(),
                    read_pcap(EXAMPLE_PCAP, "examples/packets.pcap")?,
                ),
            };
            let program_name = program
                .as_ref()
                .map_or("examples/filter.s".to_string(), |p| p.display().to_string());
            let loaded = match &program {
                Some(p) => read_program(p)?,
                None => Program::Ebpf {
                    insns: rvo_compiler::asm::assemble(EXAMPLE_PROGRAM)
                        .map_err(|e| anyhow!("example: {e}"))?,
                    mem: Vec::new(),
                },
            };
            let reports = match loaded {
                Program::Elf(object) => {
                    let mut s = XdpSession::from_object(
                        *object,
                        &program_name,
                        opts.prog.as_deref(),
                        &opts.options(),
                        &device,
                    )?;
                    if let Some(m) = &maps {
                        s.set_maps(&maps_json::read(m)?)?;
                    }
                    let data: Vec<Vec<u8>> = packets.iter().map(|p| p.data.clone()).collect();
                    let results = s.run(&data)?;
                    if let Some(path) = &dump_maps {
                        maps_json::write(path, &s.dump_maps()?)?;
                    }
                    PacketReport::from_runs(&packets, results)
                }
                other => {
                    if maps.is_some() || dump_maps.is_some() {
                        bail!(
                            "{program_name}: --maps and --dump-maps need an ELF object with maps"
                        );
                    }
                    let (image, _) = image_of(other, &opts, &program_name)?;
                    let mut dev = rvo_cli::devices::open_device(&device)?;
                    dev.load(&image)
                        .with_context(|| format!("the {device} device refused the image"))?;
                    let results = packets
                        .iter()
                        .map(|p| {
                            dev.run(&RunInput::raw(&p.data))
                                .map_err(anyhow::Error::from)
                        })
                        .collect::<Result<Vec<_>>>()?;
                    PacketReport::from_runs(&packets, results)
                }
            };
            print_report(&program_name, &pcap_name, &device, &reports, json);
            if let Some(path) = out {
                let after: Vec<Packet> = reports.iter().map(|r| r.packet_out.clone()).collect();
                write_pcap_file(&path, &after)?;
            }
            Ok(())
        }
        Cmd::Check {
            program,
            pcap,
            maps,
            device,
            opts,
        } => {
            let (packets, state) = rvo_cli::check::inputs(&pcap, maps.as_deref())?;
            rvo_linux::availability()
                .map_err(|why| anyhow!("Linux cannot run the program here: {why}"))?;
            let report = rvo_cli::check::check(
                &program,
                opts.prog.as_deref(),
                &packets,
                &state,
                &opts.options(),
                &device,
            )?;
            println!(
                "{} ({}) over {}: {} packets",
                program.display(),
                report.program,
                pcap.display(),
                report.packets
            );
            for d in &report.differences {
                println!("  DIFF {d}");
            }
            if !report.differences.is_empty() {
                bail!(
                    "{} difference(s) between Linux and rvo",
                    report.differences.len()
                );
            }
            println!("identical to Linux: verdicts, packet bytes, metadata and maps");
            Ok(())
        }
        Cmd::Exec {
            input,
            mem,
            device,
            verbose,
            trace,
            opts,
        } => {
            let name = input.display().to_string();
            let program = read_program(&input)?;
            if matches!(program, Program::Elf(_)) {
                bail!("{name}: an ELF object is an XDP program: run it over packets with `rvo run {name} --pcap FILE`");
            }
            let (image, file_mem) = image_of(program, &opts, &name)?;
            let mem = match mem {
                Some(hex) => parse_hex(&hex)?,
                None => file_mem,
            };
            let mut dev = rvo_cli::devices::open_device_traced(&device, trace)?;
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
            Ok(())
        }
    }
}

/// Run an object through the running kernel's verifier (BPF_PROG_LOAD as XDP) when this
/// process may, and say plainly when it was not verified.
fn verify(path: &std::path::Path, prog: Option<&str>, required: bool) -> Result<()> {
    let name = path.display();
    if let Err(why) = rvo_linux::availability() {
        if required {
            bail!("{name}: not verified by Linux ({why}), and --require-verified was given");
        }
        eprintln!("{name}: NOT verified by Linux ({why}); the device's bounds checks and watchdog still apply");
        return Ok(());
    }
    match rvo_linux::verify_xdp(path, prog) {
        Ok(()) => {
            eprintln!("{name}: accepted by the running kernel's verifier");
            Ok(())
        }
        Err(e) => bail!("{name}: Linux's verifier rejects it:\n{e}"),
    }
}

fn asm(input: PathBuf, output: Option<PathBuf>) -> Result<()> {
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
    Ok(())
}

fn disasm(input: PathBuf, opts: CompileOpts) -> Result<()> {
    let name = input.display().to_string();
    match read_program(&input)? {
        Program::Image(img) => print!("{}", image_listing(&img)?),
        Program::Ebpf { insns, .. } => {
            let c = rvo_compiler::compile_insns(&insns, &opts.options())
                .map_err(|e| anyhow!("{name}: {e}"))?;
            print!("{}", side_by_side(&c, &|_| None));
            print!("{}", image_listing(&c.image)?);
        }
        Program::Elf(object) => {
            let (p, c) = compile_elf(&object, &opts, &name)?;
            let n = p.insns.len();
            print!(
                "{}",
                side_by_side(&c, &|pc| if pc < n {
                    p.line_of(pc).map(|l| l.to_string())
                } else {
                    None
                })
            );
            print!("{}", image_listing(&c.image)?);
        }
    }
    Ok(())
}
