//! `cargo xtask sim [PROG] [--pcap IN.pcap]`: a raw program over every packet of a pcap on the
//! RTL (the rust-hdl core under Verilator), verdict and cycles per packet, as `rvo run` does on
//! the model. With no program, the bundled example over the bundled packets. Raw programs get
//! r1 = frame, r2 = its length; XDP ELF objects run in XDP mode on the core's context unit,
//! helper units and map engines, their maps first filled from `--maps` (bpftool's JSON) and
//! dumped after the run with `--dump-maps`.

use anyhow::{anyhow, Context, Result};
use rvo_cli::devices::rvo_rtl::{self, RtlDevice};
use rvo_cli::input::{read_program, Program};
use rvo_cli::packets::{read_pcap, read_pcap_file, EXAMPLE_PCAP, EXAMPLE_PROGRAM};
use rvo_cli::report::{print_report, PacketReport};
use rvo_cli::xdp::XdpSession;
use rvo_compiler::Options;
use rvo_sim::{Device, RunInput};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Assembly, raw eBPF instructions, a .data file or a one-lane rvo image (default: the
    /// bundled examples/filter.s).
    program: Option<PathBuf>,
    /// Packets to run (default: the bundled examples/packets.pcap).
    #[arg(long)]
    pcap: Option<PathBuf>,
    /// Write a VCD waveform of every cycle here.
    #[arg(long)]
    vcd: Option<PathBuf>,
    /// The program of an object with several.
    #[arg(long)]
    prog: Option<String>,
    /// Initial map contents (`bpftool map dump -j` form, keyed by map name).
    #[arg(long)]
    maps: Option<PathBuf>,
    /// Write the maps after the run here (same form).
    #[arg(long)]
    dump_maps: Option<PathBuf>,
    /// One JSON object per packet and line.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> Result<()> {
    let (name, program) = match &args.program {
        Some(p) => (p.display().to_string(), read_program(p)?),
        None => (
            "examples/filter.s".to_string(),
            Program::Ebpf {
                insns: rvo_compiler::asm::assemble(EXAMPLE_PROGRAM)
                    .map_err(|e| anyhow!("example: {e}"))?,
                mem: Vec::new(),
            },
        ),
    };
    let (pcap_name, packets) = match &args.pcap {
        Some(p) => (p.display().to_string(), read_pcap_file(p)?),
        None => (
            "examples/packets.pcap".to_string(),
            read_pcap(EXAMPLE_PCAP, "examples/packets.pcap")?,
        ),
    };
    rvo_rtl::available().map_err(anyhow::Error::msg)?;
    let opts = Options {
        lanes: rvo_rtl::LANES,
        optimize: true,
    };
    let image = match program {
        Program::Elf(object) => {
            let mut s = XdpSession::from_object_traced(
                *object,
                &name,
                args.prog.as_deref(),
                &opts,
                "rtl",
                args.vcd.clone(),
            )?;
            if let Some(m) = &args.maps {
                s.set_maps(&rvo_cli::maps_json::read(m)?)?;
            }
            let data: Vec<Vec<u8>> = packets.iter().map(|p| p.data.clone()).collect();
            let runs = s.run(&data)?;
            let reports = PacketReport::from_runs(&packets, runs);
            print_report(&name, &pcap_name, "rtl", &reports, args.json);
            if let Some(out) = &args.dump_maps {
                rvo_cli::maps_json::write(out, &s.dump_maps()?)?;
            }
            return Ok(());
        }
        Program::Image(image) => image,
        Program::Ebpf { insns, .. } => {
            rvo_compiler::compile_insns(&insns, &opts)
                .map_err(|e| anyhow!("{name}: {e}"))?
                .image
        }
    };
    let mut dev = RtlDevice::new(args.vcd.clone()).map_err(anyhow::Error::msg)?;
    dev.load(&image)
        .with_context(|| format!("the rtl device refused {name}"))?;
    let runs = packets
        .iter()
        .map(|p| {
            dev.run(&RunInput::raw(&p.data))
                .map_err(anyhow::Error::from)
        })
        .collect::<Result<Vec<_>>>()?;
    let reports = PacketReport::from_runs(&packets, runs);
    print_report(&name, &pcap_name, "rtl", &reports, args.json);
    Ok(())
}
