//! `BPF_PROG_TEST_RUN` of one program over the packets, on one CPU.

use libbpf_rs::{Object, ProgramInput};
use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
use nix::unistd::Pid;

use crate::error::{errno_of, LinuxError};
use crate::{PacketResult, TestRunOptions, MAX_PACKET};

/// `struct xdp_md` as `BPF_PROG_TEST_RUN` takes it in `ctx_in` and gives it back in `ctx_out`:
/// `data`, `data_end`, `data_meta`, `ingress_ifindex`, `rx_queue_index`, `egress_ifindex`.
const XDP_MD_SIZE: usize = 24;

/// Runs `program` once per packet, in order, on the CPU the thread is pinned to.
pub(crate) fn run_packets(
    object: &Object,
    program: &str,
    packets: &[Vec<u8>],
    opts: &TestRunOptions,
) -> Result<Vec<PacketResult>, LinuxError> {
    let Some(prog) = object
        .progs_mut()
        .find(|p| p.name().to_string_lossy() == program)
    else {
        return Err(LinuxError::ProgramNotFound {
            name: program.to_string(),
            available: Vec::new(),
        });
    };
    if opts.rx_queue_index.is_some() && opts.ingress_ifindex.is_none() {
        return Err(LinuxError::InvalidOptions(
            "rx_queue_index needs ingress_ifindex (the kernel refuses a queue without a device)"
                .to_string(),
        ));
    }
    // Room for anything the kernel can hand back: the linear part with all its headroom as
    // metadata or head, plus every fragment.
    let mut data_out = vec![0u8; MAX_PACKET as usize + 4096];
    let mut results = Vec::with_capacity(packets.len());
    for (index, packet) in packets.iter().enumerate() {
        let fail = |errno: Option<i32>, reason: String| LinuxError::TestRun {
            packet: index,
            len: packet.len(),
            errno,
            reason,
        };
        let len =
            u32::try_from(packet.len()).map_err(|_| fail(None, "longer than 4 GiB".to_string()))?;
        let mut ctx_in = xdp_md(len, opts);
        let mut ctx_out = [0u8; XDP_MD_SIZE];
        let input = ProgramInput {
            data_in: Some(packet),
            data_out: Some(&mut data_out),
            context_in: Some(&mut ctx_in),
            context_out: Some(&mut ctx_out),
            repeat: opts.repeat.unwrap_or(1),
            ..ProgramInput::default()
        };
        let output = prog
            .test_run(input)
            .map_err(|e| fail(errno_of(&e), hint(packet.len(), &e.to_string())))?;
        // ctx_out's first field, `data`, is data - data_meta: the metadata in front.
        let meta_len = output
            .context
            .and_then(|ctx| ctx.first_chunk::<4>().copied())
            .map_or(0, u32::from_ne_bytes);
        results.push(PacketResult {
            retval: output.return_value,
            data_out: output.data.map(|d| d.to_vec()).unwrap_or_default(),
            meta_len,
            duration_ns: output.duration.as_nanos() as u64,
        });
    }
    Ok(results)
}

/// The `xdp_md` handed in: no metadata, the whole packet, the chosen device and queue
/// (0 = the kernel's default, loopback queue 0).
fn xdp_md(len: u32, opts: &TestRunOptions) -> [u8; XDP_MD_SIZE] {
    let fields = [
        0,
        len,
        0,
        opts.ingress_ifindex.unwrap_or(0),
        opts.rx_queue_index.unwrap_or(0),
        0,
    ];
    let mut bytes = [0u8; XDP_MD_SIZE];
    for (chunk, field) in bytes.chunks_exact_mut(4).zip(fields) {
        chunk.copy_from_slice(&field.to_ne_bytes());
    }
    bytes
}

fn hint(len: usize, error: &str) -> String {
    if len < crate::MIN_PACKET as usize {
        format!("{error} (the kernel needs at least 14 bytes, an Ethernet header)")
    } else if len > MAX_PACKET as usize {
        format!("{error} (the kernel takes at most {MAX_PACKET} bytes: 3520 linear + 17 fragments of 4096)")
    } else {
        error.to_string()
    }
}

/// Keeps the thread on one CPU while it lives, so every per-CPU map update of the run lands
/// in the same slot; restores the previous affinity on drop.
pub(crate) struct CpuPin {
    previous: CpuSet,
    pub cpu: u32,
}

impl CpuPin {
    /// Pins to the lowest-numbered CPU the thread may run on now.
    pub(crate) fn lowest_allowed() -> Result<CpuPin, LinuxError> {
        let error = |e: nix::Error| LinuxError::CpuAffinity(e.to_string());
        let previous = sched_getaffinity(Pid::from_raw(0)).map_err(error)?;
        let cpu = (0..CpuSet::count())
            .find(|&c| previous.is_set(c).unwrap_or(false))
            .ok_or_else(|| LinuxError::CpuAffinity("the affinity mask is empty".to_string()))?;
        let mut only = CpuSet::new();
        only.set(cpu).map_err(error)?;
        sched_setaffinity(Pid::from_raw(0), &only).map_err(error)?;
        let cpu = u32::try_from(cpu).map_err(|_| LinuxError::CpuAffinity("CPU number".into()))?;
        Ok(CpuPin { previous, cpu })
    }
}

impl Drop for CpuPin {
    fn drop(&mut self) {
        // Best effort: failing to widen the mask again leaves the thread on one CPU.
        let _ = sched_setaffinity(Pid::from_raw(0), &self.previous);
    }
}
