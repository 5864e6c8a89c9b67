//! Linux as the oracle for XDP programs.
//!
//! [`run_xdp`] loads a BPF ELF object into the running kernel (so the kernel verifier judges
//! it), fills maps, runs one XDP program over packets with `BPF_PROG_TEST_RUN`, and reads
//! every map back. [`verify_xdp`] only loads. [`availability`] tells whether this process can
//! do either. Everything is freed when the call returns: nothing is attached, and nothing
//! stays pinned. (libbpf pins maps declared with `LIBBPF_PIN_BY_NAME` at load; they go into
//! a fresh directory `/sys/fs/bpf/rvo-linux-PID-N`, so no existing pin is reused, and are
//! unpinned right after load, the directory removed.)
//!
//! # What `BPF_PROG_TEST_RUN` does for XDP
//!
//! From `net/bpf/test_run.c` (`bpf_prog_test_run_xdp`, `bpf_test_init`, `bpf_test_finish`)
//! and `net/core/filter.c` (`bpf_xdp_adjust_head/_tail/_meta`), with every number below
//! measured on this machine's kernel 6.18 (x86-64, 4 KiB pages) by `tests/kernel_facts.rs`.
//! The rvo model matches these; the constants of this crate hold them.
//!
//! - **Buffer.** One page, [`FRAME_SIZE`] = 4096 bytes: [`XDP_PACKET_HEADROOM`] = 256 bytes of
//!   headroom, then the packet, then [`TAILROOM`] = 320 bytes reserved for
//!   `struct skb_shared_info` (`SKB_DATA_ALIGN(sizeof(struct skb_shared_info))`). Headroom and
//!   the rest of the page are zeroed (`kzalloc`).
//! - **Packet size.** At least [`MIN_PACKET`] = 14 bytes (`ETH_HLEN`), else `EINVAL`. At most
//!   [`MAX_LINEAR_PACKET`] = 4096 - 256 - 320 = 3520 bytes are linear (between `data` and
//!   `data_end`). Longer input is accepted, even for programs not loaded with `xdp.frags`:
//!   the first 3520 bytes are linear and the rest goes into page fragments of 4096 bytes, at
//!   most 17 (`MAX_SKB_FRAGS`), so [`MAX_PACKET`] = 3520 + 17 * 4096 = 73152 bytes; one more
//!   byte gives `ENOMEM`. The program sees `data_end - data` = 3520 and reaches the rest with
//!   `bpf_xdp_load_bytes`; the output includes the fragments.
//! - **Context.** Without `ctx_in`: `ingress_ifindex` = [`DEFAULT_INGRESS_IFINDEX`] = 1 (the
//!   network namespace's loopback device), `rx_queue_index` = 0 (its queue 0). A `ctx_in`
//!   `xdp_md` may name another device and queue ([`TestRunOptions`]); the device must exist
//!   (`ENODEV`) and the queue must be below its `real_num_rx_queues` (`EINVAL`), and a queue
//!   without a device is `EINVAL`. Reading `egress_ifindex` is refused by the verifier for
//!   plain XDP programs (`invalid bpf_context access off=20`). XDP programs for DEVMAP or
//!   CPUMAP entries (`SEC("xdp/devmap")`, `SEC("xdp/cpumap")`) cannot be test-run (`EINVAL`).
//! - **Metadata.** `data_meta` = `data` at entry (no metadata). `bpf_xdp_adjust_meta(ctx, d)`
//!   may move `data_meta` down by a multiple of 4 (else `-EACCES`) as far as
//!   `data_hard_start + 40` (`sizeof(struct xdp_frame)`), so at most [`MAX_METADATA`] = 216
//!   bytes: the headroom binds before the kernel's own metadata limit (older kernels: 32).
//! - **Head.** `bpf_xdp_adjust_head(ctx, d)` may move `data` down to `data_hard_start + 40`
//!   (so grow by at most 216 = 256 - 40 bytes, less any metadata) and up while at least 14
//!   bytes remain; `-EINVAL` otherwise. Metadata moves along with `data`.
//! - **Tail.** `bpf_xdp_adjust_tail(ctx, d)` may grow the packet until `data_end` is 320 bytes
//!   before the page end, i.e. to 3520 bytes with the default headroom (3520 - 64 = 3456 more
//!   for a 64-byte packet), and shrink it to 14 bytes; `-EINVAL` otherwise. Grown bytes are
//!   zero.
//! - **Result.** `retval` is whatever the program returned, not checked (7 stays 7).
//!   `XDP_TX` and `XDP_REDIRECT` transmit or redirect nothing (that happens only with
//!   `BPF_F_TEST_XDP_LIVE_FRAMES`, not used here): `bpf_redirect_map` only records the target
//!   and yields `XDP_REDIRECT` or its fallback action. The output bytes are `data_meta` to
//!   `data_end` plus fragments: **metadata first**, so [`PacketResult::meta_len`] says how
//!   many leading bytes of [`PacketResult::data_out`] are metadata. Head and tail changes
//!   show in the output's start and length.
//! - **CPU and state.** The program runs on the calling thread's CPU with migration off;
//!   XDP test runs cannot choose a CPU (`BPF_F_TEST_RUN_ON_CPU` is `EINVAL`). [`run_xdp`]
//!   pins the thread to one CPU for the whole run ([`LinuxRun::cpu`]) so that per-CPU map
//!   updates of all packets land in one slot. Maps keep their contents from packet to
//!   packet, as on a NIC; nothing else carries over (every run gets a fresh buffer).
//!
//! # Maps
//!
//! Initial contents ([`MapState`], only `name` and `entries` used) are written before the
//! first packet: global-data maps (`.rodata`, `.data`, `.bss`, named by section) by
//! setting their initial value before load, so the verifier sees the given `.rodata`; all
//! other maps by `BPF_MAP_UPDATE_ELEM` after load. Per-CPU entries take one value (for every
//! CPU) or one per possible CPU. After the run every readable map is read back; which types
//! are read, and in what order, is said by [`is_readable_map_type`].
//!
//! # Logs
//!
//! libbpf's messages are captured per thread (it has one process-wide print callback, which
//! this crate installs on first use; warnings outside a load go to stderr as before). A
//! verifier rejection carries the kernel's complete verifier log.

#![forbid(unsafe_code)]

mod error;
mod load;
mod log;
mod maps;
mod test_run;

use std::path::Path;

pub use error::LinuxError;
pub use maps::is_readable_map_type;

/// Bytes of headroom before the packet at entry (`XDP_PACKET_HEADROOM`).
pub const XDP_PACKET_HEADROOM: u32 = 256;
/// The buffer: one page.
pub const FRAME_SIZE: u32 = 4096;
/// Bytes at the end of the page the packet may not grow into (`skb_shared_info`, aligned).
pub const TAILROOM: u32 = 320;
/// `sizeof(struct xdp_frame)`: the start of the headroom that `data_meta` and `data` may not
/// move into.
pub const XDP_FRAME_HEADER: u32 = 40;
/// The most metadata `bpf_xdp_adjust_meta` can make room for (256 - 40).
pub const MAX_METADATA: u32 = XDP_PACKET_HEADROOM - XDP_FRAME_HEADER;
/// The shortest packet `BPF_PROG_TEST_RUN` accepts (`ETH_HLEN`); also the shortest a program
/// can make it.
pub const MIN_PACKET: u32 = 14;
/// The most packet bytes that are linear, at entry and after `bpf_xdp_adjust_tail`
/// (4096 - 256 - 320).
pub const MAX_LINEAR_PACKET: u32 = FRAME_SIZE - XDP_PACKET_HEADROOM - TAILROOM;
/// The longest packet `BPF_PROG_TEST_RUN` accepts: linear part plus 17 page fragments.
pub const MAX_PACKET: u32 = MAX_LINEAR_PACKET + 17 * FRAME_SIZE;
/// `ingress_ifindex` when no device is chosen: loopback.
pub const DEFAULT_INGRESS_IFINDEX: u32 = 1;

/// One map: its shape and its entries.
///
/// As input to [`run_xdp`] only `name` and `entries` are used ([`MapState::init`] builds one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapState {
    /// The map's name: its C name, or for global data its section (`.rodata`, `.data`,
    /// `.bss`, `.kconfig`, `.data.NAME`), not libbpf's file-name-prefixed `prog.rodata`
    /// (which input names may use too).
    pub name: String,
    /// `BPF_MAP_TYPE_*`.
    pub map_type: u32,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Capacity.
    pub max_entries: u32,
    /// Whether each entry holds one value per possible CPU.
    pub per_cpu: bool,
    /// The entries (order: see [`is_readable_map_type`]).
    pub entries: Vec<MapEntry>,
    /// As input to a `PROG_ARRAY`: slot key and the name of an XDP program of the same
    /// object, whose file descriptor goes into the slot after load.
    pub programs: Vec<(Vec<u8>, String)>,
}

impl MapState {
    /// Initial contents for the map `name`.
    pub fn init(name: impl Into<String>, entries: Vec<MapEntry>) -> MapState {
        MapState {
            name: name.into(),
            entries,
            ..MapState::default()
        }
    }

    /// The values stored under `key`, if any.
    pub fn get(&self, key: &[u8]) -> Option<&[Vec<u8>]> {
        self.entries
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.values.as_slice())
    }
}

/// One key and its value, or one value per possible CPU for per-CPU maps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapEntry {
    /// The key bytes (`key_size` of them).
    pub key: Vec<u8>,
    /// One value, or one per possible CPU (index = CPU number) for per-CPU maps. As input to
    /// a per-CPU map, a single value is written to every CPU.
    pub values: Vec<Vec<u8>>,
}

impl MapEntry {
    /// An entry with one value.
    pub fn new(key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> MapEntry {
        MapEntry {
            key: key.into(),
            values: vec![value.into()],
        }
    }
}

/// What one `BPF_PROG_TEST_RUN` gave back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PacketResult {
    /// The program's return value (the XDP action), as returned.
    pub retval: u32,
    /// The packet afterwards: metadata (if any), then `data` to `data_end`, then fragments.
    pub data_out: Vec<u8>,
    /// How many leading bytes of `data_out` are metadata (`data - data_meta`); 0 unless the
    /// program called `bpf_xdp_adjust_meta`.
    pub meta_len: u32,
    /// The kernel's average time per run, in nanoseconds (JIT-compiled on this CPU).
    pub duration_ns: u64,
}

/// Everything a run produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinuxRun {
    /// One result per packet, in order.
    pub packets: Vec<PacketResult>,
    /// Every readable map of the object after the last packet, in the object's order.
    pub maps: Vec<MapState>,
    /// The CPU every packet ran on: the index of the per-CPU values they updated.
    pub cpu: u32,
}

/// Optional `xdp_md` fields handed to the kernel (`ctx_in`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestRunOptions {
    /// The receiving device; `None`: loopback ([`DEFAULT_INGRESS_IFINDEX`]).
    pub ingress_ifindex: Option<u32>,
    /// The receive queue of that device; `None`: 0. Needs `ingress_ifindex`.
    pub rx_queue_index: Option<u32>,
    /// Runs of each packet the kernel times (`repeat`); `None`: 1. Maps see every run.
    pub repeat: Option<u32>,
}

/// Opens the ELF object at `object`, loads its XDP programs (running the verifier), sets the
/// initial map contents `init`, runs program `prog` (or the object's only XDP program) once
/// per packet in order with the same maps throughout, and reads every readable map back.
pub fn run_xdp(
    object: &Path,
    prog: Option<&str>,
    init: &[MapState],
    packets: &[Vec<u8>],
    opts: &TestRunOptions,
) -> Result<LinuxRun, LinuxError> {
    let loaded = load::load(object, prog, true, init)?;
    let program = loaded.runnable()?;
    let pin = test_run::CpuPin::lowest_allowed()?;
    let results = test_run::run_packets(&loaded.object, program, packets, opts)?;
    let cpu = pin.cpu;
    drop(pin);
    let maps = maps::read_all(&loaded.object)?;
    Ok(LinuxRun {
        packets: results,
        maps,
        cpu,
    })
}

/// Loads the object as [`run_xdp`] would, which loads every XDP program of it, and unloads it
/// again: `Ok(())`, or the verifier's verdict with its full log
/// ([`LinuxError::VerifierRejected`] names the program). `prog`, if given, must be an XDP
/// program of the object; without it the object needs at least one.
pub fn verify_xdp(object: &Path, prog: Option<&str>) -> Result<(), LinuxError> {
    load::load(object, prog, false, &[]).map(drop)
}

/// Whether this process can load and run BPF programs here; the reason if not.
pub fn availability() -> Result<(), String> {
    let euid = effective_uid();
    let who = match euid {
        Some(0) => "root".to_string(),
        Some(uid) => format!("uid {uid}, not root"),
        None => "unknown uid".to_string(),
    };
    match libbpf_rs::ProgramType::Xdp.is_supported() {
        Ok(true) => Ok(()),
        Ok(false) if euid != Some(0) => Err(format!(
            "cannot load BPF programs as {who}: run as root (or with CAP_BPF and CAP_NET_ADMIN)"
        )),
        Ok(false) => Err(format!(
            "the kernel refused a trivial XDP program ({who}): no BPF support, or the bpf \
             syscall is blocked (seccomp, container, kernel.unprivileged_bpf_disabled)"
        )),
        Err(e) => Err(format!("probing for XDP support failed ({who}): {e}")),
    }
}

/// The effective uid, from `/proc/self/status` (`Uid: real effective saved fs`).
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}
