//! The device contract, as Rust types.

use rvo_isa::maps::errno;
use rvo_isa::{BundleError, DecodeError, Fault, ImageError, MapDesc, Verdict};

/// A map operation's failure, as Linux reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MapOpError {
    /// `ENOENT`.
    #[error("no such entry (ENOENT)")]
    NoEnt,
    /// `EEXIST`.
    #[error("entry exists (EEXIST)")]
    Exists,
    /// `E2BIG`.
    #[error("map is full or index out of range (E2BIG)")]
    TooBig,
    /// `EINVAL`.
    #[error("invalid argument (EINVAL)")]
    Inval,
    /// `ENOMEM`: no free slot although below `max_entries` (cannot happen with 2x slots).
    #[error("no free slot (ENOMEM)")]
    NoMem,
}

impl MapOpError {
    /// The positive errno.
    pub fn errno(self) -> u32 {
        match self {
            MapOpError::NoEnt => errno::ENOENT,
            MapOpError::Exists => errno::EEXIST,
            MapOpError::TooBig => errno::E2BIG,
            MapOpError::Inval => errno::EINVAL,
            MapOpError::NoMem => errno::ENOMEM,
        }
    }
}

/// Why a device refused an image or a run.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// No backend of that name.
    #[error("no device named `{0}` (available: {all})", all = crate::DEVICES.join(", "))]
    UnknownDevice(String),
    /// The backend does not have this capability (yet): says which.
    #[error("the {device} device cannot {what}")]
    Unsupported {
        /// The backend.
        device: &'static str,
        /// What it cannot do.
        what: &'static str,
    },
    /// `run` before `load`.
    #[error("no image loaded")]
    NoImage,
    /// The image header or sizes are wrong.
    #[error("bad image: {0}")]
    Image(ImageError),
    /// A word of the image is not an instruction.
    #[error("bad image: bundle {bundle} lane {lane}: {err}")]
    Decode {
        /// Bundle index.
        bundle: usize,
        /// Lane.
        lane: usize,
        /// The decoder's reason.
        err: DecodeError,
    },
    /// A bundle breaks the bundle rules.
    #[error("bad image: bundle {bundle}: {err}")]
    Bundle {
        /// Bundle index.
        bundle: usize,
        /// The rule broken.
        err: BundleError,
    },
    /// A branch or call leads outside the code.
    #[error("bad image: bundle {bundle} branches to {target}, outside the code")]
    BadTarget {
        /// Bundle index.
        bundle: usize,
        /// The target.
        target: usize,
    },
    /// A map operation failed.
    #[error("map #{map}: {err}")]
    Map {
        /// The map index.
        map: usize,
        /// Linux's error.
        err: MapOpError,
    },
    /// A frame shorter than an Ethernet header: no NIC hands one to XDP, and Linux's
    /// `BPF_PROG_TEST_RUN` refuses it too.
    #[error(
        "a {len}-byte frame is shorter than an Ethernet header (14 bytes) and never reaches XDP"
    )]
    Runt {
        /// Its length.
        len: usize,
    },
    /// Two devices run in lockstep disagree.
    #[error("the RTL and the model diverge: {what}")]
    Diverged {
        /// The bundle where they do, when it is one bundle.
        bundle: Option<u32>,
        /// Where and how.
        what: String,
    },
    /// The image's maps do not fit the device's map memory.
    #[error(
        "the {device} device has {capacity} bytes of map memory; this image's maps need {needed}"
    )]
    MapsTooLarge {
        /// Device name.
        device: &'static str,
        /// Bytes the maps need.
        needed: u64,
        /// Bytes the device has.
        capacity: u64,
    },
    /// The input does not fit the device's memory.
    #[error("input of {len} bytes exceeds the {region} region ({capacity} bytes)")]
    InputTooLarge {
        /// Input bytes.
        len: usize,
        /// Region name.
        region: &'static str,
        /// Its capacity.
        capacity: u32,
    },
}

/// How a program is entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Raw programs: `r1` = address of the memory, `r2` = its length (the bpf_conformance
    /// convention).
    Raw,
    /// XDP: `r1` = the context; the packet sits behind the device's headroom.
    Xdp {
        /// `xdp_md.ingress_ifindex`.
        ingress_ifindex: u32,
        /// `xdp_md.rx_queue_index`.
        rx_queue_index: u32,
    },
}

/// One run's input.
#[derive(Clone, Copy, Debug)]
pub struct RunInput<'a> {
    /// The memory (raw) or the packet (XDP).
    pub mem: &'a [u8],
    /// Watchdog: cycles before the run is aborted.
    pub budget: u64,
    /// How the program is entered.
    pub mode: Mode,
}

impl<'a> RunInput<'a> {
    /// Whether the input fits a device: a raw memory in the packet buffer, an XDP frame of at
    /// least an Ethernet header and at most `MAX_PACKET` bytes. Every device checks this first.
    ///
    /// # Errors
    /// [`DeviceError::Runt`] or [`DeviceError::InputTooLarge`].
    pub fn check(&self) -> Result<(), DeviceError> {
        use rvo_isa::region::{Region, MAX_PACKET, PACKET_BUFFER};
        const ETH_HLEN: usize = rvo_isa::helper::ETH_HLEN as usize;
        let len = self.mem.len();
        let xdp = matches!(self.mode, Mode::Xdp { .. });
        if xdp && len < ETH_HLEN {
            return Err(DeviceError::Runt { len });
        }
        let capacity = if xdp { MAX_PACKET } else { PACKET_BUFFER };
        if len > capacity as usize {
            return Err(DeviceError::InputTooLarge {
                len,
                region: Region::Packet.name(),
                capacity,
            });
        }
        Ok(())
    }

    /// A raw run over `mem` with the default watchdog.
    pub fn raw(mem: &'a [u8]) -> RunInput<'a> {
        RunInput {
            mem,
            budget: rvo_isa::region::DEFAULT_CYCLE_BUDGET,
            mode: Mode::Raw,
        }
    }

    /// An XDP run over one packet, received on interface 1 queue 0 (what Linux's
    /// `BPF_PROG_TEST_RUN` reports without a context).
    pub fn xdp(packet: &'a [u8]) -> RunInput<'a> {
        let mode = Mode::Xdp {
            ingress_ifindex: 1,
            rx_queue_index: 0,
        };
        RunInput {
            mem: packet,
            budget: rvo_isa::region::DEFAULT_CYCLE_BUDGET,
            mode,
        }
    }
}

/// Where an `XDP_REDIRECT` goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redirect {
    /// `bpf_redirect(ifindex)`.
    Ifindex(u32),
    /// `bpf_redirect_map(map, key)` into a devmap entry naming `ifindex`.
    Map {
        /// The devmap's index.
        map: u32,
        /// The entry.
        key: u32,
        /// The interface the entry names.
        ifindex: u32,
    },
}

/// Where a fault happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultAt {
    /// The fault.
    pub fault: Fault,
    /// Bundle executing.
    pub bundle: u32,
    /// Lane executing.
    pub lane: u8,
}

impl std::fmt::Display for FaultAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "bundle {} lane {}: {}",
            self.bundle, self.lane, self.fault
        )
    }
}

/// What a run produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    /// `r0` at exit (0 after a fault).
    pub r0: u64,
    /// The verdict (`XDP_ABORTED` after a fault).
    pub verdict: Verdict,
    /// The fault that ended the run, if one did.
    pub fault: Option<FaultAt>,
    /// Cycles taken.
    pub cycles: u64,
    /// Bundles issued.
    pub bundles: u64,
    /// Instructions executed (nops excluded).
    pub insns: u64,
    /// The memory after the run (XDP: the packet, `data..data_end`).
    pub mem: Vec<u8>,
    /// The redirect target recorded by the last redirect helper.
    pub redirect: Option<Redirect>,
    /// XDP metadata in front of the packet after the run (`data_meta..data`).
    pub meta: Vec<u8>,
}

/// The device's counters, as its status registers report them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Runs completed.
    pub runs: u64,
    /// Runs per verdict, indexed by `Verdict as usize`.
    pub verdicts: [u64; 5],
    /// Runs ended by a fault (also counted as aborted).
    pub faults: u64,
    /// Cycles spent.
    pub cycles: u64,
}

impl Counters {
    /// Account one run, as the device's counters do in hardware.
    pub fn record(&mut self, out: &RunOutcome) {
        self.runs += 1;
        self.verdicts[out.verdict as usize] += 1;
        self.faults += u64::from(out.fault.is_some());
        self.cycles += out.cycles;
    }
}

/// A backend that runs rvo images.
pub trait Device {
    /// The backend's name (`model`, `rtl`, ...).
    fn name(&self) -> &'static str;
    /// Load an image, replacing the previous one.
    ///
    /// # Errors
    /// When the image is malformed or exceeds the device.
    fn load(&mut self, image: &[u8]) -> Result<(), DeviceError>;
    /// Run the loaded image once.
    ///
    /// # Errors
    /// When nothing is loaded or the input does not fit. A program fault is not an error:
    /// it is part of the outcome, as on the hardware.
    fn run(&mut self, input: &RunInput<'_>) -> Result<RunOutcome, DeviceError>;
    /// The counters since the device was opened.
    fn counters(&self) -> Counters;
    /// The maps of the loaded image.
    fn maps(&self) -> Vec<MapDesc>;
    /// `BPF_MAP_LOOKUP_ELEM`: the value (for per-CPU maps: the device's CPU's value).
    ///
    /// # Errors
    /// Linux's errors, as [`DeviceError::Map`].
    fn map_lookup(&mut self, map: usize, key: &[u8]) -> Result<Option<Vec<u8>>, DeviceError>;
    /// `BPF_MAP_UPDATE_ELEM` with `BPF_ANY`/`BPF_NOEXIST`/`BPF_EXIST`.
    ///
    /// # Errors
    /// Linux's errors, as [`DeviceError::Map`].
    fn map_update(
        &mut self,
        map: usize,
        key: &[u8],
        value: &[u8],
        flags: u64,
    ) -> Result<(), DeviceError>;
    /// `BPF_MAP_DELETE_ELEM`.
    ///
    /// # Errors
    /// Linux's errors, as [`DeviceError::Map`].
    fn map_delete(&mut self, map: usize, key: &[u8]) -> Result<(), DeviceError>;
    /// `BPF_MAP_GET_NEXT_KEY`.
    ///
    /// # Errors
    /// Linux's errors, as [`DeviceError::Map`].
    fn map_next_key(
        &mut self,
        map: usize,
        key: Option<&[u8]>,
    ) -> Result<Option<Vec<u8>>, DeviceError>;
}
