//! How a run ends: verdicts and faults, as the device reports them.

use crate::region::Region;
use core::fmt;

/// XDP verdicts (the values of Linux's `enum xdp_action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Verdict {
    /// `XDP_ABORTED`: a program error; the packet is dropped and counted.
    Aborted = 0,
    /// `XDP_DROP`.
    Drop = 1,
    /// `XDP_PASS`.
    Pass = 2,
    /// `XDP_TX`.
    Tx = 3,
    /// `XDP_REDIRECT`.
    Redirect = 4,
}

impl Verdict {
    /// The verdict a program's `r0` means; Linux treats unknown values as aborted.
    pub const fn from_r0(r0: u64) -> Verdict {
        match r0 {
            1 => Verdict::Drop,
            2 => Verdict::Pass,
            3 => Verdict::Tx,
            4 => Verdict::Redirect,
            _ => Verdict::Aborted,
        }
    }

    /// Linux's name, as `ip` and `bpftool` print it.
    pub const fn name(self) -> &'static str {
        match self {
            Verdict::Aborted => "XDP_ABORTED",
            Verdict::Drop => "XDP_DROP",
            Verdict::Pass => "XDP_PASS",
            Verdict::Tx => "XDP_TX",
            Verdict::Redirect => "XDP_REDIRECT",
        }
    }
}

/// Why the hardware stopped a run early. Every fault yields `XDP_ABORTED` and bumps the
/// device's abort counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// An access outside its region (or through an address with no region).
    OutOfBounds {
        /// The address accessed.
        addr: u64,
        /// Access size in bytes.
        size: u8,
        /// The region the tag named, if any.
        region: Option<Region>,
    },
    /// A store to a read-only region (the context).
    ReadOnly {
        /// The address written.
        addr: u64,
    },
    /// The cycle budget ran out.
    Watchdog {
        /// The budget that was exceeded.
        budget: u64,
    },
    /// A call deeper than the hardware call stack, or frames larger than the stack.
    CallStackOverflow,
    /// `ret` with an empty call stack.
    ReturnWithoutCall,
    /// Execution reached a bundle outside the code.
    PcOutOfRange(u32),
    /// A helper unit the device does not have.
    UnknownHelper(i32),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::OutOfBounds {
                addr,
                size,
                region: Some(r),
            } => {
                write!(
                    f,
                    "{size}-byte access at {addr:#x} is outside the {} region",
                    r.name()
                )
            }
            Fault::OutOfBounds {
                addr,
                size,
                region: None,
            } => {
                write!(f, "{size}-byte access at {addr:#x} names no memory region")
            }
            Fault::ReadOnly { addr } => write!(f, "store to read-only address {addr:#x}"),
            Fault::Watchdog { budget } => write!(f, "cycle budget of {budget} exceeded"),
            Fault::CallStackOverflow => write!(f, "call stack overflow"),
            Fault::ReturnWithoutCall => write!(f, "return with an empty call stack"),
            Fault::PcOutOfRange(pc) => write!(f, "execution left the code at bundle {pc}"),
            Fault::UnknownHelper(id) => write!(f, "no helper unit {id}"),
        }
    }
}
