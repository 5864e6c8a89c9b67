//! The ivshmem server protocol (revision 0), as QEMU's `ivshmem-doorbell` speaks it.
//!
//! The server sends 8-byte little-endian integers over a UNIX stream socket, some with one file
//! descriptor attached (SCM_RIGHTS): the protocol version (0), the client's peer id, `-1` with
//! the shared memory (a memfd), then for every peer, that peer's id once per vector with one
//! eventfd each. The client's own eventfds become its MSI-X vectors (the server writes them to
//! interrupt the guest); the other peers' eventfds are what the guest's doorbell writes.
//!
//! Here there is exactly one other peer, the device (peer [`DEVICE_PEER`]), and one guest at a
//! time (peer [`GUEST_PEER`]).

use nix::sys::eventfd::{EfdFlags, EventFd};
use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags};
use rvo_isa::contract::{DEVICE_PEER, VECTORS};
use std::fs::File;
use std::io::IoSlice;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;

/// Peer id given to the QEMU guest.
pub const GUEST_PEER: u32 = 1;
/// Protocol revision.
pub const PROTOCOL_VERSION: i64 = 0;

/// The eventfds of one connection: doorbells (guest to device) and MSI-X (device to guest).
pub struct Vectors {
    /// The guest's doorbell writes to the device, one per vector.
    pub doorbell: Vec<EventFd>,
    /// The device's interrupts to the guest, one per vector.
    pub msix: Vec<EventFd>,
}

impl Vectors {
    /// Fresh non-blocking eventfds for [`VECTORS`] vectors each way.
    ///
    /// # Errors
    /// When eventfds cannot be created.
    pub fn new() -> nix::Result<Vectors> {
        let mk =
            || EventFd::from_value_and_flags(0, EfdFlags::EFD_NONBLOCK | EfdFlags::EFD_CLOEXEC);
        Ok(Vectors {
            doorbell: (0..VECTORS).map(|_| mk()).collect::<nix::Result<_>>()?,
            msix: (0..VECTORS).map(|_| mk()).collect::<nix::Result<_>>()?,
        })
    }

    /// Raise MSI-X `vector` in the guest.
    pub fn interrupt(&self, vector: u32) {
        if let Some(fd) = self.msix.get(vector as usize) {
            // A full counter (2^64 - 2 pending) still interrupts; nothing to do on error.
            let _ = fd.write(1);
        }
    }

    /// Clear doorbell `vector`; whether it had rung.
    pub fn take_doorbell(&self, vector: u32) -> bool {
        self.doorbell
            .get(vector as usize)
            .is_some_and(|fd| fd.read().is_ok_and(|n| n > 0))
    }
}

fn send(sock: &UnixStream, value: i64, fd: Option<&dyn AsRawFd>) -> std::io::Result<()> {
    let bytes = value.to_le_bytes();
    let iov = [IoSlice::new(&bytes)];
    let fds = fd.map(|f| [f.as_raw_fd()]);
    let cmsg: Vec<ControlMessage<'_>> = fds.iter().map(|f| ControlMessage::ScmRights(f)).collect();
    sendmsg::<nix::sys::socket::UnixAddr>(sock.as_raw_fd(), &iov, &cmsg, MsgFlags::empty(), None)?;
    Ok(())
}

/// Greet a new client: version, its id, the shared memory, the device's doorbell eventfds,
/// then its own (MSI-X) eventfds.
///
/// # Errors
/// When the socket fails.
pub fn handshake(sock: &UnixStream, shm: &File, vectors: &Vectors) -> std::io::Result<()> {
    send(sock, PROTOCOL_VERSION, None)?;
    send(sock, GUEST_PEER.into(), None)?;
    send(sock, -1, Some(shm))?;
    for fd in &vectors.doorbell {
        send(sock, DEVICE_PEER.into(), Some(&fd.as_fd()))?;
    }
    for fd in &vectors.msix {
        send(sock, GUEST_PEER.into(), Some(&fd.as_fd()))?;
    }
    Ok(())
}

/// A memfd of `size` bytes, the shared memory.
///
/// # Errors
/// When the memfd cannot be created or sized.
pub fn shared_memory(size: usize) -> std::io::Result<File> {
    let fd: OwnedFd =
        nix::sys::memfd::memfd_create(c"rvo-devsim-bar2", nix::sys::memfd::MFdFlags::MFD_CLOEXEC)?;
    let file = File::from(fd);
    file.set_len(size as u64)?;
    Ok(file)
}
