//! Machine-independent peephole fusions on lowered code (hXDP's lessons).
//!
//! * `mov a, b; op a, a, c` becomes `op a, b, c'` (three-operand ALU): eBPF's two-address code
//!   spends a move on most expressions.
//! * `mov r0, imm; exit` becomes `exiti imm` (exit with verdict).
//!
//! A fusion never crosses a label, so no jump can land between the two instructions.

use crate::workspace::{Lowered, Workspace};
use rvo_isa::{Format, Insn, Opcode as O, Reg};

/// Apply the fusions in place, compacting `ws.code`.
pub fn fuse(ws: &mut Workspace) {
    let mut out = 0;
    let mut i = 0;
    while i < ws.n_code {
        let cur = ws.code[i];
        let fused = ws.code[..ws.n_code]
            .get(i + 1)
            .filter(|next| !next.label)
            .and_then(|next| fuse_pair(&cur, next));
        ws.code[out] = fused.unwrap_or(cur);
        i += if fused.is_some() { 2 } else { 1 };
        out += 1;
    }
    ws.n_code = out;
}

fn fuse_pair(first: &Lowered, second: &Lowered) -> Option<Lowered> {
    let (m, n) = (first.insn, second.insn);
    let zero = Reg::from_low_bits(0);
    let insn = match (m.op, n.op) {
        (O::Movi, O::Exit) if m.a == zero => Insn::ri(O::ExitI, zero, m.imm),
        (O::Movi32, O::Exit) if m.a == zero && m.imm >= 0 => Insn::ri(O::ExitI, zero, m.imm),
        (O::Mov64 | O::Mov32, op) if n.a == m.a && n.b == m.a && accepts(m.op, op) => {
            let mut f = n;
            f.b = m.b;
            if op.format() == Format::Rrr && n.c() == m.a {
                f.imm = m.b.index() as i32;
            }
            f
        }
        _ => return None,
    };
    Some(Lowered { insn, ..*first })
}

/// Whether `op a, a, c` may read `b` in place of `a` after `mov a, b` (`mov`) or
/// `mov32 a, b` (`mov32`): always after a full move; after `mov32` only if `op` reads just the
/// low half of its first source, which every 32-bit ALU operation and `movhi` do.
fn accepts(mov: O, op: O) -> bool {
    let rrr_or_rri = matches!(op.format(), Format::Rrr | Format::Rri);
    let low_half = op.mnemonic().ends_with("32") || op == O::Movhi;
    rrr_or_rri && (mov == O::Mov64 || low_half)
}
