//! rvo devices: everything that can run an image.
//!
//! [`Device`] is the contract every backend serves: the ISA model here, later the Verilator
//! RTL, the PCIe device and the ULX3S board. Tests and the CLI are written against the trait,
//! so the same program runs on any backend with `--device NAME`.
//!
//! Architecture invariant: devices never call the compiler; they take image bytes, exactly as
//! the hardware does.

mod device;
pub mod model;

pub use device::{
    Counters, Device, DeviceError, FaultAt, MapOpError, Mode, Redirect, RunInput, RunOutcome,
};
pub use model::IsaModel;

/// The backends this build can open, by the name `--device` takes.
pub const DEVICES: &[&str] = &["model"];

/// Open a backend by name.
///
/// # Errors
/// When the name is not one of [`DEVICES`].
pub fn open(name: &str) -> Result<Box<dyn Device>, DeviceError> {
    match name {
        "model" => Ok(Box::new(IsaModel::new())),
        other => Err(DeviceError::UnknownDevice(other.to_string())),
    }
}
