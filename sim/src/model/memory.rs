//! The model's memories and the bounds check every access goes through.

use rvo_isa::region::{split_addr, Region, CTX_SIZE, STACK_SIZE};
use rvo_isa::Fault;

/// All regions of the core.
pub struct Memory {
    pub ctx: [u8; CTX_SIZE as usize],
    pub packet: Vec<u8>,
    pub stack: [u8; STACK_SIZE as usize],
    pub map: Vec<u8>,
}

impl Memory {
    pub fn new() -> Memory {
        Memory {
            ctx: [0; CTX_SIZE as usize],
            packet: Vec::new(),
            stack: [0; STACK_SIZE as usize],
            map: Vec::new(),
        }
    }

    /// The bytes `[addr, addr + size)`, checked against their region.
    fn slice(&mut self, addr: u64, size: u8, write: bool) -> Result<&mut [u8], Fault> {
        let oob = |region| Fault::OutOfBounds { addr, size, region };
        let (region, off) = split_addr(addr).ok_or(oob(None))?;
        if write && region == Region::Ctx {
            return Err(Fault::ReadOnly { addr });
        }
        let buf: &mut [u8] = match region {
            Region::Ctx => &mut self.ctx,
            Region::Packet => &mut self.packet,
            Region::Stack => &mut self.stack,
            Region::Map => &mut self.map,
        };
        let (start, end) = (off as usize, off as usize + size as usize);
        buf.get_mut(start..end).ok_or(oob(Some(region)))
    }

    /// Load `size` bytes, zero-extended.
    pub fn load(&mut self, addr: u64, size: u8) -> Result<u64, Fault> {
        let bytes = self.slice(addr, size, false)?;
        let mut v = [0u8; 8];
        v[..bytes.len()].copy_from_slice(bytes);
        Ok(u64::from_le_bytes(v))
    }

    /// Store the low `size` bytes of `value`.
    pub fn store(&mut self, addr: u64, size: u8, value: u64) -> Result<(), Fault> {
        let bytes = self.slice(addr, size, true)?;
        let n = bytes.len();
        bytes.copy_from_slice(&value.to_le_bytes()[..n]);
        Ok(())
    }
}
