//! The rvo compiler: eBPF in, rvo image out.
//!
//! The pipeline, one module per stage, data flowing one way:
//!
//! ```text
//! &[ebpf::Insn] --decode--> kinds --analysis--> labels, functions, frames
//!   --lower--> rvo instructions --opt--> fused --schedule--> bundles --encode--> image bytes
//! ```
//!
//! Architecture invariant: without the `std` feature this crate uses only `core` and
//! `rvo-isa`, never allocates, and never panics on any input: it is compiled into the kernel
//! module and runs inside `bpf_prog_offload_ops.translate`. All memory is the caller's
//! [`Workspace`] and output buffer, sized by the device limits.
#![cfg_attr(not(feature = "std"), no_std)]

pub mod analysis;
pub mod decode;
pub mod disasm;
pub mod ebpf;
pub mod encode;
pub mod error;
pub mod frame;
pub mod helpers;
pub mod lower;
pub mod opt;
pub mod schedule;
pub mod workspace;

#[cfg(feature = "std")]
pub mod asm;
#[cfg(feature = "std")]
mod compiled;
#[cfg(feature = "std")]
pub mod data_file;

#[cfg(feature = "std")]
pub use compiled::{compile_bytes, compile_insns, Compiled};
pub use encode::ImageInfo;
pub use error::{CompileError, ErrorKind};
pub use workspace::Workspace;

use rvo_isa::region::MAX_LANES;

/// How to compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Lanes per bundle of the target core (1 to 4).
    pub lanes: u8,
    /// Run the peephole fusions.
    pub optimize: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            lanes: 1,
            optimize: true,
        }
    }
}

/// Compile `prog` into `out`, using `ws` for all intermediate state.
///
/// # Errors
/// A [`CompileError`] naming the instruction and the reason when the program is malformed,
/// uses something the device lacks, or exceeds a device limit.
pub fn compile(
    prog: &[ebpf::Insn],
    opts: &Options,
    ws: &mut Workspace,
    out: &mut [u8],
) -> Result<ImageInfo, CompileError> {
    let lanes = opts.lanes as usize;
    if lanes == 0 || lanes > MAX_LANES {
        return Err(CompileError::program(ErrorKind::BadLanes(opts.lanes)));
    }
    decode::decode(prog, &mut ws.kinds)?;
    let stack = analysis::analyse(prog, ws)?;
    lower::lower(prog, ws)?;
    if opts.optimize {
        opt::fuse(ws);
    }
    schedule::schedule(ws, lanes);
    encode::encode(ws, lanes, stack, prog.len(), out)
}

/// Split raw program bytes into instructions.
///
/// # Errors
/// When the length is not a multiple of 8 or the program does not fit `out`.
pub fn parse_insns<'a>(
    bytes: &[u8],
    out: &'a mut [ebpf::Insn],
) -> Result<&'a [ebpf::Insn], CompileError> {
    if !bytes.len().is_multiple_of(ebpf::INSN_SIZE) {
        return Err(CompileError::program(ErrorKind::PartialInstruction(
            bytes.len(),
        )));
    }
    let n = bytes.len() / ebpf::INSN_SIZE;
    if n > out.len() {
        return Err(CompileError::program(ErrorKind::TooManyInstructions(n)));
    }
    for (slot, chunk) in out.iter_mut().zip(bytes.chunks_exact(ebpf::INSN_SIZE)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *slot = ebpf::Insn::from_bytes(&b);
    }
    Ok(&out[..n])
}
