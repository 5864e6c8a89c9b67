//! `rvo-devsim`: serve rvo's device to QEMU as an ivshmem server.
//!
//! ```sh
//! rvo-devsim --socket /tmp/rvo.sock --wire tests/corpus/pcap --out wire-out.pcap &
//! qemu-system-x86_64 ... -chardev socket,path=/tmp/rvo.sock,id=rvo \
//!     -device ivshmem-doorbell,chardev=rvo,vectors=2
//! ```

use anyhow::{Context, Result};
use clap::Parser;
use rvo_devsim::device::write_pcap;
use rvo_devsim::ivshmem::shared_memory;
use rvo_devsim::{server, DevSim};
use rvo_isa::contract::SHM_SIZE;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "rvo-devsim",
    about = "rvo's device (ISA model) as QEMU's ivshmem server"
)]
struct Args {
    /// UNIX socket QEMU's `ivshmem-doorbell` chardev connects to.
    #[arg(long)]
    socket: PathBuf,
    /// Directory of wire captures (`NAME.pcap`) the guest can run by name.
    #[arg(long)]
    wire: Option<PathBuf>,
    /// pcap the frames the program transmits (XDP_TX, XDP_REDIRECT) go to.
    #[arg(long)]
    out: Option<PathBuf>,
    /// pcap the frames the host transmits (rvoN's xmit) go to.
    #[arg(long)]
    xmit_out: Option<PathBuf>,
    /// Lanes of the core.
    #[arg(long, default_value_t = 2)]
    lanes: u32,
    /// What runs the programs: `model` (the ISA model) or `rtl` (the Verilated core).
    #[arg(long, default_value = "model")]
    backend: String,
    /// Write every image the host loads to this file.
    #[arg(long)]
    dump_image: Option<PathBuf>,
    /// Exit when the first guest leaves.
    #[arg(long)]
    once: bool,
    /// Log every command.
    #[arg(short, long)]
    verbose: bool,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if !(1..=rvo_isa::region::MAX_LANES as u32).contains(&args.lanes) {
        anyhow::bail!("--lanes must be 1 to {}", rvo_isa::region::MAX_LANES);
    }
    let new_core: rvo_devsim::device::CoreFactory = match args.backend.as_str() {
        "model" => || Ok(Box::new(rvo_sim::IsaModel::new())),
        "rtl" => {
            rvo_rtl::available().map_err(anyhow::Error::msg)?;
            if args.lanes != u32::from(rvo_rtl::LANES) {
                anyhow::bail!(
                    "--backend rtl: the RTL core has {} lane(s); pass --lanes {}",
                    rvo_rtl::LANES,
                    rvo_rtl::LANES
                );
            }
            || rvo_rtl::RtlDevice::new(None).map(|d| Box::new(d) as Box<dyn rvo_sim::Device>)
        }
        other => anyhow::bail!("--backend {other}: choose model or rtl"),
    };
    let _ = std::fs::remove_file(&args.socket);
    let listener = UnixListener::bind(&args.socket)
        .with_context(|| format!("cannot listen on {}", args.socket.display()))?;
    let shm = shared_memory(SHM_SIZE).context("cannot create shared memory")?;
    let mut dev = DevSim::with_core(args.lanes, args.wire.clone(), new_core);
    dev.verbose = args.verbose;
    eprintln!(
        "rvo-devsim: listening on {} ({} lanes, {} core, BAR2 {} KiB)",
        args.socket.display(),
        args.lanes,
        args.backend,
        SHM_SIZE / 1024
    );
    let (mut written_out, mut written_xmit, mut written_image) = (0usize, 0usize, None::<Vec<u8>>);
    let flush = |dev: &mut DevSim| {
        if let Some(out) = &args.out {
            if dev.wire_out.len() != written_out {
                if let Err(e) = write_pcap(out, &dev.wire_out) {
                    eprintln!("rvo-devsim: cannot write {}: {e}", out.display());
                }
                written_out = dev.wire_out.len();
            }
        }
        if let Some(out) = &args.xmit_out {
            if dev.xmit_out.len() != written_xmit {
                if let Err(e) = write_pcap(out, &dev.xmit_out) {
                    eprintln!("rvo-devsim: cannot write {}: {e}", out.display());
                }
                written_xmit = dev.xmit_out.len();
            }
        }
        if let Some(path) = &args.dump_image {
            if dev.last_image != written_image {
                if let Some(img) = &dev.last_image {
                    if let Err(e) = std::fs::write(path, img) {
                        eprintln!("rvo-devsim: cannot write {}: {e}", path.display());
                    }
                }
                written_image = dev.last_image.clone();
            }
        }
    };
    let once = args.once;
    server::serve(&listener, &shm, &mut dev, flush, || once)?;
    let c = dev.counters();
    eprintln!(
        "rvo-devsim: {} runs: aborted {} drop {} pass {} tx {} redirect {}; wire rx {} tx {}",
        c.runs,
        c.verdicts[0],
        c.verdicts[1],
        c.verdicts[2],
        c.verdicts[3],
        c.verdicts[4],
        c.wire_rx,
        c.wire_tx
    );
    Ok(())
}
