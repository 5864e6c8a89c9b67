//! The helper units, with the semantics (and errors) of the Linux helpers they replace.

use super::memory::Memory;
use crate::device::Redirect;
use rvo_isa::helper::{timing, ETH_HLEN, MAX_TAIL_CALLS, NS_PER_CYCLE, REDIRECT_MAP_FLAGS};
use rvo_isa::maps::{errno, update_flags, MapType};
use rvo_isa::region::{split_addr, Region, PACKET_FRAME_RESERVED, PACKET_TAILROOM_RESERVED};
use rvo_isa::{Fault, Helper};

/// What a helper did besides setting `r0`.
pub enum Effect {
    /// Nothing else.
    None,
    /// Continue at program `index` of the object (a tail call).
    TailCall(u32),
}

/// The state helpers reach: memory, maps, the clock, the generator, the redirect target.
pub struct Units<'a, 'm> {
    pub mem: &'a mut Memory<'m>,
    pub cycles: u64,
    pub time_base: u64,
    pub prandom: &'a mut u32,
    pub redirect: &'a mut Option<Redirect>,
    pub tail_calls: &'a mut u32,
}

fn neg(e: u32) -> u64 {
    (-(e as i64)) as u64
}

/// A map engine's answer as a helper returns it: 0 or `-errno`.
fn errno_of(r: Result<(), crate::device::MapOpError>) -> u64 {
    match r {
        Ok(()) => 0,
        Err(e) => neg(e.errno()),
    }
}

impl Units<'_, '_> {
    /// Run helper `h` on arguments `a` (r1-r5): `(r0, cycles beyond Helper::cycles, effect)`,
    /// by the rules of `rvo_isa::helper::timing`.
    pub fn call(&mut self, h: Helper, a: [u64; 5]) -> Result<(u64, u32, Effect), Fault> {
        let none = |r0: u64, cycles: u32| Ok((r0, cycles, Effect::None));
        match h {
            Helper::MapLookupElem => {
                let (m, key) = self.map_key(a[0], a[1])?;
                let (at, cycles) = self.mem.maps.lookup(m, &key);
                // `map_key` checked the map and read exactly its key size, the only two
                // things a lookup can refuse.
                let at = at.ok().flatten();
                none(
                    at.map_or(0, |o| Region::Map.addr(o as u32)),
                    self.key_cycles(m) + cycles,
                )
            }
            Helper::MapUpdateElem => {
                let (m, key) = self.map_key(a[0], a[1])?;
                let value = self
                    .mem
                    .read(a[2], self.mem.maps.descs[m].value_size as usize)?;
                if a[3] > update_flags::EXIST {
                    // Refused with the descriptor, before the key is loaded.
                    return none(neg(errno::EINVAL), timing::DESC);
                }
                let (r, cycles) = self.mem.maps.update(m, &key, &value, a[3]);
                none(errno_of(r), self.key_cycles(m) + cycles)
            }
            Helper::MapDeleteElem => {
                let (m, key) = self.map_key(a[0], a[1])?;
                let (r, cycles) = self.mem.maps.delete(m, &key);
                none(errno_of(r), self.key_cycles(m) + cycles)
            }
            Helper::KtimeGetNs => none((self.time_base + self.cycles) * NS_PER_CYCLE, 0),
            Helper::GetPrandomU32 => {
                // xorshift32: one step per call, as the hardware's generator.
                let mut x = *self.prandom;
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *self.prandom = x;
                none(x as u64, 0)
            }
            Helper::GetSmpProcessorId => none(0, 0),
            Helper::TailCall => self.tail_call(a[1], a[2]),
            Helper::Redirect => {
                // Linux: any flag makes the redirect fail with XDP_ABORTED.
                if a[1] != 0 {
                    return none(0, 0);
                }
                *self.redirect = Some(Redirect::Ifindex(a[0] as u32));
                none(4, 0)
            }
            Helper::RedirectMap => self.redirect_map(a[0], a[1] as u32, a[2]),
            Helper::CsumDiff => self.csum_diff(a),
            Helper::XdpAdjustHead => Ok(self.adjust_head(a[1] as i32)),
            Helper::XdpAdjustMeta => none(self.adjust_meta(a[1] as i32), 0),
            Helper::XdpAdjustTail => Ok(self.adjust_tail(a[1] as i32)),
            Helper::XdpLoadBytes | Helper::XdpStoreBytes => {
                let (off, buf, len) = (a[1] as u32, a[2], a[3] as u32);
                let p = &self.mem.packet;
                if off > 0xffff || len > 0xffff {
                    return none(neg(errno::EFAULT), 0);
                }
                if off as u64 + len as u64 > (p.end - p.data) as u64 {
                    return none(neg(errno::EINVAL), 0);
                }
                let at = Region::Packet.addr(p.data + off);
                if h == Helper::XdpLoadBytes {
                    let bytes = self.mem.read(at, len as usize)?;
                    self.mem.write(buf, &bytes)?;
                } else {
                    let bytes = self.mem.read(buf, len as usize)?;
                    self.mem.write(at, &bytes)?;
                }
                none(0, timing::copy(timing::words(len)))
            }
        }
    }

    /// Cycles of a map operation before its engine: the descriptor and the key load.
    fn key_cycles(&self, m: usize) -> u32 {
        timing::DESC + timing::key_load(self.mem.maps.descs[m].key_size)
    }

    /// The map a handle names and the key the pointer points at.
    fn map_key(&mut self, handle: u64, key_ptr: u64) -> Result<(usize, Vec<u8>), Fault> {
        // A bad handle is a 0-byte access (its region, as every fault's, the one its address
        // names).
        let m = self.map_index(handle).ok_or(Fault::OutOfBounds {
            addr: handle,
            size: 0,
            region: split_addr(handle).map(|(r, _)| r),
        })?;
        let key = self
            .mem
            .read(key_ptr, self.mem.maps.descs[m].key_size as usize)?;
        Ok((m, key))
    }

    /// The map a handle names.
    fn map_index(&self, handle: u64) -> Option<usize> {
        match split_addr(handle) {
            Some((Region::MapRef, i)) if (i as usize) < self.mem.maps.descs.len() => {
                Some(i as usize)
            }
            _ => None,
        }
    }

    /// The map a handle names, if it is one of `kinds`.
    fn map_of(&self, handle: u64, kinds: &[MapType]) -> Option<usize> {
        let m = self.map_index(handle)?;
        let kind = self.mem.maps.descs[m].kind()?;
        kinds.contains(&kind).then_some(m)
    }

    /// Stages: the handle (argument cycle), the descriptor (type, index, count), the index
    /// check, the slot read, the entry table read.
    fn tail_call(&mut self, handle: u64, index: u64) -> Result<(u64, u32, Effect), Fault> {
        let fail = |cycles| Ok((neg(errno::ENOENT), cycles, Effect::None));
        let Some(m) = self.map_of(handle, &[MapType::ProgArray]) else {
            let read_desc = self.map_index(handle).is_some();
            return fail(if read_desc { timing::DESC } else { 0 });
        };
        if index > u32::MAX as u64 || *self.tail_calls >= MAX_TAIL_CALLS {
            return fail(timing::DESC);
        }
        let d = self.mem.maps.descs[m];
        if index as u32 >= d.max_entries {
            return fail(timing::DESC + 1);
        }
        match self.mem.maps.lookup(m, &(index as u32).to_le_bytes()).0 {
            Ok(Some(at)) => {
                let slot =
                    u32::from_le_bytes(self.mem.maps.value(m, at).try_into().unwrap_or([0; 4]));
                *self.tail_calls += 1;
                // Slots hold program index + 1 (0 is empty).
                Ok((0, timing::DESC + 3, Effect::TailCall(slot - 1)))
            }
            _ => fail(timing::DESC + 2),
        }
    }

    /// Stages: the handle (argument cycle), the descriptor (type), the key from `r2` (one
    /// cycle for a hashed devmap), the engine's lookup, one cycle to read the entry of a
    /// hashed devmap.
    fn redirect_map(
        &mut self,
        handle: u64,
        key: u32,
        flags: u64,
    ) -> Result<(u64, u32, Effect), Fault> {
        // Linux: the low two bits of the flags are the action when the entry is missing; a
        // flag it does not know aborts before anything else.
        if flags & !REDIRECT_MAP_FLAGS != 0 {
            return Ok((0, 0, Effect::None));
        }
        let fallback = |cycles| Ok((flags & 3, cycles, Effect::None));
        let Some(m) = self.map_of(handle, &[MapType::Devmap, MapType::DevmapHash]) else {
            let read_desc = self.map_index(handle).is_some();
            return fallback(if read_desc { timing::DESC } else { 0 });
        };
        let hashed = self.mem.maps.descs[m].kind() == Some(MapType::DevmapHash);
        let (found, cycles) = self.mem.maps.lookup(m, &key.to_le_bytes());
        let cycles = timing::DESC + cycles + u32::from(hashed);
        match found {
            Ok(Some(at)) => {
                let ifindex = u32::from_le_bytes(
                    self.mem.maps.value(m, at)[..4].try_into().unwrap_or([0; 4]),
                );
                *self.redirect = Some(Redirect::Map {
                    map: m as u32,
                    key,
                    ifindex,
                });
                Ok((4, cycles + u32::from(hashed), Effect::None))
            }
            _ => fallback(cycles),
        }
    }

    /// `bpf_csum_diff` as Linux (6.13 on) computes it: the ones' complement sums of `to` (from
    /// the seed) and `from` (x86-64 `csum_partial`: 64-bit words, the tail zero-padded, with
    /// end-around carry, folded to 32 bits), combined and folded to 16 bits
    /// (`csum_from32to16`); with both sizes zero, the seed so folded. The unit reads an 8-byte
    /// word per cycle.
    fn csum_diff(&mut self, a: [u64; 5]) -> Result<(u64, u32, Effect), Fault> {
        let (from_size, to_size, seed) = (a[1] as u32, a[3] as u32, a[4] as u32);
        let from = self.mem.read(a[0], from_size as usize)?;
        let to = self.mem.read(a[2], to_size as usize)?;
        let r = match (from_size, to_size) {
            (0, 0) => seed,
            (0, _) => csum_partial(&to, seed),
            (_, 0) => !csum_partial(&from, !seed),
            _ => csum_add(csum_partial(&to, seed), !csum_partial(&from, 0)),
        };
        let cycles = timing::copy(timing::words(from_size) + timing::words(to_size));
        Ok((csum_from32to16(r) as u64, cycles, Effect::None))
    }

    /// The metadata moves with the packet start, a 4-byte word per cycle.
    fn adjust_head(&mut self, delta: i32) -> (u64, u32, Effect) {
        let p = &mut self.mem.packet;
        let metalen = p.data - p.meta;
        let data = p.data as i64 + delta as i64;
        if data < (PACKET_FRAME_RESERVED + metalen) as i64 || data > p.end as i64 - ETH_HLEN as i64
        {
            return (neg(errno::EINVAL), 0, Effect::None);
        }
        let data = data as u32;
        let new_meta = data - metalen;
        p.buf
            .copy_within(p.meta as usize..p.data as usize, new_meta as usize);
        p.meta = new_meta;
        p.data = data;
        (0, timing::copy(metalen / 4), Effect::None)
    }

    fn adjust_meta(&mut self, delta: i32) -> u64 {
        let p = &mut self.mem.packet;
        let meta = p.meta as i64 + delta as i64;
        if meta < PACKET_FRAME_RESERVED as i64 || meta > p.data as i64 {
            return neg(errno::EINVAL);
        }
        let metalen = p.data - meta as u32;
        if metalen & 3 != 0 || metalen > 255 {
            return neg(errno::EACCES);
        }
        p.meta = meta as u32;
        0
    }

    /// Growth is zeroed 8 bytes per cycle.
    fn adjust_tail(&mut self, delta: i32) -> (u64, u32, Effect) {
        let p = &mut self.mem.packet;
        let hard_end = p.buf.len() as i64 - PACKET_TAILROOM_RESERVED as i64;
        let end = p.end as i64 + delta as i64;
        if end > hard_end || end < (p.data + ETH_HLEN) as i64 {
            return (neg(errno::EINVAL), 0, Effect::None);
        }
        let mut cycles = 0;
        if end > p.end as i64 {
            p.buf[p.end as usize..end as usize].fill(0);
            cycles = timing::words(end as u32 - p.end);
        }
        p.end = end as u32;
        (0, cycles, Effect::None)
    }
}

/// Linux's `csum_add`: 32-bit ones' complement addition.
pub fn csum_add(a: u32, b: u32) -> u32 {
    let (s, carry) = a.overflowing_add(b);
    s + carry as u32
}

/// Linux's `csum_from32to16`: a 32-bit sum folded to 16 bits.
pub fn csum_from32to16(x: u32) -> u16 {
    (x.wrapping_add(x.rotate_left(16)) >> 16) as u16
}

/// Linux x86-64 `csum_partial`: little-endian 64-bit words (the tail zero-padded) added with
/// end-around carry onto `seed`, then folded to 32 bits.
pub fn csum_partial(bytes: &[u8], seed: u32) -> u32 {
    let mut sum = seed as u64;
    let add = |sum: u64, w: u64| {
        let (s, carry) = sum.overflowing_add(w);
        s + carry as u64
    };
    for chunk in bytes.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        sum = add(sum, u64::from_le_bytes(w));
    }
    let fold = |x: u64| (x & 0xffff_ffff) + (x >> 32);
    fold(fold(sum)) as u32
}
