//! `rvo-devsim`: rvo's device as a PCI function for QEMU.
//!
//! QEMU's `ivshmem-doorbell` (1af4:1110) connects to this process as its ivshmem server
//! ([`ivshmem`]); BAR2 becomes the shared memory in which the device contract of
//! `rvo_isa::contract` lives, doorbells arrive on eventfds and MSI-X goes back on eventfds.
//! [`device::DevSim`] serves the contract with the ISA model (`rvo_sim::IsaModel`) as the core,
//! plus a wire: frames from pcap captures run through the loaded program; `XDP_PASS` goes up
//! to the host through the RX ring, `XDP_TX`/`XDP_REDIRECT` and host transmits go to a pcap.
//!
//! Architecture invariant: like every device, it never calls the compiler; it takes the image
//! bytes the host driver compiled.

pub mod device;
pub mod ivshmem;
pub mod server;

pub use device::{DevSim, Frame, Shm, Signals};
