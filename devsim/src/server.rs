//! The event loop: one QEMU guest at a time, doorbells in, MSI-X out.

use crate::device::{DevSim, Shm};
use crate::ivshmem::{handshake, Vectors};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use rvo_isa::contract::{DOORBELL_CMD, DOORBELL_TX, MSIX_CMD, MSIX_RX};
use std::fs::File;
use std::os::fd::AsFd;
use std::os::unix::net::{UnixListener, UnixStream};

/// Serve guests on `listener` forever (or until `stop` says so after a guest leaves), with
/// `shm` as BAR2. `after_event` runs after every doorbell (to flush outputs).
///
/// # Errors
/// When the listener fails.
pub fn serve(
    listener: &UnixListener,
    shm: &File,
    dev: &mut DevSim,
    mut after_event: impl FnMut(&mut DevSim),
    mut stop: impl FnMut() -> bool,
) -> std::io::Result<()> {
    loop {
        let (sock, _) = listener.accept()?;
        let vectors = Vectors::new()?;
        dev.reset(shm);
        if let Err(e) = handshake(&sock, shm, &vectors) {
            eprintln!("rvo-devsim: handshake failed: {e}");
            continue;
        }
        if dev.verbose {
            eprintln!("rvo-devsim: guest connected");
        }
        serve_guest(&sock, shm, &vectors, dev, &mut after_event)?;
        if dev.verbose {
            eprintln!("rvo-devsim: guest left");
        }
        after_event(dev);
        if stop() {
            return Ok(());
        }
    }
}

/// Serve one connected guest until it hangs up.
///
/// # Errors
/// When polling fails.
pub fn serve_guest(
    sock: &UnixStream,
    shm: &dyn Shm,
    vectors: &Vectors,
    dev: &mut DevSim,
    after_event: &mut impl FnMut(&mut DevSim),
) -> std::io::Result<()> {
    loop {
        let mut fds = [
            PollFd::new(sock.as_fd(), PollFlags::POLLIN),
            PollFd::new(
                vectors.doorbell[DOORBELL_CMD as usize].as_fd(),
                PollFlags::POLLIN,
            ),
            PollFd::new(
                vectors.doorbell[DOORBELL_TX as usize].as_fd(),
                PollFlags::POLLIN,
            ),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
        let hup = fds[0].revents().is_some_and(|r| {
            r.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR)
        });
        if hup {
            // The client never sends after the handshake: readable means closed.
            return Ok(());
        }
        if vectors.take_doorbell(DOORBELL_TX) {
            dev.transmit(shm);
        }
        if vectors.take_doorbell(DOORBELL_CMD) {
            let s = dev.command(shm);
            if s.rx {
                vectors.interrupt(MSIX_RX);
            }
            if s.cmd_done {
                vectors.interrupt(MSIX_CMD);
            }
        }
        after_event(dev);
    }
}
