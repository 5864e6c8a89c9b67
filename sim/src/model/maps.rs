//! The map engines: every map type of `rvo_isa::maps`, over the device's map memory, with
//! Linux's semantics for flags and errors. Helpers and the host's map operations (bpftool
//! through the driver, `--maps` files) use the same engines, so both see one state.
//!
//! Each operation also returns its engine cycles by the rules of `rvo_isa::helper::timing`
//! (from the hash's last cycle or the index check on; the descriptor and key cycles are the
//! helper's): the RTL's map engine takes exactly these.

use crate::device::{DeviceError, MapOpError};
use rvo_isa::helper::timing::{copy, lru_scan, probe, words};
use rvo_isa::maps::{
    hash_key, update_flags, MapDesc, MapType, MAP_HEADER, SLOT_DELETED, SLOT_FREE, SLOT_HEADER,
    SLOT_USED,
};

const fn round8(n: u32) -> usize {
    ((n + 7) & !7) as usize
}

fn host_err(map: usize) -> impl Fn(MapOpError) -> DeviceError {
    move |err| DeviceError::Map { map, err }
}

/// A map operation's outcome and the engine cycles it took.
pub type Timed<T> = (Result<T, MapOpError>, u32);

/// The device's maps and their memory.
#[derive(Clone, Debug, Default)]
pub struct Maps {
    /// Descriptors, as the image laid them out.
    pub descs: Vec<MapDesc>,
    /// The map region.
    pub mem: Vec<u8>,
}

fn u32_at(mem: &[u8], at: usize) -> u32 {
    mem.get(at..at + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn set_u32(mem: &mut [u8], at: usize, v: u32) {
    if let Some(s) = mem.get_mut(at..at + 4) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

/// Whether two LPM keys name the same prefix: same length, same leading bits.
fn lpm_same(a: &[u8], b: &[u8]) -> bool {
    let (la, lb) = (u32_at(a, 0), u32_at(b, 0));
    la == lb && lpm_covers(b, &a[4..])
}

/// Whether the prefix `entry` (`{u32 prefixlen, data}`) covers the address `data`.
fn lpm_covers(entry: &[u8], data: &[u8]) -> bool {
    let len = u32_at(entry, 0) as usize;
    let prefix = &entry[4..];
    if len > prefix.len() * 8 || len > data.len() * 8 {
        return false;
    }
    let (bytes, bits) = (len / 8, len % 8);
    if prefix[..bytes] != data[..bytes] {
        return false;
    }
    bits == 0 || {
        let mask = 0xffu8 << (8 - bits);
        prefix[bytes] & mask == data[bytes] & mask
    }
}

impl Maps {
    /// Lay out the maps of an image and write their initial values.
    pub fn new(descs: Vec<MapDesc>, init: &[u8]) -> Maps {
        let end = descs
            .iter()
            .map(|d| d.offset as usize + d.size as usize)
            .max()
            .unwrap_or(0);
        let mut mem = vec![0u8; end];
        let mut at = 0;
        for d in &descs {
            let n = d.init_len as usize;
            if let (Some(dst), Some(src)) = (
                mem.get_mut(d.offset as usize..d.offset as usize + n),
                init.get(at..at + n),
            ) {
                dst.copy_from_slice(src);
            }
            at += n;
        }
        Maps { descs, mem }
    }

    fn desc(&self, m: usize) -> Result<(MapDesc, MapType), MapOpError> {
        let d = *self.descs.get(m).ok_or(MapOpError::Inval)?;
        Ok((d, d.kind().ok_or(MapOpError::Inval)?))
    }

    /// Array-like maps whose slots may be empty (a zero value means "no entry").
    pub fn sparse(kind: MapType) -> bool {
        matches!(kind, MapType::Devmap | MapType::ProgArray)
    }

    /// Offset in map memory of an array-like map's value `idx`.
    fn array_value(d: &MapDesc, idx: u32) -> usize {
        d.offset as usize + idx as usize * d.value_stride() as usize
    }

    /// Offset of hashed slot `i`.
    fn slot(d: &MapDesc, i: u32) -> usize {
        d.offset as usize + MAP_HEADER as usize + i as usize * d.slot_size() as usize
    }

    fn slot_key(&self, d: &MapDesc, i: u32) -> &[u8] {
        let at = Self::slot(d, i) + SLOT_HEADER as usize;
        &self.mem[at..at + d.key_size as usize]
    }

    fn value_of_slot(d: &MapDesc, i: u32) -> usize {
        Self::slot(d, i) + SLOT_HEADER as usize + round8(d.key_size)
    }

    /// Entries in a hashed map (its header's first word).
    fn count(&self, d: &MapDesc) -> u32 {
        u32_at(&self.mem, d.offset as usize)
    }

    fn set_count(&mut self, d: &MapDesc, n: u32) {
        set_u32(&mut self.mem, d.offset as usize, n);
    }

    /// Find the slot of `key` in a hashed map: `(Ok(slot) | Err(first free or deleted slot), probes)`.
    fn find(&self, d: &MapDesc, kind: MapType, key: &[u8]) -> (Result<u32, Option<u32>>, u32) {
        let n = d.slots();
        if kind == MapType::LpmTrie {
            // The trie unit compares prefixes, not hashes: it walks the slots in order.
            let mut free = None;
            for i in 0..n {
                match u32_at(&self.mem, Self::slot(d, i)) {
                    SLOT_USED if lpm_same(self.slot_key(d, i), key) => return (Ok(i), i + 1),
                    SLOT_USED => {}
                    _ => free = free.or(Some(i)),
                }
            }
            return (Err(free), n);
        }
        let mut i = hash_key(key) & (n - 1);
        let mut free = None;
        for probe in 1..=n {
            match u32_at(&self.mem, Self::slot(d, i)) {
                SLOT_FREE => return (Err(free.or(Some(i))), probe),
                SLOT_DELETED => free = free.or(Some(i)),
                _ if self.slot_key(d, i) == key => return (Ok(i), probe),
                _ => {}
            }
            i = (i + 1) & (n - 1);
        }
        (Err(free), n)
    }

    /// Where the value of `key` is: its offset in map memory.
    pub fn lookup(&mut self, m: usize, key: &[u8]) -> Timed<Option<usize>> {
        let (d, kind) = match self.desc(m) {
            Ok(dk) => dk,
            Err(e) => return (Err(e), 0),
        };
        if key.len() != d.key_size as usize {
            return (Err(MapOpError::Inval), 0);
        }
        if !kind.is_hashed() {
            let idx = u32_at(key, 0);
            if idx >= d.max_entries {
                return (Ok(None), 1);
            }
            let at = Self::array_value(&d, idx);
            let empty = Self::sparse(kind) && u32_at(&self.mem, at) == 0;
            return (Ok((!empty).then_some(at)), 2);
        }
        if kind == MapType::LpmTrie {
            return (
                Ok(self.lpm_lookup(&d, key)),
                1 + d.slots() * probe(d.key_size),
            );
        }
        let (found, probes) = self.find(&d, kind, key);
        let cycles = 1 + probes * probe(d.key_size);
        match found {
            Ok(i) => {
                if kind == MapType::LruHash {
                    self.touch(&d, i);
                    return (Ok(Some(Self::value_of_slot(&d, i))), cycles + 1);
                }
                (Ok(Some(Self::value_of_slot(&d, i))), cycles)
            }
            Err(_) => (Ok(None), cycles),
        }
    }

    /// Longest prefix match: the used entry with the longest prefix covering the key's data
    /// (the first of equals, in slot order).
    fn lpm_lookup(&self, d: &MapDesc, key: &[u8]) -> Option<usize> {
        let max_len = u32_at(key, 0);
        let mut best: Option<(u32, u32)> = None;
        for i in 0..d.slots() {
            if u32_at(&self.mem, Self::slot(d, i)) != SLOT_USED {
                continue;
            }
            let entry = self.slot_key(d, i);
            let len = u32_at(entry, 0);
            if len <= max_len && lpm_covers(entry, &key[4..]) && best.is_none_or(|(l, _)| len > l) {
                best = Some((len, i));
            }
        }
        best.map(|(_, i)| Self::value_of_slot(d, i))
    }

    /// Mark slot `i` most recently used: the map's clock advances into the slot's stamp.
    fn touch(&mut self, d: &MapDesc, i: u32) {
        let clock = u32_at(&self.mem, d.offset as usize + 4).wrapping_add(1);
        set_u32(&mut self.mem, d.offset as usize + 4, clock);
        set_u32(&mut self.mem, Self::slot(d, i) + 4, clock);
    }

    /// Create or replace an entry, with Linux's flag semantics.
    pub fn update(&mut self, m: usize, key: &[u8], value: &[u8], flags: u64) -> Timed<()> {
        let (d, kind) = match self.desc(m) {
            Ok(dk) => dk,
            Err(e) => return (Err(e), 0),
        };
        if key.len() != d.key_size as usize
            || value.len() != d.value_size as usize
            || flags > update_flags::EXIST
        {
            return (Err(MapOpError::Inval), 0);
        }
        if !kind.is_hashed() {
            return self.update_array(&d, kind, key, value, flags);
        }
        if kind == MapType::LpmTrie && u32_at(key, 0) as usize > (key.len() - 4) * 8 {
            return (Err(MapOpError::Inval), 1);
        }
        let (found, probes) = self.find(&d, kind, key);
        let mut cycles = 1 + probes * probe(d.key_size);
        let slot = match (found, flags) {
            (Ok(_), update_flags::NOEXIST) => return (Err(MapOpError::Exists), cycles),
            (Ok(i), _) => i,
            (Err(_), update_flags::EXIST) => return (Err(MapOpError::NoEnt), cycles),
            (Err(free), _) => match self.insert_slot(&d, kind, key, free, &mut cycles) {
                Ok(i) => {
                    // A new entry's key is written a word per cycle.
                    cycles += words(d.key_size);
                    i
                }
                Err(e) => return (Err(e), cycles),
            },
        };
        // The slot header, then the value.
        cycles += 1 + copy(words(d.value_size));
        let at = Self::slot(&d, slot);
        set_u32(&mut self.mem, at, SLOT_USED);
        let k = at + SLOT_HEADER as usize;
        self.mem[k..k + key.len()].copy_from_slice(key);
        let v = k + round8(d.key_size);
        self.mem[v..v + value.len()].copy_from_slice(value);
        if kind == MapType::LruHash {
            self.touch(&d, slot);
        }
        (Ok(()), cycles)
    }

    fn update_array(
        &mut self,
        d: &MapDesc,
        kind: MapType,
        key: &[u8],
        value: &[u8],
        flags: u64,
    ) -> Timed<()> {
        let idx = u32_at(key, 0);
        if idx >= d.max_entries {
            return (Err(MapOpError::TooBig), 1);
        }
        let at = Self::array_value(d, idx);
        let present = !Self::sparse(kind) || u32_at(&self.mem, at) != 0;
        let refused = match (kind, flags) {
            (MapType::ProgArray, f) if f != update_flags::ANY => Some(MapOpError::Inval),
            (MapType::Devmap, update_flags::NOEXIST) => Some(MapOpError::Exists),
            (_, update_flags::NOEXIST) if present => Some(MapOpError::Exists),
            (_, update_flags::EXIST) if !present => Some(MapOpError::NoEnt),
            _ => None,
        };
        if let Some(e) = refused {
            return (Err(e), 2);
        }
        self.mem[at..at + value.len()].copy_from_slice(value);
        (Ok(()), 2 + copy(words(d.value_size)))
    }

    /// A slot for a new key: a free one while below `max_entries`; for LRU maps, the least
    /// recently used entry's slot when full.
    fn insert_slot(
        &mut self,
        d: &MapDesc,
        kind: MapType,
        key: &[u8],
        free: Option<u32>,
        cycles: &mut u32,
    ) -> Result<u32, MapOpError> {
        let count = self.count(d);
        if count >= d.max_entries {
            if kind != MapType::LruHash {
                return Err(MapOpError::TooBig);
            }
            // Scan for the oldest stamp, delete that entry, probe again.
            *cycles += lru_scan(d.slots()) + 1;
            let victim = (0..d.slots())
                .filter(|&i| u32_at(&self.mem, Self::slot(d, i)) == SLOT_USED)
                .min_by_key(|&i| u32_at(&self.mem, Self::slot(d, i) + 4))
                .ok_or(MapOpError::NoMem)?;
            set_u32(&mut self.mem, Self::slot(d, victim), SLOT_DELETED);
            self.set_count(d, count - 1);
            let (found, probes) = self.find(d, kind, key);
            *cycles += probes * probe(d.key_size);
            return self.insert_slot(d, kind, key, found.err().flatten(), cycles);
        }
        let slot = free.ok_or(MapOpError::NoMem)?;
        self.set_count(d, count + 1);
        Ok(slot)
    }

    /// Delete an entry.
    pub fn delete(&mut self, m: usize, key: &[u8]) -> Timed<()> {
        let (d, kind) = match self.desc(m) {
            Ok(dk) => dk,
            Err(e) => return (Err(e), 0),
        };
        if key.len() != d.key_size as usize {
            return (Err(MapOpError::Inval), 0);
        }
        if !kind.is_hashed() {
            let idx = u32_at(key, 0);
            if !Self::sparse(kind) || idx >= d.max_entries {
                return (Err(MapOpError::Inval), 1);
            }
            let at = Self::array_value(&d, idx);
            self.mem[at..at + d.value_size as usize].fill(0);
            return (Ok(()), 1 + words(d.value_size));
        }
        let (found, probes) = self.find(&d, kind, key);
        let cycles = 1 + probes * probe(d.key_size);
        let Ok(i) = found else {
            return (Err(MapOpError::NoEnt), cycles);
        };
        set_u32(&mut self.mem, Self::slot(&d, i), SLOT_DELETED);
        let count = self.count(&d);
        self.set_count(&d, count.wrapping_sub(1));
        (Ok(()), cycles + 1)
    }

    /// The key after `key` (the first key for `None` or a key not in the map), or `None` at
    /// the end: `BPF_MAP_GET_NEXT_KEY`.
    pub fn next_key(&self, m: usize, key: Option<&[u8]>) -> Result<Option<Vec<u8>>, MapOpError> {
        let (d, kind) = self.desc(m)?;
        if !kind.is_hashed() {
            let start = match key.map(|k| u32_at(k, 0)) {
                Some(i) if i < d.max_entries => i + 1,
                _ => 0,
            };
            let next = (start..d.max_entries)
                .find(|&i| !Self::sparse(kind) || u32_at(&self.mem, Self::array_value(&d, i)) != 0);
            return Ok(next.map(|i| i.to_le_bytes().to_vec()));
        }
        let start = match key.map(|k| self.find(&d, kind, k).0) {
            Some(Ok(i)) => i + 1,
            _ => 0,
        };
        let next = (start..d.slots()).find(|&i| u32_at(&self.mem, Self::slot(&d, i)) == SLOT_USED);
        Ok(next.map(|i| self.slot_key(&d, i).to_vec()))
    }

    /// `Device::map_lookup` on these maps: the value of `key`, if present.
    ///
    /// # Errors
    /// Linux's error for the map and key.
    pub fn host_lookup(&mut self, m: usize, key: &[u8]) -> Result<Option<Vec<u8>>, DeviceError> {
        let at = self.lookup(m, key).0.map_err(host_err(m))?;
        Ok(at.map(|at| self.value(m, at).to_vec()))
    }

    /// `Device::map_update` on these maps.
    ///
    /// # Errors
    /// Linux's error for the map, key, value and flags.
    pub fn host_update(
        &mut self,
        m: usize,
        key: &[u8],
        value: &[u8],
        flags: u64,
    ) -> Result<(), DeviceError> {
        self.update(m, key, value, flags).0.map_err(host_err(m))
    }

    /// `Device::map_delete` on these maps.
    ///
    /// # Errors
    /// Linux's error for the map and key.
    pub fn host_delete(&mut self, m: usize, key: &[u8]) -> Result<(), DeviceError> {
        self.delete(m, key).0.map_err(host_err(m))
    }

    /// `Device::map_next_key` on these maps.
    ///
    /// # Errors
    /// Linux's error for the map.
    pub fn host_next_key(
        &self,
        m: usize,
        key: Option<&[u8]>,
    ) -> Result<Option<Vec<u8>>, DeviceError> {
        self.next_key(m, key).map_err(host_err(m))
    }

    /// The value bytes at an offset `lookup` returned.
    pub fn value(&self, m: usize, at: usize) -> &[u8] {
        let n = self.descs.get(m).map_or(0, |d| d.value_size as usize);
        self.mem.get(at..at + n).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(kind: MapType, key_size: u32, value_size: u32, max_entries: u32) -> Maps {
        let mut d = MapDesc {
            map_type: kind as u32,
            key_size,
            value_size,
            max_entries,
            ..MapDesc::default()
        };
        d.size = d.memory_size().expect("valid map");
        Maps::new(vec![d], &[])
    }

    #[test]
    fn hash_flags_and_capacity_follow_linux() {
        let mut m = map(MapType::Hash, 4, 8, 2);
        let (k1, k2, k3) = (1u32.to_le_bytes(), 2u32.to_le_bytes(), 3u32.to_le_bytes());
        let v = 7u64.to_le_bytes();
        assert_eq!(
            m.update(0, &k1, &v, update_flags::EXIST).0,
            Err(MapOpError::NoEnt)
        );
        assert!(m.update(0, &k1, &v, update_flags::NOEXIST).0.is_ok());
        assert_eq!(
            m.update(0, &k1, &v, update_flags::NOEXIST).0,
            Err(MapOpError::Exists)
        );
        assert!(m.update(0, &k2, &v, update_flags::ANY).0.is_ok());
        assert_eq!(
            m.update(0, &k3, &v, update_flags::ANY).0,
            Err(MapOpError::TooBig)
        );
        assert!(
            m.update(0, &k2, &v, update_flags::ANY).0.is_ok(),
            "replacing is not adding"
        );
        assert!(m.delete(0, &k1).0.is_ok());
        assert_eq!(m.delete(0, &k1).0, Err(MapOpError::NoEnt));
        assert!(m.update(0, &k3, &v, update_flags::ANY).0.is_ok());
        let at = m.lookup(0, &k3).0.expect("lookup");
        assert_eq!(m.value(0, at.expect("present")), &v);
        let mut keys = vec![];
        let mut k = None;
        while let Some(next) = m.next_key(0, k.as_deref()).expect("next") {
            keys.push(next.clone());
            k = Some(next);
        }
        keys.sort();
        assert_eq!(keys, vec![k2.to_vec(), k3.to_vec()]);
    }

    #[test]
    fn lru_evicts_the_least_recent() {
        let mut m = map(MapType::LruHash, 4, 4, 2);
        let k = |i: u32| i.to_le_bytes();
        m.update(0, &k(1), &k(10), 0).0.expect("insert");
        m.update(0, &k(2), &k(20), 0).0.expect("insert");
        m.lookup(0, &k(1)).0.expect("touch 1");
        m.update(0, &k(3), &k(30), 0).0.expect("evicts 2");
        assert!(m.lookup(0, &k(2)).0.expect("lookup").is_none());
        assert!(m.lookup(0, &k(1)).0.expect("lookup").is_some());
    }

    #[test]
    fn arrays_and_lpm() {
        let mut a = map(MapType::Array, 4, 4, 4);
        assert_eq!(
            a.update(0, &9u32.to_le_bytes(), &[1, 0, 0, 0], 0).0,
            Err(MapOpError::TooBig)
        );
        assert_eq!(
            a.update(0, &1u32.to_le_bytes(), &[1, 0, 0, 0], 1).0,
            Err(MapOpError::Exists)
        );
        assert_eq!(a.delete(0, &1u32.to_le_bytes()).0, Err(MapOpError::Inval));
        let mut t = map(MapType::LpmTrie, 8, 4, 8);
        let key = |len: u32, a: [u8; 4]| [len.to_le_bytes(), a].concat();
        t.update(0, &key(8, [10, 0, 0, 0]), &[1, 0, 0, 0], 0)
            .0
            .expect("10/8");
        t.update(0, &key(24, [10, 1, 2, 0]), &[2, 0, 0, 0], 0)
            .0
            .expect("10.1.2/24");
        let hit = |t: &mut Maps, a| {
            t.lookup(0, &key(32, a))
                .0
                .expect("lookup")
                .map(|at| t.value(0, at)[0])
        };
        assert_eq!(hit(&mut t, [10, 1, 2, 3]), Some(2));
        assert_eq!(hit(&mut t, [10, 9, 9, 9]), Some(1));
        assert_eq!(hit(&mut t, [11, 0, 0, 0]), None);
        assert_eq!(
            t.update(0, &key(33, [0; 4]), &[0; 4], 0).0,
            Err(MapOpError::Inval)
        );
    }
}
