//! The compiler's memory: fixed arrays sized by the device limits.
//!
//! The compiler never allocates. The caller provides a `Workspace` (about 450 KiB: on the heap
//! in user space, from `kvmalloc` in the kernel's `translate`), so a program of any size gets a
//! clear error instead of unbounded memory use.

use crate::decode::Kind;
use rvo_isa::maps::{MapDesc, MAX_MAPS};
use rvo_isa::region::MAX_EBPF_INSNS;
use rvo_isa::{Insn as RInsn, Opcode};

/// Most bpf-to-bpf functions in one program (Linux's `BPF_MAX_SUBPROGS`).
pub const MAX_FUNCS: usize = 256;
/// Most rvo instructions one program lowers to.
pub const MAX_CODE: usize = MAX_EBPF_INSNS;

/// Where a lowered instruction's branch goes, before bundles have addresses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Target {
    /// Not a branch.
    #[default]
    None,
    /// The eBPF slot jumped or called to.
    Slot(u16),
}

/// One rvo instruction on its way to the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lowered {
    /// The instruction (branch targets still unresolved).
    pub insn: RInsn,
    /// The eBPF slot it came from.
    pub src: u16,
    /// Branch target.
    pub target: Target,
    /// Something jumps here: it must start a bundle and nothing may be fused into it.
    pub label: bool,
}

impl Default for Lowered {
    fn default() -> Lowered {
        Lowered {
            insn: RInsn::bare(Opcode::Nop),
            src: 0,
            target: Target::None,
            label: false,
        }
    }
}

/// A bpf-to-bpf function (the main program is function 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Func {
    /// First slot.
    pub start: u16,
    /// One past the last slot.
    pub end: u16,
    /// Stack bytes its frame needs (multiple of 8).
    pub frame: u32,
    /// It is the entry of one of the object's programs (it exits rather than returns).
    pub program: bool,
    /// Stack of the deepest call chain from here, this frame included.
    pub chain_stack: u32,
    /// Frames in that chain.
    pub chain_depth: u8,
    pub(crate) state: FuncState,
}

/// Progress of the call-graph walk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum FuncState {
    #[default]
    New,
    OnPath,
    Done,
}

/// Scratch memory for one compilation.
pub struct Workspace {
    pub(crate) kinds: [Kind; MAX_EBPF_INSNS],
    pub(crate) is_label: [bool; MAX_EBPF_INSNS],
    pub(crate) is_entry: [bool; MAX_EBPF_INSNS],
    /// Frame analysis: register state per slot, whether it was reached, the worklist.
    pub(crate) fp_state: [[i32; 11]; MAX_EBPF_INSNS],
    pub(crate) fp_seen: [bool; MAX_EBPF_INSNS],
    pub(crate) worklist: [u16; 4 * MAX_EBPF_INSNS],
    pub(crate) funcs: [Func; MAX_FUNCS],
    pub(crate) n_funcs: usize,
    /// The maps, with their memory laid out.
    pub(crate) maps: [MapDesc; MAX_MAPS],
    pub(crate) n_maps: usize,
    /// First slot of each program of the object.
    pub(crate) programs: [u32; MAX_MAPS],
    pub(crate) n_programs: usize,
    pub(crate) code: [Lowered; MAX_CODE],
    pub(crate) n_code: usize,
    /// Bundle index of each lowered instruction, after scheduling.
    pub(crate) bundle_of: [u16; MAX_CODE],
    /// Lane of each lowered instruction, after scheduling.
    pub(crate) lane_of: [u8; MAX_CODE],
    pub(crate) n_bundles: usize,
}

impl Workspace {
    /// An empty workspace.
    pub const fn new() -> Workspace {
        Workspace {
            kinds: [Kind::Plain; MAX_EBPF_INSNS],
            is_label: [false; MAX_EBPF_INSNS],
            is_entry: [false; MAX_EBPF_INSNS],
            fp_state: [[0; 11]; MAX_EBPF_INSNS],
            fp_seen: [false; MAX_EBPF_INSNS],
            worklist: [0; 4 * MAX_EBPF_INSNS],
            funcs: [Func {
                start: 0,
                end: 0,
                frame: 0,
                program: false,
                chain_stack: 0,
                chain_depth: 0,
                state: FuncState::New,
            }; MAX_FUNCS],
            n_funcs: 0,
            maps: [MapDesc {
                map_type: 0,
                key_size: 0,
                value_size: 0,
                max_entries: 0,
                flags: 0,
                offset: 0,
                size: 0,
                init_len: 0,
            }; MAX_MAPS],
            n_maps: 0,
            programs: [0; MAX_MAPS],
            n_programs: 0,
            code: [Lowered {
                insn: RInsn::bare(Opcode::Nop),
                src: 0,
                target: Target::None,
                label: false,
            }; MAX_CODE],
            n_code: 0,
            bundle_of: [0; MAX_CODE],
            lane_of: [0; MAX_CODE],
            n_bundles: 0,
        }
    }

    /// Initialise a workspace in place (in memory from `kvmalloc`, say) without building it on
    /// the stack first: the initial value is a constant, copied straight into `slot`.
    pub fn init(slot: &mut core::mem::MaybeUninit<Workspace>) -> &mut Workspace {
        slot.write(const { Workspace::new() })
    }

    /// The lowered instructions of the last compilation, with their bundle and lane: the
    /// source map from image back to eBPF.
    pub fn placed(&self) -> impl Iterator<Item = (usize, usize, &Lowered)> + '_ {
        self.code[..self.n_code]
            .iter()
            .enumerate()
            .map(|(i, l)| (self.bundle_of[i] as usize, self.lane_of[i] as usize, l))
    }

    /// The maps of the last compilation, with their memory laid out.
    pub fn maps(&self) -> &[MapDesc] {
        &self.maps[..self.n_maps]
    }

    /// The functions found by the last compilation.
    pub fn funcs(&self) -> &[Func] {
        &self.funcs[..self.n_funcs]
    }
}

impl Default for Workspace {
    fn default() -> Workspace {
        Workspace::new()
    }
}
