//! Scheduling: pack lowered instructions into bundles of `lanes` instructions.
//!
//! In-order list scheduling inside basic blocks: an instruction joins the open bundle when the
//! bundle rules of `rvo_isa::bundle` allow it and it does not read a register the bundle
//! writes (lanes read at bundle start, so a true dependence must wait a bundle). Labels start a
//! bundle; a control transfer closes it. With one lane this is one instruction per bundle.

use crate::workspace::Workspace;
use rvo_isa::{check_bundle, Insn, Opcode};

/// Assign `bundle_of` and `lane_of` for every lowered instruction.
pub fn schedule(ws: &mut Workspace, lanes: usize) {
    let mut bundle = 0usize;
    let mut members = [Insn::bare(Opcode::Nop); rvo_isa::region::MAX_LANES];
    let mut n = 0usize;
    let mut written = 0u16;
    for i in 0..ws.n_code {
        let l = ws.code[i];
        let fits = n > 0 && n < lanes && !l.label && l.insn.uses() & written == 0 && {
            members[n] = l.insn;
            check_bundle(&members[..=n]).is_ok()
        };
        if n > 0 && !fits {
            bundle += 1;
            n = 0;
            written = 0;
        }
        members[n] = l.insn;
        ws.bundle_of[i] = bundle as u16;
        ws.lane_of[i] = n as u8;
        written |= l.insn.defs();
        n += 1;
        if l.insn.op.is_control() {
            bundle += 1;
            n = 0;
            written = 0;
        }
    }
    ws.n_bundles = bundle + usize::from(n > 0);
}
