//! `cargo xtask bench`: the corpus on the rvo core and on this machine's CPU, side by side in
//! one run. rvo's figures are cycles (exact, from the model); the CPU's are the kernel's own
//! timing of the JIT-compiled program (`BPF_PROG_TEST_RUN` with repeat). Packet rates for rvo
//! are given at a stated clock until the bitstream flow measures Fmax.

use crate::root;
use anyhow::{anyhow, Result};
use rvo_cli::corpus::{build, manifest};
use rvo_cli::xdp::XdpSession;
use rvo_compiler::Options;

#[derive(clap::Args)]
pub struct Args {
    /// Clock the rvo packet rate is computed at, in MHz (a stated assumption, not a measurement).
    #[arg(long, default_value_t = 100.0)]
    mhz: f64,
    /// Kernel runs per packet for the CPU timing.
    #[arg(long, default_value_t = 2000)]
    repeat: u32,
    /// Instead of the corpus: simulation speed of the Verilated RTL and of the ISA model
    /// (simulated core cycles per second of wall time) on one long-running program.
    #[arg(long)]
    sim: bool,
}

struct Row {
    name: String,
    insns: usize,
    bundles: [usize; 3],
    cycles: [f64; 3],
    linux_ns: Option<f64>,
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    s / n.max(1) as f64
}

pub fn run(args: &Args) -> Result<()> {
    if args.sim {
        return sim_speed();
    }
    let objects = root().join("target/corpus");
    build(&objects)?;
    let linux = rvo_linux::availability();
    let mut rows = Vec::new();
    for e in manifest()? {
        let object = objects.join(format!("{}.o", e.object));
        let (packets, maps) = rvo_cli::check::inputs(&e.pcap, e.maps.as_deref())?;
        let mut bundles = [0; 3];
        let mut cycles = [0.0; 3];
        let mut insns = 0;
        for (i, lanes) in [1u8, 2, 4].into_iter().enumerate() {
            let mut s = XdpSession::load(
                &object,
                e.program.as_deref(),
                &Options {
                    lanes,
                    optimize: true,
                },
                "model",
            )?;
            s.set_maps(&maps)?;
            let runs = s.run(&packets)?;
            bundles[i] = s.compiled.info.bundles;
            insns = s.compiled.info.header.ebpf_insns as usize;
            cycles[i] = mean(runs.iter().map(|r| r.cycles as f64));
        }
        let linux_ns = match &linux {
            Ok(()) => {
                let init = rvo_cli::check::linux_init(&maps);
                let opts = rvo_linux::TestRunOptions {
                    repeat: Some(args.repeat),
                    ..Default::default()
                };
                let run = rvo_linux::run_xdp(&object, e.program.as_deref(), &init, &packets, &opts)
                    .map_err(|err| anyhow!("{}: on Linux: {err}", e.object))?;
                Some(mean(run.packets.iter().map(|p| p.duration_ns as f64)))
            }
            Err(_) => None,
        };
        rows.push(Row {
            name: e.object.clone(),
            insns,
            bundles,
            cycles,
            linux_ns,
        });
    }
    print_table(&rows, args, linux.err());
    Ok(())
}

fn print_table(rows: &[Row], args: &Args, linux_missing: Option<String>) {
    println!(
        "{:<16} {:>6} {:>16} {:>22} {:>12} {:>10} {:>10} {:>7}",
        "program",
        "insns",
        "bundles 1/2/4",
        "cycles/pkt 1/2/4 lanes",
        "IPC (4 ln)",
        "rvo Mpps",
        "CPU Mpps",
        "rvo/CPU"
    );
    for r in rows {
        let rvo_mpps = args.mhz / r.cycles[2];
        let cpu_mpps = r.linux_ns.map(|ns| 1000.0 / ns);
        println!(
            "{:<16} {:>6} {:>16} {:>22} {:>12.2} {:>10.2} {:>10} {:>7}",
            r.name,
            r.insns,
            format!("{}/{}/{}", r.bundles[0], r.bundles[1], r.bundles[2]),
            format!("{:.1}/{:.1}/{:.1}", r.cycles[0], r.cycles[1], r.cycles[2]),
            r.cycles[0] / r.cycles[2],
            rvo_mpps,
            cpu_mpps.map_or("-".into(), |m| format!("{m:.2}")),
            cpu_mpps.map_or("-".into(), |m| format!("{:.2}", rvo_mpps / m)),
        );
    }
    println!(
        "rvo Mpps = {} MHz (assumed clock, until Fmax is measured) / cycles per packet with 4 lanes; IPC (4 ln) = cycles with 1 lane / cycles with 4",
        args.mhz
    );
    match linux_missing {
        None => println!("CPU Mpps = 1000 / the kernel's mean ns per run of the JIT-compiled program (BPF_PROG_TEST_RUN, repeat {}), same packets and maps", args.repeat),
        Some(why) => println!("CPU column empty: Linux cannot run BPF here ({why})"),
    }
}

/// RTL simulation speed the issue asks for, in simulated core cycles per second.
const SIM_TARGET: f64 = 1_000_000.0;

/// The same long-running loop (ALU, multiplier, taken branches; about 8 M core cycles) on the
/// Verilated RTL and on the ISA model, best of three runs each, both checked to agree.
fn sim_speed() -> Result<()> {
    use rvo_cli::devices::rvo_rtl::{self, RtlDevice};
    use rvo_sim::{Device, RunInput};
    use std::time::Instant;
    let asm =
        "mov %r0, 0\nmov %r3, 0\nadd %r0, 1\nxor %r3, %r0\nmul %r3, 3\njlt %r0, 1000000, -4\nexit";
    let prog = rvo_compiler::asm::assemble(asm).map_err(|e| anyhow!("{e}"))?;
    let opts = Options {
        lanes: rvo_rtl::LANES,
        optimize: true,
    };
    let image = rvo_compiler::compile_insns(&prog, &opts)
        .map_err(|e| anyhow!("{e}"))?
        .image;
    let input = RunInput {
        budget: 100_000_000,
        ..RunInput::raw(&[])
    };
    rvo_rtl::available().map_err(anyhow::Error::msg)?;
    let rtl: Box<dyn Device> = Box::new(RtlDevice::new(None).map_err(anyhow::Error::msg)?);
    let model: Box<dyn Device> = Box::new(rvo_sim::IsaModel::new());
    let mut results = Vec::new();
    for mut dev in [rtl, model] {
        dev.load(&image)?;
        let mut best = f64::MAX;
        let mut out = None;
        for _ in 0..3 {
            let t = Instant::now();
            let o = dev.run(&input)?;
            best = best.min(t.elapsed().as_secs_f64());
            out = Some(o);
        }
        let out = out.ok_or_else(|| anyhow!("no run"))?;
        results.push((dev.name(), out, best));
    }
    let (r, m) = (&results[0], &results[1]);
    if (r.1.r0, r.1.cycles, r.1.fault) != (m.1.r0, m.1.cycles, m.1.fault) {
        anyhow::bail!(
            "the RTL and the model disagree: r0 {:#x}/{:#x}, cycles {}/{}",
            r.1.r0,
            m.1.r0,
            r.1.cycles,
            m.1.cycles
        );
    }
    println!(
        "{:<8} {:>12} {:>10} {:>14}",
        "device", "cycles", "seconds", "cycles/s"
    );
    for (name, out, secs) in &results {
        println!(
            "{name:<8} {:>12} {secs:>10.3} {:>14.0}",
            out.cycles,
            out.cycles as f64 / secs
        );
    }
    let rtl_rate = r.1.cycles as f64 / r.2;
    let model_rate = m.1.cycles as f64 / m.2;
    println!(
        "model/RTL speed ratio: {:.1}; RTL {:.2} M cycles/s (target >= {:.1} M: {})",
        model_rate / rtl_rate,
        rtl_rate / 1e6,
        SIM_TARGET / 1e6,
        if rtl_rate >= SIM_TARGET {
            "met"
        } else {
            "NOT met"
        }
    );
    if rtl_rate < SIM_TARGET {
        anyhow::bail!("the Verilated core simulates {rtl_rate:.0} cycles/s, below {SIM_TARGET:.0}");
    }
    Ok(())
}
