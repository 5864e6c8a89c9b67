//! Maps in device memory: the descriptor table an image carries and the memory layout of every
//! map type the map engines implement.
//!
//! Map type numbers are Linux's `enum bpf_map_type` (a stable ABI), so the compiler, the
//! driver and `bpftool` name the same thing. Each map owns a contiguous range of the map region:
//!
//! * array-like maps (ARRAY, PERCPU_ARRAY, DEVMAP, PROG_ARRAY): `max_entries` values, each
//!   padded to 8 bytes; the value of index `i` is at `offset + i * round8(value_size)`.
//! * hashed maps (HASH, PERCPU_HASH, LRU_HASH, DEVMAP_HASH, LPM_TRIE): a `MAP_HEADER` of two
//!   words (the entry count, the map's LRU clock), then `slots(max_entries)` slots of
//!   `SLOT_HEADER + round8(key_size) + round8(value_size)` bytes. A slot header's first word is
//!   the slot state (0 free, 1 used, 2 deleted), the second its LRU stamp; the table is
//!   open-addressed with linear probing from the hardware hash of the key ([`hash_key`]).
//!   Count and clock live in map memory, not in the engine, so the core's map engine and the
//!   host's map operations (which work on the same memory) always agree.
//!
//! The device runs as CPU 0: per-CPU maps hold that CPU's values; other CPUs' values live with
//! the host.

use core::fmt;

/// Bytes of a hashed map's header: `u32` entry count, `u32` LRU clock.
pub const MAP_HEADER: u32 = 8;
/// Bytes of a hashed map's slot header.
pub const SLOT_HEADER: u32 = 8;
/// Slot states.
pub const SLOT_FREE: u32 = 0;
/// A slot holding an entry.
pub const SLOT_USED: u32 = 1;
/// A slot whose entry was deleted (probing continues past it).
pub const SLOT_DELETED: u32 = 2;
/// Most maps one program may use.
pub const MAX_MAPS: usize = 64;

macro_rules! map_types {
    ($($name:ident = $id:literal, $linux:literal, $hashed:literal;)*) => {
        /// A map type the device implements.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum MapType {
            $(#[doc = $linux] $name = $id,)*
        }

        impl MapType {
            /// Every supported type.
            pub const ALL: &'static [MapType] = &[$(MapType::$name,)*];

            /// The type with Linux's number `id`.
            pub const fn from_id(id: u32) -> Option<MapType> {
                match id {
                    $($id => Some(MapType::$name),)*
                    _ => None,
                }
            }

            /// Linux's name.
            pub const fn linux_name(self) -> &'static str {
                match self { $(MapType::$name => $linux,)* }
            }

            /// Whether entries are found by hashing the key (else by index).
            pub const fn is_hashed(self) -> bool {
                match self { $(MapType::$name => $hashed,)* }
            }
        }
    };
}

map_types! {
    Hash = 1, "BPF_MAP_TYPE_HASH", true;
    Array = 2, "BPF_MAP_TYPE_ARRAY", false;
    ProgArray = 3, "BPF_MAP_TYPE_PROG_ARRAY", false;
    PercpuHash = 5, "BPF_MAP_TYPE_PERCPU_HASH", true;
    PercpuArray = 6, "BPF_MAP_TYPE_PERCPU_ARRAY", false;
    LruHash = 9, "BPF_MAP_TYPE_LRU_HASH", true;
    LpmTrie = 11, "BPF_MAP_TYPE_LPM_TRIE", true;
    Devmap = 14, "BPF_MAP_TYPE_DEVMAP", false;
    DevmapHash = 25, "BPF_MAP_TYPE_DEVMAP_HASH", true;
}

impl MapType {
    /// Whether the map holds a value per CPU.
    pub const fn is_percpu(self) -> bool {
        matches!(self, MapType::PercpuArray | MapType::PercpuHash)
    }
}

/// Linux's name for a map type number the device may not implement, for messages.
pub fn linux_map_type_name(id: u32) -> &'static str {
    match MapType::from_id(id) {
        Some(t) => t.linux_name(),
        None => match id {
            4 => "BPF_MAP_TYPE_PERF_EVENT_ARRAY",
            7 => "BPF_MAP_TYPE_STACK_TRACE",
            8 => "BPF_MAP_TYPE_CGROUP_ARRAY",
            10 => "BPF_MAP_TYPE_LRU_PERCPU_HASH",
            12 => "BPF_MAP_TYPE_ARRAY_OF_MAPS",
            13 => "BPF_MAP_TYPE_HASH_OF_MAPS",
            15 => "BPF_MAP_TYPE_SOCKMAP",
            16 => "BPF_MAP_TYPE_CPUMAP",
            17 => "BPF_MAP_TYPE_XSKMAP",
            22 => "BPF_MAP_TYPE_QUEUE",
            23 => "BPF_MAP_TYPE_STACK",
            27 => "BPF_MAP_TYPE_RINGBUF",
            _ => "an unknown map type",
        },
    }
}

const fn round8(n: u32) -> u32 {
    (n + 7) & !7
}

/// One map of an image, as the device's descriptor table holds it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "bytemuck", derive(bytemuck::Pod, bytemuck::Zeroable))]
#[repr(C)]
pub struct MapDesc {
    /// Linux map type number ([`MapType`]).
    pub map_type: u32,
    /// Key bytes.
    pub key_size: u32,
    /// Value bytes.
    pub value_size: u32,
    /// Capacity in entries.
    pub max_entries: u32,
    /// Linux map flags (`BPF_F_*`), kept for the host.
    pub flags: u32,
    /// Byte offset of the map's memory in the map region.
    pub offset: u32,
    /// Bytes of map memory it owns.
    pub size: u32,
    /// Bytes of initial value data in the image (global data maps: the section contents).
    pub init_len: u32,
}

/// Size of a descriptor in the image.
pub const MAP_DESC_LEN: usize = core::mem::size_of::<MapDesc>();

/// Why a map cannot live on the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// A type the device has no engine for.
    UnsupportedType(u32),
    /// Zero sizes, or sizes the type does not allow.
    BadSize,
    /// Larger than map memory.
    TooLarge,
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::UnsupportedType(t) => write!(
                f,
                "{} (type {t}) has no rvo map engine",
                linux_map_type_name(*t)
            ),
            MapError::BadSize => write!(f, "key, value or entry count is not valid for its type"),
            MapError::TooLarge => write!(
                f,
                "does not fit the device's {} bytes of map memory",
                crate::region::MAP_MEMORY
            ),
        }
    }
}

impl MapDesc {
    /// The map's type, if the device implements it.
    pub const fn kind(&self) -> Option<MapType> {
        MapType::from_id(self.map_type)
    }

    /// Bytes between consecutive values of an array-like map.
    pub const fn value_stride(&self) -> u32 {
        round8(self.value_size)
    }

    /// Number of slots of a hashed map: a power of two at least twice `max_entries`, so
    /// probing stays short.
    pub const fn slots(&self) -> u32 {
        let want = self.max_entries.saturating_mul(2);
        if want <= 1 {
            1
        } else {
            let p = want.next_power_of_two();
            if p == 0 {
                u32::MAX
            } else {
                p
            }
        }
    }

    /// Bytes of one slot of a hashed map.
    pub const fn slot_size(&self) -> u32 {
        SLOT_HEADER + round8(self.key_size) + round8(self.value_size)
    }

    /// Bytes of map memory this map needs, after checking its type and sizes.
    pub fn memory_size(&self) -> Result<u32, MapError> {
        let kind = self
            .kind()
            .ok_or(MapError::UnsupportedType(self.map_type))?;
        let ok = self.value_size > 0
            && self.max_entries > 0
            && match kind {
                MapType::Array | MapType::PercpuArray => self.key_size == 4,
                MapType::ProgArray => self.key_size == 4 && self.value_size == 4,
                MapType::Devmap => {
                    self.key_size == 4 && (self.value_size == 4 || self.value_size == 8)
                }
                MapType::DevmapHash => {
                    self.key_size == 4 && (self.value_size == 4 || self.value_size == 8)
                }
                MapType::LpmTrie => self.key_size > 4 && self.key_size <= 4 + 256,
                MapType::Hash | MapType::PercpuHash | MapType::LruHash => self.key_size > 0,
            };
        if !ok || self.key_size > 512 || self.value_size > 65536 {
            return Err(MapError::BadSize);
        }
        let bytes = if kind.is_hashed() {
            MAP_HEADER as u64 + (self.slots() as u64) * (self.slot_size() as u64)
        } else {
            (self.max_entries as u64) * (self.value_stride() as u64)
        };
        if bytes > crate::region::MAP_MEMORY as u64 {
            return Err(MapError::TooLarge);
        }
        Ok(bytes as u32)
    }

    /// Serialise to the image's little-endian form.
    pub fn to_bytes(&self) -> [u8; MAP_DESC_LEN] {
        let words = [
            self.map_type,
            self.key_size,
            self.value_size,
            self.max_entries,
            self.flags,
            self.offset,
            self.size,
            self.init_len,
        ];
        let mut out = [0u8; MAP_DESC_LEN];
        for (i, w) in words.iter().enumerate() {
            out[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// Parse the image form (`None` when `b` is too short).
    pub fn from_bytes(b: &[u8]) -> Option<MapDesc> {
        let w = |i: usize| -> Option<u32> {
            let s = b.get(4 * i..4 * i + 4)?;
            Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        };
        Some(MapDesc {
            map_type: w(0)?,
            key_size: w(1)?,
            value_size: w(2)?,
            max_entries: w(3)?,
            flags: w(4)?,
            offset: w(5)?,
            size: w(6)?,
            init_len: w(7)?,
        })
    }
}

/// One step of the key hash: a key word (8 bytes, little-endian, the last one zero-padded) is
/// folded in as two FNV-1a rounds on its halves. The map engine loads a key a word per cycle
/// and hashes it on the way: two multiplies by a constant (shifts and adds) per cycle.
pub const fn hash_word(h: u32, word: u64) -> u32 {
    const PRIME: u32 = 0x0100_0193;
    let h = (h ^ word as u32).wrapping_mul(PRIME);
    (h ^ (word >> 32) as u32).wrapping_mul(PRIME)
}

/// Initial value of the key hash (FNV-1a's offset basis).
pub const HASH_BASIS: u32 = 0x811c_9dc5;

/// The finishing mix of the key hash (murmur3's `fmix32`): multiplies carry high key bits
/// only upwards, and a slot index is the hash's low bits.
pub const fn hash_finish(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// The key word `i` of `key` as the engine reads it: 8 bytes, zero-padded past the key.
pub const fn key_word(key: &[u8], i: usize) -> u64 {
    let mut w = 0u64;
    let mut b = 0;
    while b < 8 {
        if 8 * i + b < key.len() {
            w |= (key[8 * i + b] as u64) << (8 * b);
        }
        b += 1;
    }
    w
}

/// The hardware hash of a key: [`hash_word`] over its words, then [`hash_finish`].
pub const fn hash_key(key: &[u8]) -> u32 {
    let mut h = HASH_BASIS;
    let mut i = 0;
    while 8 * i < key.len() {
        h = hash_word(h, key_word(key, i));
        i += 1;
    }
    hash_finish(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_round_trip() {
        let d = MapDesc {
            map_type: 1,
            key_size: 13,
            value_size: 4,
            max_entries: 100,
            ..MapDesc::default()
        };
        assert_eq!(d.slots(), 256);
        assert_eq!(d.slot_size(), 8 + 16 + 8);
        assert_eq!(d.memory_size(), Ok(MAP_HEADER + 256 * 32));
        assert_eq!(MapDesc::from_bytes(&d.to_bytes()), Some(d));
        let ring = MapDesc {
            map_type: 27,
            key_size: 0,
            value_size: 0,
            max_entries: 4096,
            ..MapDesc::default()
        };
        assert_eq!(ring.memory_size(), Err(MapError::UnsupportedType(27)));
        let huge = MapDesc {
            map_type: 2,
            key_size: 4,
            value_size: 4096,
            max_entries: 1 << 20,
            ..MapDesc::default()
        };
        assert_eq!(huge.memory_size(), Err(MapError::TooLarge));
    }
}

/// Linux errno values the map engines and helpers return (negated in `r0`).
pub mod errno {
    /// No such entry.
    pub const ENOENT: u32 = 2;
    /// Entry count limit reached.
    pub const E2BIG: u32 = 7;
    /// Entry exists (`BPF_NOEXIST`).
    pub const EEXIST: u32 = 17;
    /// Invalid argument.
    pub const EINVAL: u32 = 22;
    /// Out of memory (a hashed map's slots are exhausted).
    pub const ENOMEM: u32 = 12;
    /// Bad address (a helper's offset or length beyond 64 KiB).
    pub const EFAULT: u32 = 14;
    /// Not allowed (bad metadata length).
    pub const EACCES: u32 = 13;
}

/// Update flags (Linux's `BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`).
pub mod update_flags {
    /// Create or replace.
    pub const ANY: u64 = 0;
    /// Create only.
    pub const NOEXIST: u64 = 1;
    /// Replace only.
    pub const EXIST: u64 = 2;
}
