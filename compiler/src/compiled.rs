//! User-space conveniences: compile into owned buffers and keep the source map.

use crate::{compile, ebpf, encode, CompileError, ImageInfo, Input, Options, Workspace};
use rvo_isa::region::MAX_EBPF_INSNS;

/// A compiled program with its source map.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The image bytes.
    pub image: Vec<u8>,
    /// Facts about the image.
    pub info: ImageInfo,
    /// For each rvo instruction: (bundle, lane, eBPF slot it came from).
    pub source_map: Vec<(usize, usize, usize)>,
    /// The eBPF instructions compiled.
    pub ebpf: Vec<ebpf::Insn>,
    /// The maps, with their memory laid out.
    pub maps: Vec<rvo_isa::MapDesc>,
}

/// Compile eBPF instructions.
///
/// # Errors
/// As [`compile`].
pub fn compile_insns(prog: &[ebpf::Insn], opts: &Options) -> Result<Compiled, CompileError> {
    compile_input(&Input::program(prog), opts)
}

/// Compile an object's programs and maps.
///
/// # Errors
/// As [`compile`].
pub fn compile_input(input: &Input<'_>, opts: &Options) -> Result<Compiled, CompileError> {
    let mut ws = Box::new(Workspace::new());
    // The image size is known only after scheduling; the largest possible is small enough.
    let code = rvo_isa::region::IMEM_BUNDLES * opts.lanes.max(1) as usize * 8;
    let data = 8
        + input.maps.len() * rvo_isa::maps::MAP_DESC_LEN
        + 4 * input.programs.len().max(1)
        + input.map_init.len();
    let mut out = vec![0u8; rvo_isa::HEADER_LEN + code + data];
    let info = compile(input, opts, &mut ws, &mut out)?;
    out.truncate(info.len);
    debug_assert_eq!(
        info.len,
        encode::image_len(&ws, opts.lanes as usize, input.map_init)
    );
    let source_map = ws
        .placed()
        .map(|(b, l, low)| (b, l, low.src as usize))
        .collect();
    Ok(Compiled {
        image: out,
        info,
        source_map,
        ebpf: input.insns.to_vec(),
        maps: ws.maps().to_vec(),
    })
}

/// Compile raw eBPF bytes (as in a `.data` file's `-- raw` section or an ELF section).
///
/// # Errors
/// As [`compile`], plus a length that is not whole instructions.
pub fn compile_bytes(bytes: &[u8], opts: &Options) -> Result<Compiled, CompileError> {
    let mut insns =
        vec![ebpf::Insn::default(); (bytes.len() / ebpf::INSN_SIZE).min(MAX_EBPF_INSNS + 1)];
    let prog = crate::parse_insns(bytes, &mut insns)?.to_vec();
    compile_insns(&prog, opts)
}
