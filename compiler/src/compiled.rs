//! User-space conveniences: compile into owned buffers and keep the source map.

use crate::{compile, ebpf, encode, CompileError, ImageInfo, Options, Workspace};
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
}

/// Compile eBPF instructions.
///
/// # Errors
/// As [`compile`].
pub fn compile_insns(prog: &[ebpf::Insn], opts: &Options) -> Result<Compiled, CompileError> {
    let mut ws = Box::new(Workspace::new());
    // The image size is known only after scheduling; the largest possible is small enough.
    let mut out = vec![
        0u8;
        rvo_isa::HEADER_LEN
            + rvo_isa::region::IMEM_BUNDLES * opts.lanes.max(1) as usize * 8
    ];
    let info = compile(prog, opts, &mut ws, &mut out)?;
    out.truncate(info.len);
    debug_assert_eq!(info.len, encode::image_len(&ws, opts.lanes as usize));
    let source_map = ws
        .placed()
        .map(|(b, l, low)| (b, l, low.src as usize))
        .collect();
    Ok(Compiled {
        image: out,
        info,
        source_map,
        ebpf: prog.to_vec(),
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
