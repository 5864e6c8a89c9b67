//! The decoder: one control word per opcode, derived from `rvo_isa`'s table.
//!
//! The core decodes through a 256-entry ROM indexed by the opcode byte. Its contents are computed
//! here from [`Opcode::ALL`] and `op as u8`; no opcode number is written in this crate. Each
//! opcode's row names what the datapath does (unit, ALU function, access size...) and how many
//! cycles its bundle takes, straight from [`Opcode::cycles`]. [`check_timing`] refuses a table
//! whose cycles the datapath cannot meet: the RTL never invents its own timing.

use rust_hdl::prelude::*;
use rvo_isa::{Format, Opcode, Unit};

/// ALU functions. Results of `w32` rows are truncated to 32 bits and zero-extended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, LogicState)]
pub enum AluOp {
    /// `b + c`.
    Add,
    /// `b - c`.
    Sub,
    /// `b | c`.
    Or,
    /// `b & c`.
    And,
    /// `b ^ c`.
    Xor,
    /// `b << c` (count masked to the width).
    Lsh,
    /// `b >> c`, logical.
    Rsh,
    /// `b >> c`, arithmetic.
    Arsh,
    /// `b`.
    Mov,
    /// `-b`.
    Neg,
    /// Sign-extend the low byte.
    Sext8,
    /// Sign-extend the low 16 bits.
    Sext16,
    /// Sign-extend the low 32 bits.
    Sext32,
    /// `b & 0xffff`.
    Zext16,
    /// Swap the bytes of the low 16 bits.
    Bswap16,
    /// Swap the bytes of the low 32 bits.
    Bswap32,
    /// Swap all 8 bytes.
    Bswap64,
    /// `c` (the immediate).
    Imm,
    /// `w32(b) | c << 32`.
    Movhi,
}

/// Branch conditions; `csigned` in the control word makes the ordered ones signed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, LogicState)]
pub enum CondOp {
    /// `a == b`.
    Eq,
    /// `a != b`.
    Ne,
    /// `a > b`.
    Gt,
    /// `a >= b`.
    Ge,
    /// `a < b`.
    Lt,
    /// `a <= b`.
    Le,
    /// `a & b != 0`.
    Set,
}

/// Read-modify-write operations of the atomics.
#[derive(Copy, Clone, Debug, PartialEq, Eq, LogicState)]
pub enum AmoOp {
    /// `m + b`.
    Add,
    /// `m | b`.
    Or,
    /// `m & b`.
    And,
    /// `m ^ b`.
    Xor,
    /// `b`.
    Xchg,
    /// `b` if `m == r0`, else `m`.
    CmpXchg,
}

/// One row of the decode ROM.
#[derive(Copy, Clone, Debug, Default, PartialEq, LogicStruct)]
pub struct Ctl {
    /// The byte is an opcode of the table.
    pub legal: bool,
    /// `nop` (not counted as an instruction).
    pub nop: bool,
    /// Single-cycle ALU instruction writing `a`.
    pub alu: bool,
    /// Multiplier instruction writing `a`.
    pub mul: bool,
    /// Divider instruction writing `a`.
    pub div: bool,
    /// Load into `a` from `[b + off]`.
    pub load: bool,
    /// Store of `b` (or `imm`) to `[a + off]`.
    pub store: bool,
    /// Read-modify-write of `[a + off]`.
    pub atomic: bool,
    /// Conditional branch on `a` and `b` (or `imm`).
    pub branch: bool,
    /// Unconditional jump.
    pub jump: bool,
    /// `call`.
    pub call: bool,
    /// `ret`.
    pub ret: bool,
    /// `exit` / `exiti`.
    pub exit: bool,
    /// A helper unit call (not in this stage of the core: it faults).
    pub helper: bool,
    /// The second operand is the sign-extended immediate.
    pub use_imm: bool,
    /// 32-bit operation.
    pub w32: bool,
    /// ALU function.
    pub aluop: AluOp,
    /// Branch condition.
    pub cond: CondOp,
    /// Signed ordered comparison.
    pub csigned: bool,
    /// Memory access size in bytes (1, 2, 4, 8).
    pub size: Bits<4>,
    /// Sign-extending load.
    pub lsigned: bool,
    /// Atomic operation.
    pub amo: AmoOp,
    /// The atomic writes the old value back to `b`.
    pub fetch: bool,
    /// Signed division.
    pub dsigned: bool,
    /// Remainder instead of quotient.
    pub dmod: bool,
    /// Cycles of the bundle (the table's `cycles`).
    pub cycles: Bits<7>,
}

/// Cycles of the multiplier: operands latched, partial products, sum, write-back.
pub const MUL_LATENCY: u32 = 4;
/// Cycles of the divider for a `bits`-wide operation: set-up, one per quotient bit, fix-up.
pub const fn div_latency(bits: u32) -> u32 {
    bits + 2
}
/// Cycles of an atomic: read, then modify and write.
pub const ATOMIC_LATENCY: u32 = 2;

fn alu_op(op: Opcode) -> AluOp {
    use Opcode as O;
    match op {
        O::Add64 | O::Add64I | O::Add32 | O::Add32I => AluOp::Add,
        O::Sub64 | O::Sub64I | O::Sub32 | O::Sub32I => AluOp::Sub,
        O::Or64 | O::Or64I | O::Or32 | O::Or32I => AluOp::Or,
        O::And64 | O::And64I | O::And32 | O::And32I => AluOp::And,
        O::Xor64 | O::Xor64I | O::Xor32 | O::Xor32I => AluOp::Xor,
        O::Lsh64 | O::Lsh64I | O::Lsh32 | O::Lsh32I => AluOp::Lsh,
        O::Rsh64 | O::Rsh64I | O::Rsh32 | O::Rsh32I => AluOp::Rsh,
        O::Arsh64 | O::Arsh64I | O::Arsh32 | O::Arsh32I => AluOp::Arsh,
        O::Mov64 | O::Mov32 => AluOp::Mov,
        O::Neg64 | O::Neg32 => AluOp::Neg,
        O::Movsx8 | O::Movsx8W => AluOp::Sext8,
        O::Movsx16 | O::Movsx16W => AluOp::Sext16,
        O::Movsx32 => AluOp::Sext32,
        O::Zext16 => AluOp::Zext16,
        O::Bswap16 => AluOp::Bswap16,
        O::Bswap32 => AluOp::Bswap32,
        O::Bswap64 => AluOp::Bswap64,
        O::Movi | O::Movi32 => AluOp::Imm,
        O::Movhi => AluOp::Movhi,
        _ => AluOp::Add,
    }
}

fn cond_op(op: Opcode) -> (CondOp, bool) {
    use Opcode as O;
    match op {
        O::Jeq | O::JeqI | O::Jeq32 | O::Jeq32I => (CondOp::Eq, false),
        O::Jne | O::JneI | O::Jne32 | O::Jne32I => (CondOp::Ne, false),
        O::Jgt | O::JgtI | O::Jgt32 | O::Jgt32I => (CondOp::Gt, false),
        O::Jge | O::JgeI | O::Jge32 | O::Jge32I => (CondOp::Ge, false),
        O::Jlt | O::JltI | O::Jlt32 | O::Jlt32I => (CondOp::Lt, false),
        O::Jle | O::JleI | O::Jle32 | O::Jle32I => (CondOp::Le, false),
        O::Jsgt | O::JsgtI | O::Jsgt32 | O::Jsgt32I => (CondOp::Gt, true),
        O::Jsge | O::JsgeI | O::Jsge32 | O::Jsge32I => (CondOp::Ge, true),
        O::Jslt | O::JsltI | O::Jslt32 | O::Jslt32I => (CondOp::Lt, true),
        O::Jsle | O::JsleI | O::Jsle32 | O::Jsle32I => (CondOp::Le, true),
        _ => (CondOp::Set, false),
    }
}

fn amo_op(op: Opcode) -> AmoOp {
    use Opcode as O;
    match op {
        O::AAdd64 | O::AFetchAdd64 | O::AAdd32 | O::AFetchAdd32 => AmoOp::Add,
        O::AOr64 | O::AFetchOr64 | O::AOr32 | O::AFetchOr32 => AmoOp::Or,
        O::AAnd64 | O::AFetchAnd64 | O::AAnd32 | O::AFetchAnd32 => AmoOp::And,
        O::AXor64 | O::AFetchXor64 | O::AXor32 | O::AFetchXor32 => AmoOp::Xor,
        O::AXchg64 | O::AXchg32 => AmoOp::Xchg,
        _ => AmoOp::CmpXchg,
    }
}

/// Whether an opcode works on 32-bit values (its result, compare or access is 32 bits wide).
fn is_w32(op: Opcode) -> bool {
    use Opcode as O;
    let name = op.name();
    // The table's naming: `...32`, `...32I`, `...W` variants are the 32-bit ones; `Movi32`
    // zero-extends its immediate; `Movsx32` is the one 64-bit result among them.
    match op {
        O::Movsx32 => false,
        O::Movi32 | O::Mov32 | O::Neg32 | O::Movsx8W | O::Movsx16W => true,
        _ => {
            op.format() != Format::Atomic
                && (name.ends_with("32") || name.ends_with("32I") || name.ends_with('W'))
        }
    }
}

/// The control word of one opcode.
pub fn control(op: Opcode) -> Ctl {
    let f = op.format();
    let (cond, csigned) = cond_op(op);
    let mut c = Ctl {
        legal: true,
        nop: op == Opcode::Nop,
        use_imm: matches!(
            f,
            Format::Rri | Format::Ri | Format::BranchRi | Format::StoreImm | Format::ExitImm
        ),
        w32: is_w32(op),
        aluop: alu_op(op),
        cond,
        csigned,
        size: (rvo_isa::insn::access_size(op).unwrap_or(0) as u64).into(),
        lsigned: matches!(op, Opcode::Ldsb | Opcode::Ldsh | Opcode::Ldsw),
        amo: amo_op(op),
        fetch: rvo_isa::insn::fetches(op),
        dsigned: op.name().starts_with('S') && op.unit() == Unit::Div,
        dmod: op.mnemonic().contains("mod"),
        cycles: (op.cycles() as u64).into(),
        ..Ctl::default()
    };
    match (op.unit(), f) {
        (Unit::Alu, Format::None) => {}
        (Unit::Alu, _) => c.alu = true,
        (Unit::Mul, _) => c.mul = true,
        (Unit::Div, _) => c.div = true,
        (Unit::Mem, Format::Load) => c.load = true,
        (Unit::Mem, Format::Store | Format::StoreImm) => c.store = true,
        (Unit::Mem, _) => c.atomic = true,
        (Unit::Ctrl, Format::BranchRr | Format::BranchRi) => c.branch = true,
        (Unit::Ctrl, Format::Jump) => c.jump = true,
        (Unit::Ctrl, Format::Call) => c.call = true,
        (Unit::Ctrl, Format::ExitImm) => c.exit = true,
        (Unit::Ctrl, _) if op == Opcode::Exit => c.exit = true,
        (Unit::Ctrl, _) => c.ret = true,
        (Unit::Helper, _) => c.helper = true,
    }
    c
}

/// The cycles the datapath needs for `op`, or `None` for the helper (not in this stage).
pub fn datapath_cycles(op: Opcode) -> Option<u32> {
    let c = control(op);
    Some(if c.helper {
        return None;
    } else if c.mul {
        MUL_LATENCY
    } else if c.div {
        div_latency(if c.w32 { 32 } else { 64 })
    } else if c.atomic {
        ATOMIC_LATENCY
    } else {
        1
    })
}

/// Check that the table's cycles are the ones this datapath takes, opcode by opcode.
///
/// # Errors
/// Every opcode whose table cycles differ from the datapath's, with both numbers.
pub fn check_timing() -> Result<(), String> {
    let bad: Vec<String> = Opcode::ALL
        .iter()
        .filter_map(|&op| {
            let hw = datapath_cycles(op)?;
            (hw != op.cycles()).then(|| {
                format!(
                    "{}: table says {} cycles, the datapath takes {hw}",
                    op.name(),
                    op.cycles()
                )
            })
        })
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join("\n"))
    }
}

/// The 256 rows of the decode ROM, indexed by opcode byte.
pub fn rom_rows() -> Vec<(u8, Ctl)> {
    Opcode::ALL
        .iter()
        .map(|&op| (op as u8, control(op)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_timing_is_the_datapath_timing() {
        check_timing().expect("timing");
    }

    #[test]
    fn every_opcode_has_one_role() {
        for &op in Opcode::ALL {
            let c = control(op);
            let roles = [
                c.nop, c.alu, c.mul, c.div, c.load, c.store, c.atomic, c.branch, c.jump, c.call,
                c.ret, c.exit, c.helper,
            ];
            assert_eq!(roles.iter().filter(|&&r| r).count(), 1, "{op:?}");
        }
        assert!(control(Opcode::Add32I).w32 && !control(Opcode::Movsx32).w32);
        assert!(control(Opcode::Jsle32I).csigned && control(Opcode::Jsle32I).w32);
        assert!(!control(Opcode::AAdd32).w32);
        assert!(control(Opcode::Smod32).dsigned && control(Opcode::Smod32).dmod);
    }
}
