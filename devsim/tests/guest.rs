//! A fake guest drives `rvo-devsim` through the real ivshmem protocol: it connects to the
//! socket, takes the shared memory and eventfds, writes commands into BAR2 and rings the
//! doorbell, and waits for MSI-X, as the kernel driver does. No QEMU involved.
#![allow(unsafe_code)]

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags, UnixAddr};
use rvo_compiler::ebpf::Insn;
use rvo_compiler::{compile_input, Input, Options};
use rvo_devsim::device::Shm;
use rvo_devsim::{server, DevSim};
use rvo_isa::contract::*;
use rvo_isa::maps::MapDesc;
use std::fs::File;
use std::io::{IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::Duration;

struct Guest {
    _sock: UnixStream,
    shm: File,
    doorbell: Vec<File>,
    msix: Vec<File>,
    seq: u32,
}

fn recv(sock: &UnixStream) -> (i64, Option<OwnedFd>) {
    let mut b = [0u8; 8];
    let mut iov = [IoSliceMut::new(&mut b)];
    let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let msg = recvmsg::<UnixAddr>(
        sock.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::empty(),
    )
    .expect("recvmsg");
    let mut fd = None;
    for c in msg.cmsgs().expect("cmsgs") {
        if let ControlMessageOwned::ScmRights(fds) = c {
            // SAFETY: the kernel just gave us these descriptors; nothing else owns them.
            fd = fds.first().map(|&f| unsafe { OwnedFd::from_raw_fd(f) });
        }
    }
    (i64::from_le_bytes(b), fd)
}

impl Guest {
    fn connect(path: &std::path::Path) -> Guest {
        let sock = UnixStream::connect(path).expect("connect");
        assert_eq!(recv(&sock).0, 0, "protocol version");
        assert_eq!(recv(&sock).0, 1, "our peer id");
        let (m, shm) = recv(&sock);
        assert_eq!(m, -1);
        let shm = File::from(shm.expect("shm fd"));
        let (mut doorbell, mut msix) = (Vec::new(), Vec::new());
        for _ in 0..2 * VECTORS {
            let (peer, fd) = recv(&sock);
            let f = File::from(fd.expect("eventfd"));
            if peer == DEVICE_PEER as i64 {
                doorbell.push(f);
            } else {
                msix.push(f);
            }
        }
        assert_eq!((doorbell.len(), msix.len()), (2, 2));
        Guest {
            _sock: sock,
            shm,
            doorbell,
            msix,
            seq: 0,
        }
    }

    fn ring(&mut self, vector: u32) {
        self.doorbell[vector as usize]
            .write_all(&1u64.to_ne_bytes())
            .expect("doorbell");
    }

    fn wait_irq(&mut self, vector: u32) -> bool {
        let f = &mut self.msix[vector as usize];
        let mut fds = [PollFd::new(f.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(5000u16)).expect("poll") == 0 {
            return false;
        }
        let mut b = [0u8; 8];
        f.read_exact(&mut b).expect("msix read");
        true
    }

    /// Submit a command as the driver does; its status.
    fn cmd(
        &mut self,
        op: Op,
        handle: u32,
        args: &[u32],
        key: &[u8],
        value: &[u8],
        flags: u32,
    ) -> i32 {
        let s = &self.shm;
        s.set_u32(mailbox::OP, op as u32);
        s.set_u32(mailbox::HANDLE, handle);
        for (i, a) in args.iter().enumerate() {
            s.set_u32(mailbox::ARGS + 4 * i, *a);
        }
        s.write(layout::KEY, key);
        s.set_u32(mailbox::KEY_LEN, key.len() as u32);
        s.write(layout::VALUE, value);
        s.set_u32(mailbox::VALUE_LEN, value.len() as u32);
        s.set_u32(mailbox::FLAGS, flags);
        self.seq += 1;
        s.set_u32(mailbox::SEQ, self.seq);
        self.ring(DOORBELL_CMD);
        assert!(self.wait_irq(MSIX_CMD), "no completion for {}", op.name());
        assert_eq!(self.shm.u32(mailbox::DONE), self.seq);
        self.shm.u32(mailbox::STATUS) as i32
    }

    fn counter(&self, i: usize) -> u64 {
        self.shm.u64(layout::COUNTERS + 8 * i)
    }
}

/// `v = counters[0]; return v ? XDP_DROP : XDP_PASS`.
fn map_program() -> Vec<Insn> {
    vec![
        Insn::new(0x18, 1, 1, 0, 0), // r1 = map 0
        Insn::new(0, 0, 0, 0, 0),
        Insn::new(0x62, 10, 0, -4, 0), // *(u32 *)(r10 - 4) = 0
        Insn::new(0xbf, 2, 10, 0, 0),  // r2 = r10
        Insn::new(0x07, 2, 0, 0, -4),  // r2 += -4
        Insn::new(0x85, 0, 0, 0, 1),   // call bpf_map_lookup_elem
        Insn::new(0x15, 0, 0, 2, 0),   // if r0 == 0 goto pass
        Insn::new(0x61, 1, 0, 0, 0),   // r1 = *(u32 *)(r0 + 0)
        Insn::new(0x55, 1, 0, 2, 0),   // if r1 != 0 goto drop
        Insn::new(0xb7, 0, 0, 0, 2),   // pass: r0 = XDP_PASS
        Insn::new(0x95, 0, 0, 0, 0),
        Insn::new(0xb7, 0, 0, 0, 1), // drop: r0 = XDP_DROP
        Insn::new(0x95, 0, 0, 0, 0),
    ]
}

fn write_capture(path: &std::path::Path, n: usize) {
    let frames: Vec<rvo_devsim::Frame> = (0..n)
        .map(|i| rvo_devsim::Frame {
            timestamp: Duration::from_secs(i as u64),
            data: vec![i as u8; 60],
        })
        .collect();
    rvo_devsim::device::write_pcap(path, &frames).expect("pcap");
}

#[test]
fn guest_drives_the_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock_path = dir.path().join("ivshmem.sock");
    write_capture(&dir.path().join("three.pcap"), 3);
    let listener = UnixListener::bind(&sock_path).expect("bind");
    let shm = rvo_devsim::ivshmem::shared_memory(SHM_SIZE).expect("memfd");
    let wire = dir.path().to_path_buf();
    let server = std::thread::spawn(move || {
        let mut dev = DevSim::new(2, Some(wire));
        server::serve(&listener, &shm, &mut dev, |_| {}, || true).expect("serve");
        // The device stays in its thread (a Verilated core is not `Send`); its transmissions
        // come back.
        (dev.xmit_out.clone(), dev.counters().host_tx)
    });

    let mut g = Guest::connect(&sock_path);
    assert_eq!(g.shm.read_vec(0, 4), SIGNATURE);
    assert_eq!(g.shm.u32(4), CONTRACT_VERSION);
    let lanes = g
        .shm
        .u32(layout::IDENTITY + core::mem::offset_of!(Identity, lanes));
    assert_eq!(lanes, 2);
    assert_eq!(g.cmd(Op::Nop, 0, &[], &[], &[], 0), 0);

    // An array map, and Linux's errors on it.
    let (enoent, e2big, eexist, einval) = (-2, -7, -17, -22);
    assert_eq!(g.cmd(Op::MapCreate, 0, &[2, 4, 4, 4, 0], &[], &[], 0), 0);
    let arr = g.shm.u32(mailbox::RESULT);
    assert_eq!(
        g.cmd(
            Op::MapUpdate,
            arr,
            &[],
            &1u32.to_le_bytes(),
            &7u32.to_le_bytes(),
            0
        ),
        0
    );
    assert_eq!(
        g.cmd(Op::MapLookup, arr, &[], &1u32.to_le_bytes(), &[], 0),
        0
    );
    assert_eq!(g.shm.read_vec(layout::VALUE, 4), 7u32.to_le_bytes());
    assert_eq!(
        g.cmd(Op::MapUpdate, arr, &[], &9u32.to_le_bytes(), &[0; 4], 0),
        e2big
    );
    assert_eq!(
        g.cmd(Op::MapUpdate, arr, &[], &1u32.to_le_bytes(), &[0; 4], 1),
        eexist
    );
    assert_eq!(
        g.cmd(Op::MapLookup, arr, &[], &9u32.to_le_bytes(), &[], 0),
        enoent
    );
    assert_eq!(
        g.cmd(Op::MapDelete, arr, &[], &1u32.to_le_bytes(), &[], 0),
        einval
    );
    assert_eq!(
        g.cmd(Op::MapNextKey, arr, &[1], &3u32.to_le_bytes(), &[], 0),
        enoent
    );
    assert_eq!(g.cmd(Op::MapNextKey, arr, &[0], &[], &[], 0), 0);
    assert_eq!(g.shm.read_vec(layout::VALUE, 4), 0u32.to_le_bytes());
    assert_eq!(
        g.cmd(Op::MapCreate, 0, &[2, 4, 0, 4, 0], &[], &[], 0),
        einval
    );
    assert_eq!(
        g.cmd(Op::MapCreate, 0, &[27, 0, 0, 4096, 0], &[], &[], 0),
        -95
    );

    // A hash map.
    assert_eq!(g.cmd(Op::MapCreate, 0, &[1, 8, 8, 2, 0], &[], &[], 0), 0);
    let hash = g.shm.u32(mailbox::RESULT);
    assert_eq!(g.cmd(Op::MapDelete, hash, &[], &[1; 8], &[], 0), enoent);
    assert_eq!(g.cmd(Op::MapUpdate, hash, &[], &[1; 8], &[2; 8], 2), enoent);
    assert_eq!(g.cmd(Op::MapUpdate, hash, &[], &[1; 8], &[2; 8], 0), 0);
    assert_eq!(g.cmd(Op::MapUpdate, hash, &[], &[2; 8], &[2; 8], 0), 0);
    assert_eq!(g.cmd(Op::MapUpdate, hash, &[], &[3; 8], &[2; 8], 0), e2big);
    assert_eq!(g.cmd(Op::MapDelete, hash, &[], &[2; 8], &[], 0), 0);

    // Wire before a program: refused.
    assert_eq!(g.cmd(Op::WireRun, 0, &[1], b"three\0", &[], 0), -19);

    // Load a program using the array (index 0 is 0: pass).
    let desc = MapDesc {
        map_type: 2,
        key_size: 4,
        value_size: 4,
        max_entries: 4,
        ..MapDesc::default()
    };
    let prog = map_program();
    let input = Input {
        insns: &prog,
        programs: &[],
        maps: &[desc],
        map_init: &[],
    };
    let c = compile_input(
        &input,
        &Options {
            lanes: 2,
            optimize: true,
        },
    )
    .expect("compile");
    g.shm.write(layout::IMAGE, &c.image);
    g.shm.set_u32(mailbox::MAPS, arr);
    assert_eq!(
        g.cmd(Op::Load, 0, &[c.image.len() as u32, 1], &[], &[], 0),
        0
    );
    // The value written before the load is there.
    assert_eq!(
        g.cmd(Op::MapLookup, arr, &[], &1u32.to_le_bytes(), &[], 0),
        0
    );
    assert_eq!(g.shm.read_vec(layout::VALUE, 4), 7u32.to_le_bytes());

    assert_eq!(g.cmd(Op::WireRun, 0, &[1], b"three\0", &[], 0), 0);
    assert_eq!(g.shm.u32(mailbox::RESULT), 3);
    assert!(g.wait_irq(MSIX_RX), "RX interrupt");
    assert_eq!(g.shm.u32(rings::RX_HEAD), 3);
    assert_eq!(g.shm.u32(rx_slot(1)), 60);
    assert_eq!(g.shm.read_vec(rx_slot(1) + SLOT_DATA, 60), vec![1u8; 60]);
    g.shm.set_u32(rings::RX_TAIL, 3);
    assert_eq!((g.counter(0), g.counter(3)), (3, 3), "runs, pass");
    assert_eq!(
        (
            g.shm.u64(counters::HOST_RX),
            g.shm.u64(counters::HOST_RX_BYTES)
        ),
        (3, 180),
        "host_rx, host_rx_bytes"
    );

    // Drop from now on; the program's map is the host's map.
    assert_eq!(
        g.cmd(
            Op::MapUpdate,
            arr,
            &[],
            &0u32.to_le_bytes(),
            &1u32.to_le_bytes(),
            0
        ),
        0
    );
    assert_eq!(g.cmd(Op::WireRun, 0, &[1], b"three\0", &[], 0), 0);
    assert_eq!(
        (g.counter(0), g.counter(2), g.counter(3)),
        (6, 3, 3),
        "runs, drop, pass"
    );
    assert_eq!(g.cmd(Op::WireRun, 0, &[1], b"nope\0", &[], 0), enoent);

    // A bad image is refused with a reason.
    assert_eq!(g.cmd(Op::Load, 0, &[16, 0], &[], &[], 0), einval);
    let msg = g.shm.read_vec(layout::MSG, 64);
    assert!(
        msg.starts_with(b"bad image"),
        "{:?}",
        String::from_utf8_lossy(&msg)
    );
    // ... and the loaded program stays.
    assert_eq!(g.cmd(Op::WireRun, 0, &[1], b"three\0", &[], 0), 0);
    assert_eq!(g.counter(2), 6, "drop");

    // Unload keeps the map's contents.
    assert_eq!(g.cmd(Op::Unload, 0, &[], &[], &[], 0), 0);
    assert_eq!(
        g.cmd(Op::MapLookup, arr, &[], &0u32.to_le_bytes(), &[], 0),
        0
    );
    assert_eq!(g.shm.read_vec(layout::VALUE, 4), 1u32.to_le_bytes());
    assert_eq!(g.cmd(Op::MapFree, arr, &[], &[], &[], 0), 0);
    assert_eq!(
        g.cmd(Op::MapLookup, arr, &[], &0u32.to_le_bytes(), &[], 0),
        einval
    );

    // Host transmit.
    let slot = tx_slot(0);
    g.shm.set_u32(slot, 42);
    g.shm.write(slot + SLOT_DATA, &[9; 42]);
    g.shm.set_u32(rings::TX_HEAD, 1);
    g.ring(DOORBELL_TX);
    // The next command is served after the transmit.
    assert_eq!(g.cmd(Op::Nop, 0, &[], &[], &[], 0), 0);
    assert_eq!(g.shm.u32(rings::TX_TAIL), 1);
    assert_eq!(
        (
            g.shm.u64(counters::HOST_TX),
            g.shm.u64(counters::WIRE_TX),
            g.shm.u64(counters::WIRE_TX_BYTES)
        ),
        (1, 1, 42),
        "host_tx, wire_tx, wire_tx_bytes"
    );

    drop(g);
    let (xmit_out, host_tx) = server.join().expect("server thread");
    assert_eq!(xmit_out.len(), 1);
    assert_eq!(xmit_out[0].data, vec![9; 42]);
    assert_eq!(host_tx, 1);
}
