//! Opening a device by name, the RTL included: `rvo-sim` knows only the model and must not
//! depend on the RTL, so the CLI joins them here.

pub use rvo_rtl;
use rvo_sim::{Device, DeviceError};
use std::path::PathBuf;

/// Every backend the CLI can open, by the name `--device` takes.
pub const DEVICES: &[&str] = &["model", "rtl", "lockstep"];

/// Open a backend by name: `rtl` is the Verilated core (`rvo-rtl`), `lockstep` the core and the
/// model run side by side (every run compared bundle by bundle), the rest `rvo_sim::open`.
///
/// # Errors
/// An unknown name, or `rtl` in a build without Verilator.
pub fn open_device(name: &str) -> Result<Box<dyn Device>, DeviceError> {
    open_device_traced(name, None)
}

/// As [`open_device`]; the RTL writes a VCD waveform of every cycle to `vcd` when given.
///
/// # Errors
/// As [`open_device`].
pub fn open_device_traced(
    name: &str,
    vcd: Option<PathBuf>,
) -> Result<Box<dyn Device>, DeviceError> {
    match name {
        "rtl" => rvo_rtl::RtlDevice::new(vcd)
            .map(|d| Box::new(d) as Box<dyn Device>)
            .map_err(|why| DeviceError::UnknownDevice(format!("rtl ({why})"))),
        "lockstep" => rvo_rtl::lockstep::LockstepDevice::new(vcd)
            .map(|d| Box::new(d) as Box<dyn Device>)
            .map_err(|why| DeviceError::UnknownDevice(format!("lockstep ({why})"))),
        other => {
            let dev = rvo_sim::open(other)?;
            if vcd.is_some() {
                return Err(DeviceError::Unsupported {
                    device: dev.name(),
                    what: "write a waveform (--trace needs --device rtl)",
                });
            }
            Ok(dev)
        }
    }
}
