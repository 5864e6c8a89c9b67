//! Control flow and stack analysis: labels, functions, frame sizes, the call graph.
//!
//! Frame sizes come from `frame` (or from the verifier when the program comes through the
//! kernel).

use crate::decode::Kind;
use crate::ebpf::*;
use crate::error::{CompileError, ErrorKind};
use crate::workspace::{Func, FuncState, Workspace, MAX_FUNCS};
use rvo_isa::region::{MAX_CALL_DEPTH, STACK_SIZE};

/// Fill `is_label` and `funcs`, check jumps stay inside their function, size the frames and
/// check the call graph. Returns the stack the deepest call chain needs.
pub fn analyse(prog: &[Insn], ws: &mut Workspace) -> Result<u32, CompileError> {
    let n = prog.len();
    ws.is_label[..n].fill(false);
    ws.is_entry[..n].fill(false);
    for &p in &ws.programs[..ws.n_programs] {
        ws.is_entry[p as usize] = true;
        ws.is_label[p as usize] = true;
    }
    for pc in 0..n {
        match ws.kinds[pc] {
            Kind::Jump(t) | Kind::Branch(t) => ws.is_label[t] = true,
            Kind::Call(t) => {
                ws.is_label[t] = true;
                ws.is_entry[t] = true;
            }
            _ => {}
        }
    }
    ws.n_funcs = 0;
    for pc in 0..n {
        if ws.is_entry[pc] {
            if ws.n_funcs == MAX_FUNCS {
                return Err(CompileError::at(prog, pc, ErrorKind::CallDepth(MAX_FUNCS)));
            }
            if let Some(prev) = ws.n_funcs.checked_sub(1) {
                ws.funcs[prev].end = pc as u16;
            }
            let program = ws.programs[..ws.n_programs].contains(&(pc as u32));
            ws.funcs[ws.n_funcs] = Func {
                start: pc as u16,
                end: n as u16,
                program,
                ..Func::default()
            };
            ws.n_funcs += 1;
        }
    }
    for f in 0..ws.n_funcs {
        let Func { start, end, .. } = ws.funcs[f];
        let (start, end) = (start as usize, end as usize);
        for pc in start..end {
            if let Kind::Jump(t) | Kind::Branch(t) = ws.kinds[pc] {
                if t < start || t >= end {
                    return Err(CompileError::at(
                        prog,
                        pc,
                        ErrorKind::BadJumpTarget(t as i64),
                    ));
                }
            }
        }
        if !matches!(ws.kinds[end - 1], Kind::Exit | Kind::Jump(_)) {
            return Err(CompileError::at(prog, end - 1, ErrorKind::FallsOffEnd));
        }
        ws.funcs[f].frame = crate::frame::frame_size(prog, ws, start, end);
    }
    let mut stack = 0;
    for f in 0..ws.n_funcs {
        if ws.funcs[f].program {
            stack = stack.max(chain(prog, ws, f, 1)?.0);
        }
    }
    if stack > STACK_SIZE {
        return Err(CompileError::program(ErrorKind::StackTooLarge(stack)));
    }
    Ok(stack)
}

/// The stack and frame count of the deepest call chain from function `f` (memoised in
/// `ws.funcs`). A function met again while it is on the current path is recursion; chains
/// deeper than the hardware call stack are rejected, which also bounds this recursion.
fn chain(
    prog: &[Insn],
    ws: &mut Workspace,
    f: usize,
    depth: usize,
) -> Result<(u32, usize), CompileError> {
    match ws.funcs[f].state {
        FuncState::Done => return Ok((ws.funcs[f].chain_stack, ws.funcs[f].chain_depth as usize)),
        FuncState::OnPath => return Err(CompileError::program(ErrorKind::Recursion)),
        FuncState::New => {}
    }
    if depth > MAX_CALL_DEPTH {
        return Err(CompileError::program(ErrorKind::CallDepth(depth)));
    }
    ws.funcs[f].state = FuncState::OnPath;
    let Func {
        start, end, frame, ..
    } = ws.funcs[f];
    let mut deepest = (0, 0);
    for pc in start as usize..end as usize {
        if let Kind::Call(t) = ws.kinds[pc] {
            let callee = ws.funcs[..ws.n_funcs]
                .iter()
                .position(|g| g.start as usize == t)
                .unwrap_or(0);
            let (s, d) = chain(prog, ws, callee, depth + 1).map_err(|e| match e.pc {
                None => CompileError::at(prog, pc, e.kind),
                Some(_) => e,
            })?;
            if depth + d > MAX_CALL_DEPTH {
                return Err(CompileError::at(prog, pc, ErrorKind::CallDepth(depth + d)));
            }
            deepest = deepest.max((s, d));
        }
    }
    let result = (frame + deepest.0, 1 + deepest.1);
    ws.funcs[f].chain_stack = result.0;
    ws.funcs[f].chain_depth = result.1 as u8;
    ws.funcs[f].state = FuncState::Done;
    Ok(result)
}
