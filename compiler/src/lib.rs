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
pub mod elf;

#[cfg(feature = "std")]
pub use compiled::{compile_bytes, compile_input, compile_insns, Compiled};
pub use encode::ImageInfo;
pub use error::{CompileError, ErrorKind};
pub use workspace::Workspace;

use rvo_isa::maps::{MapDesc, MapError};
use rvo_isa::region::{MAP_MEMORY, MAX_LANES};

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

/// What to compile: the instructions of one or more programs of an object, and its maps.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// All instructions; map references in LDDW use indexes into `maps`.
    pub insns: &'a [ebpf::Insn],
    /// First slot of each program (tail-call targets); empty means one program at slot 0.
    /// The first is the program that runs.
    pub programs: &'a [u32],
    /// The maps (their `offset` and `size` are assigned by the compiler).
    pub maps: &'a [MapDesc],
    /// Initial values: `init_len` bytes for each map in turn.
    pub map_init: &'a [u8],
}

impl<'a> Input<'a> {
    /// A single program without maps.
    pub fn program(insns: &'a [ebpf::Insn]) -> Input<'a> {
        Input {
            insns,
            programs: &[],
            maps: &[],
            map_init: &[],
        }
    }
}

/// Compile `input` into `out`, using `ws` for all intermediate state.
///
/// # Errors
/// A [`CompileError`] naming the instruction and the reason when the program is malformed,
/// uses something the device lacks, or exceeds a device limit.
pub fn compile(
    input: &Input<'_>,
    opts: &Options,
    ws: &mut Workspace,
    out: &mut [u8],
) -> Result<ImageInfo, CompileError> {
    let lanes = opts.lanes as usize;
    if lanes == 0 || lanes > MAX_LANES {
        return Err(CompileError::program(ErrorKind::BadLanes(opts.lanes)));
    }
    let prog = input.insns;
    set_programs(input, ws)?;
    layout_maps(input, ws)?;
    decode::decode(prog, ws.n_maps, &mut ws.kinds)?;
    let stack = analysis::analyse(prog, ws)?;
    lower::lower(prog, ws)?;
    if opts.optimize {
        opt::fuse(ws);
    }
    schedule::schedule(ws, lanes);
    encode::encode(ws, lanes, stack, prog.len(), input.map_init, out)
}

fn set_programs(input: &Input<'_>, ws: &mut Workspace) -> Result<(), CompileError> {
    let programs = if input.programs.is_empty() {
        &[0][..]
    } else {
        input.programs
    };
    if programs.len() > ws.programs.len() {
        return Err(CompileError::program(ErrorKind::TooManyMaps(
            programs.len(),
        )));
    }
    for (i, &p) in programs.iter().enumerate() {
        if p as usize >= input.insns.len().max(1) {
            return Err(CompileError::program(ErrorKind::BadJumpTarget(p as i64)));
        }
        ws.programs[i] = p;
    }
    ws.n_programs = programs.len();
    Ok(())
}

/// Check every map and give it its range of map memory.
fn layout_maps(input: &Input<'_>, ws: &mut Workspace) -> Result<(), CompileError> {
    if input.maps.len() > ws.maps.len() {
        return Err(CompileError::program(ErrorKind::TooManyMaps(
            input.maps.len(),
        )));
    }
    let mut offset: u64 = 0;
    let mut init_total: u64 = 0;
    for (i, m) in input.maps.iter().enumerate() {
        let err = |e| CompileError::program(ErrorKind::Map(i as u32, e));
        let size = m.memory_size().map_err(err)?;
        if m.init_len > size {
            return Err(err(MapError::BadSize));
        }
        if offset + size as u64 > MAP_MEMORY as u64 {
            return Err(err(MapError::TooLarge));
        }
        ws.maps[i] = MapDesc {
            offset: offset as u32,
            size,
            ..*m
        };
        offset += (size as u64 + 7) & !7;
        init_total += m.init_len as u64;
    }
    if init_total != input.map_init.len() as u64 {
        return Err(CompileError::program(ErrorKind::Map(0, MapError::BadSize)));
    }
    ws.n_maps = input.maps.len();
    Ok(())
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
