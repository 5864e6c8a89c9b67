//! Encoding: resolve branch targets to bundles and write the image.

use crate::error::{CompileError, ErrorKind};
use crate::workspace::{Target, Workspace};
use rvo_isa::maps::MAP_DESC_LEN;
use rvo_isa::region::IMEM_BUNDLES;
use rvo_isa::{ImageHeader, Insn, Opcode, HEADER_LEN, IMAGE_MAGIC, IMAGE_VERSION};

/// Facts about an encoded image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    /// Bytes written.
    pub len: usize,
    /// Bundles of code.
    pub bundles: usize,
    /// rvo instructions (nops excluded).
    pub insns: usize,
    /// The header written.
    pub header: ImageHeader,
}

/// Bytes of the data section: empty for a lone program without maps.
fn data_len(ws: &Workspace, init: &[u8]) -> usize {
    if ws.n_maps == 0 && ws.n_programs <= 1 {
        0
    } else {
        8 + ws.n_maps * MAP_DESC_LEN + 4 * ws.n_programs + init.len()
    }
}

/// Bytes the image of the current schedule needs.
pub fn image_len(ws: &Workspace, lanes: usize, init: &[u8]) -> usize {
    HEADER_LEN + ws.n_bundles * lanes * 8 + data_len(ws, init)
}

/// Write the image into `out`; `init` holds the maps' initial values (see `rvo_isa::image`).
pub fn encode(
    ws: &Workspace,
    lanes: usize,
    stack: u32,
    ebpf_insns: usize,
    init: &[u8],
    out: &mut [u8],
) -> Result<ImageInfo, CompileError> {
    if ws.n_bundles > IMEM_BUNDLES {
        return Err(CompileError::program(ErrorKind::CodeTooLarge(ws.n_bundles)));
    }
    let len = image_len(ws, lanes, init);
    let out = out
        .get_mut(..len)
        .ok_or(CompileError::program(ErrorKind::OutputTooSmall(len)))?;
    let header = ImageHeader {
        magic: IMAGE_MAGIC,
        version: IMAGE_VERSION,
        lanes: lanes as u8,
        code_bundles: ws.n_bundles as u32,
        entry: ws.programs[..ws.n_programs]
            .first()
            .map_or(0, |&s| bundle_of_slot(ws, s as u16) as u32),
        stack_size: stack,
        data_len: data_len(ws, init) as u32,
        ebpf_insns: ebpf_insns as u32,
        ..ImageHeader::default()
    };
    out[..HEADER_LEN].copy_from_slice(&header.to_bytes());
    let code_end = HEADER_LEN + ws.n_bundles * lanes * 8;
    let nop = Insn::bare(Opcode::Nop).encode().to_le_bytes();
    for word in out[HEADER_LEN..code_end].chunks_exact_mut(8) {
        word.copy_from_slice(&nop);
    }
    for (i, l) in ws.code[..ws.n_code].iter().enumerate() {
        let mut insn = l.insn;
        if let Target::Slot(slot) = l.target {
            insn.off = bundle_of_slot(ws, slot) as i16;
        }
        let at = HEADER_LEN + (ws.bundle_of[i] as usize * lanes + ws.lane_of[i] as usize) * 8;
        out[at..at + 8].copy_from_slice(&insn.encode().to_le_bytes());
    }
    write_data(ws, init, &mut out[code_end..]);
    Ok(ImageInfo {
        len,
        bundles: ws.n_bundles,
        insns: ws.n_code,
        header,
    })
}

/// The data section: map table, program entries, initial values.
fn write_data(ws: &Workspace, init: &[u8], out: &mut [u8]) {
    if out.is_empty() {
        return;
    }
    out[0..4].copy_from_slice(&(ws.n_maps as u32).to_le_bytes());
    out[4..8].copy_from_slice(&(ws.n_programs as u32).to_le_bytes());
    let mut at = 8;
    for m in &ws.maps[..ws.n_maps] {
        out[at..at + MAP_DESC_LEN].copy_from_slice(&m.to_bytes());
        at += MAP_DESC_LEN;
    }
    for &p in &ws.programs[..ws.n_programs] {
        out[at..at + 4].copy_from_slice(&(bundle_of_slot(ws, p as u16) as u32).to_le_bytes());
        at += 4;
    }
    out[at..at + init.len()].copy_from_slice(init);
}

/// The bundle where eBPF slot `slot` begins. Labels always start a bundle and always keep an
/// instruction of their own slot (fusions never remove a label), so the search succeeds.
fn bundle_of_slot(ws: &Workspace, slot: u16) -> u16 {
    let code = &ws.code[..ws.n_code];
    let i = code.partition_point(|l| l.src < slot);
    ws.bundle_of[i.min(ws.n_code.saturating_sub(1))]
}
