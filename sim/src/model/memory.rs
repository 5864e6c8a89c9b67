//! The model's memories and the bounds check every access goes through.

use rvo_isa::region::{split_addr, xdp_ctx, Region, PACKET_BUFFER, STACK_SIZE};
use rvo_isa::Fault;

/// The packet buffer and its pointers (offsets into `buf`).
#[derive(Clone, Debug)]
pub struct Packet {
    /// The whole buffer: headroom, packet, tailroom.
    pub buf: Vec<u8>,
    /// Start of the metadata (== `data` when there is none).
    pub meta: u32,
    /// First byte of the packet.
    pub data: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Packet {
    /// A packet at `headroom` in a buffer of the device's size (or exactly `bytes` when raw).
    pub fn new(bytes: &[u8], headroom: u32) -> Packet {
        let size = if headroom == 0 {
            bytes.len()
        } else {
            PACKET_BUFFER as usize
        };
        let mut buf = vec![0u8; size];
        let start = headroom as usize;
        buf[start..start + bytes.len()].copy_from_slice(bytes);
        let end = headroom + bytes.len() as u32;
        Packet {
            buf,
            meta: headroom,
            data: headroom,
            end,
        }
    }

    /// The packet bytes, `data..end`.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[self.data as usize..self.end as usize]
    }
}

/// The XDP context fields that are plain numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CtxFields {
    /// `ingress_ifindex`.
    pub ingress_ifindex: u32,
    /// `rx_queue_index`.
    pub rx_queue_index: u32,
}

/// All regions of the core for one run.
pub struct Memory<'m> {
    /// The context unit, when the program runs as XDP.
    pub ctx: Option<CtxFields>,
    pub packet: Packet,
    pub stack: [u8; STACK_SIZE as usize],
    pub maps: &'m mut super::maps::Maps,
}

impl Memory<'_> {
    /// The bytes `[addr, addr + size)`, checked against their region.
    fn slice(&mut self, addr: u64, size: u8, write: bool) -> Result<&mut [u8], Fault> {
        let oob = |region| Fault::OutOfBounds { addr, size, region };
        let (region, off) = split_addr(addr).ok_or(oob(None))?;
        let (buf, lo): (&mut [u8], u32) = match region {
            Region::Packet => {
                let p = &mut self.packet;
                (&mut p.buf[..p.end as usize], p.meta)
            }
            Region::Stack => (&mut self.stack, 0),
            Region::Map => (&mut self.maps.mem, 0),
            Region::Ctx if write => return Err(Fault::ReadOnly { addr }),
            Region::Ctx | Region::MapRef => return Err(oob(Some(region))),
        };
        if off < lo {
            return Err(oob(Some(region)));
        }
        let (start, end) = (off as usize, off as usize + size as usize);
        buf.get_mut(start..end).ok_or(oob(Some(region)))
    }

    /// Load `size` bytes, zero-extended; context loads go to the context unit.
    pub fn load(&mut self, addr: u64, size: u8) -> Result<u64, Fault> {
        if let (Some((Region::Ctx, off)), Some(ctx)) = (split_addr(addr), self.ctx) {
            return self.load_ctx(off, size, ctx).ok_or(Fault::OutOfBounds {
                addr,
                size,
                region: Some(Region::Ctx),
            });
        }
        let bytes = self.slice(addr, size, false)?;
        let mut v = [0u8; 8];
        v[..bytes.len()].copy_from_slice(bytes);
        Ok(u64::from_le_bytes(v))
    }

    /// The context unit: `struct xdp_md` fields, pointers as full packet addresses.
    fn load_ctx(&self, off: u32, size: u8, ctx: CtxFields) -> Option<u64> {
        if size != 4 {
            return None;
        }
        let p = &self.packet;
        Some(match off {
            xdp_ctx::DATA => Region::Packet.addr(p.data),
            xdp_ctx::DATA_END => Region::Packet.addr(p.end),
            xdp_ctx::DATA_META => Region::Packet.addr(p.meta),
            xdp_ctx::INGRESS_IFINDEX => ctx.ingress_ifindex as u64,
            xdp_ctx::RX_QUEUE_INDEX => ctx.rx_queue_index as u64,
            xdp_ctx::EGRESS_IFINDEX => 0,
            _ => return None,
        })
    }

    /// Store the low `size` bytes of `value`.
    pub fn store(&mut self, addr: u64, size: u8, value: u64) -> Result<(), Fault> {
        let bytes = self.slice(addr, size, true)?;
        let n = bytes.len();
        bytes.copy_from_slice(&value.to_le_bytes()[..n]);
        Ok(())
    }

    /// Read `len` bytes (for helpers taking a buffer), each checked like any access.
    pub fn read(&mut self, addr: u64, len: usize) -> Result<Vec<u8>, Fault> {
        (0..len as u64)
            .map(|i| self.load(addr.wrapping_add(i), 1).map(|b| b as u8))
            .collect()
    }

    /// Write `bytes` (for helpers filling a buffer): all or nothing.
    pub fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), Fault> {
        self.read(addr, bytes.len())?;
        for (i, b) in bytes.iter().enumerate() {
            self.store(addr.wrapping_add(i as u64), 1, *b as u64)?;
        }
        Ok(())
    }
}
