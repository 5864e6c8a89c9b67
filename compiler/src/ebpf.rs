//! eBPF, as RFC 9669 and Linux define it: opcode bits, the instruction struct and decoding.
//!
//! Like rbpf's `ebpf.rs`, every opcode the rest of the compiler matches on is named here, and
//! nowhere else is an eBPF opcode spelled as a number.

use core::fmt;

/// Size of one eBPF instruction slot.
pub const INSN_SIZE: usize = 8;

// Instruction classes (bits 0..3).
/// Non-standard load class (legacy packet access, LDDW).
pub const BPF_LD: u8 = 0x00;
/// Load into register.
pub const BPF_LDX: u8 = 0x01;
/// Store immediate.
pub const BPF_ST: u8 = 0x02;
/// Store register.
pub const BPF_STX: u8 = 0x03;
/// 32-bit arithmetic.
pub const BPF_ALU: u8 = 0x04;
/// 64-bit jumps.
pub const BPF_JMP: u8 = 0x05;
/// 32-bit jumps.
pub const BPF_JMP32: u8 = 0x06;
/// 64-bit arithmetic.
pub const BPF_ALU64: u8 = 0x07;

// Source operand (bit 3).
/// Use the immediate.
pub const BPF_K: u8 = 0x00;
/// Use the source register.
pub const BPF_X: u8 = 0x08;
/// For `BPF_END`: convert to little-endian (on BPF_ALU64: unconditional byte swap).
pub const BPF_TO_LE: u8 = 0x00;
/// For `BPF_END`: convert to big-endian.
pub const BPF_TO_BE: u8 = 0x08;

// ALU operations (bits 4..8).
/// `+`
pub const BPF_ADD: u8 = 0x00;
/// `-`
pub const BPF_SUB: u8 = 0x10;
/// `*`
pub const BPF_MUL: u8 = 0x20;
/// `/` (offset 1: signed)
pub const BPF_DIV: u8 = 0x30;
/// `|`
pub const BPF_OR: u8 = 0x40;
/// `&`
pub const BPF_AND: u8 = 0x50;
/// `<<`
pub const BPF_LSH: u8 = 0x60;
/// `>>` logical
pub const BPF_RSH: u8 = 0x70;
/// negation
pub const BPF_NEG: u8 = 0x80;
/// `%` (offset 1: signed)
pub const BPF_MOD: u8 = 0x90;
/// `^`
pub const BPF_XOR: u8 = 0xa0;
/// move (offset 8/16/32: sign-extending)
pub const BPF_MOV: u8 = 0xb0;
/// `>>` arithmetic
pub const BPF_ARSH: u8 = 0xc0;
/// byte order conversion
pub const BPF_END: u8 = 0xd0;

// Jump operations (bits 4..8).
/// unconditional jump
pub const BPF_JA: u8 = 0x00;
/// `==`
pub const BPF_JEQ: u8 = 0x10;
/// `>` unsigned
pub const BPF_JGT: u8 = 0x20;
/// `>=` unsigned
pub const BPF_JGE: u8 = 0x30;
/// `&`
pub const BPF_JSET: u8 = 0x40;
/// `!=`
pub const BPF_JNE: u8 = 0x50;
/// `>` signed
pub const BPF_JSGT: u8 = 0x60;
/// `>=` signed
pub const BPF_JSGE: u8 = 0x70;
/// function call
pub const BPF_CALL: u8 = 0x80;
/// return
pub const BPF_EXIT: u8 = 0x90;
/// `<` unsigned
pub const BPF_JLT: u8 = 0xa0;
/// `<=` unsigned
pub const BPF_JLE: u8 = 0xb0;
/// `<` signed
pub const BPF_JSLT: u8 = 0xc0;
/// `<=` signed
pub const BPF_JSLE: u8 = 0xd0;

// Load/store size (bits 3..5) and mode (bits 5..8).
/// 32 bits
pub const BPF_W: u8 = 0x00;
/// 16 bits
pub const BPF_H: u8 = 0x08;
/// 8 bits
pub const BPF_B: u8 = 0x10;
/// 64 bits
pub const BPF_DW: u8 = 0x18;
/// 64-bit immediate (LDDW)
pub const BPF_IMM: u8 = 0x00;
/// legacy packet access, absolute
pub const BPF_ABS: u8 = 0x20;
/// legacy packet access, indirect
pub const BPF_IND: u8 = 0x40;
/// regular memory access
pub const BPF_MEM: u8 = 0x60;
/// sign-extending load
pub const BPF_MEMSX: u8 = 0x80;
/// atomic operation
pub const BPF_ATOMIC: u8 = 0xc0;

// Atomic operations (in imm).
/// fetch flag: the old value goes into src (or r0 for cmpxchg)
pub const BPF_FETCH: i32 = 0x01;
/// exchange
pub const BPF_XCHG: i32 = 0xe0 | BPF_FETCH;
/// compare and exchange
pub const BPF_CMPXCHG: i32 = 0xf0 | BPF_FETCH;

// Pseudo sources of LDDW and CALL (the `src` field).
/// LDDW: imm is a map file descriptor
pub const BPF_PSEUDO_MAP_FD: u8 = 1;
/// LDDW: imm is a map fd, next imm an offset into its value
pub const BPF_PSEUDO_MAP_VALUE: u8 = 2;
/// LDDW: imm is a BTF id of a kernel variable
pub const BPF_PSEUDO_BTF_ID: u8 = 3;
/// LDDW: imm is the index of a bpf-to-bpf function (a callback address)
pub const BPF_PSEUDO_FUNC: u8 = 4;
/// LDDW: imm is an index into the program's map array
pub const BPF_PSEUDO_MAP_IDX: u8 = 5;
/// LDDW: map index + value offset
pub const BPF_PSEUDO_MAP_IDX_VALUE: u8 = 6;
/// CALL: a bpf-to-bpf call, imm is the relative target
pub const BPF_PSEUDO_CALL: u8 = 1;
/// CALL: a kernel function (kfunc)
pub const BPF_PSEUDO_KFUNC_CALL: u8 = 2;

/// The LDDW opcode.
pub const LD_DW_IMM: u8 = BPF_LD | BPF_IMM | BPF_DW;
/// The call opcode.
pub const CALL: u8 = BPF_JMP | BPF_CALL;
/// The exit opcode.
pub const EXIT: u8 = BPF_JMP | BPF_EXIT;
/// The `gotol` (32-bit offset jump) opcode.
pub const JA32: u8 = BPF_JMP32 | BPF_JA;

/// One eBPF instruction slot, as the kernel's `struct bpf_insn`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Insn {
    /// Opcode byte.
    pub opc: u8,
    /// Destination register (low nibble).
    pub dst: u8,
    /// Source register (high nibble).
    pub src: u8,
    /// Signed offset.
    pub off: i16,
    /// Signed immediate.
    pub imm: i32,
}

impl Insn {
    /// An instruction from its fields.
    pub const fn new(opc: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        Insn {
            opc,
            dst,
            src,
            off,
            imm,
        }
    }

    /// Decode one 8-byte slot (never fails: validity is the decoder's job).
    pub fn from_bytes(b: &[u8; 8]) -> Insn {
        Insn {
            opc: b[0],
            dst: b[1] & 0x0f,
            src: b[1] >> 4,
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    /// The 8 bytes of this slot.
    pub fn to_bytes(&self) -> [u8; 8] {
        let off = self.off.to_le_bytes();
        let imm = self.imm.to_le_bytes();
        [
            self.opc,
            (self.src << 4) | (self.dst & 0xf),
            off[0],
            off[1],
            imm[0],
            imm[1],
            imm[2],
            imm[3],
        ]
    }

    /// The class bits.
    pub const fn class(&self) -> u8 {
        self.opc & 0x07
    }
}

/// Read instruction `i` of a byte slice of instructions.
pub fn insn_at(prog: &[u8], i: usize) -> Option<Insn> {
    let bytes = prog.get(i * INSN_SIZE..(i + 1) * INSN_SIZE)?;
    let mut b = [0u8; 8];
    b.copy_from_slice(bytes);
    Some(Insn::from_bytes(&b))
}

impl fmt::Display for Insn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02x} {:x}{:x} {:04x} {:08x}",
            self.opc, self.src, self.dst, self.off as u16, self.imm as u32
        )
    }
}
