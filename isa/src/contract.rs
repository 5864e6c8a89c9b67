//! The device contract: how a host driver talks to an rvo device over shared memory.
//!
//! The device is a PCI function whose BAR2 is a window of [`SHM_SIZE`] bytes (on QEMU:
//! `ivshmem-doorbell` 1af4:1110, the memory a host process such as `rvo-devsim` serves; on
//! the board: the FPGA's BAR). BAR0 holds the doorbell register ([`DOORBELL_REG`]): the host
//! writes `peer << 16 | vector` there to signal the device. The device signals the host by
//! MSI-X. Everything else is in BAR2, little-endian, at the offsets of [`layout`]:
//!
//! * [`Identity`]: the signature `"RVO\0"`, the contract version and the device's limits,
//!   which are exactly the limits of this crate ([`crate::region`], [`crate::maps`]).
//! * [`Mailbox`]: one command at a time (load an image, map operations, wire control). The
//!   host fills the arguments and buffers, writes a new `seq`, rings [`DOORBELL_CMD`]; the device
//!   executes, writes `status` (0 or a negative Linux errno), then `done = seq`, and raises
//!   [`MSIX_CMD`].
//! * [`DeviceCounters`]: per-verdict, fault, cycle, frame and byte counters, written by the
//!   device.
//! * Two frame rings of [`RING_SLOTS`] slots ([`RingIndexes`], [`SlotHeader`]): RX carries the
//!   frames the program passed (`XDP_PASS`) from the wire up to the host (device produces,
//!   [`MSIX_RX`] announces); TX carries frames the host transmits down to the wire (host
//!   produces, [`DOORBELL_TX`] announces).
//!
//! What this contract does not do: DMA (all data goes through BAR2), several programs at once
//! (one image is loaded at a time), more than one command in flight.

use crate::maps::{MapType, MAX_MAPS};
use crate::region::{IMEM_BUNDLES, MAP_MEMORY, MAX_LANES, MAX_PACKET, PACKET_BUFFER, STACK_SIZE};
use core::fmt;
use core::mem::{offset_of, size_of};

/// The first four bytes of BAR2.
pub const SIGNATURE: [u8; 4] = *b"RVO\0";
/// Contract version; bumped on any incompatible change.
pub const CONTRACT_VERSION: u32 = 1;
/// Bytes of BAR2 (a power of two, as ivshmem requires).
pub const SHM_SIZE: usize = 2 << 20;
/// PCI vendor of the QEMU transport (`ivshmem`).
pub const PCI_VENDOR: u16 = 0x1af4;
/// PCI device of the QEMU transport (`ivshmem-doorbell`).
pub const PCI_DEVICE: u16 = 0x1110;
/// Byte offset in BAR0 of the doorbell register (`peer << 16 | vector`).
pub const DOORBELL_REG: usize = 12;
/// Byte offset in BAR0 of the host's own peer number (read-only).
pub const IVPOSITION_REG: usize = 8;
/// Peer number of the device (the ivshmem server's first peer).
pub const DEVICE_PEER: u32 = 0;
/// Doorbell vector: a command is waiting in the mailbox.
pub const DOORBELL_CMD: u32 = 0;
/// Doorbell vector: frames are waiting in the TX ring.
pub const DOORBELL_TX: u32 = 1;
/// MSI-X vector: the command in the mailbox is done.
pub const MSIX_CMD: u32 = 0;
/// MSI-X vector: frames are waiting in the RX ring.
pub const MSIX_RX: u32 = 1;
/// Vectors in each direction.
pub const VECTORS: u32 = 2;

/// Slots per frame ring.
pub const RING_SLOTS: u32 = 64;
/// Bytes per ring slot, header included.
pub const SLOT_SIZE: u32 = 4096;
/// Bytes of the key buffer.
pub const KEY_BUF: u32 = 4096;
/// Bytes of the value buffer (the largest value the map engines take).
pub const VALUE_BUF: u32 = 65536;
/// Bytes of the message buffer (a NUL-terminated reason for a failed command).
pub const MSG_BUF: u32 = 1024;
/// Bytes of the image buffer: the largest image (header, four-lane code filling instruction
/// memory, a full map table, entries) with room for initial data.
pub const IMAGE_BUF: u32 = 512 * 1024;

/// Byte offsets in BAR2.
pub mod layout {
    use super::*;
    /// [`Identity`].
    pub const IDENTITY: usize = 0x0;
    /// [`Mailbox`].
    pub const MAILBOX: usize = 0x100;
    /// [`DeviceCounters`].
    pub const COUNTERS: usize = 0x400;
    /// [`RingIndexes`].
    pub const RINGS: usize = 0x500;
    /// Key buffer ([`KEY_BUF`] bytes).
    pub const KEY: usize = 0x1000;
    /// Message buffer ([`MSG_BUF`] bytes).
    pub const MSG: usize = KEY + KEY_BUF as usize;
    /// Value buffer ([`VALUE_BUF`] bytes).
    pub const VALUE: usize = 0x4000;
    /// Image buffer ([`IMAGE_BUF`] bytes).
    pub const IMAGE: usize = VALUE + VALUE_BUF as usize;
    /// RX ring: device to host ([`RING_SLOTS`] slots of [`SLOT_SIZE`]).
    pub const RX_RING: usize = IMAGE + IMAGE_BUF as usize;
    /// TX ring: host to device.
    pub const TX_RING: usize = RX_RING + (RING_SLOTS * SLOT_SIZE) as usize;
    /// End of the used part of BAR2.
    pub const END: usize = TX_RING + (RING_SLOTS * SLOT_SIZE) as usize;
}

const _: () = {
    assert!(layout::MAILBOX >= size_of::<Identity>());
    assert!(layout::COUNTERS >= layout::MAILBOX + size_of::<Mailbox>());
    assert!(layout::RINGS >= layout::COUNTERS + size_of::<DeviceCounters>());
    assert!(layout::KEY >= layout::RINGS + size_of::<RingIndexes>());
    assert!(layout::MSG + MSG_BUF as usize <= layout::VALUE);
    assert!(layout::END <= SHM_SIZE);
    assert!(SLOT_SIZE as usize >= size_of::<SlotHeader>() + MAX_PACKET as usize);
    assert!(IMAGE_BUF as usize >= 32 + IMEM_BUNDLES * MAX_LANES * 8 + 8 + MAX_MAPS * 36);
    assert!(KEY_BUF >= 512 && VALUE_BUF >= 65536);
};

/// Identity and limits, at [`layout::IDENTITY`]. Written once by the device before the host
/// probes; read-only for the host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Identity {
    /// [`SIGNATURE`].
    pub signature: [u8; 4],
    /// [`CONTRACT_VERSION`].
    pub version: u32,
    /// Which implementation serves the contract ([`DeviceKind`]).
    pub device_kind: u32,
    /// Lanes of the core: images must be scheduled for exactly this many.
    pub lanes: u32,
    /// Instruction memory in bundles ([`IMEM_BUNDLES`]).
    pub imem_bundles: u32,
    /// Bytes of map memory ([`MAP_MEMORY`]).
    pub map_memory: u32,
    /// Bytes of the packet buffer, headroom included ([`PACKET_BUFFER`]).
    pub packet_buffer: u32,
    /// Largest frame the device runs ([`MAX_PACKET`]).
    pub max_packet: u32,
    /// Most maps one image may use ([`MAX_MAPS`]).
    pub max_maps: u32,
    /// Bytes of stack ([`STACK_SIZE`]).
    pub stack_size: u32,
    /// Bit `n` set: the device has an engine for Linux map type `n` ([`map_type_mask`]).
    pub map_types: u32,
    /// [`IMAGE_BUF`].
    pub image_buf: u32,
    /// [`RING_SLOTS`].
    pub ring_slots: u32,
    /// [`SLOT_SIZE`].
    pub slot_size: u32,
    /// [`VECTORS`].
    pub vectors: u32,
    /// Nonzero once the device serves commands.
    pub ready: u32,
}

/// Who serves the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum DeviceKind {
    /// `rvo-devsim` with the ISA model.
    Model = 1,
    /// The RTL in simulation.
    Rtl = 2,
    /// The FPGA.
    Fpga = 3,
}

impl DeviceKind {
    /// The kind of a `device_kind` word.
    pub const fn from_u32(v: u32) -> Option<DeviceKind> {
        Some(match v {
            1 => DeviceKind::Model,
            2 => DeviceKind::Rtl,
            3 => DeviceKind::Fpga,
            _ => return None,
        })
    }

    /// Lower-case name for messages (`ethtool -i`'s firmware version).
    pub const fn name(self) -> &'static str {
        match self {
            DeviceKind::Model => "model",
            DeviceKind::Rtl => "rtl",
            DeviceKind::Fpga => "fpga",
        }
    }
}

/// Bit `n` set for every Linux map type `n` of [`MapType::ALL`].
pub const fn map_type_mask() -> u32 {
    let mut mask = 0u32;
    let mut i = 0;
    while i < MapType::ALL.len() {
        let id = MapType::ALL[i] as u32;
        if id < 32 {
            mask |= 1 << id;
        }
        i += 1;
    }
    mask
}

impl Identity {
    /// The identity of a device of `kind` with `lanes` lanes and this crate's limits.
    pub const fn new(kind: DeviceKind, lanes: u32) -> Identity {
        Identity {
            signature: SIGNATURE,
            version: CONTRACT_VERSION,
            device_kind: kind as u32,
            lanes,
            imem_bundles: IMEM_BUNDLES as u32,
            map_memory: MAP_MEMORY,
            packet_buffer: PACKET_BUFFER,
            max_packet: MAX_PACKET,
            max_maps: MAX_MAPS as u32,
            stack_size: STACK_SIZE,
            map_types: map_type_mask(),
            image_buf: IMAGE_BUF,
            ring_slots: RING_SLOTS,
            slot_size: SLOT_SIZE,
            vectors: VECTORS,
            ready: 1,
        }
    }

    /// The little-endian bytes a device publishes at [`layout::IDENTITY`].
    pub fn to_bytes(&self) -> [u8; size_of::<Identity>()] {
        let words = [
            u32::from_le_bytes(self.signature),
            self.version,
            self.device_kind,
            self.lanes,
            self.imem_bundles,
            self.map_memory,
            self.packet_buffer,
            self.max_packet,
            self.max_maps,
            self.stack_size,
            self.map_types,
            self.image_buf,
            self.ring_slots,
            self.slot_size,
            self.vectors,
            self.ready,
        ];
        let mut out = [0u8; size_of::<Identity>()];
        for (i, w) in words.iter().enumerate() {
            out[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// Whether a host built against this crate can drive the device.
    pub const fn is_compatible(&self) -> bool {
        self.signature[0] == SIGNATURE[0]
            && self.signature[1] == SIGNATURE[1]
            && self.signature[2] == SIGNATURE[2]
            && self.signature[3] == SIGNATURE[3]
            && self.version == CONTRACT_VERSION
            && self.lanes >= 1
            && self.lanes as usize <= MAX_LANES
    }
}

/// Commands of the mailbox (`Mailbox::op`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Op {
    /// Nothing; completes with status 0 (a liveness check).
    Nop = 0,
    /// Create a map: `args = [map_type, key_size, value_size, max_entries, flags]`. Returns
    /// the device's handle for it in `result`. `-EINVAL` for sizes the type does not allow,
    /// `-EOPNOTSUPP` for a type without engine, `-E2BIG` when it does not fit map memory,
    /// `-ENOSPC` when the device holds [`MAX_MAPS`] maps.
    MapCreate = 1,
    /// Free map `handle`.
    MapFree = 2,
    /// Look up the key in the key buffer; the value goes to the value buffer. `-ENOENT`.
    MapLookup = 3,
    /// Update: key and value buffers, `flags` = `BPF_ANY`/`BPF_NOEXIST`/`BPF_EXIST`.
    /// `-EEXIST`, `-ENOENT`, `-E2BIG`, `-EINVAL` as Linux.
    MapUpdate = 4,
    /// Delete the key in the key buffer. `-ENOENT`; `-EINVAL` on arrays.
    MapDelete = 5,
    /// The key after the one in the key buffer (`args[0] == 0`: the first key); the next key
    /// goes to the value buffer. `-ENOENT` after the last.
    MapNextKey = 6,
    /// Load the image of `args[0]` bytes in the image buffer. `args[1]` maps; `maps[i]` is the
    /// handle of the image's map `i` (their contents carry over). Replaces any loaded image.
    /// On failure `-EINVAL` and the reason in the message buffer.
    Load = 7,
    /// Unload the image (the maps keep their contents).
    Unload = 8,
    /// Zero the counters.
    ResetCounters = 9,
    /// Run the frames of the wire capture named in the key buffer (NUL-terminated) through the
    /// loaded program, as if they arrived on the wire. `result` = frames run. `-ENOENT` when
    /// the device has no such capture, `-ENODEV` when nothing is loaded.
    WireRun = 10,
}

impl Op {
    /// The command of an `op` word.
    pub const fn from_u32(v: u32) -> Option<Op> {
        Some(match v {
            0 => Op::Nop,
            1 => Op::MapCreate,
            2 => Op::MapFree,
            3 => Op::MapLookup,
            4 => Op::MapUpdate,
            5 => Op::MapDelete,
            6 => Op::MapNextKey,
            7 => Op::Load,
            8 => Op::Unload,
            9 => Op::ResetCounters,
            10 => Op::WireRun,
            _ => return None,
        })
    }

    /// Every command.
    pub const ALL: [Op; 11] = [
        Op::Nop,
        Op::MapCreate,
        Op::MapFree,
        Op::MapLookup,
        Op::MapUpdate,
        Op::MapDelete,
        Op::MapNextKey,
        Op::Load,
        Op::Unload,
        Op::ResetCounters,
        Op::WireRun,
    ];

    /// Lower-case name for messages and the generated documentation.
    pub const fn name(self) -> &'static str {
        match self {
            Op::Nop => "nop",
            Op::MapCreate => "map-create",
            Op::MapFree => "map-free",
            Op::MapLookup => "map-lookup",
            Op::MapUpdate => "map-update",
            Op::MapDelete => "map-delete",
            Op::MapNextKey => "map-next-key",
            Op::Load => "load",
            Op::Unload => "unload",
            Op::ResetCounters => "reset-counters",
            Op::WireRun => "wire-run",
        }
    }
}

/// The command mailbox, at [`layout::MAILBOX`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Mailbox {
    /// Written last by the host: a value different from `done` submits the command.
    pub seq: u32,
    /// Written last by the device: equal to `seq` when the command is done.
    pub done: u32,
    /// [`Op`].
    pub op: u32,
    /// 0, or a negative Linux errno.
    pub status: i32,
    /// The map the command acts on (a handle from [`Op::MapCreate`]).
    pub handle: u32,
    /// Bytes in the key buffer.
    pub key_len: u32,
    /// Bytes in the value buffer (in and out).
    pub value_len: u32,
    /// Update flags.
    pub flags: u32,
    /// Command arguments.
    pub args: [u32; 8],
    /// A command's result word (a handle, a count).
    pub result: u32,
    /// Reserved, zero.
    pub reserved: u32,
    /// Map handles of the image's maps, for [`Op::Load`].
    pub maps: [u32; MAX_MAPS],
}

impl Default for Mailbox {
    fn default() -> Mailbox {
        Mailbox {
            seq: 0,
            done: 0,
            op: 0,
            status: 0,
            handle: 0,
            key_len: 0,
            value_len: 0,
            flags: 0,
            args: [0; 8],
            result: 0,
            reserved: 0,
            maps: [0; MAX_MAPS],
        }
    }
}

/// Byte offsets of the mailbox's fields inside BAR2.
pub mod mailbox {
    use super::{layout::MAILBOX, offset_of, Mailbox};
    /// `seq`.
    pub const SEQ: usize = MAILBOX + offset_of!(Mailbox, seq);
    /// `done`.
    pub const DONE: usize = MAILBOX + offset_of!(Mailbox, done);
    /// `op`.
    pub const OP: usize = MAILBOX + offset_of!(Mailbox, op);
    /// `status`.
    pub const STATUS: usize = MAILBOX + offset_of!(Mailbox, status);
    /// `handle`.
    pub const HANDLE: usize = MAILBOX + offset_of!(Mailbox, handle);
    /// `key_len`.
    pub const KEY_LEN: usize = MAILBOX + offset_of!(Mailbox, key_len);
    /// `value_len`.
    pub const VALUE_LEN: usize = MAILBOX + offset_of!(Mailbox, value_len);
    /// `flags`.
    pub const FLAGS: usize = MAILBOX + offset_of!(Mailbox, flags);
    /// `args[0]`.
    pub const ARGS: usize = MAILBOX + offset_of!(Mailbox, args);
    /// `result`.
    pub const RESULT: usize = MAILBOX + offset_of!(Mailbox, result);
    /// `maps[0]`.
    pub const MAPS: usize = MAILBOX + offset_of!(Mailbox, maps);
}

/// The device's counters, at [`layout::COUNTERS`]; `u64`s the device updates after every
/// frame. Verdicts count like Linux's XDP statistics: every run once, by its verdict.
///
/// Counters are only ever appended (a device that predates one leaves it zero, as the rest of
/// the area up to [`layout::RINGS`] is); the host reads them at the offsets of [`counters`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct DeviceCounters {
    /// Programs runs.
    pub runs: u64,
    /// Runs per verdict, indexed by `Verdict as usize` (aborted, drop, pass, tx, redirect).
    pub verdicts: [u64; 5],
    /// Runs ended by a hardware fault (also counted as aborted).
    pub faults: u64,
    /// Core cycles spent.
    pub cycles: u64,
    /// Frames received from the wire.
    pub wire_rx: u64,
    /// Frames sent to the wire (`XDP_TX`, `XDP_REDIRECT`, host transmits).
    pub wire_tx: u64,
    /// Passed frames written to the RX ring.
    pub host_rx: u64,
    /// Passed frames dropped because the RX ring was full.
    pub host_rx_dropped: u64,
    /// Frames the host transmitted through the TX ring.
    pub host_tx: u64,
    /// Frames the device could not run (runts, too large).
    pub rx_errors: u64,
    /// Bytes of the frames counted in `host_rx`.
    pub host_rx_bytes: u64,
    /// Bytes of the frames counted in `wire_tx`.
    pub wire_tx_bytes: u64,
}

impl DeviceCounters {
    /// The counters in BAR2 order (the order of [`counters::NAMES`]), as a device publishes
    /// them at [`layout::COUNTERS`].
    pub const fn words(&self) -> [u64; counters::COUNT] {
        [
            self.runs,
            self.verdicts[0],
            self.verdicts[1],
            self.verdicts[2],
            self.verdicts[3],
            self.verdicts[4],
            self.faults,
            self.cycles,
            self.wire_rx,
            self.wire_tx,
            self.host_rx,
            self.host_rx_dropped,
            self.host_tx,
            self.rx_errors,
            self.host_rx_bytes,
            self.wire_tx_bytes,
        ]
    }
}

/// Byte offsets of the counters inside BAR2.
pub mod counters {
    use super::{layout::COUNTERS, offset_of, DeviceCounters};
    use crate::Verdict;
    /// `runs`.
    pub const RUNS: usize = COUNTERS + offset_of!(DeviceCounters, runs);
    /// `verdicts[0]`.
    pub const VERDICTS: usize = COUNTERS + offset_of!(DeviceCounters, verdicts);
    /// `faults`.
    pub const FAULTS: usize = COUNTERS + offset_of!(DeviceCounters, faults);
    /// `cycles`.
    pub const CYCLES: usize = COUNTERS + offset_of!(DeviceCounters, cycles);
    /// `wire_rx`.
    pub const WIRE_RX: usize = COUNTERS + offset_of!(DeviceCounters, wire_rx);
    /// `wire_tx`.
    pub const WIRE_TX: usize = COUNTERS + offset_of!(DeviceCounters, wire_tx);
    /// `host_rx`.
    pub const HOST_RX: usize = COUNTERS + offset_of!(DeviceCounters, host_rx);
    /// `host_rx_dropped`.
    pub const HOST_RX_DROPPED: usize = COUNTERS + offset_of!(DeviceCounters, host_rx_dropped);
    /// `host_tx`.
    pub const HOST_TX: usize = COUNTERS + offset_of!(DeviceCounters, host_tx);
    /// `rx_errors`.
    pub const RX_ERRORS: usize = COUNTERS + offset_of!(DeviceCounters, rx_errors);
    /// `host_rx_bytes`.
    pub const HOST_RX_BYTES: usize = COUNTERS + offset_of!(DeviceCounters, host_rx_bytes);
    /// `wire_tx_bytes`.
    pub const WIRE_TX_BYTES: usize = COUNTERS + offset_of!(DeviceCounters, wire_tx_bytes);

    /// `verdicts[v]`: the runs that ended with verdict `v`.
    pub const fn verdict(v: Verdict) -> usize {
        VERDICTS + 8 * v as usize
    }

    /// Number of `u64` counters.
    pub const COUNT: usize = core::mem::size_of::<DeviceCounters>() / 8;
    /// Names of the counters in order, as the driver prints them.
    pub const NAMES: [&str; COUNT] = [
        "runs",
        "xdp_aborted",
        "xdp_drop",
        "xdp_pass",
        "xdp_tx",
        "xdp_redirect",
        "faults",
        "cycles",
        "wire_rx",
        "wire_tx",
        "host_rx",
        "host_rx_dropped",
        "host_tx",
        "rx_errors",
        "host_rx_bytes",
        "wire_tx_bytes",
    ];
}

/// Producer and consumer indexes of both rings, at [`layout::RINGS`]. Indexes count up
/// forever (wrapping at 2^32); slot = index % [`RING_SLOTS`]. A ring is empty when
/// `head == tail` and full when `head - tail == RING_SLOTS`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct RingIndexes {
    /// RX (device to host): next slot the device fills.
    pub rx_head: u32,
    /// RX: next slot the host takes.
    pub rx_tail: u32,
    /// TX (host to device): next slot the host fills.
    pub tx_head: u32,
    /// TX: next slot the device takes.
    pub tx_tail: u32,
}

/// Byte offsets of the ring indexes inside BAR2.
pub mod rings {
    use super::{layout::RINGS, offset_of, RingIndexes};
    /// `rx_head`.
    pub const RX_HEAD: usize = RINGS + offset_of!(RingIndexes, rx_head);
    /// `rx_tail`.
    pub const RX_TAIL: usize = RINGS + offset_of!(RingIndexes, rx_tail);
    /// `tx_head`.
    pub const TX_HEAD: usize = RINGS + offset_of!(RingIndexes, tx_head);
    /// `tx_tail`.
    pub const TX_TAIL: usize = RINGS + offset_of!(RingIndexes, tx_tail);
}

/// The start of every ring slot; the frame follows at [`SLOT_DATA`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct SlotHeader {
    /// Frame bytes.
    pub len: u32,
    /// RX: the verdict the frame got (`XDP_PASS`). TX: zero.
    pub verdict: u32,
    /// Reserved, zero.
    pub reserved: [u32; 2],
}

/// Offset of the frame inside a slot.
pub const SLOT_DATA: usize = size_of::<SlotHeader>();

/// Byte offset in BAR2 of RX slot `index % RING_SLOTS`.
pub const fn rx_slot(index: u32) -> usize {
    layout::RX_RING + (index % RING_SLOTS) as usize * SLOT_SIZE as usize
}

/// Byte offset in BAR2 of TX slot `index % RING_SLOTS`.
pub const fn tx_slot(index: u32) -> usize {
    layout::TX_RING + (index % RING_SLOTS) as usize * SLOT_SIZE as usize
}

/// Write the contract as Markdown (a section of `docs/DEVICE.md`).
///
/// # Errors
/// When `out` fails.
pub fn write_markdown(out: &mut dyn fmt::Write) -> fmt::Result {
    writeln!(
        out,
        "## BAR2 layout (contract version {CONTRACT_VERSION})\n"
    )?;
    writeln!(out, "| Offset | Bytes | Contents |")?;
    writeln!(out, "|---|---|---|")?;
    let rows: [(usize, usize, &str); 9] = [
        (
            layout::IDENTITY,
            size_of::<Identity>(),
            "identity and limits",
        ),
        (layout::MAILBOX, size_of::<Mailbox>(), "command mailbox"),
        (
            layout::COUNTERS,
            size_of::<DeviceCounters>(),
            "counters (u64)",
        ),
        (layout::RINGS, size_of::<RingIndexes>(), "ring indexes"),
        (layout::KEY, KEY_BUF as usize, "key buffer"),
        (layout::MSG, MSG_BUF as usize, "message buffer"),
        (layout::VALUE, VALUE_BUF as usize, "value buffer"),
        (layout::IMAGE, IMAGE_BUF as usize, "image buffer"),
        (
            layout::RX_RING,
            2 * (RING_SLOTS * SLOT_SIZE) as usize,
            "RX ring, then TX ring",
        ),
    ];
    for (off, len, what) in rows {
        writeln!(out, "| {off:#08x} | {len} | {what} |")?;
    }
    writeln!(
        out,
        "\nBAR2 is {SHM_SIZE} bytes and starts with `RVO\\0`.\n"
    )?;
    writeln!(out, "## Commands\n")?;
    writeln!(out, "| op | Command |")?;
    writeln!(out, "|---|---|")?;
    for op in Op::ALL {
        writeln!(out, "| {} | `{}` |", op as u32, op.name())?;
    }
    writeln!(out, "\n## Signals\n")?;
    writeln!(
        out,
        "Doorbell (host to device, BAR0 offset {DOORBELL_REG}): vector {DOORBELL_CMD} command, \
         {DOORBELL_TX} TX ring. MSI-X (device to host): vector {MSIX_CMD} command done, \
         {MSIX_RX} RX ring."
    )?;
    writeln!(out, "\n## Counters\n")?;
    for (i, name) in counters::NAMES.iter().enumerate() {
        writeln!(out, "- `{:#06x}` {name}", layout::COUNTERS + 8 * i)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_describes_this_crate() {
        let id = Identity::new(DeviceKind::Model, 2);
        assert!(id.is_compatible());
        for k in [DeviceKind::Model, DeviceKind::Rtl, DeviceKind::Fpga] {
            assert_eq!(DeviceKind::from_u32(k as u32), Some(k));
        }
        assert_eq!(DeviceKind::from_u32(0), None);
        assert_eq!(id.map_types & (1 << 1 | 1 << 2), 1 << 1 | 1 << 2);
        for op in Op::ALL {
            assert_eq!(Op::from_u32(op as u32), Some(op));
        }
        assert_eq!(counters::NAMES.len(), counters::COUNT);
    }

    #[test]
    fn counters_follow_the_struct() {
        // `words()` and `NAMES` are in field order: each named offset holds its word.
        let c = DeviceCounters {
            runs: 1,
            verdicts: [2, 3, 4, 5, 6],
            faults: 7,
            cycles: 8,
            wire_rx: 9,
            wire_tx: 10,
            host_rx: 11,
            host_rx_dropped: 12,
            host_tx: 13,
            rx_errors: 14,
            host_rx_bytes: 15,
            wire_tx_bytes: 16,
        };
        let w = c.words();
        let at = |off: usize| w[(off - layout::COUNTERS) / 8];
        assert_eq!(at(counters::RUNS), 1);
        assert_eq!(at(counters::verdict(crate::Verdict::Aborted)), 2);
        assert_eq!(at(counters::verdict(crate::Verdict::Redirect)), 6);
        assert_eq!(at(counters::FAULTS), 7);
        assert_eq!(at(counters::CYCLES), 8);
        assert_eq!(at(counters::WIRE_RX), 9);
        assert_eq!(at(counters::WIRE_TX), 10);
        assert_eq!(at(counters::HOST_RX), 11);
        assert_eq!(at(counters::HOST_RX_DROPPED), 12);
        assert_eq!(at(counters::HOST_TX), 13);
        assert_eq!(at(counters::RX_ERRORS), 14);
        assert_eq!(at(counters::HOST_RX_BYTES), 15);
        assert_eq!(at(counters::WIRE_TX_BYTES), 16);
        let names = |off: usize| counters::NAMES[(off - layout::COUNTERS) / 8];
        assert_eq!(names(counters::verdict(crate::Verdict::Pass)), "xdp_pass");
        assert_eq!(names(counters::HOST_RX_BYTES), "host_rx_bytes");
        assert_eq!(names(counters::WIRE_TX_BYTES), "wire_tx_bytes");
    }

    #[test]
    fn markdown_names_every_command() {
        let mut s = std::string::String::new();
        write_markdown(&mut s).expect("write");
        for op in Op::ALL {
            assert!(s.contains(op.name()));
        }
    }
}
