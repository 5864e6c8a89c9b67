//! The unified address space and the device limits.
//!
//! Every address a program computes is a 64-bit value whose bits 32..40 hold a region tag and
//! whose low 32 bits are the offset inside that region. The hardware checks every access
//! against the region's current length; an access outside it (or to an unknown tag, such as
//! a NULL pointer's tag 0) ends the run with `Fault::OutOfBounds` and the verdict
//! `XDP_ABORTED`. Safety never depends on the compiler or a verifier being right.

/// Bit position of the region tag inside an address.
pub const TAG_SHIFT: u32 = 32;

/// A memory region of the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Region {
    /// The program context (for XDP: `struct xdp_md` as the device lays it out).
    Ctx = 1,
    /// The packet buffer, with headroom before the packet for `adjust_head`/`adjust_meta`.
    /// For raw programs (the conformance suite) it holds the input memory.
    Packet = 2,
    /// The stack: [`STACK_SIZE`] bytes shared by all call frames, `r10` points to its end.
    Stack = 3,
    /// Map values and global data.
    Map = 4,
    /// Map handles: `tag | map index`. Not memory: only helpers take them.
    MapRef = 5,
}

impl Region {
    /// Every region.
    pub const ALL: [Region; 5] = [
        Region::Ctx,
        Region::Packet,
        Region::Stack,
        Region::Map,
        Region::MapRef,
    ];

    /// The region a tag names.
    pub const fn from_tag(tag: u8) -> Option<Region> {
        match tag {
            1 => Some(Region::Ctx),
            2 => Some(Region::Packet),
            3 => Some(Region::Stack),
            4 => Some(Region::Map),
            5 => Some(Region::MapRef),
            _ => None,
        }
    }

    /// The address of byte `offset` of this region.
    pub const fn addr(self, offset: u32) -> u64 {
        ((self as u64) << TAG_SHIFT) | offset as u64
    }

    /// The largest size the hardware gives this region.
    pub const fn capacity(self) -> u32 {
        match self {
            Region::Ctx => CTX_SIZE,
            Region::Packet => PACKET_BUFFER,
            Region::Stack => STACK_SIZE,
            Region::Map => MAP_MEMORY,
            Region::MapRef => 0,
        }
    }

    /// Lower-case name for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Region::Ctx => "ctx",
            Region::Packet => "packet",
            Region::Stack => "stack",
            Region::Map => "map",
            Region::MapRef => "map handle",
        }
    }
}

/// Split an address into its region and offset (`None` for an unknown tag or stray high bits).
pub const fn split_addr(addr: u64) -> Option<(Region, u32)> {
    if addr >> (TAG_SHIFT + 8) != 0 {
        return None;
    }
    match Region::from_tag((addr >> TAG_SHIFT) as u8) {
        Some(r) => Some((r, addr as u32)),
        None => None,
    }
}

/// The XDP context as the core's context unit serves it: the offsets of Linux's
/// `struct xdp_md`, so compiled code reads it unchanged. A 4-byte load of `DATA`, `DATA_END`
/// or `DATA_META` returns the full address of that point in the packet region (the unit does
/// what Linux's verifier does when it rewrites these loads); the other fields are 32-bit
/// values. Any other access to the context faults.
pub mod xdp_ctx {
    /// `data`: first byte of the packet.
    pub const DATA: u32 = 0;
    /// `data_end`: one past the last byte.
    pub const DATA_END: u32 = 4;
    /// `data_meta`: start of the metadata in front of the packet.
    pub const DATA_META: u32 = 8;
    /// `ingress_ifindex`.
    pub const INGRESS_IFINDEX: u32 = 12;
    /// `rx_queue_index`.
    pub const RX_QUEUE_INDEX: u32 = 16;
    /// `egress_ifindex` (0 outside devmap programs).
    pub const EGRESS_IFINDEX: u32 = 20;
    /// Bytes of `struct xdp_md`.
    pub const SIZE: u32 = 24;
}

/// Bytes of stack, as Linux's `MAX_BPF_STACK`, for all frames together.
pub const STACK_SIZE: u32 = 512;
/// Bytes of the context region.
pub const CTX_SIZE: u32 = 64;
/// Bytes of the packet buffer, headroom included.
pub const PACKET_BUFFER: u32 = 4096;
/// Headroom in front of the packet (Linux's `XDP_PACKET_HEADROOM`).
pub const PACKET_HEADROOM: u32 = 256;
/// Bytes at the start of the buffer that `adjust_head`/`adjust_meta` may not reach (Linux keeps
/// its `struct xdp_frame` there: 40 bytes on 64-bit machines).
pub const PACKET_FRAME_RESERVED: u32 = 40;
/// Bytes at the end of the buffer that `adjust_tail` may not reach (Linux's aligned
/// `struct skb_shared_info`: 320 bytes on x86-64).
pub const PACKET_TAILROOM_RESERVED: u32 = 320;
/// Largest packet the device accepts: the buffer less headroom and reserved tailroom.
pub const MAX_PACKET: u32 = PACKET_BUFFER - PACKET_HEADROOM - PACKET_TAILROOM_RESERVED;
/// Bytes of map memory.
pub const MAP_MEMORY: u32 = 16 << 20;
/// Instruction memory, in bundles.
pub const IMEM_BUNDLES: usize = 4096;
/// Most eBPF instructions the compiler accepts (Linux's `BPF_MAXINSNS`).
pub const MAX_EBPF_INSNS: usize = 4096;
/// Depth of the hardware call stack (Linux's `MAX_CALL_FRAMES`).
pub const MAX_CALL_DEPTH: usize = 8;
/// Most lanes a core can be built with.
pub const MAX_LANES: usize = 4;
/// Default watchdog: cycles one packet may take before it is aborted.
pub const DEFAULT_CYCLE_BUDGET: u64 = 1_000_000;
/// Extra cycles of a taken branch, jump, call or return (the fetch is redirected).
pub const TAKEN_BRANCH_PENALTY: u32 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_back() {
        for r in Region::ALL {
            assert_eq!(split_addr(r.addr(17)), Some((r, 17)));
            assert_eq!(Region::from_tag(r as u8), Some(r));
        }
        assert_eq!(split_addr(0), None);
        assert_eq!(split_addr(Region::Stack.addr(0) | 1 << 45), None);
    }
}
