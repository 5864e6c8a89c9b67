//! Decoding and structural validation of eBPF instructions.
//!
//! Checks what any eBPF runtime must check before running code: known opcodes, reserved fields
//! zero (as RFC 9669 requires), registers r0-r10 with r10 read-only, LDDW pairs, jump targets
//! inside the program and not inside an LDDW, no fall-through past the end.
//!
//! It does NOT do what Linux's verifier does on top: type tracking, bounds proofs, unreachable
//! code, loop termination, uninitialised reads. rvo does not need those for safety (the core
//! checks every access and has a watchdog); Linux's own verifier runs first when a program
//! comes through the kernel.

use crate::ebpf::{self, *};
use crate::error::{CompileError, ErrorKind};

/// What one instruction slot is, after validation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kind {
    /// Arithmetic, loads, stores, atomics: falls through.
    #[default]
    Plain,
    /// First slot of a 64-bit immediate load with this value.
    Lddw(u64),
    /// First slot of a 64-bit load of a map handle (`value_off: None`) or of the address of
    /// byte `value_off` of map `idx`'s value (global data).
    MapRef {
        /// Index into the program's map table.
        idx: u32,
        /// Offset into the value, for `BPF_PSEUDO_MAP_VALUE`.
        value_off: Option<u32>,
    },
    /// Second slot of a 64-bit immediate load.
    LddwHi,
    /// Unconditional jump to this slot.
    Jump(usize),
    /// Conditional branch to this slot (else falls through).
    Branch(usize),
    /// Helper call.
    Helper(rvo_isa::Helper),
    /// bpf-to-bpf call of the function starting at this slot.
    Call(usize),
    /// Return from the function (program exit in the main function).
    Exit,
}

/// Validate `prog` (whose map table has `n_maps` maps), writing the kind of every slot into
/// `kinds[..prog.len()]`.
pub fn decode(prog: &[Insn], n_maps: usize, kinds: &mut [Kind]) -> Result<(), CompileError> {
    if prog.is_empty() {
        return Err(CompileError::program(ErrorKind::Empty));
    }
    if prog.len() > kinds.len() {
        return Err(CompileError::program(ErrorKind::TooManyInstructions(
            prog.len(),
        )));
    }
    let mut pc = 0;
    while pc < prog.len() {
        let kind = check(prog, pc, n_maps).map_err(|k| CompileError::at(prog, pc, k))?;
        kinds[pc] = kind;
        if let Kind::Lddw(_) | Kind::MapRef { .. } = kind {
            kinds[pc + 1] = Kind::LddwHi;
            pc += 1;
        }
        pc += 1;
    }
    for (pc, kind) in kinds[..prog.len()].iter().enumerate() {
        if let Kind::Jump(t) | Kind::Branch(t) | Kind::Call(t) = *kind {
            if kinds[t] == Kind::LddwHi {
                return Err(CompileError::at(
                    prog,
                    pc,
                    ErrorKind::BadJumpTarget(t as i64),
                ));
            }
        }
    }
    let last = prog.len() - 1;
    if !matches!(kinds[last], Kind::Exit | Kind::Jump(_)) {
        let at = if kinds[last] == Kind::LddwHi {
            last - 1
        } else {
            last
        };
        return Err(CompileError::at(prog, at, ErrorKind::FallsOffEnd));
    }
    Ok(())
}

type Check<T> = Result<T, ErrorKind>;

fn zero(value: i64, field: &'static str) -> Check<()> {
    if value == 0 {
        Ok(())
    } else {
        Err(ErrorKind::ReservedField(field))
    }
}

fn reg(r: u8) -> Check<()> {
    if r <= 10 {
        Ok(())
    } else {
        Err(ErrorKind::BadRegister(r))
    }
}

fn writable(r: u8) -> Check<()> {
    reg(r)?;
    if r == 10 {
        Err(ErrorKind::WriteToFramePointer)
    } else {
        Ok(())
    }
}

/// A jump or call target `pc + 1 + rel`, checked against the program.
fn target(prog: &[Insn], pc: usize, rel: i64) -> Check<usize> {
    let t = pc as i64 + 1 + rel;
    if t < 0 || t >= prog.len() as i64 {
        return Err(ErrorKind::BadJumpTarget(t));
    }
    Ok(t as usize)
}

fn check(prog: &[Insn], pc: usize, n_maps: usize) -> Check<Kind> {
    let insn = prog[pc];
    match insn.class() {
        BPF_ALU | BPF_ALU64 => check_alu(&insn).map(|()| Kind::Plain),
        BPF_LDX => {
            writable(insn.dst)?;
            reg(insn.src)?;
            zero(insn.imm as i64, "imm")?;
            match insn.opc & 0xe0 {
                BPF_MEM => Ok(Kind::Plain),
                BPF_MEMSX if insn.opc & 0x18 != BPF_DW => Ok(Kind::Plain),
                _ => Err(ErrorKind::UnknownOpcode),
            }
        }
        BPF_ST => {
            reg(insn.dst)?;
            zero(insn.src as i64, "src")?;
            match insn.opc & 0xe0 {
                BPF_MEM => Ok(Kind::Plain),
                _ => Err(ErrorKind::UnknownOpcode),
            }
        }
        BPF_STX => {
            reg(insn.dst)?;
            reg(insn.src)?;
            match insn.opc & 0xe0 {
                BPF_MEM => zero(insn.imm as i64, "imm").map(|()| Kind::Plain),
                BPF_ATOMIC => check_atomic(&insn).map(|()| Kind::Plain),
                _ => Err(ErrorKind::UnknownOpcode),
            }
        }
        BPF_LD => check_ld(prog, pc, n_maps),
        _ => check_jmp(prog, pc),
    }
}

fn check_alu(insn: &Insn) -> Check<()> {
    let op = insn.opc & 0xf0;
    let is64 = insn.class() == BPF_ALU64;
    let x = insn.opc & BPF_X != 0;
    writable(insn.dst)?;
    reg(insn.src)?;
    match op {
        BPF_END => {
            zero(insn.src as i64, "src")?;
            zero(insn.off as i64, "off")?;
            if is64 && x {
                // ALU64 | END | TO_BE does not exist.
                return Err(ErrorKind::UnknownOpcode);
            }
            match insn.imm {
                16 | 32 | 64 => Ok(()),
                w => Err(ErrorKind::BadSwapWidth(w)),
            }
        }
        BPF_NEG => {
            if x {
                return Err(ErrorKind::UnknownOpcode);
            }
            zero(insn.src as i64, "src")?;
            zero(insn.off as i64, "off")?;
            zero(insn.imm as i64, "imm")
        }
        BPF_ADD | BPF_SUB | BPF_MUL | BPF_DIV | BPF_OR | BPF_AND | BPF_LSH | BPF_RSH | BPF_MOD
        | BPF_XOR | BPF_MOV | BPF_ARSH => {
            let off_ok = match op {
                BPF_DIV | BPF_MOD => insn.off == 0 || insn.off == 1,
                // movsx: 8/16 in both widths, 32 only in ALU64; register source only.
                BPF_MOV => {
                    insn.off == 0
                        || (x && (insn.off == 8 || insn.off == 16 || (is64 && insn.off == 32)))
                }
                _ => insn.off == 0,
            };
            if !off_ok {
                return Err(ErrorKind::ReservedField("off"));
            }
            if x {
                zero(insn.imm as i64, "imm")
            } else {
                zero(insn.src as i64, "src")
            }
        }
        _ => Err(ErrorKind::UnknownOpcode),
    }
}

fn check_atomic(insn: &Insn) -> Check<()> {
    match insn.opc & 0x18 {
        BPF_W | BPF_DW => {}
        _ => return Err(ErrorKind::UnknownOpcode),
    }
    match insn.imm {
        BPF_XCHG => writable(insn.src),
        BPF_CMPXCHG => Ok(()),
        op if (0..=0xff).contains(&op) => match (op & !BPF_FETCH) as u8 {
            BPF_ADD | BPF_OR | BPF_AND | BPF_XOR if op & BPF_FETCH != 0 => writable(insn.src),
            BPF_ADD | BPF_OR | BPF_AND | BPF_XOR => Ok(()),
            _ => Err(ErrorKind::UnknownOpcode),
        },
        _ => Err(ErrorKind::UnknownOpcode),
    }
}

fn check_ld(prog: &[Insn], pc: usize, n_maps: usize) -> Check<Kind> {
    let insn = prog[pc];
    match insn.opc {
        LD_DW_IMM => {
            writable(insn.dst)?;
            zero(insn.off as i64, "off")?;
            let hi = prog.get(pc + 1).ok_or(ErrorKind::BadLddw)?;
            if hi.opc != 0 || hi.dst != 0 || hi.src != 0 || hi.off != 0 {
                return Err(ErrorKind::BadLddw);
            }
            let map = |value_off: Option<u32>| {
                let idx = insn.imm as u32;
                if (idx as usize) < n_maps {
                    Ok(Kind::MapRef { idx, value_off })
                } else {
                    Err(ErrorKind::BadMapIndex(idx))
                }
            };
            match insn.src {
                0 => Ok(Kind::Lddw(
                    (hi.imm as u32 as u64) << 32 | insn.imm as u32 as u64,
                )),
                BPF_PSEUDO_MAP_FD | BPF_PSEUDO_MAP_IDX => {
                    zero(hi.imm as i64, "imm of the second slot")?;
                    map(None)
                }
                BPF_PSEUDO_MAP_VALUE | BPF_PSEUDO_MAP_IDX_VALUE => map(Some(hi.imm as u32)),
                s @ (BPF_PSEUDO_BTF_ID | BPF_PSEUDO_FUNC) => {
                    Err(ErrorKind::UnsupportedPseudoLoad(s))
                }
                s => Err(ErrorKind::BadRegister(s)),
            }
        }
        op if op & 0xe0 == BPF_ABS || op & 0xe0 == BPF_IND => Err(ErrorKind::LegacyPacketAccess),
        _ => Err(ErrorKind::UnknownOpcode),
    }
}

fn check_jmp(prog: &[Insn], pc: usize) -> Check<Kind> {
    let insn = prog[pc];
    let is32 = insn.class() == BPF_JMP32;
    let x = insn.opc & BPF_X != 0;
    match insn.opc & 0xf0 {
        BPF_JA => {
            if x {
                return Err(ErrorKind::UnknownOpcode);
            }
            zero(insn.dst as i64, "dst")?;
            zero(insn.src as i64, "src")?;
            if is32 {
                // `gotol`: the offset is the immediate.
                zero(insn.off as i64, "off")?;
                target(prog, pc, insn.imm as i64).map(Kind::Jump)
            } else {
                zero(insn.imm as i64, "imm")?;
                target(prog, pc, insn.off as i64).map(Kind::Jump)
            }
        }
        BPF_CALL if !is32 => check_call(prog, pc),
        BPF_EXIT if !is32 => {
            if x {
                return Err(ErrorKind::UnknownOpcode);
            }
            zero(insn.dst as i64, "dst")?;
            zero(insn.src as i64, "src")?;
            zero(insn.off as i64, "off")?;
            zero(insn.imm as i64, "imm").map(|()| Kind::Exit)
        }
        BPF_JEQ | BPF_JGT | BPF_JGE | BPF_JSET | BPF_JNE | BPF_JSGT | BPF_JSGE | BPF_JLT
        | BPF_JLE | BPF_JSLT | BPF_JSLE => {
            reg(insn.dst)?;
            if x {
                reg(insn.src)?;
                zero(insn.imm as i64, "imm")?;
            } else {
                zero(insn.src as i64, "src")?;
            }
            target(prog, pc, insn.off as i64).map(Kind::Branch)
        }
        _ => Err(ErrorKind::UnknownOpcode),
    }
}

fn check_call(prog: &[Insn], pc: usize) -> Check<Kind> {
    let insn: ebpf::Insn = prog[pc];
    if insn.opc & BPF_X != 0 {
        return Err(ErrorKind::IndirectCall);
    }
    zero(insn.off as i64, "off")?;
    zero(insn.dst as i64, "dst")?;
    match insn.src {
        0 => rvo_isa::Helper::from_id(insn.imm)
            .map(Kind::Helper)
            .ok_or(ErrorKind::UnsupportedHelper(insn.imm)),
        BPF_PSEUDO_CALL => target(prog, pc, insn.imm as i64).map(Kind::Call),
        BPF_PSEUDO_KFUNC_CALL => Err(ErrorKind::Kfunc(insn.imm)),
        s => Err(ErrorKind::BadRegister(s)),
    }
}
