//! Instruction words: the opcode enum derived from the table, the field layout, encode/decode
//! and the disassembly text.
//!
//! Word layout (64 bits, little-endian in memory):
//!
//! | bits    | field | use                                                             |
//! |---------|-------|-----------------------------------------------------------------|
//! | 0..8    | op    | `Opcode`                                                        |
//! | 8..12   | a     | destination register; base register of stores and atomics       |
//! | 12..16  | b     | first source register; base of loads; data of stores/atomics    |
//! | 16..32  | off   | signed memory displacement, or unsigned branch target (bundle)  |
//! | 32..64  | imm   | signed immediate; in `Rrr` forms bits 0..4 hold register `c`    |
//!
//! Fields an instruction's format does not use must be zero: decoding is strict, so every
//! valid word has exactly one meaning and `encode(decode(w)) == w`.

use core::fmt;

/// Number of architectural registers: r0-r10 mirror eBPF, r11-r15 are compiler scratch.
pub const NUM_REGS: usize = 16;
/// The frame pointer, read-only for programs (eBPF's r10).
pub const FP: Reg = Reg(10);

/// A register number, always below [`NUM_REGS`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reg(u8);

impl Reg {
    /// The register `n`, or `None` when `n` is not a register.
    pub const fn new(n: u8) -> Option<Reg> {
        if (n as usize) < NUM_REGS {
            Some(Reg(n))
        } else {
            None
        }
    }

    /// The register named by the low four bits of `n` (for fields already checked).
    pub const fn from_low_bits(n: u8) -> Reg {
        Reg(n & 0xf)
    }

    /// The register number.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

/// Which fields an instruction reads, and how it prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// No operands.
    None,
    /// `a, b, c`: three registers.
    Rrr,
    /// `a, b, imm`.
    Rri,
    /// `a, b`.
    Rr,
    /// `a, imm`.
    Ri,
    /// `a, [b + off]`.
    Load,
    /// `[a + off], b`.
    Store,
    /// `[a + off], imm`.
    StoreImm,
    /// `[a + off], b` (read-modify-write).
    Atomic,
    /// `a, b, T`.
    BranchRr,
    /// `a, imm, T`.
    BranchRi,
    /// `T`.
    Jump,
    /// `T, imm`: call target and the caller's frame size.
    Call,
    /// `imm`: helper id.
    Helper,
    /// `imm`: the verdict.
    ExitImm,
}

/// The functional unit an instruction occupies; a bundle holds at most one instruction of each
/// unit except `Alu`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Single-cycle integer unit (one per lane).
    Alu,
    /// The multiplier.
    Mul,
    /// The iterative divider.
    Div,
    /// The memory port (loads, stores, atomics).
    Mem,
    /// Branches, calls, returns, exits.
    Ctrl,
    /// The helper units.
    Helper,
}

macro_rules! define_opcodes {
    ($($name:ident = $code:literal, $mnem:literal, $fmt:ident, $unit:ident, $cycles:literal, $sem:literal;)*) => {
        /// An rvo opcode. See `docs/ISA.md` (generated from the same table) for every semantics.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Opcode {
            $(#[doc = $sem] $name = $code,)*
        }

        impl Opcode {
            /// Every opcode, in table order.
            pub const ALL: &'static [Opcode] = &[$(Opcode::$name,)*];

            /// The opcode with this number, if any.
            pub const fn from_u8(code: u8) -> Option<Opcode> {
                match code {
                    $($code => Some(Opcode::$name),)*
                    _ => None,
                }
            }

            /// Assembly mnemonic.
            pub const fn mnemonic(self) -> &'static str {
                match self { $(Opcode::$name => $mnem,)* }
            }

            /// Operand format.
            pub const fn format(self) -> Format {
                match self { $(Opcode::$name => Format::$fmt,)* }
            }

            /// Functional unit.
            pub const fn unit(self) -> Unit {
                match self { $(Opcode::$name => Unit::$unit,)* }
            }

            /// Cycles the instruction occupies its lane (a bundle takes the maximum of its lanes).
            /// For `Helper` this is the issue cost; the unit adds its own.
            pub const fn cycles(self) -> u32 {
                match self { $(Opcode::$name => $cycles,)* }
            }

            /// The one-line semantics from the table.
            pub const fn semantics(self) -> &'static str {
                match self { $(Opcode::$name => $sem,)* }
            }

            /// The Rust name of the opcode (for generated documentation and RTL constants).
            pub const fn name(self) -> &'static str {
                match self { $(Opcode::$name => stringify!($name),)* }
            }
        }
    };
}

crate::for_each_insn!(define_opcodes);

impl Opcode {
    /// Whether the instruction may change the flow of control.
    pub const fn is_control(self) -> bool {
        matches!(self.unit(), Unit::Ctrl | Unit::Helper)
    }
}

/// One decoded instruction. Constructors keep unused fields zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    /// The operation.
    pub op: Opcode,
    /// Field `a`.
    pub a: Reg,
    /// Field `b`.
    pub b: Reg,
    /// Field `off`: displacement, or branch target as `u16` bits.
    pub off: i16,
    /// Field `imm` (in `Rrr` forms: register `c`).
    pub imm: i32,
}

/// Why a word is not an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Bits 0..8 name no opcode.
    UnknownOpcode(u8),
    /// A field the format does not use is not zero.
    NonZeroField(Opcode, &'static str),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::UnknownOpcode(c) => write!(f, "unknown opcode {c:#04x}"),
            DecodeError::NonZeroField(op, field) => {
                write!(
                    f,
                    "`{}` does not use field `{field}`, which must be zero",
                    op.mnemonic()
                )
            }
        }
    }
}

const R0: Reg = Reg(0);

impl Insn {
    /// An instruction with every field given.
    pub const fn new(op: Opcode, a: Reg, b: Reg, off: i16, imm: i32) -> Insn {
        Insn { op, a, b, off, imm }
    }
    /// `op a, b, c`.
    pub const fn rrr(op: Opcode, a: Reg, b: Reg, c: Reg) -> Insn {
        Insn::new(op, a, b, 0, c.0 as i32)
    }
    /// `op a, b, imm`.
    pub const fn rri(op: Opcode, a: Reg, b: Reg, imm: i32) -> Insn {
        Insn::new(op, a, b, 0, imm)
    }
    /// `op a, b`.
    pub const fn rr(op: Opcode, a: Reg, b: Reg) -> Insn {
        Insn::new(op, a, b, 0, 0)
    }
    /// `op a, imm`.
    pub const fn ri(op: Opcode, a: Reg, imm: i32) -> Insn {
        Insn::new(op, a, R0, 0, imm)
    }
    /// A branch or jump to bundle `target`.
    pub const fn branch(op: Opcode, a: Reg, b: Reg, imm: i32, target: u16) -> Insn {
        Insn::new(op, a, b, target as i16, imm)
    }
    /// An instruction with no operands (`nop`, `exit`, `ret`).
    pub const fn bare(op: Opcode) -> Insn {
        Insn::new(op, R0, R0, 0, 0)
    }

    /// Register `c` of an `Rrr` instruction.
    pub const fn c(&self) -> Reg {
        Reg((self.imm & 0xf) as u8)
    }

    /// Branch target (bundle index) of branches, jumps and calls.
    pub const fn target(&self) -> u16 {
        self.off as u16
    }

    /// Registers written by this instruction, as a bit mask (bit n = register n).
    pub fn defs(&self) -> u16 {
        use Format::*;
        let bit = |r: Reg| 1u16 << r.0;
        match self.op.format() {
            Rrr | Rri | Rr | Ri | Load => bit(self.a),
            Atomic => match self.op {
                Opcode::ACmpXchg64 | Opcode::ACmpXchg32 => bit(R0),
                op if fetches(op) => bit(self.b),
                _ => 0,
            },
            // Helpers return in r0 and clobber the argument registers.
            Helper => 0b11_1111,
            ExitImm => bit(R0),
            // A call may change anything the callee does not preserve, and moves r10.
            Call => 0b100_0011_1111,
            // A return restores r6-r10.
            None if self.op == Opcode::Ret => 0b111_1100_0000,
            _ => 0,
        }
    }

    /// Registers read by this instruction, as a bit mask.
    pub fn uses(&self) -> u16 {
        use Format::*;
        let bit = |r: Reg| 1u16 << r.0;
        match self.op.format() {
            Rrr => bit(self.b) | bit(self.c()),
            Rri | Rr | Load => bit(self.b),
            Store | Atomic => match self.op {
                Opcode::ACmpXchg64 | Opcode::ACmpXchg32 => bit(self.a) | bit(self.b) | bit(R0),
                _ => bit(self.a) | bit(self.b),
            },
            StoreImm | BranchRi => bit(self.a),
            BranchRr => bit(self.a) | bit(self.b),
            Helper => 0b11_1110,
            // Arguments r1-r5 and the preserved r6-r10.
            Call => 0b111_1111_1110,
            None if matches!(self.op, Opcode::Exit | Opcode::Ret) => bit(R0),
            _ => 0,
        }
    }

    /// The 64-bit word.
    pub const fn encode(&self) -> u64 {
        (self.op as u64)
            | ((self.a.0 as u64) << 8)
            | ((self.b.0 as u64) << 12)
            | ((self.off as u16 as u64) << 16)
            | ((self.imm as u32 as u64) << 32)
    }

    /// Decode a word, rejecting unknown opcodes and non-zero unused fields.
    pub fn decode(word: u64) -> Result<Insn, DecodeError> {
        let code = (word & 0xff) as u8;
        let op = Opcode::from_u8(code).ok_or(DecodeError::UnknownOpcode(code))?;
        let insn = Insn {
            op,
            a: Reg(((word >> 8) & 0xf) as u8),
            b: Reg(((word >> 12) & 0xf) as u8),
            off: (word >> 16) as u16 as i16,
            imm: (word >> 32) as u32 as i32,
        };
        let (uses_a, uses_b, uses_off, imm_kind) = field_use(op.format());
        let zero = |used: bool, v: i64, name| {
            if !used && v != 0 {
                Err(DecodeError::NonZeroField(op, name))
            } else {
                Ok(())
            }
        };
        zero(uses_a, insn.a.0 as i64, "a")?;
        zero(uses_b, insn.b.0 as i64, "b")?;
        zero(uses_off, insn.off as i64, "off")?;
        match imm_kind {
            ImmUse::None => zero(false, insn.imm as i64, "imm")?,
            ImmUse::Reg => zero(false, (insn.imm & !0xf) as i64, "imm")?,
            ImmUse::Value => {}
        }
        Ok(insn)
    }
}

/// Whether an atomic writes the old value back into `b`.
pub const fn fetches(op: Opcode) -> bool {
    use Opcode::*;
    matches!(
        op,
        AFetchAdd64
            | AFetchOr64
            | AFetchAnd64
            | AFetchXor64
            | AXchg64
            | AFetchAdd32
            | AFetchOr32
            | AFetchAnd32
            | AFetchXor32
            | AXchg32
    )
}

enum ImmUse {
    None,
    Reg,
    Value,
}

/// Which fields a format uses: (a, b, off, imm).
const fn field_use(f: Format) -> (bool, bool, bool, ImmUse) {
    use Format::*;
    match f {
        None => (false, false, false, ImmUse::None),
        Rrr => (true, true, false, ImmUse::Reg),
        Rri => (true, true, false, ImmUse::Value),
        Rr => (true, true, false, ImmUse::None),
        Ri => (true, false, false, ImmUse::Value),
        Load | Store | Atomic => (true, true, true, ImmUse::None),
        StoreImm => (true, false, true, ImmUse::Value),
        BranchRr => (true, true, true, ImmUse::None),
        BranchRi => (true, false, true, ImmUse::Value),
        Jump => (false, false, true, ImmUse::None),
        Call => (false, false, true, ImmUse::Value),
        Helper | ExitImm => (false, false, false, ImmUse::Value),
    }
}

/// Size in bytes of the memory access of a load, store or atomic.
pub const fn access_size(op: Opcode) -> Option<u8> {
    use Opcode::*;
    Some(match op {
        Ldb | Ldsb | Stb | Stib => 1,
        Ldh | Ldsh | Sth | Stih => 2,
        Ldw | Ldsw | Stw | Stiw => 4,
        AAdd32 | AOr32 | AAnd32 | AXor32 | AFetchAdd32 | AFetchOr32 | AFetchAnd32 | AFetchXor32
        | AXchg32 | ACmpXchg32 => 4,
        Ldd | Std | Stid => 8,
        AAdd64 | AOr64 | AAnd64 | AXor64 | AFetchAdd64 | AFetchOr64 | AFetchAnd64 | AFetchXor64
        | AXchg64 | ACmpXchg64 => 8,
        _ => return None,
    })
}

impl fmt::Display for Insn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.op.mnemonic();
        let (a, b, off, imm, t) = (self.a, self.b, self.off, self.imm, self.target());
        match self.op.format() {
            Format::None => write!(f, "{m}"),
            Format::Rrr => write!(f, "{m} {a}, {b}, {}", self.c()),
            Format::Rri => write!(f, "{m} {a}, {b}, {imm}"),
            Format::Rr => write!(f, "{m} {a}, {b}"),
            Format::Ri => write!(f, "{m} {a}, {imm}"),
            Format::Load => write!(f, "{m} {a}, [{b}{off:+}]"),
            Format::Store | Format::Atomic => write!(f, "{m} [{a}{off:+}], {b}"),
            Format::StoreImm => write!(f, "{m} [{a}{off:+}], {imm}"),
            Format::BranchRr => write!(f, "{m} {a}, {b}, @{t}"),
            Format::BranchRi => write!(f, "{m} {a}, {imm}, @{t}"),
            Format::Jump => write!(f, "{m} @{t}"),
            Format::Call => write!(f, "{m} @{t}, frame {imm}"),
            Format::Helper | Format::ExitImm => write!(f, "{m} {imm}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    fn r(n: u8) -> Reg {
        Reg::new(n).expect("register")
    }

    /// Golden encodings: the layout is a contract with the RTL and the driver.
    #[test]
    fn golden_encodings() {
        let cases: &[(Insn, &str, u64)] = &[
            (
                Insn::rrr(Opcode::Add64, r(1), r(2), r(3)),
                "add r1, r2, r3",
                0x0000_0003_0000_2110,
            ),
            (
                Insn::rri(Opcode::Sub32I, r(0), r(0), -1),
                "sub32 r0, r0, -1",
                0xffff_ffff_0000_0041,
            ),
            (
                Insn::new(Opcode::Ldw, r(2), r(10), -8, 0),
                "ldw r2, [r10-8]",
                0x0000_0000_fff8_a262,
            ),
            (
                Insn::branch(Opcode::JneI, r(3), r(0), 7, 12),
                "jne r3, 7, @12",
                0x0000_0007_000c_03a1,
            ),
            (
                Insn::ri(Opcode::ExitI, r(0), 2),
                "exiti 2",
                0x0000_0002_0000_00f4,
            ),
        ];
        for (insn, text, word) in cases {
            assert_eq!(insn.encode(), *word, "{text}");
            assert_eq!(format!("{insn}"), *text);
            assert_eq!(Insn::decode(*word), Ok(*insn));
        }
    }

    #[test]
    fn every_opcode_round_trips() {
        for &op in Opcode::ALL {
            assert_eq!(Opcode::from_u8(op as u8), Some(op));
            let insn = match op.format() {
                Format::None => Insn::bare(op),
                Format::Rrr => Insn::rrr(op, r(15), r(7), r(9)),
                Format::Rri | Format::Rr | Format::Ri => Insn::rri(op, r(3), r(4), -12345),
                _ => Insn::new(op, r(5), r(6), -300, 0x7fff_0000),
            };
            // Build the canonical form by clearing what the format ignores.
            let (ua, ub, uo, ui) = field_use(op.format());
            let canon = Insn {
                op,
                a: if ua { insn.a } else { R0 },
                b: if ub { insn.b } else { R0 },
                off: if uo { insn.off } else { 0 },
                imm: match ui {
                    ImmUse::None => 0,
                    ImmUse::Reg => insn.imm & 0xf,
                    ImmUse::Value => insn.imm,
                },
            };
            assert_eq!(Insn::decode(canon.encode()), Ok(canon), "{op:?}");
        }
    }

    #[test]
    fn strict_decoding() {
        assert_eq!(Insn::decode(0xee), Err(DecodeError::UnknownOpcode(0xee)));
        // `exit` with a non-zero register field.
        let bad = Insn::bare(Opcode::Exit).encode() | 1 << 8;
        assert_eq!(
            Insn::decode(bad),
            Err(DecodeError::NonZeroField(Opcode::Exit, "a"))
        );
        // `add` (three registers) with garbage above register c.
        let bad = Insn::rrr(Opcode::Add64, r(1), r(1), r(1)).encode() | 1 << 40;
        assert!(Insn::decode(bad).is_err());
    }
}
