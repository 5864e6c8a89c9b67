//! Frame sizes: how deep below its r10 each function reaches.
//!
//! A forward dataflow over the function's control flow tracks which registers hold `r10 + k`
//! (clang passes map keys as `r2 = r10; r2 += -4`). Every such value, and every access through
//! it, extends the frame to cover its lowest byte. Values the analysis cannot follow — a stack
//! pointer spilled to memory, combined with a register, or merged with another value at a join —
//! make the frame the whole stack: frames must never overlap silently (a callee would clobber
//! its caller's data), and a program whose frames do not fit is refused with a clear error.
//! When a program comes through the kernel, the verifier's per-function stack depth is used
//! instead.

use crate::decode::Kind;
use crate::ebpf::*;
use crate::workspace::Workspace;
use rvo_isa::region::STACK_SIZE;

/// Register value: not a stack pointer.
const NOT_FP: i32 = i32::MIN;
/// Register value: derived from r10 in a way the analysis does not follow.
const LOST: i32 = i32::MIN + 1;
/// Register state at one instruction; `Fp(k)` is stored as `k`.
type State = [i32; 11];
const ENTRY: State = {
    let mut s = [NOT_FP; 11];
    s[10] = 0;
    s
};

fn is_fp(v: i32) -> bool {
    v != NOT_FP
}

fn join(a: i32, b: i32) -> i32 {
    if a == b {
        a
    } else if is_fp(a) || is_fp(b) {
        LOST
    } else {
        NOT_FP
    }
}

/// Depth of a function's frame, a multiple of 8 (`STACK_SIZE` when it cannot be bounded).
pub fn frame_size(prog: &[Insn], ws: &mut Workspace, start: usize, end: usize) -> u32 {
    for pc in start..end {
        ws.fp_seen[pc] = false;
    }
    ws.fp_state[start] = ENTRY;
    ws.fp_seen[start] = true;
    let mut depth = Depth(0);
    // Worklist of slots whose state changed.
    let mut todo = 0usize;
    ws.worklist[todo] = start as u16;
    todo += 1;
    while todo > 0 {
        todo -= 1;
        let pc = ws.worklist[todo] as usize;
        let mut state = ws.fp_state[pc];
        let succs = step(prog, ws, pc, &mut state, &mut depth);
        if depth.0 >= STACK_SIZE as i64 {
            return STACK_SIZE;
        }
        for next in succs.into_iter().flatten() {
            if next < start || next >= end {
                continue;
            }
            let merged = if ws.fp_seen[next] {
                let mut m = ws.fp_state[next];
                for (x, y) in m.iter_mut().zip(state) {
                    *x = join(*x, y);
                }
                if m == ws.fp_state[next] {
                    continue;
                }
                m
            } else {
                state
            };
            ws.fp_state[next] = merged;
            ws.fp_seen[next] = true;
            if todo < ws.worklist.len() {
                ws.worklist[todo] = next as u16;
                todo += 1;
            } else {
                return STACK_SIZE;
            }
        }
    }
    ((depth.0.clamp(0, STACK_SIZE as i64) as u32) + 7) & !7
}

/// The deepest byte below r10 seen so far.
struct Depth(i64);

impl Depth {
    /// A stack address `r10 + k` (or an access at it) was formed.
    fn at(&mut self, v: i32, off: i64) {
        match v {
            NOT_FP => {}
            LOST => self.0 = STACK_SIZE as i64,
            k => self.0 = self.0.max(-(k as i64 + off)),
        }
    }
    fn lost(&mut self) {
        self.0 = STACK_SIZE as i64;
    }
}

/// Apply instruction `pc` to `s`; return its successors.
fn step(
    prog: &[Insn],
    ws: &Workspace,
    pc: usize,
    s: &mut State,
    depth: &mut Depth,
) -> [Option<usize>; 2] {
    let insn = prog[pc];
    let (dst, src) = (insn.dst as usize % 11, insn.src as usize % 11);
    let off = insn.off as i64;
    let x = insn.opc & BPF_X != 0;
    match insn.class() {
        BPF_ALU64 | BPF_ALU => {
            let v = alu(&insn, s[dst], if x { s[src] } else { NOT_FP });
            depth.at(v, 0);
            s[dst] = v;
        }
        BPF_LDX => {
            depth.at(s[src], off);
            s[dst] = NOT_FP;
        }
        BPF_ST => depth.at(s[dst], off),
        BPF_STX => {
            depth.at(s[dst], off);
            if is_fp(s[src]) {
                // A stack address stored to memory can come back untracked.
                depth.lost();
            }
            if insn.opc & 0xe0 == BPF_ATOMIC && insn.imm & BPF_FETCH != 0 {
                s[if insn.imm == BPF_CMPXCHG { 0 } else { src }] = NOT_FP;
            }
        }
        _ => {}
    }
    match ws.kinds[pc] {
        Kind::Lddw(_) | Kind::MapRef { .. } => {
            s[dst] = NOT_FP;
            [Some(pc + 2), None]
        }
        Kind::Helper(_) | Kind::Call(_) => {
            // Arguments may point into this frame; the callee reads upward from them.
            for &arg in &s[1..=5] {
                depth.at(arg, 0);
            }
            s[..=5].fill(NOT_FP);
            [Some(pc + 1), None]
        }
        Kind::Jump(t) => [Some(t), None],
        Kind::Branch(t) => [Some(pc + 1), Some(t)],
        Kind::Exit => [None, None],
        Kind::Plain | Kind::LddwHi => [Some(pc + 1), None],
    }
}

/// The value of an ALU result given the tracked operands.
fn alu(insn: &Insn, d: i32, s: i32) -> i32 {
    let is64 = insn.class() == BPF_ALU64;
    let x = insn.opc & BPF_X != 0;
    match insn.opc & 0xf0 {
        BPF_MOV if is64 && x && insn.off == 0 => s,
        BPF_MOV if !x => NOT_FP,
        BPF_ADD | BPF_SUB if is64 && !x && d != NOT_FP && d != LOST => {
            let delta = if insn.opc & 0xf0 == BPF_ADD {
                insn.imm as i64
            } else {
                -(insn.imm as i64)
            };
            let k = d as i64 + delta;
            if (-(STACK_SIZE as i64)..=i32::MAX as i64).contains(&k) {
                k as i32
            } else {
                LOST
            }
        }
        _ if is_fp(d) || is_fp(s) => LOST,
        _ => NOT_FP,
    }
}
