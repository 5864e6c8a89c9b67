//! The rvo instruction set architecture: the single definition of the core.
//!
//! Everything that must agree between the compiler, the model, the RTL, the driver and the
//! documentation lives here: the instruction table ([`for_each_insn!`]), word encoding
//! ([`Insn`]), bundle rules ([`check_bundle`]), the address space and device limits
//! ([`Region`]), the image format ([`ImageHeader`]) and the ways a run can end ([`Fault`]).
//!
//! Architecture invariant: this crate knows nothing about eBPF, ELF or any device; it has no
//! dependencies (bytemuck only behind the user-space `bytemuck` feature) and never allocates,
//! because the kernel module compiles it as it is.
#![no_std]
#![deny(missing_docs)]

#[cfg(test)]
extern crate std;

mod table;

pub mod bundle;
pub mod contract;
pub mod fault;
pub mod helper;
pub mod image;
pub mod insn;
pub mod maps;
pub mod region;

pub use bundle::{bundle_cycles, check_bundle, BundleError};
pub use fault::{Fault, Verdict};
pub use helper::Helper;
pub use image::{ImageError, ImageHeader, ImageView, HEADER_LEN, IMAGE_MAGIC, IMAGE_VERSION};
pub use insn::{DecodeError, Format, Insn, Opcode, Reg, Unit, FP, NUM_REGS};
pub use maps::{MapDesc, MapType};
pub use region::Region;
