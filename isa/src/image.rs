//! The image: what the compiler produces and every device loads.
//!
//! Layout (all little-endian): an [`ImageHeader`] (32 bytes), then `code_bundles * lanes`
//! instruction words (bundle-major: the words of bundle 0, lanes 0..N, then bundle 1...), then
//! `data_len` bytes of data:
//!
//! ```text
//! u32 n_maps, u32 n_progs, MapDesc[n_maps], u32 entry[n_progs], initial map values
//! ```
//!
//! `entry[i]` is the first bundle of program `i` of the object (tail calls go there; program 0
//! is the one attached, `entry[0] == header.entry`). The initial values are the `init_len`
//! bytes of each map in turn, written at the start of its memory when the image loads (global
//! data sections). An image without maps or extra programs may have `data_len == 0`.

use crate::region::{IMEM_BUNDLES, MAX_LANES, STACK_SIZE};
use core::fmt;

/// `b"RVO1"` read as a little-endian `u32`.
pub const IMAGE_MAGIC: u32 = u32::from_le_bytes(*b"RVO1");
/// Format version; bumped on any incompatible change.
pub const IMAGE_VERSION: u16 = 1;

/// The fixed header at the start of an image.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "bytemuck", derive(bytemuck::Pod, bytemuck::Zeroable))]
#[repr(C)]
pub struct ImageHeader {
    /// [`IMAGE_MAGIC`].
    pub magic: u32,
    /// [`IMAGE_VERSION`].
    pub version: u16,
    /// Lanes per bundle the code was scheduled for.
    pub lanes: u8,
    /// Reserved, zero.
    pub reserved: u8,
    /// Number of bundles of code.
    pub code_bundles: u32,
    /// Bundle where execution starts.
    pub entry: u32,
    /// Stack bytes the program needs, all call frames together.
    pub stack_size: u32,
    /// Bytes of data after the code.
    pub data_len: u32,
    /// Number of eBPF instructions the image was compiled from (for reports).
    pub ebpf_insns: u32,
    /// Reserved, zero.
    pub reserved2: u32,
}

/// Size of the header in bytes.
pub const HEADER_LEN: usize = core::mem::size_of::<ImageHeader>();

/// Why bytes are not a loadable image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// Fewer bytes than the header or the sizes it announces.
    Truncated,
    /// Not an rvo image.
    BadMagic,
    /// An image of another format version.
    BadVersion(u16),
    /// Lanes outside 1..=MAX_LANES, or not the device's lane count.
    BadLanes(u8),
    /// More code than instruction memory, or more stack than the hardware has.
    TooLarge,
    /// The entry point is outside the code.
    BadEntry,
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageError::Truncated => write!(f, "image is truncated"),
            ImageError::BadMagic => write!(f, "not an rvo image (bad magic)"),
            ImageError::BadVersion(v) => {
                write!(f, "image format version {v}, expected {IMAGE_VERSION}")
            }
            ImageError::BadLanes(l) => write!(f, "image is scheduled for {l} lanes"),
            ImageError::TooLarge => write!(f, "image exceeds instruction memory or stack"),
            ImageError::BadEntry => write!(f, "image entry point is outside its code"),
        }
    }
}

impl ImageHeader {
    /// Serialise to the on-wire bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..4].copy_from_slice(&self.magic.to_le_bytes());
        out[4..6].copy_from_slice(&self.version.to_le_bytes());
        out[6] = self.lanes;
        out[7] = self.reserved;
        let words = [
            self.code_bundles,
            self.entry,
            self.stack_size,
            self.data_len,
            self.ebpf_insns,
            self.reserved2,
        ];
        for (i, w) in words.iter().enumerate() {
            out[8 + 4 * i..12 + 4 * i].copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// Parse and check a header.
    pub fn from_bytes(bytes: &[u8]) -> Result<ImageHeader, ImageError> {
        let b = bytes.get(..HEADER_LEN).ok_or(ImageError::Truncated)?;
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let h = ImageHeader {
            magic: u32_at(0),
            version: u16::from_le_bytes([b[4], b[5]]),
            lanes: b[6],
            reserved: b[7],
            code_bundles: u32_at(8),
            entry: u32_at(12),
            stack_size: u32_at(16),
            data_len: u32_at(20),
            ebpf_insns: u32_at(24),
            reserved2: u32_at(28),
        };
        if h.magic != IMAGE_MAGIC {
            return Err(ImageError::BadMagic);
        }
        if h.version != IMAGE_VERSION {
            return Err(ImageError::BadVersion(h.version));
        }
        if h.lanes == 0 || h.lanes as usize > MAX_LANES {
            return Err(ImageError::BadLanes(h.lanes));
        }
        if h.code_bundles as usize > IMEM_BUNDLES || h.stack_size > STACK_SIZE {
            return Err(ImageError::TooLarge);
        }
        if h.entry >= h.code_bundles {
            return Err(ImageError::BadEntry);
        }
        Ok(h)
    }

    /// Total bytes of the image this header describes.
    pub fn image_len(&self) -> usize {
        HEADER_LEN + self.code_bundles as usize * self.lanes as usize * 8 + self.data_len as usize
    }
}

/// A parsed view of image bytes.
#[derive(Clone, Copy, Debug)]
pub struct ImageView<'a> {
    /// The header.
    pub header: ImageHeader,
    code: &'a [u8],
    /// Initial data.
    pub data: &'a [u8],
}

impl<'a> ImageView<'a> {
    /// Check the header and the sizes; the code words are decoded by the device at load time.
    pub fn parse(bytes: &'a [u8]) -> Result<ImageView<'a>, ImageError> {
        let header = ImageHeader::from_bytes(bytes)?;
        if bytes.len() < header.image_len() {
            return Err(ImageError::Truncated);
        }
        let code_len = header.code_bundles as usize * header.lanes as usize * 8;
        let code = &bytes[HEADER_LEN..HEADER_LEN + code_len];
        let data = &bytes[HEADER_LEN + code_len..header.image_len()];
        Ok(ImageView { header, code, data })
    }

    /// The map table, program entries and initial values of the data section.
    pub fn tables(&self) -> Result<DataTables<'a>, ImageError> {
        let d = self.data;
        if d.is_empty() {
            return Ok(DataTables {
                maps: &[],
                entries: &[],
                init: &[],
            });
        }
        let word = |i: usize| {
            d.get(i..i + 4)
                .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
        };
        let (n_maps, n_progs) = (
            word(0).ok_or(ImageError::Truncated)?,
            word(4).ok_or(ImageError::Truncated)?,
        );
        if n_maps > crate::maps::MAX_MAPS || n_progs > crate::maps::MAX_MAPS {
            return Err(ImageError::TooLarge);
        }
        let maps_end = 8 + n_maps * crate::maps::MAP_DESC_LEN;
        let entries_end = maps_end + 4 * n_progs;
        let maps = d.get(8..maps_end).ok_or(ImageError::Truncated)?;
        let entries = d.get(maps_end..entries_end).ok_or(ImageError::Truncated)?;
        Ok(DataTables {
            maps,
            entries,
            init: &d[entries_end..],
        })
    }

    /// Instruction word `lane` of bundle `bundle`.
    pub fn word(&self, bundle: usize, lane: usize) -> u64 {
        let i = (bundle * self.header.lanes as usize + lane) * 8;
        let mut w = [0u8; 8];
        w.copy_from_slice(&self.code[i..i + 8]);
        u64::from_le_bytes(w)
    }
}

/// The tables of an image's data section, still as bytes.
#[derive(Clone, Copy, Debug)]
pub struct DataTables<'a> {
    maps: &'a [u8],
    entries: &'a [u8],
    /// Initial map values, in map order.
    pub init: &'a [u8],
}

impl DataTables<'_> {
    /// The map descriptors.
    pub fn maps(&self) -> impl Iterator<Item = crate::maps::MapDesc> + '_ {
        self.maps
            .chunks_exact(crate::maps::MAP_DESC_LEN)
            .filter_map(crate::maps::MapDesc::from_bytes)
    }

    /// Entry bundles of the object's programs.
    pub fn entries(&self) -> impl Iterator<Item = u32> + '_ {
        self.entries
            .chunks_exact(4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> ImageHeader {
        ImageHeader {
            magic: IMAGE_MAGIC,
            version: IMAGE_VERSION,
            lanes: 2,
            code_bundles: 3,
            stack_size: 64,
            data_len: 5,
            ebpf_insns: 6,
            ..ImageHeader::default()
        }
    }

    #[test]
    fn header_round_trips() {
        let h = header();
        assert_eq!(ImageHeader::from_bytes(&h.to_bytes()), Ok(h));
    }

    #[test]
    fn view_checks_sizes() {
        let h = header();
        let mut bytes = h.to_bytes().to_vec();
        bytes.extend((0..3 * 2 * 8 + 5).map(|i| i as u8));
        let v = ImageView::parse(&bytes).expect("valid image");
        assert_eq!(v.data, &[48, 49, 50, 51, 52]);
        assert_eq!(
            v.word(1, 1),
            u64::from_le_bytes([24, 25, 26, 27, 28, 29, 30, 31])
        );
        assert_eq!(
            ImageView::parse(&bytes[..bytes.len() - 1]).err(),
            Some(ImageError::Truncated)
        );
        bytes[0] ^= 1;
        assert_eq!(ImageView::parse(&bytes).err(), Some(ImageError::BadMagic));
    }

    #[cfg(feature = "bytemuck")]
    #[test]
    fn pod_layout_matches_bytes() {
        let h = header();
        assert_eq!(bytemuck::bytes_of(&h), &h.to_bytes()[..]);
    }
}
