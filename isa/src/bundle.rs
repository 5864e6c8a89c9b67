//! Bundles: what may share one cycle.
//!
//! A bundle is `lanes` instruction words issued together. All lanes read their source
//! registers at the start of the bundle and write at its end, so an instruction never sees a
//! result of its own bundle. The rules below keep that well-defined and within the hardware's
//! resources; the compiler's scheduler obeys them and every device rejects images that break
//! them. Empty lanes hold `nop`.
//!
//! 1. No two lanes write the same register (a cmpxchg or fetch writes too).
//! 2. At most one instruction of each unit other than `Alu`: one memory access, one multiply,
//!    one divide, one control transfer (branch, jump, call, ret, exit, helper).
//! 3. The control transfer, if any, is in the last non-`nop` lane, so that the lanes before it
//!    are the ones that execute with it.

use crate::insn::{Insn, Opcode, Unit};
use core::fmt;

/// Why a group of instructions cannot form a bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BundleError {
    /// Two lanes write the same register.
    WriteConflict(u8),
    /// Two lanes need the same unit.
    UnitConflict(Unit),
    /// A control transfer is followed by another instruction in the bundle.
    ControlNotLast,
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::WriteConflict(r) => write!(f, "two lanes write r{r}"),
            BundleError::UnitConflict(u) => write!(f, "two lanes use the {u:?} unit"),
            BundleError::ControlNotLast => write!(f, "a control transfer is not the last lane"),
        }
    }
}

/// Check the bundle rules for `lanes` (nops included).
pub fn check_bundle(lanes: &[Insn]) -> Result<(), BundleError> {
    let mut written = 0u16;
    let mut units = 0u8;
    let mut seen_control = false;
    for insn in lanes.iter().filter(|i| i.op != Opcode::Nop) {
        if seen_control {
            return Err(BundleError::ControlNotLast);
        }
        let defs = insn.defs();
        if written & defs != 0 {
            return Err(BundleError::WriteConflict(
                (written & defs).trailing_zeros() as u8,
            ));
        }
        written |= defs;
        let unit = insn.op.unit();
        if unit != Unit::Alu {
            let bit = 1u8 << unit as u8;
            if units & bit != 0 {
                return Err(BundleError::UnitConflict(unit));
            }
            units |= bit;
        }
        seen_control = insn.op.is_control();
    }
    Ok(())
}

/// Cycles a bundle occupies when its control transfer is not taken (the slowest lane);
/// add [`crate::region::TAKEN_BRANCH_PENALTY`] when it is.
pub fn bundle_cycles(lanes: &[Insn]) -> u32 {
    lanes.iter().map(|i| i.op.cycles()).max().unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::Reg;

    fn r(n: u8) -> Reg {
        Reg::new(n).expect("register")
    }

    #[test]
    fn rules() {
        let add = Insn::rrr(Opcode::Add64, r(1), r(2), r(3));
        let add_same = Insn::rri(Opcode::Add64I, r(1), r(1), 1);
        let mul = Insn::rri(Opcode::Mul64I, r(4), r(4), 3);
        let exit = Insn::bare(Opcode::Exit);
        assert_eq!(check_bundle(&[add, mul, exit]), Ok(()));
        assert_eq!(
            check_bundle(&[add, add_same]),
            Err(BundleError::WriteConflict(1))
        );
        assert_eq!(
            check_bundle(&[mul, Insn::rri(Opcode::Mul32I, r(5), r(5), 3)]),
            Err(BundleError::UnitConflict(Unit::Mul))
        );
        assert_eq!(check_bundle(&[exit, add]), Err(BundleError::ControlNotLast));
        assert_eq!(bundle_cycles(&[add, mul]), 4);
    }
}
