//! The device contract, as Rust types.

use rvo_isa::{BundleError, DecodeError, Fault, ImageError, Verdict};

/// Why a device refused an image or a run.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// No backend of that name.
    #[error("no device named `{0}` (available: {all})", all = crate::DEVICES.join(", "))]
    UnknownDevice(String),
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

/// One run's input: raw programs get `r1` = address of `mem`, `r2` = its length (the
/// bpf_conformance convention).
#[derive(Clone, Copy, Debug)]
pub struct RunInput<'a> {
    /// Memory placed in the packet region.
    pub mem: &'a [u8],
    /// Watchdog: cycles before the run is aborted.
    pub budget: u64,
}

impl<'a> RunInput<'a> {
    /// A raw run over `mem` with the default watchdog.
    pub fn raw(mem: &'a [u8]) -> RunInput<'a> {
        RunInput {
            mem,
            budget: rvo_isa::region::DEFAULT_CYCLE_BUDGET,
        }
    }
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
    /// The memory after the run.
    pub mem: Vec<u8>,
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
}
