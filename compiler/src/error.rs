//! Compile errors: always the instruction index, the instruction and the reason.

use crate::ebpf;
use core::fmt;

/// Why a program cannot run on rvo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The program has no instructions.
    Empty,
    /// The byte length is not a multiple of 8.
    PartialInstruction(usize),
    /// More instructions than the compiler accepts.
    TooManyInstructions(usize),
    /// An opcode byte that is not eBPF.
    UnknownOpcode,
    /// A field the instruction does not use is not zero.
    ReservedField(&'static str),
    /// A register number above r10.
    BadRegister(u8),
    /// A write to the read-only frame pointer r10.
    WriteToFramePointer,
    /// A byte-swap width other than 16, 32 or 64.
    BadSwapWidth(i32),
    /// A 64-bit immediate load whose second slot is missing or malformed.
    BadLddw,
    /// A jump or call whose target is outside the program or inside an LDDW.
    BadJumpTarget(i64),
    /// The last instruction can fall off the end of the program.
    FallsOffEnd,
    /// A helper the device has no unit for.
    UnsupportedHelper(i32),
    /// A call to a kernel function, whose address the device cannot reach.
    Kfunc(i32),
    /// An indirect call (`callx`).
    IndirectCall,
    /// An LDDW with a pseudo source the device cannot serve (kernel BTF ids, callbacks).
    UnsupportedPseudoLoad(u8),
    /// A map reference to a map the program does not have.
    BadMapIndex(u32),
    /// A global-data reference outside the map's value, or into a map that is not an array.
    BadMapValue(u32, u32),
    /// A map the device cannot hold.
    Map(u32, rvo_isa::maps::MapError),
    /// More maps than the device's map table holds, or more programs than its entry table.
    TooManyMaps(usize),
    /// Legacy packet access (`BPF_ABS`/`BPF_IND`), which XDP programs cannot use.
    LegacyPacketAccess,
    /// A bpf-to-bpf call cycle.
    Recursion,
    /// More nested calls than the hardware call stack holds.
    CallDepth(usize),
    /// The call frames together need more stack than the device has.
    StackTooLarge(u32),
    /// The code does not fit instruction memory.
    CodeTooLarge(usize),
    /// The lane count is not one the core can be built with.
    BadLanes(u8),
    /// The output buffer is too small for the image.
    OutputTooSmall(usize),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use rvo_isa::region::*;
        match self {
            ErrorKind::Empty => write!(f, "the program has no instructions"),
            ErrorKind::PartialInstruction(n) => {
                write!(f, "program length {n} bytes is not a multiple of 8")
            }
            ErrorKind::TooManyInstructions(n) => {
                write!(f, "{n} instructions exceed the limit of {MAX_EBPF_INSNS}")
            }
            ErrorKind::UnknownOpcode => write!(f, "unknown opcode"),
            ErrorKind::ReservedField(field) => {
                write!(
                    f,
                    "field `{field}` is not used by this instruction and must be zero"
                )
            }
            ErrorKind::BadRegister(r) => write!(f, "register r{r} does not exist (r0-r10)"),
            ErrorKind::WriteToFramePointer => write!(f, "r10 (frame pointer) is read-only"),
            ErrorKind::BadSwapWidth(w) => write!(f, "byte swap width {w} is not 16, 32 or 64"),
            ErrorKind::BadLddw => write!(f, "64-bit immediate load without a valid second slot"),
            ErrorKind::BadJumpTarget(t) => write!(
                f,
                "jump target {t} is outside the program or inside an lddw"
            ),
            ErrorKind::FallsOffEnd => write!(
                f,
                "the last instruction is neither exit nor a jump: execution can fall off the end"
            ),
            ErrorKind::UnsupportedHelper(id) => match crate::helpers::linux_name(*id) {
                Some(name) => write!(f, "helper {name} (#{id}) has no rvo hardware unit"),
                None => write!(f, "helper #{id} is unknown"),
            },
            ErrorKind::Kfunc(id) => write!(
                f,
                "kfunc call (BTF id {id}): kernel functions cannot run on the device"
            ),
            ErrorKind::IndirectCall => write!(f, "indirect calls (callx) are not supported"),
            ErrorKind::UnsupportedPseudoLoad(s) => write!(f, "lddw with pseudo source {s} (a kernel BTF id or a callback address) cannot run on the device"),
            ErrorKind::BadMapIndex(i) => write!(f, "reference to map #{i}, which the program does not have"),
            ErrorKind::BadMapValue(i, off) => write!(f, "global data reference at offset {off} of map #{i} is outside an array map's value"),
            ErrorKind::Map(i, e) => write!(f, "map #{i}: {e}"),
            ErrorKind::TooManyMaps(n) => write!(f, "{n} maps or programs exceed the device's tables ({})", rvo_isa::maps::MAX_MAPS),
            ErrorKind::LegacyPacketAccess => write!(
                f,
                "legacy packet access (BPF_ABS/BPF_IND) is not available to XDP programs"
            ),
            ErrorKind::Recursion => write!(f, "recursive bpf-to-bpf call"),
            ErrorKind::CallDepth(d) => write!(
                f,
                "call chain of {d} frames exceeds the hardware call stack ({MAX_CALL_DEPTH})"
            ),
            ErrorKind::StackTooLarge(n) => write!(
                f,
                "call frames need {n} bytes of stack, the device has {STACK_SIZE}"
            ),
            ErrorKind::CodeTooLarge(n) => {
                write!(f, "{n} bundles exceed instruction memory ({IMEM_BUNDLES})")
            }
            ErrorKind::BadLanes(n) => write!(f, "{n} lanes: the core has 1 to {MAX_LANES}"),
            ErrorKind::OutputTooSmall(n) => write!(f, "output buffer too small, {n} bytes needed"),
        }
    }
}

/// A compile error with the instruction it concerns (when there is one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// The eBPF instruction index (slot), if the error concerns one.
    pub pc: Option<usize>,
    /// The instruction (and the next slot, for LDDW), for the message.
    pub insn: [ebpf::Insn; 2],
    /// What is wrong.
    pub kind: ErrorKind,
}

impl CompileError {
    /// An error about the program as a whole.
    pub fn program(kind: ErrorKind) -> CompileError {
        CompileError {
            pc: None,
            insn: [ebpf::Insn::default(); 2],
            kind,
        }
    }

    /// An error about instruction `pc` of `prog`.
    pub fn at(prog: &[ebpf::Insn], pc: usize, kind: ErrorKind) -> CompileError {
        let get = |i: usize| prog.get(i).copied().unwrap_or_default();
        CompileError {
            pc: Some(pc),
            insn: [get(pc), get(pc + 1)],
            kind,
        }
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pc {
            Some(pc) => write!(
                f,
                "instruction {pc} (`{}`): {}",
                crate::disasm::Disasm {
                    insns: &self.insn,
                    pc: 0
                },
                self.kind
            ),
            None => write!(f, "{}", self.kind),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for CompileError {}
